// Every lab scenario as data: what moto holds (the control plane), which faults the namespaces
// carry (the data plane), what real clients in vdl-agent-a must see (proof) and what the agent
// must report (expect). The lab derives everything else: DNS answers follow from the endpoints
// and the VPC attributes, resolv.conf follows from the DHCP options, as they do in AWS.
import { GATEWAY_SERVICES, INTERFACE_SERVICES, type NodeName, type SubnetName } from './topology.js';

/** An address in a rule: a literal CIDR, the ENI IPs of a service's endpoint, or a gateway address. */
export type AddressRef = string | { enisOf: string } | { gatewayOf: string };

export interface FirewallRule {
  node: NodeName;
  chain: 'INPUT' | 'OUTPUT';
  proto?: 'tcp' | 'udp';
  /** a port or an iptables range `1024:65535` */
  dport?: number | string;
  sport?: number | string;
  src?: AddressRef;
  dst?: AddressRef;
  action: 'DROP' | 'REJECT';
}

export interface SgRule {
  proto: 'tcp' | 'udp' | '-1';
  from?: number;
  to?: number;
  cidr: string;
}

export interface AclEntry {
  rule: number;
  egress: boolean;
  proto: 'tcp' | 'udp' | '-1';
  from?: number;
  to?: number;
  cidr: string;
  action: 'allow' | 'deny';
}

export interface EndpointSpec {
  /** false: the lab creates no endpoint for this service. */
  create?: boolean;
  /** Interface endpoints: default both endpoint subnets. */
  subnets?: SubnetName[];
  /** Interface endpoints: default true. */
  privateDns?: boolean;
  /** Its own security group instead of vdl-endpoints. */
  securityGroup?: { name: string; ingress: SgRule[] };
  /** Gateway endpoints: default both route tables. */
  routeTables?: Array<'a' | 'main'>;
  /** Set through the launcher's `vpce-doctor-lab:state` tag (moto makes everything available). */
  state?: string;
}

export interface AwsSpec {
  dnsSupport?: boolean;
  dnsHostnames?: boolean;
  /** domain-name-servers of the VPC's DHCP option set; default AmazonProvidedDNS. */
  dhcpDnsServers?: string[];
  /** Egress of the agent's security group vdl-agent; default tcp/443 to 0.0.0.0/0. */
  agentEgress?: SgRule[];
  /** Overrides per service short name. */
  endpoints?: Record<string, EndpointSpec>;
  /** A NAT gateway (in endpoints-a) as 0.0.0.0/0 of these route tables. */
  natDefaultRoute?: Array<'a' | 'main'>;
  /** A custom network ACL on agent subnet A instead of the default (allow-all) one. */
  agentSubnetAcl?: AclEntry[];
  /** An endpoint service of our own (NLB) and an interface endpoint to it. */
  endpointService?: { acceptanceRequired: boolean; endpoint: EndpointSpec };
  /**
   * This many more interface endpoints (both endpoint subnets, private DNS on, vdl-endpoints SG)
   * to services moto knows that the fixed set lacks, each with DNS answers and TLS listeners
   * (scale scenarios, benchmarks).
   */
  extraInterfaceEndpoints?: number;
}

export interface DnsSpec {
  /** How the custom resolver at 10.0.3.53 behaves (it always runs; it matters when DHCP names it). */
  custom?: 'no-forward' | 'servfail' | 'timeout';
  /** Extra answers at every lab resolver: hostname → addresses. */
  overrides?: Record<string, string[]>;
}

export interface TlsSpec {
  /** Services whose listeners present a certificate for wrong.example.internal. */
  wrongName?: string[];
  /** Services whose addresses have no listener (a refused port). */
  stopped?: string[];
}

export type DnsExpect = 'private' | 'public' | 'gateway' | 'servfail' | 'timeout';
export type TcpExpect = 'connected' | 'timeout' | 'unreachable' | 'refused';
export type TlsExpect = 'ok' | 'name-mismatch' | 'skip';

/** A describe call against moto (`aws ec2 ARGS --query QUERY`) and the JSON it must print. */
export interface AwsProof {
  what: string;
  args: string[];
  query: string;
  equals: unknown;
}

