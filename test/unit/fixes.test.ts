// Fixes as code (issue 14): every finding whose fix is a resource change carries the AWS CLI
// commands, a Terraform snippet and a CloudFormation fragment with the real ids. Driven from
// what the checks really emit over the recorded describe-* fixtures (fixes-scenarios.ts):
// each snippet kind is validated (HCL parsed and `terraform fmt`-clean, CloudFormation parsed
// as a resource fragment, CLI lines parsed as argv with their required flags), and a failing
// code without fixes must be in the allow-list below, with the reason.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { parse as parseHcl } from '@cdktf/hcl2json';
import Ajv2020 from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import { FIX_BUILDERS } from '../../src/fixes/index.js';
import type { Finding, FixSet } from '../../src/model.js';
import { renderMarkdown } from '../../src/render/markdown.js';
import { renderText } from '../../src/render/text.js';
import type { buildReport } from '../../src/report.js';
import { fixedScenarios, SCENARIOS, scenarioReport } from './fixes-scenarios.js';

type Kind = keyof FixSet;

/** A reference as hcl2json writes it: `${aws_security_group.x.id}`. */
const expression = (text: string): string => `\${${text}}`;
const KINDS: Kind[] = ['cli', 'terraform', 'cloudformation'];

/**
 * Failing (or warning) codes that carry no fix as code, and why. A code is here when its fix is
 * not a change to AWS resources, or only in the cases named.
 */
const NO_FIX_AS_CODE: Record<string, string> = {
  // Probe symptoms: the cause beside them (SG, ACL, route, private DNS, VPC DNS, DHCP) carries the fix as code.
  DNS_RESOLVES_PUBLIC: 'symptom; its cause finding (private DNS, VPC DNS, DHCP options) carries the code',
  DNS_RESOLVES_UNEXPECTED_PRIVATE:
    'a stale private hosted zone or Resolver rule to find and delete: a judgement',
  DNS_NXDOMAIN: 'the resolver or a zone answering for the name: outside the VPC resources',
  DNS_NODATA: 'the resolver or a zone answering for the name: outside the VPC resources',
  DNS_SERVFAIL: 'the resolver misbehaves: fixed on the DNS server',
  DNS_REFUSED: "the resolver's recursion ACL: fixed on the DNS server",
  DNS_TIMEOUT: 'a resolver that does not answer: fixed on the DNS server or the path to it',
  DNS_MALFORMED_RESPONSE: 'a middlebox rewriting DNS: capture and fix the middlebox',
  DNS_ERROR: 'a resolver that cannot be reached: fixed on the DNS server',
  DNS_RESOLVERS_DISAGREE: 'a forwarder outside AWS to reconfigure',
  TCP_TIMEOUT: 'symptom; the SG / ACL / route finding that explains it carries the code',
  TCP_REFUSED: 'nothing listens on the port: a service-side problem, not a resource to add',
  TCP_UNREACHABLE: 'symptom; the route or host firewall that explains it carries the fix',
  TCP_ERROR: 'a socket error on the agent host',
  TLS_NAME_MISMATCH: 'DNS points at the wrong endpoint or a proxy: a judgement about names',
  TLS_UNTRUSTED: 'a TLS-inspecting proxy: exempt the name on the proxy',
  TLS_HANDSHAKE_FAILED: 'a middlebox or MTU problem on the path',
  TLS_TIMEOUT: 'a middlebox or MTU problem on the path',
  L7_NOT_AWS: 'something answers in AWS\u2019s place: a proxy to find',
  L7_NO_RESPONSE: 'an L7 firewall or IPS drops the request: fixed on that appliance',
  STS_SIGNED_CALL_DENIED:
    'a denial by an SCP, a permissions boundary or an endpoint policy it names: which one to change is the owner\u2019s call',
  STS_GLOBAL_ENDPOINT_BYPASS: 'an SDK setting (AWS_STS_REGIONAL_ENDPOINTS=regional), not a resource',
  ROUTE_IP_NOT_IN_PREFIX_LIST: 'a resolver answering with another Region\u2019s addresses: fix the DNS path',
  PROBE_CONTRADICTS_CONFIG: 'the configuration allows it: the cause is beyond VPC resources',
  CONFIG_CONTRADICTS_PROBE: 'a warning about our reading, not a change to make',
  FLOWLOG_REJECT_SEEN: 'evidence; the SG or ACL finding beside it carries the code',
  LOGS_SHIPPING_FAILED: "the agent's CloudWatch Logs permission or endpoint: see its gap finding",
  // IPv6 (checks/ipv6.ts): where IPv6 goes is decided by the endpoint's family; its finding carries the code.
  ROUTE_IPV6_NO_PATH:
    'the endpoint made dual-stack (ENDPOINT_IPV4_ONLY_AAAA_FIRST beside it) is the fix; a route out is a judgement',
  ROUTE_IPV6_VIA_EGRESS_ONLY_IGW:
    'the endpoint made dual-stack (its finding beside it) is the fix, not a route change',
  ROUTE_IPV6_VIA_OTHER_TARGET: 'a route someone meant for other traffic: a judgement, not a resource to add',
  SDK_DUALSTACK_NO_ENDPOINT: 'an SDK setting (AWS_USE_DUALSTACK_ENDPOINT), not a resource',
  ENDPOINT_NOT_FOUND: 'a configured endpoint id that does not exist: fix the configuration',
  // Partly: these codes carry fixes as code except in the case named.
  ENDPOINT_NOT_IN_AZ: 'only when the service is not offered in the agent\u2019s AZ (move the workload)',
  ENDPOINT_NOT_AVAILABLE: 'only while pending (wait) or deleting',
  ENDPOINT_MISSING: 'only when the path without it cannot be judged (unknown) or no route table is known',
  ROUTE_MORE_SPECIFIC_OVERRIDES:
    'never for Terraform/CloudFormation: deleting a route is removing its resource',
  ROUTE_VIA_OTHER_TARGET: 'only for an interface endpoint, whose ENIs the local route reaches',
  ROUTE_VIA_NAT: 'only for an interface endpoint, whose ENIs the local route reaches',
  ROUTE_NO_PATH:
    'only for an interface endpoint\u2019s ENIs outside every route: their addresses are wrong, not a route',
  ENDPOINT_POLICY_DENIES: 'only for an explicit Deny: which statement to narrow is the owner\u2019s call',
  // Centralised endpoints (issue 15).
  HUB_RULE_TARGETS_DOWN:
    'an inbound Resolver endpoint that does not answer: its state, group or path to find',
  TGW_ROUTE_MISSING:
    'the hub VPC\u2019s CIDR and attachment are not read from the spoke: the network account writes the route',
  PEERING_NOT_ACTIVE: 'only while pending acceptance; a rejected, expired or deleted peering is replaced',
};

