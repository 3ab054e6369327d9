// IPv6 and dual-stack scenarios (issue 16), run by test/e2e/scenarios-ipv6.test.ts. Each gives the
// VPC its IPv6 block (fd10::/56), the named subnets their /64 and turns IPv6 on in the namespaces
// that need it (test/lab/ipv6.ts); the endpoint is secretsmanager, the other services stay IPv4.
// Only types come from scenarios.ts, which lists these (findScenario) without a cycle of values.
import { IPV6_ELSEWHERE, type Ipv6Spec, VPC_IPV6_CIDR } from './ipv6.js';
import type { AgentExpect, AwsProof, AwsSpec, FirewallRule, Scenario } from './scenarios.js';

const SECRETS = 'com.amazonaws.us-east-1.secretsmanager';
const DUALSTACK = { ipAddressType: 'dualstack', dnsRecordIpType: 'dualstack' } as const;
const DUALSTACK_AWS: AwsSpec = { endpoints: { secretsmanager: DUALSTACK } };
const ALL_SUBNETS: Ipv6Spec['subnets'] = ['agent-a', 'endpoints-a', 'endpoints-b'];

/** What a group or an ACL that admits no IPv6 does to the endpoint ENIs: tcp/443 from the VPC's IPv6 block drops. */
const IPV6_443_DROP: FirewallRule = {
  node: 'endpoints',
  chain: 'INPUT',
  proto: 'tcp',
  dport: 443,
  src: VPC_IPV6_CIDR,
  action: 'DROP',
  family: 6,
};

const endpointTypes = (ipAddressType: string, dnsRecordIpType: string): AwsProof => ({
  what: `secretsmanager is IpAddressType ${ipAddressType}, DnsRecordIpType ${dnsRecordIpType}`,
  args: ['describe-vpc-endpoints'],
  query: `VpcEndpoints[?ServiceName=='${SECRETS}'] | [0].[IpAddressType, DnsOptions.DnsRecordIpType]`,
  equals: [ipAddressType, dnsRecordIpType],
});
const agentSubnetIpv6: AwsProof = {
  what: 'agent subnet A has the /64 fd10:0:0:1::/64',
  args: ['describe-subnets', '--subnet-ids', '{{SUBNET_AGENT_A}}'],
  query: 'Subnets[0].Ipv6CidrBlockAssociationSet[*].Ipv6CidrBlock',
  equals: ['fd10:0:0:1::/64'],
};
const endpointsSgIpv6 = (ranges: string[]): AwsProof => ({
  what: `the endpoints' group admits tcp/443 from IPv6 ${ranges.join(', ') || 'nothing'}`,
  args: ['describe-security-groups', '--group-ids', '{{SG_ENDPOINTS}}'],
  query: 'SecurityGroups[0].IpPermissions[].Ipv6Ranges[].CidrIpv6',
  equals: ranges,
});

const failing = (rootCause: string, codes: string[]): AgentExpect => ({
  exitCode: 1,
  status: 'fail',
  targets: { secretsmanager: { status: 'fail', rootCause, codes } },
});