/**
 * What real clients in vdl-agent-a observe. Services not named keep the healthy expectation:
 * dns private (interface) or gateway (s3, dynamodb) through resolv.conf, tcp connected and
 * tls ok to every ENI IP or gateway address.
 */
export interface Proof {
  dns?: Record<string, DnsExpect>;
  /** Answers of AmazonProvidedDNS (169.254.169.253) when resolv.conf names another resolver. */
  vpcDns?: Record<string, DnsExpect>;
  tcp?: Record<string, TcpExpect>;
  tls?: Record<string, TlsExpect>;
  aws?: AwsProof[];
}

export type AgentStatus = 'pass' | 'warn' | 'fail' | 'unknown';

export interface TargetExpect {
  status: AgentStatus;
  rootCause?: string;
}

/** Targets not listed must be `pass`. */
export interface AgentExpect {
  exitCode: 0 | 1 | 2 | 3;
  status: AgentStatus;
  targets: Record<string, TargetExpect>;
}

export interface Scenario {
  name: string;
  description: string;
  aws?: AwsSpec;
  faults?: FirewallRule[];
  dns?: DnsSpec;
  tls?: TlsSpec;
  /** Written to /run/vpce-doctor-lab/agent-config.json; `lab exec` sets VPCE_DOCTOR_CONFIG to it. */
  agentConfig?: Record<string, unknown>;
  proof: Proof;
  expect: AgentExpect;
}

/** Placeholders resolved after moto made the endpoint service (agentConfig and expect). */
export const ENDPOINT_SERVICE_NAME = '{{ENDPOINT_SERVICE_NAME}}';
export const ENDPOINT_SERVICE_ID = '{{ENDPOINT_SERVICE_ID}}';
/** The AddressRef key for the endpoint-service endpoint's ENIs. */
export const ENDPOINT_SERVICE_KEY = '@endpoint-service';

function each<T>(names: string[], value: T): Record<string, T> {
  return Object.fromEntries(names.map((n) => [n, value]));
}

const ALL = [...INTERFACE_SERVICES, ...GATEWAY_SERVICES];
const VPC = '10.0.0.0/16';
const ENDPOINT_SUBNETS = ['10.0.11.0/24', '10.0.12.0/24'];

const endpointField = (service: string, field: string): string =>
  `VpcEndpoints[?ServiceName=='com.amazonaws.us-east-1.${service}'].${field} | [0]`;