/** What each kind of snippet must hold for one scenario's finding: resource types and real ids. */
interface Expectation {
  scenario: string;
  code: string;
  kinds: Kind[];
  terraform?: Array<[string, Record<string, unknown>]>;
  cloudformation?: Array<[string, Record<string, unknown>]>;
  cli?: Array<[string, Record<string, string | true>]>;
}

const EXPECTED: Expectation[] = [
  {
    scenario: 'endpoint SG admits only another CIDR',
    code: 'SG_ENDPOINT_INGRESS_DENIED',
    kinds: KINDS,
    terraform: [
      [
        'aws_vpc_security_group_ingress_rule',
        {
          security_group_id: 'sg-0ep-cidr',
          referenced_security_group_id: 'sg-0app',
          from_port: 443,
          to_port: 443,
        },
      ],
    ],
    cloudformation: [
      [
        'AWS::EC2::SecurityGroupIngress',
        { GroupId: 'sg-0ep-cidr', SourceSecurityGroupId: 'sg-0app', FromPort: 443, IpProtocol: 'tcp' },
      ],
    ],
    cli: [
      [
        'ec2 authorize-security-group-ingress',
        { '--group-id': 'sg-0ep-cidr', '--source-group': 'sg-0app', '--port': '443' },
      ],
    ],
  },
  {
    scenario: 'agent groups unknown: the endpoint SG admits a CIDR only',
    code: 'SG_ENDPOINT_INGRESS_DENIED',
    kinds: KINDS,
    terraform: [
      [
        'aws_vpc_security_group_ingress_rule',
        { security_group_id: 'sg-0ep-cidr', cidr_ipv4: '10.0.1.10/32' },
      ],
    ],
    cloudformation: [['AWS::EC2::SecurityGroupIngress', { GroupId: 'sg-0ep-cidr', CidrIp: '10.0.1.10/32' }]],
  },
  {
    scenario: 'agent SG allows no egress to the endpoint',
    code: 'SG_AGENT_EGRESS_DENIED',
    kinds: KINDS,
    terraform: [
      [
        'aws_vpc_security_group_egress_rule',
        { security_group_id: 'sg-0app-strict', referenced_security_group_id: 'sg-0ep-cidr', from_port: 443 },
      ],
    ],
    cloudformation: [
      [
        'AWS::EC2::SecurityGroupEgress',
        { GroupId: 'sg-0app-strict', DestinationSecurityGroupId: 'sg-0ep-cidr' },
      ],
    ],
    cli: [
      [
        'ec2 authorize-security-group-egress',
        { '--group-id': 'sg-0app-strict', '--source-group': 'sg-0ep-cidr' },
      ],
    ],
  },
  {
    scenario: 'agent SG egress misses the S3 prefix list',
    code: 'SG_AGENT_EGRESS_DENIED',
    kinds: KINDS,
    terraform: [
      [
        'aws_vpc_security_group_egress_rule',
        { security_group_id: 'sg-0edge-442', prefix_list_id: 'pl-63a5400a' },
      ],
    ],
    cloudformation: [
      ['AWS::EC2::SecurityGroupEgress', { GroupId: 'sg-0edge-442', DestinationPrefixListId: 'pl-63a5400a' }],
    ],
  },
  {
    scenario: 'agent SG egress misses a resolved public address',
    code: 'SG_AGENT_EGRESS_DENIED',
    kinds: KINDS,
    terraform: [
      [
        'aws_vpc_security_group_egress_rule',
        { security_group_id: 'sg-0edge-442', cidr_ipv4: '54.239.28.85/32' },
      ],
    ],
  },
  {
    scenario: 'no ECR endpoint for a Fargate task, NAT carries it',
    code: 'ENDPOINT_MISSING',
    kinds: KINDS,
    terraform: [
      ['aws_security_group', { vpc_id: 'vpc-0a1b' }],
      [
        'aws_vpc_security_group_ingress_rule',
        {
          referenced_security_group_id: 'sg-0app',
          from_port: 443,
          security_group_id: expression('aws_security_group.ecr_dkr_endpoint.id'),
        },
      ],
      [
        'aws_vpc_endpoint',
        {
          vpc_id: 'vpc-0a1b',
          service_name: 'com.amazonaws.us-east-1.ecr.dkr',
          vpc_endpoint_type: 'Interface',
          subnet_ids: ['subnet-0app'],
          security_group_ids: [expression('aws_security_group.ecr_dkr_endpoint.id')],
          private_dns_enabled: true,
        },
      ],
    ],
    cloudformation: [
      ['AWS::EC2::SecurityGroup', { VpcId: 'vpc-0a1b' }],
      [
        'AWS::EC2::VPCEndpoint',
        {
          VpcId: 'vpc-0a1b',
          ServiceName: 'com.amazonaws.us-east-1.ecr.dkr',
          SubnetIds: ['subnet-0app'],
          PrivateDnsEnabled: true,
          SecurityGroupIds: [{ 'Fn::GetAtt': ['EcrDkrEndpointSecurityGroup', 'GroupId'] }],
        },
      ],
    ],
    cli: [
      ['ec2 create-security-group', { '--vpc-id': 'vpc-0a1b' }],
      ['ec2 authorize-security-group-ingress', { '--group-id': '$sg', '--source-group': 'sg-0app' }],
      [
        'ec2 create-vpc-endpoint',
        {
          '--vpc-id': 'vpc-0a1b',
          '--subnet-ids': 'subnet-0app',
          '--security-group-ids': '$sg',
          '--private-dns-enabled': true,
        },
      ],
    ],
  },
  {
    scenario: 'no S3 endpoint for a Fargate task in a dark subnet',
    code: 'ENDPOINT_MISSING',
    kinds: KINDS,
    terraform: [
      [
        'aws_vpc_endpoint',
        { vpc_endpoint_type: 'Gateway', route_table_ids: ['rtb-0dark'], vpc_id: 'vpc-0a1b' },
      ],
    ],
    cloudformation: [['AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway', RouteTableIds: ['rtb-0dark'] }]],
    cli: [
      ['ec2 create-vpc-endpoint', { '--vpc-endpoint-type': 'Gateway', '--route-table-ids': 'rtb-0dark' }],
    ],
  },
  {
    scenario: 'endpoint rejected by the service owner',
    code: 'ENDPOINT_NOT_AVAILABLE',
    kinds: KINDS,
    terraform: [
      [
        'aws_vpc_endpoint',
        {
          service_name: 'com.amazonaws.us-east-1.ssm',
          subnet_ids: ['subnet-0ep1a'],
          security_group_ids: ['sg-0ep-ref'],
        },
      ],
    ],
    cli: [
      ['ec2 delete-vpc-endpoints', { '--vpc-endpoint-ids': 'vpce-0ssm' }],
      ['ec2 create-vpc-endpoint', { '--service-name': 'com.amazonaws.us-east-1.ssm' }],
    ],
  },
  {
    scenario: 'endpoint waiting for acceptance',
    code: 'ENDPOINT_NOT_AVAILABLE',
    // CloudFormation has no resource that accepts an endpoint connection.
    kinds: ['cli', 'terraform'],
    terraform: [
      [
        'aws_vpc_endpoint_connection_accepter',
        { vpc_endpoint_service_id: 'vpce-svc-0abc123', vpc_endpoint_id: 'vpce-0svc' },
      ],
    ],
    cli: [
      [
        'ec2 accept-vpc-endpoint-connections',
        { '--service-id': 'vpce-svc-0abc123', '--vpc-endpoint-ids': 'vpce-0svc' },
      ],
    ],
  },
  {
    scenario: 'private DNS off',
    code: 'ENDPOINT_PRIVATE_DNS_DISABLED',
    kinds: KINDS,
    terraform: [
      [
        'aws_vpc_endpoint',
        {
          service_name: 'com.amazonaws.us-east-1.sts',
          private_dns_enabled: true,
          subnet_ids: ['subnet-0ep1a'],
        },
      ],
    ],
    cloudformation: [
      ['AWS::EC2::VPCEndpoint', { ServiceName: 'com.amazonaws.us-east-1.sts', PrivateDnsEnabled: true }],
    ],
    cli: [['ec2 modify-vpc-endpoint', { '--vpc-endpoint-id': 'vpce-0sts', '--private-dns-enabled': true }]],
  },
  {
    scenario: 'endpoint in another AZ only',
    code: 'ENDPOINT_NOT_IN_AZ',
    kinds: KINDS,
    terraform: [
      ['aws_vpc_endpoint_subnet_association', { vpc_endpoint_id: 'vpce-0logs', subnet_id: 'subnet-0app' }],
    ],
    cloudformation: [['AWS::EC2::VPCEndpoint', { SubnetIds: ['subnet-0ep1b', 'subnet-0app'] }]],
    cli: [
      ['ec2 modify-vpc-endpoint', { '--vpc-endpoint-id': 'vpce-0logs', '--add-subnet-ids': 'subnet-0app' }],
    ],
  },
  {
    scenario: 'VPC DNS attributes off',
    code: 'VPC_DNS_SUPPORT_DISABLED',
    kinds: KINDS,
    terraform: [['aws_vpc', { cidr_block: '10.0.0.0/16', enable_dns_support: true }]],
    cloudformation: [['AWS::EC2::VPC', { CidrBlock: '10.0.0.0/16', EnableDnsSupport: true }]],
    cli: [['ec2 modify-vpc-attribute', { '--vpc-id': 'vpc-0a1b', '--enable-dns-support': '{"Value":true}' }]],
  },
  {
    scenario: 'VPC DNS attributes off',
    code: 'VPC_DNS_HOSTNAMES_DISABLED',
    kinds: KINDS,
    terraform: [['aws_vpc', { enable_dns_hostnames: true }]],
    cloudformation: [['AWS::EC2::VPC', { EnableDnsHostnames: true }]],
    cli: [
      ['ec2 modify-vpc-attribute', { '--vpc-id': 'vpc-0a1b', '--enable-dns-hostnames': '{"Value":true}' }],
    ],
  },
  {
    scenario: 'custom DNS servers that do not forward to AmazonProvidedDNS',
    code: 'DHCP_CUSTOM_DNS',
    kinds: KINDS,
    terraform: [
      [
        'aws_vpc_dhcp_options',
        { domain_name_servers: ['AmazonProvidedDNS'], domain_name: 'corp.example.com' },
      ],
      ['aws_vpc_dhcp_options_association', { vpc_id: 'vpc-0a1b' }],
    ],
    cloudformation: [
      ['AWS::EC2::DHCPOptions', { DomainNameServers: ['AmazonProvidedDNS'] }],
      ['AWS::EC2::VPCDHCPOptionsAssociation', { VpcId: 'vpc-0a1b' }],
    ],
    cli: [
      ['ec2 create-dhcp-options', {}],
      ['ec2 associate-dhcp-options', { '--vpc-id': 'vpc-0a1b', '--dhcp-options-id': '$dopt' }],
    ],
  },
  {
    scenario: 'S3 gateway policy admits only the team bucket',
    code: 'ENDPOINT_POLICY_DENIES',
    kinds: KINDS,
    terraform: [['aws_vpc_endpoint_policy', { vpc_endpoint_id: 'vpce-0s3gw' }]],
    cloudformation: [
      [
        'AWS::EC2::VPCEndpoint',
        { ServiceName: 'com.amazonaws.us-east-1.s3', RouteTableIds: ['rtb-0app', 'rtb-0hole'] },
      ],
    ],
    cli: [['ec2 modify-vpc-endpoint', { '--vpc-endpoint-id': 'vpce-0s3gw' }]],
  },
  {
    scenario: 'ECR policy denies everything',
    code: 'ENDPOINT_POLICY_ALLOWS_NOTHING',
    kinds: KINDS,
    terraform: [['aws_vpc_endpoint_policy', { vpc_endpoint_id: 'vpce-0ecr' }]],
    cloudformation: [['AWS::EC2::VPCEndpoint', { ServiceName: 'com.amazonaws.us-east-1.ecr.dkr' }]],
    cli: [['ec2 modify-vpc-endpoint', { '--vpc-endpoint-id': 'vpce-0ecr' }]],
  },
  {
    scenario: 'KMS policy denies everything, no calls known',
    code: 'ENDPOINT_POLICY_ALLOWS_NOTHING',
    kinds: KINDS,
    cli: [['ec2 modify-vpc-endpoint', { '--vpc-endpoint-id': 'vpce-0kms', '--reset-policy': true }]],
  },
  {
    scenario: 'DynamoDB gateway route missing in a dark subnet',
    code: 'ROUTE_GATEWAY_MISSING',
    kinds: KINDS,
    terraform: [
      [
        'aws_vpc_endpoint_route_table_association',
        { vpc_endpoint_id: 'vpce-0ddb', route_table_id: 'rtb-0dark' },
      ],
    ],
    cloudformation: [
      [
        'AWS::EC2::VPCEndpoint',
        { ServiceName: 'com.amazonaws.us-east-1.dynamodb', RouteTableIds: ['rtb-0dark'] },
      ],
    ],
    cli: [
      ['ec2 modify-vpc-endpoint', { '--vpc-endpoint-id': 'vpce-0ddb', '--add-route-table-ids': 'rtb-0dark' }],
    ],
  },
  {
    scenario: 'S3 gateway route missing in a main table, NAT carries it',
    code: 'ROUTE_VIA_NAT',
    kinds: KINDS,
    terraform: [
      [
        'aws_vpc_endpoint_route_table_association',
        { vpc_endpoint_id: 'vpce-0s3gw', route_table_id: 'rtb-0main' },
      ],
    ],
  },
  {
    scenario: 'no EC2 endpoint in an isolated subnet',
    code: 'ROUTE_NO_PATH',
    kinds: KINDS,
    terraform: [
      ['aws_vpc_endpoint', { service_name: 'com.amazonaws.us-east-1.ec2', subnet_ids: ['subnet-0dark'] }],
    ],
  },
  {
    scenario: 'a Lambda function behind an internet gateway',
    code: 'ROUTE_IGW_NO_PUBLIC_IP',
    kinds: KINDS,
    terraform: [['aws_vpc_endpoint', { service_name: 'com.amazonaws.us-east-1.ec2' }]],
  },
  {
    scenario: 'an agent with a public IP through the internet gateway',
    code: 'ROUTE_VIA_OTHER_TARGET',
    kinds: KINDS,
    terraform: [['aws_vpc_endpoint', { service_name: 'com.amazonaws.us-east-1.ec2' }]],
  },
  {
    scenario: 'S3 route to a blackhole',
    code: 'ROUTE_BLACKHOLE',
    kinds: ['cli'],
    cli: [['ec2 delete-route', { '--route-table-id': 'rtb-0hole' }]],
  },
  {
    scenario: 'a more specific route covers the KMS ENIs',
    code: 'ROUTE_MORE_SPECIFIC_OVERRIDES',
    kinds: ['cli'],
    cli: [['ec2 delete-route', { '--route-table-id': 'rtb-0app' }]],
  },
  {
    scenario: "the agent subnet's ACL drops the return traffic",
    code: 'NACL_AGENT_SUBNET_DENIED',
    kinds: KINDS,
    terraform: [
      [
        'aws_network_acl_rule',
        { network_acl_id: 'acl-0strict', rule_number: 89, egress: false, rule_action: 'allow' },
      ],
    ],
    cloudformation: [
      [
        'AWS::EC2::NetworkAclEntry',
        { NetworkAclId: 'acl-0strict', RuleNumber: 89, Egress: false, Protocol: 6 },
      ],
    ],
    cli: [
      [
        'ec2 create-network-acl-entry',
        { '--network-acl-id': 'acl-0strict', '--ingress': true, '--rule-number': '89' },
      ],
    ],
  },
  {
    scenario: "the endpoint subnet's ACL drops the return traffic",
    code: 'NACL_ENDPOINT_SUBNET_DENIED',
    kinds: KINDS,
    terraform: [['aws_network_acl_rule', { egress: true, rule_action: 'allow' }]],
  },
  {
    scenario: 'part of the ephemeral range dropped',
    code: 'NACL_EPHEMERAL_PARTIAL',
    kinds: KINDS,
    terraform: [
      [
        'aws_network_acl_rule',
        { network_acl_id: 'acl-0partial', rule_number: 100, from_port: 32768, to_port: 60999 },
      ],
    ],
    cli: [
      [
        'ec2 replace-network-acl-entry',
        { '--network-acl-id': 'acl-0partial', '--rule-number': '100', '--port-range': 'From=32768,To=60999' },
      ],
    ],
  },
  {
    scenario: 'security groups unreadable',
    code: 'AWS_PERMISSION_DENIED',
    kinds: KINDS,
    terraform: [['aws_iam_role_policy', { role: expression('var.agent_role_name') }]],
    cloudformation: [['AWS::IAM::RolePolicy', { RoleName: { Ref: 'AgentRoleName' } }]],
    cli: [['iam put-role-policy', { '--role-name': '$role' }]],
  },
  {
    scenario: 'security groups unreadable',
    code: 'SG_UNKNOWN',
    kinds: KINDS,
    terraform: [['aws_iam_role_policy', { role: expression('var.agent_role_name') }]],
  },
];