export const IPV6_SCENARIOS: Scenario[] = [
  {
    name: 'ipv6-dualstack',
    description:
      'a dual-stack secretsmanager endpoint (A and AAAA to its ENIs) seen from a dual-stack subnet: groups, ACLs and routes carry both families',
    aws: DUALSTACK_AWS,
    ipv6: { subnets: ALL_SUBNETS },
    proof: {
      ipv6: {
        aaaa: { secretsmanager: 'eni', logs: 'none' },
        tcp: { secretsmanager: 'connected' },
        tls: { secretsmanager: 'ok' },
      },
      aws: [endpointTypes('dualstack', 'dualstack'), agentSubnetIpv6, endpointsSgIpv6([VPC_IPV6_CIDR])],
    },
    expect: {
      exitCode: 0,
      status: 'pass',
      targets: {
        secretsmanager: {
          status: 'pass',
          codes: ['DNS_FAMILY_ORDER', 'SG_IPV6_OK', 'NACL_IPV6_OK', 'ROUTE_IPV6_OK'],
        },
      },
    },
  },
  {
    name: 'ipv6-sg-rule-missing',
    description:
      "the dual-stack endpoint's group admits tcp/443 from the VPC's IPv4 block only: IPv6 connections to its ENIs time out while IPv4 works",
    aws: DUALSTACK_AWS,
    ipv6: { subnets: ALL_SUBNETS, endpointsIngress: false },
    faults: [IPV6_443_DROP],
    proof: {
      ipv6: { aaaa: { secretsmanager: 'eni' }, tcp: { secretsmanager: 'timeout' } },
      aws: [endpointTypes('dualstack', 'dualstack'), endpointsSgIpv6([])],
    },
    expect: failing('SG_IPV6_RULE_MISSING', ['SG_IPV6_RULE_MISSING']),
  },
  {
    name: 'ipv6-nacl-rule-missing',
    description:
      "the endpoint subnets' network ACL allows IPv4 only, so IPv6 meets its default deny: IPv6 connections to the dual-stack endpoint time out while IPv4 works",
    aws: DUALSTACK_AWS,
    ipv6: { subnets: ALL_SUBNETS, endpointsAclIpv4Only: true },
    faults: [IPV6_443_DROP],
    proof: {
      ipv6: { aaaa: { secretsmanager: 'eni' }, tcp: { secretsmanager: 'timeout' } },
      aws: [
        endpointTypes('dualstack', 'dualstack'),
        {
          what: "the endpoint subnets' ACL has IPv4 entries only",
          args: ['describe-network-acls', '--filters', 'Name=tag:Name,Values=vdl-endpoints-ipv4-only'],
          query: 'NetworkAcls[0].Entries[?Ipv6CidrBlock] | length(@)',
          equals: 0,
        },
      ],
    },
    expect: failing('NACL_IPV6_RULE_MISSING', ['NACL_IPV6_RULE_MISSING']),
  },
  {
    name: 'ipv6-ipv4-only-endpoint-aaaa-elsewhere',
    description: `an IPv4-only secretsmanager endpoint while the name also has AAAA ${IPV6_ELSEWHERE} (not the endpoint) and ::/0 goes to an egress-only internet gateway: a dual-stack workload tries IPv6 first, around the endpoint, and times out`,
    ipv6: { subnets: ['agent-a'], egressOnlyDefaultRoute: true, aaaaElsewhere: ['secretsmanager'] },
    proof: {
      ipv6: { aaaa: { secretsmanager: 'elsewhere' }, tcp: { secretsmanager: 'timeout' } },
      aws: [
        endpointTypes('ipv4', 'ipv4'),
        agentSubnetIpv6,
        {
          what: 'route table A sends ::/0 to an egress-only internet gateway',
          args: ['describe-route-tables', '--route-table-ids', '{{RT_A}}'],
          query: "RouteTables[0].Routes[?DestinationIpv6CidrBlock=='::/0'] | [0].EgressOnlyInternetGatewayId",
          equals: '{{EIGW_ID}}',
        },
      ],
    },
    expect: failing('ENDPOINT_IPV4_ONLY_AAAA_FIRST', [
      'ENDPOINT_IPV4_ONLY_AAAA_FIRST',
      'ROUTE_IPV6_VIA_EGRESS_ONLY_IGW',
    ]),
  },
  {
    name: 'ipv6-only-endpoint-ipv4-agent',
    description:
      'an IPv6-only secretsmanager endpoint (AAAA records only) seen from an IPv4-only agent subnet: the name has no A record and the workload no IPv6 address to reach it from',
    aws: { endpoints: { secretsmanager: { ipAddressType: 'ipv6', dnsRecordIpType: 'ipv6' } } },
    ipv6: { subnets: ['endpoints-a', 'endpoints-b'] },
    proof: {
      dns: { secretsmanager: 'nodata' },
      ipv6: { aaaa: { secretsmanager: 'eni' }, tcp: { secretsmanager: 'unreachable' } },
      aws: [
        endpointTypes('ipv6', 'ipv6'),
        {
          what: 'agent subnet A has no IPv6 block',
          args: ['describe-subnets', '--subnet-ids', '{{SUBNET_AGENT_A}}'],
          query: 'length(Subnets[0].Ipv6CidrBlockAssociationSet)',
          equals: 0,
        },
      ],
    },
    expect: failing('ENDPOINT_IPV6_ONLY_AGENT_IPV4', ['ENDPOINT_IPV6_ONLY_AGENT_IPV4']),
  },
];