export const SCENARIOS: Scenario[] = [
  {
    name: 'healthy',
    description: 'every endpoint, route, group, ACL and resolver as it should be',
    proof: {
      aws: [
        {
          what: 'the VPC is tagged vdl-lab',
          args: ['describe-vpcs', '--filters', 'Name=tag:Name,Values=vdl-lab'],
          query: 'Vpcs[0].CidrBlock',
          equals: VPC,
        },
        {
          what: 'secretsmanager has private DNS on and two ENIs',
          args: ['describe-vpc-endpoints'],
          query: `VpcEndpoints[?ServiceName=='com.amazonaws.us-east-1.secretsmanager'] | [0].[PrivateDnsEnabled, length(NetworkInterfaceIds)]`,
          equals: [true, 2],
        },
      ],
    },
    expect: { exitCode: 0, status: 'pass', targets: {} },
  },
  {
    name: 'endpoint-sg-no-443',
    description: "secretsmanager's endpoint SG allows tcp/443 only from 10.9.0.0/16",
    aws: {
      endpoints: {
        secretsmanager: {
          securityGroup: {
            name: 'vdl-secretsmanager',
            ingress: [{ proto: 'tcp', from: 443, to: 443, cidr: '10.9.0.0/16' }],
          },
        },
      },
    },
    faults: [
      {
        node: 'endpoints',
        chain: 'INPUT',
        proto: 'tcp',
        dport: 443,
        src: VPC,
        dst: { enisOf: 'secretsmanager' },
        action: 'DROP',
      },
    ],
    proof: {
      tcp: { secretsmanager: 'timeout' },
      tls: { secretsmanager: 'skip' },
      aws: [
        {
          what: 'the secretsmanager SG allows 443 only from 10.9.0.0/16',
          args: ['describe-security-groups', '--filters', 'Name=group-name,Values=vdl-secretsmanager'],
          query: 'SecurityGroups[0].IpPermissions[0].IpRanges[*].CidrIp',
          equals: ['10.9.0.0/16'],
        },
      ],
    },
    expect: {
      exitCode: 1,
      status: 'fail',
      targets: { secretsmanager: { status: 'fail', rootCause: 'SG_ENDPOINT_INGRESS_DENIED' } },
    },
  },
  {
    name: 'agent-sg-no-egress',
    description: "the agent's SG vdl-agent allows egress only tcp/5432 to the VPC",
    aws: { agentEgress: [{ proto: 'tcp', from: 5432, to: 5432, cidr: VPC }] },
    faults: [{ node: 'agent-a', chain: 'OUTPUT', proto: 'tcp', dport: 443, action: 'DROP' }],
    proof: {
      tcp: each(ALL, 'timeout'),
      tls: each(ALL, 'skip'),
      aws: [
        {
          what: 'vdl-agent egress is tcp/5432 only',
          args: ['describe-security-groups', '--filters', 'Name=group-name,Values=vdl-agent'],
          query: 'SecurityGroups[0].IpPermissionsEgress[*].[IpProtocol, FromPort]',
          equals: [['tcp', 5432]],
        },
      ],
    },
    expect: {
      exitCode: 1,
      status: 'fail',
      targets: each(ALL, { status: 'fail', rootCause: 'SG_AGENT_EGRESS_DENIED' }),
    },
  },
  {
    name: 'private-dns-off',
    description: 'the sts endpoint has private DNS off: sts resolves to public addresses',
    aws: { endpoints: { sts: { privateDns: false } } },
    proof: {
      dns: { sts: 'public' },
      aws: [
        {
          what: 'sts endpoint PrivateDnsEnabled is false',
          args: ['describe-vpc-endpoints'],
          query: endpointField('sts', 'PrivateDnsEnabled'),
          equals: false,
        },
      ],
    },
    expect: {
      exitCode: 1,
      status: 'fail',
      targets: { sts: { status: 'fail', rootCause: 'ENDPOINT_PRIVATE_DNS_DISABLED' } },
    },
  },
  {
    name: 'dns-hostnames-off',
    description: 'VPC enableDnsHostnames is false: no interface endpoint private DNS applies',
    aws: { dnsHostnames: false },
    proof: {
      dns: each(INTERFACE_SERVICES, 'public'),
      aws: [
        {
          what: 'enableDnsHostnames is false',
          args: ['describe-vpc-attribute', '--attribute', 'enableDnsHostnames', '--vpc-id', '{{VPC_ID}}'],
          query: 'EnableDnsHostnames.Value',
          equals: false,
        },
      ],
    },
    expect: {
      exitCode: 1,
      status: 'fail',
      targets: each(INTERFACE_SERVICES, { status: 'fail', rootCause: 'VPC_DNS_HOSTNAMES_DISABLED' }),
    },
  },
  {
    name: 'dhcp-custom-dns',
    description: 'DHCP options name 10.0.3.53, a resolver that does not forward to AmazonProvidedDNS',
    aws: { dhcpDnsServers: ['10.0.3.53'] },
    dns: { custom: 'no-forward' },
    proof: {
      dns: each(INTERFACE_SERVICES, 'public'),
      vpcDns: each(INTERFACE_SERVICES, 'private'),
      aws: [
        {
          what: "the VPC's DHCP options name 10.0.3.53",
          args: ['describe-dhcp-options', '--dhcp-options-ids', '{{DHCP_OPTIONS_ID}}'],
          query: "DhcpOptions[0].DhcpConfigurations[?Key=='domain-name-servers'].Values[].Value",
          equals: ['10.0.3.53'],
        },
      ],
    },
    expect: {
      exitCode: 1,
      status: 'fail',
      targets: each(INTERFACE_SERVICES, { status: 'fail', rootCause: 'DHCP_CUSTOM_DNS' }),
    },
  },
  {
    name: 's3-route-missing',
    description: "the s3 gateway endpoint is not associated with agent subnet A's route table",
    aws: { endpoints: { s3: { routeTables: ['main'] } } },
    faults: [{ node: 'agent-a', chain: 'OUTPUT', dst: { gatewayOf: 's3' }, action: 'DROP' }],
    proof: {
      tcp: { s3: 'timeout' },
      tls: { s3: 'skip' },
      aws: [
        {
          what: 's3 endpoint is on the main route table only',
          args: ['describe-vpc-endpoints'],
          query: endpointField('s3', 'RouteTableIds'),
          equals: ['{{RT_MAIN}}'],
        },
      ],
    },
    expect: {
      exitCode: 1,
      status: 'fail',
      targets: { s3: { status: 'fail', rootCause: 'ROUTE_GATEWAY_MISSING' } },
    },
  },
  {
    name: 's3-route-missing-nat',
    description: 'no s3 gateway route for subnet A, but 0.0.0.0/0 goes to a NAT gateway (works, costs)',
    aws: { endpoints: { s3: { routeTables: ['main'] } }, natDefaultRoute: ['a'] },
    proof: {
      aws: [
        {
          what: "agent subnet A's route table sends 0.0.0.0/0 to a NAT gateway",
          args: ['describe-route-tables', '--route-table-ids', '{{RT_A}}'],
          query: "RouteTables[0].Routes[?DestinationCidrBlock=='0.0.0.0/0'].NatGatewayId | [0]",
          equals: '{{NAT_GATEWAY_ID}}',
        },
      ],
    },
    expect: { exitCode: 0, status: 'warn', targets: { s3: { status: 'warn', rootCause: 'ROUTE_VIA_NAT' } } },
  },
  {
    name: 'nacl-ephemeral-deny',
    description: "agent subnet A's ACL denies the ephemeral-port return traffic from the VPC",
    aws: {
      agentSubnetAcl: [
        { rule: 90, egress: false, proto: 'tcp', from: 1024, to: 65535, cidr: VPC, action: 'deny' },
        { rule: 100, egress: false, proto: '-1', cidr: '0.0.0.0/0', action: 'allow' },
        { rule: 100, egress: true, proto: '-1', cidr: '0.0.0.0/0', action: 'allow' },
      ],
    },
    faults: ENDPOINT_SUBNETS.map((src) => ({
      node: 'agent-a' as const,
      chain: 'INPUT' as const,
      proto: 'tcp' as const,
      sport: 443,
      src,
      action: 'DROP' as const,
    })),
    proof: {
      tcp: each(INTERFACE_SERVICES, 'timeout'),
      tls: each(INTERFACE_SERVICES, 'skip'),
      aws: [
        {
          what: "subnet A's ACL denies tcp 1024-65535 inbound at rule 90",
          args: [
            'describe-network-acls',
            '--filters',
            'Name=association.subnet-id,Values={{SUBNET_AGENT_A}}',
          ],
          query: 'NetworkAcls[0].Entries[?RuleNumber==`90`].[RuleAction, Egress] | [0]',
          equals: ['deny', false],
        },
      ],
    },
    expect: {
      exitCode: 1,
      status: 'fail',
      targets: each(INTERFACE_SERVICES, { status: 'fail', rootCause: 'NACL_AGENT_SUBNET_DENIED' }),
    },
  },
  {
    name: 'endpoint-other-az',
    description: 'the logs endpoint has an ENI only in us-east-1b (10.0.12.0/24)',
    aws: { endpoints: { logs: { subnets: ['endpoints-b'] } } },
    proof: {
      aws: [
        {
          what: 'logs has one ENI',
          args: ['describe-vpc-endpoints'],
          query: `VpcEndpoints[?ServiceName=='com.amazonaws.us-east-1.logs'] | [0].SubnetIds`,
          equals: ['{{SUBNET_ENDPOINTS_B}}'],
        },
      ],
    },
    expect: {
      exitCode: 0,
      status: 'warn',
      targets: { logs: { status: 'warn', rootCause: 'ENDPOINT_NOT_IN_AZ' } },
    },
  },
  {
    name: 'endpoint-pending',
    description: 'an endpoint to our own endpoint service (NLB) waits in pendingAcceptance',
    aws: {
      endpointService: {
        acceptanceRequired: true,
        endpoint: { state: 'pendingAcceptance', privateDns: false },
      },
    },
    faults: [
      {
        node: 'endpoints',
        chain: 'INPUT',
        proto: 'tcp',
        dst: { enisOf: ENDPOINT_SERVICE_KEY },
        action: 'DROP',
      },
    ],
    agentConfig: { services: [{ name: ENDPOINT_SERVICE_NAME, ports: [443] }] },
    proof: {
      tcp: { [ENDPOINT_SERVICE_KEY]: 'timeout' },
      aws: [
        {
          what: 'the endpoint to the endpoint service is pendingAcceptance',
          args: ['describe-vpc-endpoints'],
          query: `VpcEndpoints[?ServiceName=='${ENDPOINT_SERVICE_NAME}'].State | [0]`,
          equals: 'pendingAcceptance',
        },
      ],
    },
    expect: {
      exitCode: 1,
      status: 'fail',
      targets: { [ENDPOINT_SERVICE_ID]: { status: 'fail', rootCause: 'ENDPOINT_NOT_AVAILABLE' } },
    },
  },
  {
    name: 'fargate-no-ecr-dkr',
    description: 'no ecr.dkr endpoint while the ecs-fargate profile needs one',
    aws: { endpoints: { 'ecr.dkr': { create: false } } },
    agentConfig: { profiles: ['ecs-fargate'] },
    proof: {
      dns: { 'ecr.dkr': 'public' },
      tcp: { 'ecr.dkr': 'unreachable' },
      tls: { 'ecr.dkr': 'skip' },
      aws: [
        {
          what: 'no ecr.dkr endpoint exists',
          args: ['describe-vpc-endpoints'],
          query: `length(VpcEndpoints[?ServiceName=='com.amazonaws.us-east-1.ecr.dkr'])`,
          equals: 0,
        },
      ],
    },
    expect: {
      exitCode: 1,
      status: 'fail',
      targets: { 'ecr.dkr': { status: 'fail', rootCause: 'ENDPOINT_MISSING' } },
    },
  },
  {
    name: 'resolver-timeout',
    description: 'the resolver the DHCP options name (10.0.3.53) drops every query',
    aws: { dhcpDnsServers: ['10.0.3.53'] },
    dns: { custom: 'timeout' },
    proof: {
      dns: each(ALL, 'timeout'),
      vpcDns: each(INTERFACE_SERVICES, 'private'),
      aws: [
        {
          what: "the VPC's DHCP options name 10.0.3.53",
          args: ['describe-dhcp-options', '--dhcp-options-ids', '{{DHCP_OPTIONS_ID}}'],
          query: "DhcpOptions[0].DhcpConfigurations[?Key=='domain-name-servers'].Values[].Value",
          equals: ['10.0.3.53'],
        },
      ],
    },
    expect: { exitCode: 1, status: 'fail', targets: each(ALL, { status: 'fail', rootCause: 'DNS_TIMEOUT' }) },
  },
  {
    name: 'resolver-servfail',
    description: 'the resolver the DHCP options name (10.0.3.53) answers SERVFAIL to everything',
    aws: { dhcpDnsServers: ['10.0.3.53'] },
    dns: { custom: 'servfail' },
    proof: {
      dns: each(ALL, 'servfail'),
      vpcDns: each(INTERFACE_SERVICES, 'private'),
      aws: [
        {
          what: "the VPC's DHCP options name 10.0.3.53",
          args: ['describe-dhcp-options', '--dhcp-options-ids', '{{DHCP_OPTIONS_ID}}'],
          query: "DhcpOptions[0].DhcpConfigurations[?Key=='domain-name-servers'].Values[].Value",
          equals: ['10.0.3.53'],
        },
      ],
    },
    expect: {
      exitCode: 1,
      status: 'fail',
      targets: each(ALL, { status: 'fail', rootCause: 'DNS_SERVFAIL' }),
    },
  },
  {
    name: 'tls-wrong-name',
    description: "secretsmanager's listeners present a certificate for wrong.example.internal",
    tls: { wrongName: ['secretsmanager'] },
    proof: {
      tls: { secretsmanager: 'name-mismatch' },
      aws: [
        {
          what: 'secretsmanager endpoint is available',
          args: ['describe-vpc-endpoints'],
          query: endpointField('secretsmanager', 'State'),
          equals: 'available',
        },
      ],
    },
    expect: {
      exitCode: 1,
      status: 'fail',
      targets: { secretsmanager: { status: 'fail', rootCause: 'TLS_NAME_MISMATCH' } },
    },
  },
  {
    name: 'host-firewall-drop',
    description: "a host firewall in front of sts's ENIs drops tcp/443; the VPC configuration allows it",
    faults: [
      { node: 'endpoints', chain: 'INPUT', proto: 'tcp', dport: 443, dst: { enisOf: 'sts' }, action: 'DROP' },
    ],
    proof: {
      tcp: { sts: 'timeout' },
      tls: { sts: 'skip' },
      aws: [
        {
          what: 'vdl-endpoints allows 443 from the VPC',
          args: ['describe-security-groups', '--filters', 'Name=group-name,Values=vdl-endpoints'],
          query: 'SecurityGroups[0].IpPermissions[0].[FromPort, IpRanges[0].CidrIp]',
          equals: [443, VPC],
        },
      ],
    },
    expect: {
      exitCode: 1,
      status: 'fail',
      targets: { sts: { status: 'fail', rootCause: 'PROBE_CONTRADICTS_CONFIG' } },
    },
  },
];