// ---- the snippet parsers ---------------------------------------------------------------

type HclFile = { resource?: Record<string, Record<string, Array<Record<string, unknown>>>> };

/** The resources of a Terraform snippet, as [type, arguments]. */
async function terraformResources(snippet: string): Promise<Array<[string, Record<string, unknown>]>> {
  const parsed = (await parseHcl('fix.tf', snippet)) as HclFile;
  return Object.entries(parsed.resource ?? {}).flatMap(([type, byName]) =>
    Object.values(byName).map((bodies): [string, Record<string, unknown>] => [type, bodies[0]!]),
  );
}

/** Levels left after `count` closing brackets: a level is a line that opened brackets, however many. */
function closeBrackets(levels: number[], count: number): number[] {
  const left = [...levels];
  let k = count;
  while (k > 0 && left.length > 0) {
    const top = left.pop()!;
    if (top > k) left.push(top - k);
    k -= Math.min(top, k);
  }
  return left;
}

/**
 * What `terraform fmt` would change, by its rules: two spaces per line that opened brackets
 * (`jsonencode({` is one level), no tabs or trailing blanks, and the `=` of consecutive one-line
 * arguments in one column (an argument that opens a bracket ends the run and takes one space).
 */
function fmtProblems(snippet: string): string[] {
  const problems: string[] = [];
  if (!snippet.endsWith('\n') || snippet.endsWith('\n\n')) problems.push('must end in exactly one newline');
  const lines = snippet.slice(0, -1).split('\n');
  let levels: number[] = [];
  let run: Array<{ line: number; equals: number; key: number }> = [];
  const closeRun = () => {
    const columns = new Set(run.map((r) => r.equals));
    if (columns.size > 1) problems.push(`lines ${run.map((r) => r.line + 1).join(',')}: '=' not aligned`);
    const longest = Math.max(...run.map((r) => r.key));
    if (run.length > 0 && [...columns][0] !== longest + 1)
      problems.push(`line ${run[0]!.line + 1}: '=' not one space after the longest name`);
    run = [];
  };
  lines.forEach((line, i) => {
    if (/\s$/.test(line) || line.includes('\t')) problems.push(`line ${i + 1}: trailing blank or tab`);
    const trimmed = line.trim();
    const code = trimmed.replace(/"(?:[^"\\]|\\.)*"/g, '""');
    const leading = /^[\]})]*/.exec(code)![0].length;
    const indent = line.length - line.trimStart().length;
    const expected = 2 * closeBrackets(levels, leading).length;
    if (trimmed && !trimmed.startsWith('#') && indent !== expected)
      problems.push(`line ${i + 1}: indent ${indent}, expected ${expected}`);
    const net = (code.match(/[[{(]/g) ?? []).length - (code.match(/[\]})]/g) ?? []).length;
    const attribute = /^([A-Za-z_][\w-]*|"[^"]*")( +)= /.exec(trimmed);
    if (attribute && net === 0) {
      run.push({
        line: i,
        equals: indent + attribute[1]!.length + attribute[2]!.length,
        key: indent + attribute[1]!.length,
      });
    } else {
      closeRun();
      if (attribute && attribute[2] !== ' ')
        problems.push(`line ${i + 1}: multi-line argument with padded '='`);
    }
    levels = net > 0 ? [...levels, net] : closeBrackets(levels, -net);
  });
  closeRun();
  return problems;
}

/** A CloudFormation fragment: logical id → { Type, Properties }. */
function cloudFormationResources(snippet: string): Array<[string, Record<string, unknown>]> {
  const parsed = parseYaml(snippet) as Record<string, { Type: string; Properties: Record<string, unknown> }>;
  return Object.entries(parsed).map(([id, r]) => {
    assert.match(id, /^[A-Za-z0-9]+$/, `logical id ${id} is alphanumeric`);
    assert.match(r.Type, /^AWS::[A-Za-z0-9]+::[A-Za-z0-9]+$/);
    return [r.Type, r.Properties];
  });
}

/** Shell words of one line: quotes removed, `"$x"` kept as `$x`, `x=$(…)` read as its command. */
function shellWords(line: string): string[] {
  const capture = /^[a-z_]+=\$\((.*)\)$/.exec(line);
  const text = capture ? capture[1]! : line;
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      assert.ok(end > i, `unterminated quote in ${line}`);
      word += text.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '"') {
      const end = text.indexOf('"', i + 1);
      assert.ok(end > i, `unterminated quote in ${line}`);
      word += text.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === ' ') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      assert.ok(!/[;&|<>`$()\\]/.test(c), `unquoted shell metacharacter ${c} in ${line}`);
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** The flags each AWS CLI command the fixes use cannot run without (aws <service> <command> help). */
const REQUIRED_FLAGS: Record<string, string[]> = {
  'ec2 authorize-security-group-ingress': ['--group-id'],
  'ec2 authorize-security-group-egress': ['--group-id'],
  'ec2 create-security-group': ['--group-name', '--description'],
  'ec2 create-vpc-endpoint': ['--vpc-id', '--service-name'],
  'ec2 delete-vpc-endpoints': ['--vpc-endpoint-ids'],
  'ec2 modify-vpc-endpoint': ['--vpc-endpoint-id'],
  'ec2 accept-vpc-endpoint-connections': ['--service-id', '--vpc-endpoint-ids'],
  'ec2 modify-vpc-attribute': ['--vpc-id'],
  'ec2 create-dhcp-options': ['--dhcp-configurations'],
  'ec2 associate-dhcp-options': ['--dhcp-options-id', '--vpc-id'],
  'ec2 create-network-acl-entry': ['--network-acl-id', '--rule-number', '--protocol', '--rule-action'],
  'ec2 replace-network-acl-entry': ['--network-acl-id', '--rule-number', '--protocol', '--rule-action'],
  'ec2 delete-route': ['--route-table-id'],
  'iam put-role-policy': ['--role-name', '--policy-name', '--policy-document'],
  'route53 create-vpc-association-authorization': ['--hosted-zone-id', '--vpc'],
  'route53 associate-vpc-with-hosted-zone': ['--hosted-zone-id', '--vpc'],
  'route53resolver associate-resolver-rule': ['--resolver-rule-id', '--vpc-id'],
  'ec2 create-transit-gateway-route': [
    '--transit-gateway-route-table-id',
    '--destination-cidr-block',
    '--transit-gateway-attachment-id',
  ],
  'ec2 accept-vpc-peering-connection': ['--vpc-peering-connection-id'],
};

/** Each command of a CLI fix: `service command` and its flags (a flag without a value is `true`). */
function cliCommands(snippet: string): Array<[string, Record<string, string | true>]> {
  return snippet
    .split('\n')
    .filter((line) => !line.startsWith('#'))
    .map((line) => {
      const [aws, service, command, ...rest] = shellWords(line);
      assert.equal(aws, 'aws', `${line} runs aws`);
      const name = `${service} ${command}`;
      assert.ok(REQUIRED_FLAGS[name], `${name} is a command the fixes are known to use`);
      const flags: Record<string, string | true> = {};
      let last = '';
      for (const word of rest) {
        if (word.startsWith('--')) {
          last = word;
          flags[word] = true;
        } else {
          assert.ok(last, `${line}: ${word} follows a flag`);
          flags[last] = flags[last] === true ? word : `${flags[last]} ${word}`;
        }
      }
      for (const flag of REQUIRED_FLAGS[name]!) assert.ok(flags[flag] !== undefined, `${line} has ${flag}`);
      if (typeof flags['--policy-document'] === 'string') JSON.parse(flags['--policy-document']);
      return [name, flags];
    });
}

/** `actual` holds every key of `expected` with an equal value. */
function holds(actual: Record<string, unknown>, expected: Record<string, unknown>): boolean {
  return Object.entries(expected).every(([k, v]) => {
    try {
      assert.deepEqual(actual[k], v);
      return true;
    } catch {
      return false;
    }
  });
}

function assertHas(
  what: string,
  resources: Array<[string, Record<string, unknown>]>,
  expected: Array<[string, Record<string, unknown>]>,
): void {
  for (const [type, attributes] of expected) {
    assert.ok(
      resources.some(([t, body]) => t === type && holds(body, attributes)),
      `${what}: a ${type} with ${JSON.stringify(attributes)}; got ${JSON.stringify(resources)}`,
    );
  }
}

// ---- the tests -------------------------------------------------------------------------

const judged = fixedScenarios();
const failing = judged.filter((j) => j.fixed.status === 'fail' || j.fixed.status === 'warn');
const withFixes = judged.filter((j) => j.fixed.fixes);

function findingOf(scenario: string, code: string): Finding {
  const found = judged.find((j) => j.scenario === scenario && j.fixed.code === code);
  assert.ok(found, `scenario "${scenario}" emits ${code}`);
  return found.fixed;
}

describe('fixes as code over the recorded fixtures', () => {
  it('every scenario breaks something: each yields a finding with fixes', () => {
    for (const s of SCENARIOS) {
      assert.ok(
        withFixes.some((j) => j.scenario === s.name),
        `scenario "${s.name}" gives at least one fix as code`,
      );
    }
  });

  it('every code with a fix builder is carried, with every kind it can express, by a real finding', () => {
    for (const code of Object.keys(FIX_BUILDERS)) {
      const kinds = new Set(
        withFixes.filter((j) => j.fixed.code === code).flatMap((j) => Object.keys(j.fixed.fixes!)),
      );
      assert.ok(kinds.size > 0, `${code} carries fixes in some scenario`);
    }
    for (const e of EXPECTED) {
      const finding = findingOf(e.scenario, e.code);
      assert.deepEqual(
        Object.keys(finding.fixes ?? {}).sort(),
        [...e.kinds].sort(),
        `${e.scenario}: ${e.code} kinds`,
      );
    }
  });

  it('a failing or warning finding without fixes is one the allow-list names, with a reason', () => {
    const bare = [...new Set(failing.filter((j) => !j.fixed.fixes).map((j) => j.fixed.code))];
    const unlisted = bare.filter((code) => !NO_FIX_AS_CODE[code]);
    assert.deepEqual(unlisted, [], 'failing codes without fixes, not in the allow-list');
  });

  it('every failing code of the catalogue has a fix builder or an allow-list reason, never both unless partial', () => {
    const catalogue = readFileSync(new URL('../../docs/findings.md', import.meta.url), 'utf8');
    const failingCodes = [...catalogue.matchAll(/^## ([A-Z0-9_]+)\n\n- status: ([a-z|]+)/gm)]
      .filter(([, , status]) => /fail|warn/.test(status!))
      .map(([, code]) => code!);
    assert.ok(failingCodes.length > 40, 'the catalogue was read');
    const neither = failingCodes.filter((code) => !FIX_BUILDERS[code] && !NO_FIX_AS_CODE[code]);
    assert.deepEqual(neither, [], 'failing codes with neither a fix builder nor a reason');
    const stale = Object.keys(NO_FIX_AS_CODE).filter((code) => !failingCodes.includes(code));
    assert.deepEqual(stale, [], 'allow-list entries for codes that are not failing codes');
  });

  it('a passing finding never carries fixes', () => {
    assert.deepEqual(
      judged
        .filter((j) => (j.fixed.status === 'pass' || j.fixed.status === 'info') && j.fixed.fixes)
        .map((j) => j.fixed.code),
      [],
    );
  });
});

describe('each snippet kind is valid and names the real ids', () => {
  it('every Terraform snippet parses, declares resources and is terraform fmt-clean', async () => {
    for (const j of withFixes.filter((x) => x.fixed.fixes!.terraform)) {
      const snippet = j.fixed.fixes!.terraform!;
      const resources = await terraformResources(snippet);
      assert.ok(resources.length > 0, `${j.scenario}: ${j.fixed.code} declares a resource`);
      assert.deepEqual(fmtProblems(snippet), [], `${j.scenario}: ${j.fixed.code}\n${snippet}`);
    }
  });

  it('the formatting check fails a snippet terraform fmt would change', () => {
    assert.notDeepEqual(fmtProblems('resource "a" "b" {\n  a = 1\n  abc = 2\n}\n'), []);
    assert.notDeepEqual(fmtProblems('resource "a" "b" {\n   a = 1\n}\n'), []);
    assert.notDeepEqual(fmtProblems('resource "a" "b" {\n  p      = jsonencode({\n    A = 1\n  })\n}\n'), []);
    assert.deepEqual(
      fmtProblems('resource "a" "b" {\n  a   = 1\n  abc = 2\n  p = jsonencode({\n    A = 1\n  })\n}\n'),
      [],
    );
  });

  it('every CloudFormation fragment parses as resources with a type and properties', () => {
    for (const j of withFixes.filter((x) => x.fixed.fixes!.cloudformation)) {
      assert.ok(cloudFormationResources(j.fixed.fixes!.cloudformation!).length > 0);
    }
  });

  it('every CLI line is an aws command with its required flags', () => {
    for (const j of withFixes.filter((x) => x.fixed.fixes!.cli)) {
      assert.ok(cliCommands(j.fixed.fixes!.cli!).length > 0, `${j.scenario}: ${j.fixed.code}`);
    }
  });

  for (const e of EXPECTED) {
    it(`${e.code} (${e.scenario}): the resources and commands with the real ids`, async () => {
      const fixes = findingOf(e.scenario, e.code).fixes!;
      if (e.terraform) assertHas('terraform', await terraformResources(fixes.terraform!), e.terraform);
      if (e.cloudformation)
        assertHas('cloudformation', cloudFormationResources(fixes.cloudformation!), e.cloudformation);
      if (e.cli) assertHas('cli', cliCommands(fixes.cli!), e.cli);
    });
  }

  it('the policy added to the S3 gateway keeps its statement and adds the one the layer bucket needs', async () => {
    const fixes = findingOf('S3 gateway policy admits only the team bucket', 'ENDPOINT_POLICY_DENIES').fixes!;
    const body = (await terraformResources(fixes.terraform!))[0]?.[1] ?? {};
    const policy = String(body['policy']);
    assert.match(policy, /TeamBucketOnly/);
    assert.match(policy, /starport-layer-bucket/);
    const flags = cliCommands(fixes.cli!)[0]![1];
    const document = JSON.parse(String(flags['--policy-document'])) as { Statement: Array<{ Sid: string }> };
    assert.deepEqual(
      document.Statement.map((s) => s.Sid),
      ['TeamBucketOnly', 'VpceDoctorAllow1'],
    );
  });
});

describe('the report carries the fixes', () => {
  let report: ReturnType<typeof buildReport>;
  before(() => {
    report = scenarioReport('endpoint SG admits only another CIDR', [
      { address: '10.0.11.30', port: 443, outcome: 'timeout', durationMs: 1000 },
    ]);
  });

  it('on the finding and on the root cause, and the report still matches docs/report.schema.json', () => {
    const t = report.targets[0]!;
    assert.equal(t.rootCause?.code, 'SG_ENDPOINT_INGRESS_DENIED');
    assert.match(t.rootCause?.fixes?.terraform ?? '', /aws_vpc_security_group_ingress_rule/);
    const schema = JSON.parse(
      readFileSync(new URL('../../docs/report.schema.json', import.meta.url), 'utf8'),
    );
    const validate = new Ajv2020.default({ allErrors: true, strict: false }).compile(schema);
    assert.ok(validate(JSON.parse(JSON.stringify(report))), JSON.stringify(validate.errors?.slice(0, 3)));
    const broken = JSON.parse(JSON.stringify(report));
    broken.targets[0].rootCause.fixes = { bash: 'rm -rf' };
    assert.equal(validate(broken), false, 'the schema refuses a kind it does not know');
  });

  it('the text report shows the fix line by default and the snippet --fix-format asks for', () => {
    const cli = renderText(report, { color: false });
    assert.match(cli, /fix: aws ec2 authorize-security-group-ingress --group-id sg-0ep-cidr/);
    assert.doesNotMatch(cli, /resource "/);
    const tf = renderText(report, { color: false, fixFormat: 'terraform' });
    assert.match(tf, /fix \(Terraform\):\n {4}resource "aws_vpc_security_group_ingress_rule"/);
    assert.match(tf, / {6}security_group_id\s+= "sg-0ep-cidr"/);
    const cfn = renderText(report, { color: false, fixFormat: 'cloudformation' });
    assert.match(cfn, /fix \(CloudFormation\):\n {4}\S+:\n {6}Type: AWS::EC2::SecurityGroupIngress/);
  });

  it('a finding whose fix is not a resource change keeps its fix line and says so', () => {
    const withoutCode = {
      ...report,
      findings: [
        {
          check: 'sdk' as const,
          code: 'STS_GLOBAL_ENDPOINT_BYPASS',
          status: 'warn' as const,
          message: 'the SDK calls sts.amazonaws.com',
          fix: 'set AWS_STS_REGIONAL_ENDPOINTS=regional',
          evidence: {},
        },
      ],
    };
    const tf = renderText(withoutCode, { color: false, fixFormat: 'terraform' });
    assert.match(
      tf,
      /fix: set AWS_STS_REGIONAL_ENDPOINTS=regional\n {2}\(no Terraform for this fix: it is not a resource change\)/,
    );
  });

  it('the markdown report puts both snippets in fenced blocks, or the one asked for', () => {
    const md = renderMarkdown(report);
    assert.match(md, /```hcl\n {4}resource "aws_vpc_security_group_ingress_rule"/);
    assert.match(md, /```yaml\n {4}\S+:\n {6}Type: AWS::EC2::SecurityGroupIngress/);
    const only = renderMarkdown(report, { fixFormat: 'cloudformation' });
    assert.doesNotMatch(only, /```hcl/);
    assert.match(only, /```yaml/);
  });
});