/** The largest `scale-N`: the endpoint subnets (/24) must hold two ENIs per endpoint. */
export const SCALE_MAX_INTERFACE_ENDPOINTS = 200;
const SCALE_NAME = /^scale-(\d+)$/;

/**
 * `scale-N`: the healthy VPC grown to N interface endpoints (2 ENIs each, one per AZ) plus the two
 * gateway endpoints; the N - 8 added ones go to services moto knows (configure-moto picks them),
 * every one reachable and healthy. Generated on demand, not listed in SCENARIOS.
 */
export function scaleScenario(interfaceEndpoints: number): Scenario {
  const fixed = INTERFACE_SERVICES.length;
  if (
    !Number.isInteger(interfaceEndpoints) ||
    interfaceEndpoints < fixed ||
    interfaceEndpoints > SCALE_MAX_INTERFACE_ENDPOINTS
  ) {
    throw new RangeError(
      `scale scenarios have ${fixed}..${SCALE_MAX_INTERFACE_ENDPOINTS} interface endpoints, not ${interfaceEndpoints}`,
    );
  }
  return {
    name: `scale-${interfaceEndpoints}`,
    description: `healthy, grown to ${interfaceEndpoints} interface endpoints (${2 * interfaceEndpoints} ENIs) and 2 gateway endpoints`,
    aws: { extraInterfaceEndpoints: interfaceEndpoints - fixed },
    proof: {
      aws: [
        {
          what: `the VPC has ${interfaceEndpoints} interface endpoints with 2 ENIs each`,
          args: ['describe-vpc-endpoints'],
          query: "length(VpcEndpoints[?VpcEndpointType=='Interface' && length(NetworkInterfaceIds) == `2`])",
          equals: interfaceEndpoints,
        },
      ],
    },
    expect: { exitCode: 0, status: 'pass', targets: {} },
  };
}

/** A listed scenario by name, or a generated one (`scale-N`). */
export function findScenario(name: string): Scenario | undefined {
  const listed = SCENARIOS.find((s) => s.name === name);
  if (listed) return listed;
  const scale = SCALE_NAME.exec(name);
  if (!scale) return undefined;
  try {
    return scaleScenario(Number(scale[1]));
  } catch {
    return undefined;
  }
}

/** Replaces every `{{KEY}}` in a JSON-shaped value. */
export function fillPlaceholders<T>(value: T, values: Record<string, string>): T {
  const text = JSON.stringify(value).replace(
    /\{\{([A-Z0-9_]+)\}\}/g,
    (whole, key: string) => values[key] ?? whole,
  );
  return JSON.parse(text) as T;
}
