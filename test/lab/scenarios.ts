// Every lab scenario as data: what moto holds (the control plane), which faults the namespaces
// carry (the data plane), what real clients in vdl-agent-a must see (proof) and what the agent
// must report (expect). The lab derives everything else: DNS answers follow from the endpoints
// and the VPC attributes, resolv.conf follows from the DHCP options, as they do in AWS.
import { TEAM_BUCKET_ONLY } from '../fixtures/policies.js';
import type { Ipv6Spec } from './ipv6.js';
import type { Ipv6Proof } from './prove-ipv6.js';
import { IPV6_SCENARIOS } from './scenarios-ipv6.js';
import {
  GATEWAY_SERVICES,
  HUB_ROLE_ARN,
  INTERFACE_SERVICES,
  type NodeName,
  SPOKE_CIDR,
  type SubnetName,
} from './topology.js';

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
  /** 6: an ip6tables rule (IPv6 scenarios; addresses as literal IPv6 CIDRs). */
  family?: 6;
}

/** One permission of a security group rule: exactly one of cidr, sourceGroup, prefixList. */
export interface SgRule {
  proto: 'tcp' | 'udp' | '-1';
  from?: number;
  to?: number;
  cidr?: string;
  /** A lab group by name (vdl-agent, vdl-endpoints, or a scenario's own; a group may name itself). */
  sourceGroup?: string;
  /** A scenario's customer-managed prefix list by name, or an AWS-managed one (com.amazonaws.us-east-1.s3). */
  prefixList?: string;
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
  /** The endpoint policy (a JSON document); default AWS's full access. */
  policy?: Record<string, unknown>;
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
  /**
   * S3 interface endpoints: DnsOptions.PrivateDnsOnlyForInboundResolverEndpoint, set through the
   * launcher's tag (moto drops DnsOptions). true: the VPC keeps resolving S3 to the gateway
   * endpoint; false: the VPC resolver answers S3 names with this endpoint's ENIs.
   */
  privateDnsOnlyForInboundResolverEndpoint?: boolean;
  /** IpAddressType and DnsOptions.DnsRecordIpType, set through the launcher's tags (moto drops them). */
  ipAddressType?: 'ipv4' | 'dualstack' | 'ipv6';
  dnsRecordIpType?: 'ipv4' | 'dualstack' | 'ipv6';
}

/** One more endpoint for a service that has (or lacks) its own: made after all the others. */
export interface AdditionalEndpoint {
  /** Its name in AwsState.additionalEndpoints, proofs and `{ enisOf: key }`. */
  key: string;
  /** The lab service's short name (an interface endpoint to it, also for s3). */
  service: string;
  spec: EndpointSpec;
}

export interface AwsSpec {
  dnsSupport?: boolean;
  dnsHostnames?: boolean;
  /** domain-name-servers of the VPC's DHCP option set; default AmazonProvidedDNS. */
  dhcpDnsServers?: string[];
  /** Egress of the agent's security group vdl-agent; default tcp/443 to 0.0.0.0/0. */
  agentEgress?: SgRule[];
  /** Ingress of vdl-agent (default none). */
  agentIngress?: SgRule[];
  /** Ingress of vdl-endpoints; default tcp/443 from the VPC CIDR. */
  endpointsIngress?: SgRule[];
  /** The group the interface endpoints get unless their spec names one; default vdl-endpoints. */
  endpointsGroup?: string;
  /** Customer-managed prefix lists by name: their CIDRs. */
  prefixLists?: Record<string, string[]>;
  /** Interface endpoints beside the one per service (a second one for a service, S3 interface). */
  additionalEndpoints?: AdditionalEndpoint[];
  /** An internet gateway as 0.0.0.0/0 of these route tables (the agents have no public IP). */
  igwDefaultRoute?: Array<'a' | 'main'>;
  /**
   * Interface services outside the fixed set, each with an endpoint like the fixed ones (both
   * endpoint subnets, private DNS, vdl-endpoints), DNS answers and listeners: e.g. kinesis-firehose.
   */
  services?: string[];
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
  /**
   * How the custom resolver at 10.0.3.53 behaves (it always runs; it matters when DHCP names it):
   * `forward` sends every query to AmazonProvidedDNS (10.0.0.2), as AWS says a custom resolver must.
   */
  custom?: 'no-forward' | 'forward' | 'servfail' | 'timeout';
  /** Extra answers at every lab resolver: hostname → addresses. */
  overrides?: Record<string, string[]>;
}

export interface TlsSpec {
  /** Services whose listeners present a certificate for wrong.example.internal. */
  wrongName?: string[];
  /** Services whose addresses have no listener (a refused port). */
  stopped?: string[];
  /** Services whose listeners answer HTTP with a web gateway's login page instead of AWS. */
  notAws?: string[];
  /** Services whose listeners complete TLS and never answer the HTTP request. */
  silent?: string[];
}

/** `nodata`: the name exists but has no A record (an IPv6-only endpoint's name). */
export type DnsExpect = 'private' | 'public' | 'gateway' | 'servfail' | 'timeout' | 'nodata';
export type TcpExpect = 'connected' | 'timeout' | 'unreachable' | 'refused';
export type TlsExpect = 'ok' | 'name-mismatch' | 'skip';
/** What an HTTPS request answered: AWS's error document, something else, or nothing. */
export type HttpExpect = 'aws' | 'not-aws' | 'no-response';

/** A describe call against moto (`aws SERVICE ARGS --query QUERY`) and the JSON it must print. */
export interface AwsProof {
  what: string;
  /** The AWS CLI's service command (default ec2): route53, route53resolver, sts… */
  service?: string;
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
  /** By service short name (and by additional endpoint key for tcp and tls). */
  dns?: Record<string, DnsExpect>;
  /** Answers of AmazonProvidedDNS (169.254.169.253) when resolv.conf names another resolver. */
  vpcDns?: Record<string, DnsExpect>;
  tcp?: Record<string, TcpExpect>;
  tls?: Record<string, TlsExpect>;
  /** An HTTPS request (curl) to every ENI of the services named; not checked for the others. */
  http?: Record<string, HttpExpect>;
  /** Connections from a fixed local port to every ENI (or gateway address) of a service. */
  tcpFromPort?: Array<{ service: string; sourcePort: number; expect: TcpExpect }>;
  aws?: AwsProof[];
  /** Hub scenarios: what clients in vdl-spoke see (then the hub-side checks above are not run). */
  hub?: HubProof;
  /** IPv6 scenarios: AAAA answers, TCP and TLS over IPv6 from vdl-agent-a (prove-ipv6.ts). */
  ipv6?: Ipv6Proof;
}

/** What the spoke's resolver answers for a name: the hub's ENIs, the public addresses, or no answer. */
export type HubDnsExpect = 'hub' | 'public' | 'nxdomain' | 'servfail' | 'timeout';

/** Observations from vdl-spoke, by hub service short name (every service of `HubSpec`). */
export interface HubProof {
  /** dig through the spoke's resolv.conf (its VPC resolver 10.1.0.2). */
  dns: Record<string, HubDnsExpect>;
  /** nc to every hub ENI of the service, across the transit gateway. */
  tcp: Record<string, TcpExpect>;
  /** openssl to every hub ENI by the service's name (default ok where tcp connects, skipped otherwise). */
  tls?: Record<string, TlsExpect>;
}

/** How the hub serves one service to the spoke through a private hosted zone. */
export interface HubZoneSpec {
  /** `alias`: an alias A record to the endpoint's regional vpce name; `addresses`: A records with the ENI IPs. */
  records: 'alias' | 'addresses';
  /** Associate the zone with the spoke VPC (default true; it is always associated with the hub VPC). */
  associateSpoke?: boolean;
}

/**
 * Hub-and-spoke (issue 15): the lab VPC is the hub, a spoke VPC (10.1.0.0/16) reaches it through a
 * transit gateway, and the agent runs in the spoke (vdl-spoke). The hub endpoints of zone services
 * have private DNS off (the zone answers instead); rule services keep it on in the hub, whose
 * inbound Resolver endpoint answers the spoke's forwarded queries.
 */
export interface HubSpec {
  zones?: Record<string, HubZoneSpec>;
  /** Services resolved through a FORWARD rule for their hostname to the hub's inbound endpoint. */
  rules?: Record<string, { associateSpoke?: boolean }>;
  /** Routes of the TGW route tables (default both present). */
  tgw?: { spokeToHub?: boolean; hubToSpoke?: boolean };
}

export type AgentStatus = 'pass' | 'warn' | 'fail' | 'unknown' | 'info';

export interface TargetExpect {
  /** The status, or the statuses a correct agent may give. */
  status: AgentStatus | AgentStatus[];
  /** The root cause, or the causes a correct agent may name. */
  rootCause?: string | string[];
  /** Finding codes the target's findings must all include (e.g. the IPv6 path's passes). */
  codes?: string[];
}

/** Targets not listed must have a status in `otherTargets` (default: `pass`). */
export interface AgentExpect {
  exitCode: 0 | 1 | 2 | 3;
  status: AgentStatus | AgentStatus[];
  targets: Record<string, TargetExpect>;
  otherTargets?: AgentStatus[];
}

/** Another `report` run of the same lab, with extra arguments. */
export interface ExtraRun {
  what: string;
  args: string[];
  expect: AgentExpect;
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
  /** More environment for the agent (`lab exec`), e.g. VPCE_DOCTOR_AZ. */
  env?: Record<string, string>;
  /**
   * EC2 actions the agent's role lacks: `lab exec` points the agent at the fault proxy, which
   * answers them with EC2's UnauthorizedOperation (403) and passes the rest to moto.
   */
  deny?: string[];
  /** The namespace the agent runs in (default agent-a; hub scenarios: spoke). */
  agentNode?: 'agent-a' | 'agent-b' | 'spoke';
  /** A spoke VPC reaching this one (the hub) through a transit gateway; the agent runs in the spoke. */
  hub?: HubSpec;
  /** IPv6 in the lab's namespaces and in moto (test/lab/ipv6.ts); without it IPv6 stays off everywhere. */
  ipv6?: Ipv6Spec;
  /** net.ipv4.ip_local_port_range in the agent namespaces (Linux default 32768-60999). */
  localPortRange?: [number, number];
  proof: Proof;
  expect: AgentExpect;
  /** More runs of `report` against the same lab. */
  extraRuns?: ExtraRun[];
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
const S3_INTERFACE_INBOUND_ONLY =
  "VpcEndpoints[?ServiceName=='com.amazonaws.us-east-1.s3' && VpcEndpointType=='Interface'] | [0].DnsOptions.PrivateDnsOnlyForInboundResolverEndpoint";

/** An agent-subnet ACL that lets return traffic in on 32768-45000 only (Linux uses up to 60999). */
const PARTIAL_EPHEMERAL_ACL: AclEntry[] = [
  { rule: 100, egress: false, proto: 'tcp', from: 32768, to: 45000, cidr: '0.0.0.0/0', action: 'allow' },
  { rule: 100, egress: true, proto: '-1', cidr: '0.0.0.0/0', action: 'allow' },
];
/** What that ACL does to packets: replies from port 443 to any other local port drop. */
const PARTIAL_EPHEMERAL_DROPS: FirewallRule[] = ['1:32767', '45001:65535'].map((dport) => ({
  node: 'agent-a',
  chain: 'INPUT',
  proto: 'tcp',
  sport: 443,
  dport,
  action: 'DROP',
}));

/**
 * What a valid, working design must get: no failure. Warnings are allowed (a design may deserve
 * a remark); targets for endpoints that are not on the VPC's path may be `info`.
 */
const HEALTHY_DESIGN: AgentExpect = {
  exitCode: 0,
  status: ['pass', 'warn'],
  targets: {},
  otherTargets: ['pass', 'warn', 'info'],
};

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
    name: 'endpoint-policy-deny-all',
    description:
      'the secretsmanager endpoint policy denies every action: DNS, TCP and TLS work, every API call is refused',
    aws: {
      endpoints: {
        secretsmanager: {
          policy: {
            Version: '2012-10-17',
            Statement: [{ Sid: 'DenyAll', Effect: 'Deny', Principal: '*', Action: '*', Resource: '*' }],
          },
        },
      },
    },
    proof: {
      aws: [
        {
          what: 'the secretsmanager endpoint policy is the deny-all one',
          args: ['describe-vpc-endpoints'],
          query: `contains(${endpointField('secretsmanager', 'PolicyDocument')}, 'DenyAll')`,
          equals: true,
        },
      ],
    },
    expect: {
      exitCode: 1,
      status: 'fail',
      targets: { secretsmanager: { status: 'fail', rootCause: 'ENDPOINT_POLICY_ALLOWS_NOTHING' } },
    },
  },
  {
    name: 'fargate-s3-policy-team-bucket-only',
    description:
      'the S3 gateway endpoint policy admits only the team bucket under ecs-fargate: ECR image layers (prod-us-east-1-starport-layer-bucket) are refused',
    agentConfig: { profiles: ['ecs-fargate'] },
    aws: {
      endpoints: {
        s3: {
          policy: TEAM_BUCKET_ONLY,
        },
      },
    },
    proof: {
      aws: [
        {
          what: 'the S3 gateway endpoint policy admits only the team bucket',
          args: ['describe-vpc-endpoints'],
          query: `contains(${endpointField('s3', 'PolicyDocument')}, 'TeamBucketOnly')`,
          equals: true,
        },
      ],
    },
    expect: {
      exitCode: 1,
      status: 'fail',
      targets: {
        s3: { status: 'fail', rootCause: 'ENDPOINT_POLICY_DENIES' },
        'ecr.api': { status: 'pass' },
        'ecr.dkr': { status: 'pass' },
      },
    },
  },
  {
    name: 'sts-global-endpoint-public',
    description:
      'the global STS name sts.amazonaws.com answers publicly beside a working regional STS endpoint: SDKs still on the global default bypass it',
    dns: { overrides: { 'sts.amazonaws.com': ['198.51.100.7'] } },
    proof: {
      aws: [
        {
          what: 'the regional STS endpoint has private DNS on',
          args: ['describe-vpc-endpoints'],
          query: endpointField('sts', 'PrivateDnsEnabled'),
          equals: true,
        },
      ],
    },
    expect: {
      exitCode: 0,
      status: 'warn',
      targets: { sts: { status: 'warn', rootCause: 'STS_GLOBAL_ENDPOINT_BYPASS' } },
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
    name: 'l7-not-aws',
    description:
      "TLS to the ENIs works, but a web gateway's login page answers for secretsmanager and nothing answers logs' requests",
    tls: { notAws: ['secretsmanager'], silent: ['logs'] },
    proof: {
      http: { secretsmanager: 'not-aws', logs: 'no-response', sts: 'aws' },
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
      targets: {
        secretsmanager: { status: 'fail', rootCause: 'L7_NOT_AWS' },
        logs: { status: 'fail', rootCause: 'L7_NO_RESPONSE' },
      },
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

  // ---- Issue 11: situations the agent got wrong, made real ----
  {
    name: 'nacl-ephemeral-partial',
    description:
      "agent subnet A's ACL lets return traffic in only on 32768-45000: Linux clients on 45001-60999 drop (the agent's own ports are 32768-45000 here)",
    aws: { agentSubnetAcl: PARTIAL_EPHEMERAL_ACL },
    // The agent is lucky with its ports; a workload with the Linux default range is not.
    localPortRange: [32768, 45000],
    faults: PARTIAL_EPHEMERAL_DROPS,
    proof: {
      tcpFromPort: [
        { service: 'secretsmanager', sourcePort: 40000, expect: 'connected' },
        { service: 'secretsmanager', sourcePort: 50000, expect: 'timeout' },
        { service: 's3', sourcePort: 40100, expect: 'connected' },
        { service: 's3', sourcePort: 50100, expect: 'timeout' },
      ],
      aws: [
        {
          what: "subnet A's ACL admits tcp 32768-45000 inbound at rule 100",
          args: [
            'describe-network-acls',
            '--filters',
            'Name=association.subnet-id,Values={{SUBNET_AGENT_A}}',
          ],
          query: 'NetworkAcls[0].Entries[?RuleNumber==`100` && !Egress].[PortRange.From, PortRange.To] | [0]',
          equals: [32768, 45000],
        },
      ],
    },
    expect: {
      exitCode: 0,
      status: 'warn',
      targets: each(ALL, { status: 'warn', rootCause: 'NACL_EPHEMERAL_PARTIAL' }),
    },
  },
  {
    name: 'nacl-ephemeral-partial-unlucky',
    description:
      "agent subnet A's ACL lets return traffic in only on 32768-45000, and the agent's ports are 45001-60999: every connection drops",
    aws: { agentSubnetAcl: PARTIAL_EPHEMERAL_ACL },
    localPortRange: [45001, 60999],
    faults: PARTIAL_EPHEMERAL_DROPS,
    proof: {
      tcp: each(ALL, 'timeout'),
      tls: each(ALL, 'skip'),
      tcpFromPort: [{ service: 'secretsmanager', sourcePort: 40000, expect: 'connected' }],
      aws: [
        {
          what: "subnet A's ACL admits tcp 32768-45000 inbound at rule 100",
          args: [
            'describe-network-acls',
            '--filters',
            'Name=association.subnet-id,Values={{SUBNET_AGENT_A}}',
          ],
          query: 'NetworkAcls[0].Entries[?RuleNumber==`100` && !Egress].[PortRange.From, PortRange.To] | [0]',
          equals: [32768, 45000],
        },
      ],
    },
    expect: {
      exitCode: 1,
      status: 'fail',
      targets: each(ALL, {
        status: 'fail',
        rootCause: ['NACL_EPHEMERAL_PARTIAL', 'NACL_AGENT_SUBNET_DENIED'],
      }),
    },
  },
  {
    name: 'optional-service-missing',
    description:
      'the ecs-fargate profile lists secretsmanager as optional and there is no secretsmanager endpoint (the workload never calls it)',
    aws: { endpoints: { secretsmanager: { create: false } } },
    agentConfig: { profiles: ['ecs-fargate'] },
    proof: {
      dns: { secretsmanager: 'public' },
      tcp: { secretsmanager: 'unreachable' },
      tls: { secretsmanager: 'skip' },
      aws: [
        {
          what: 'no secretsmanager endpoint exists',
          args: ['describe-vpc-endpoints'],
          query: `length(VpcEndpoints[?ServiceName=='com.amazonaws.us-east-1.secretsmanager'])`,
          equals: 0,
        },
      ],
    },
    expect: {
      exitCode: 0,
      status: 'warn',
      // No endpoint, and no route for the public answer: either names the truth; optional is a warning.
      targets: { secretsmanager: { status: 'warn', rootCause: ['ENDPOINT_MISSING', 'ROUTE_NO_PATH'] } },
    },
  },
  {
    name: 'igw-no-public-ip',
    description:
      'agent subnet A routes 0.0.0.0/0 to an internet gateway, the agent has no public IP, and ecr.dkr (ecs-fargate profile) has no endpoint: its public addresses time out',
    aws: { endpoints: { 'ecr.dkr': { create: false } }, igwDefaultRoute: ['a'] },
    agentConfig: { profiles: ['ecs-fargate'] },
    proof: {
      dns: { 'ecr.dkr': 'public' },
      tcp: { 'ecr.dkr': 'timeout' },
      tls: { 'ecr.dkr': 'skip' },
      aws: [
        {
          what: "agent subnet A's route table sends 0.0.0.0/0 to the internet gateway",
          args: ['describe-route-tables', '--route-table-ids', '{{RT_A}}'],
          query: "RouteTables[0].Routes[?DestinationCidrBlock=='0.0.0.0/0'].GatewayId | [0]",
          equals: '{{IGW_ID}}',
        },
        {
          what: "the agent's ENI has no public IP",
          args: [
            'describe-network-interfaces',
            '--filters',
            'Name=addresses.private-ip-address,Values=10.0.1.10',
          ],
          query: 'NetworkInterfaces[0].Association.PublicIp',
          equals: null,
        },
      ],
    },
    expect: {
      exitCode: 1,
      status: 'fail',
      targets: {
        'ecr.dkr': { status: 'fail', rootCause: ['ROUTE_IGW_NO_PUBLIC_IP', 'ENDPOINT_MISSING'] },
      },
    },
  },
  {
    name: 'denied-vpc-endpoints',
    description:
      "the agent's role lacks ec2:DescribeVpcEndpoints (the fault proxy answers UnauthorizedOperation); the data plane is healthy",
    deny: ['DescribeVpcEndpoints'],
    proof: {
      aws: [
        {
          what: 'moto itself still lists the endpoints (only the agent is denied)',
          args: ['describe-vpc-endpoints'],
          query: "length(VpcEndpoints[?VpcId=='{{VPC_ID}}'])",
          equals: 10,
        },
      ],
    },
    expect: { exitCode: 3, status: 'unknown', targets: {}, otherTargets: ['pass', 'unknown'] },
    extraRuns: [
      {
        what: 'a named service is still checked from the data plane, and the gap is not a usage error',
        args: ['--service', 'secretsmanager'],
        expect: {
          exitCode: 3,
          status: 'unknown',
          targets: { secretsmanager: { status: ['pass', 'unknown'] } },
        },
      },
    ],
  },
  {
    name: 'denied-prefix-lists',
    description:
      "the agent's role lacks ec2:DescribePrefixLists and ec2:DescribeManagedPrefixLists (either lists the AWS-managed lists); the gateway endpoints work",
    deny: ['DescribePrefixLists', 'DescribeManagedPrefixLists'],
    proof: {
      aws: [
        {
          what: "agent subnet A's route table routes the s3 prefix list to the gateway endpoint",
          args: ['describe-route-tables', '--route-table-ids', '{{RT_A}}'],
          query: 'length(RouteTables[0].Routes[?DestinationPrefixListId])',
          equals: 2,
        },
      ],
    },
    expect: {
      exitCode: 3,
      status: 'unknown',
      targets: each(GATEWAY_SERVICES, { status: ['pass', 'unknown'] }),
    },
  },
  {
    name: 'az-id-config',
    description:
      'VPCE_DOCTOR_AZ names the zone by its ID (use1-az6 is us-east-1a in moto, as in some accounts)',
    env: { VPCE_DOCTOR_AZ: 'use1-az6' },
    proof: {
      aws: [
        {
          what: "agent subnet A's zone id is use1-az6",
          args: ['describe-subnets', '--subnet-ids', '{{SUBNET_AGENT_A}}'],
          query: 'Subnets[0].AvailabilityZoneId',
          equals: 'use1-az6',
        },
      ],
    },
    expect: { exitCode: 0, status: 'pass', targets: {} },
  },

  // ---- The healthy zoo: valid, unusual, working designs. No target may fail. ----
  {
    name: 'zoo-two-endpoints-one-service',
    description:
      'two sts interface endpoints; the first owns the private DNS name, the second (private DNS off, listed last) is reached by its own vpce names',
    aws: { additionalEndpoints: [{ key: 'sts-2', service: 'sts', spec: { privateDns: false } }] },
    proof: {
      aws: [
        {
          what: 'two sts endpoints, private DNS on the first only',
          args: ['describe-vpc-endpoints'],
          query: "VpcEndpoints[?ServiceName=='com.amazonaws.us-east-1.sts'].PrivateDnsEnabled",
          equals: [true, false],
        },
      ],
    },
    expect: HEALTHY_DESIGN,
  },
  {
    name: 'zoo-two-endpoints-one-service-dns-last',
    description:
      'two sts interface endpoints; the one with private DNS is listed last, the first (private DNS off) is reached by its own vpce names',
    aws: {
      endpoints: { sts: { privateDns: false } },
      additionalEndpoints: [{ key: 'sts-2', service: 'sts', spec: { privateDns: true } }],
    },
    proof: {
      aws: [
        {
          what: 'two sts endpoints, private DNS on the second only',
          args: ['describe-vpc-endpoints'],
          query: "VpcEndpoints[?ServiceName=='com.amazonaws.us-east-1.sts'].PrivateDnsEnabled",
          equals: [false, true],
        },
      ],
    },
    expect: HEALTHY_DESIGN,
  },
  {
    name: 'zoo-s3-gateway-and-interface-all-resolvers',
    description:
      'S3 gateway endpoint plus an S3 interface endpoint with PrivateDnsOnlyForInboundResolverEndpoint=false: the VPC resolves S3 to the interface ENIs',
    aws: {
      additionalEndpoints: [
        { key: 's3-interface', service: 's3', spec: { privateDnsOnlyForInboundResolverEndpoint: false } },
      ],
    },
    proof: {
      dns: { s3: 'private' },
      aws: [
        {
          what: 'the S3 interface endpoint serves its private DNS to the VPC too',
          args: ['describe-vpc-endpoints'],
          query: S3_INTERFACE_INBOUND_ONLY,
          equals: false,
        },
      ],
    },
    expect: HEALTHY_DESIGN,
  },
  {
    name: 'zoo-s3-interface-inbound-resolver-only',
    description:
      'S3 gateway endpoint plus an S3 interface endpoint for on-premises clients only (PrivateDnsOnlyForInboundResolverEndpoint=true), its SG admitting 192.168.0.0/16 only',
    aws: {
      additionalEndpoints: [
        {
          key: 's3-interface',
          service: 's3',
          spec: {
            privateDnsOnlyForInboundResolverEndpoint: true,
            securityGroup: {
              name: 'vdl-s3-on-premises',
              ingress: [{ proto: 'tcp', from: 443, to: 443, cidr: '192.168.0.0/16' }],
            },
          },
        },
      ],
    },
    // The group admits no VPC address: from the VPC, its ENIs drop.
    faults: [
      {
        node: 'endpoints',
        chain: 'INPUT',
        proto: 'tcp',
        dport: 443,
        src: VPC,
        dst: { enisOf: 's3-interface' },
        action: 'DROP',
      },
    ],
    proof: {
      dns: { s3: 'gateway' },
      tcp: { 's3-interface': 'timeout' },
      tls: { 's3-interface': 'skip' },
      aws: [
        {
          what: 'the S3 interface endpoint serves its private DNS to inbound Resolver endpoints only',
          args: ['describe-vpc-endpoints'],
          query: S3_INTERFACE_INBOUND_ONLY,
          equals: true,
        },
        {
          what: 'its group admits 192.168.0.0/16 only',
          args: ['describe-security-groups', '--filters', 'Name=group-name,Values=vdl-s3-on-premises'],
          query: 'SecurityGroups[0].IpPermissions[*].IpRanges[*].CidrIp',
          equals: [['192.168.0.0/16']],
        },
      ],
    },
    expect: HEALTHY_DESIGN,
  },
  {
    name: 'zoo-endpoint-sg-source-group',
    description:
      "the endpoints' SG admits tcp/443 from the workload's SG (a source-group rule), not from CIDRs",
    aws: { endpointsIngress: [{ proto: 'tcp', from: 443, to: 443, sourceGroup: 'vdl-agent' }] },
    proof: {
      aws: [
        {
          what: 'vdl-endpoints admits 443 from vdl-agent',
          args: ['describe-security-groups', '--filters', 'Name=group-name,Values=vdl-endpoints'],
          query:
            'SecurityGroups[0].IpPermissions[0].[FromPort, UserIdGroupPairs[0].GroupId, length(IpRanges)]',
          equals: [443, '{{SG_AGENT}}', 0],
        },
      ],
    },
    expect: HEALTHY_DESIGN,
  },
  {
    name: 'zoo-prefix-list-sources',
    description:
      "SG rules by prefix list: the endpoints admit a customer-managed list of the agent subnets; the agent's egress goes to a list of the VPC and to the S3 and DynamoDB lists",
    aws: {
      prefixLists: { 'vdl-agent-subnets': ['10.0.1.0/24', '10.0.2.0/24'], 'vdl-vpc': [VPC] },
      endpointsIngress: [{ proto: 'tcp', from: 443, to: 443, prefixList: 'vdl-agent-subnets' }],
      agentEgress: [
        { proto: 'tcp', from: 443, to: 443, prefixList: 'vdl-vpc' },
        { proto: 'tcp', from: 443, to: 443, prefixList: 'com.amazonaws.us-east-1.s3' },
        { proto: 'tcp', from: 443, to: 443, prefixList: 'com.amazonaws.us-east-1.dynamodb' },
      ],
    },
    proof: {
      aws: [
        {
          what: 'vdl-endpoints admits 443 from one prefix list and no CIDR',
          args: ['describe-security-groups', '--filters', 'Name=group-name,Values=vdl-endpoints'],
          query: 'SecurityGroups[0].IpPermissions[0].[length(PrefixListIds), length(IpRanges)]',
          equals: [1, 0],
        },
        {
          what: 'vdl-agent egress names three prefix lists',
          args: ['describe-security-groups', '--filters', 'Name=group-name,Values=vdl-agent'],
          query: 'length(SecurityGroups[0].IpPermissionsEgress[].PrefixListIds[])',
          equals: 3,
        },
      ],
    },
    expect: HEALTHY_DESIGN,
  },
  {
    name: 'zoo-all-traffic-rules',
    description:
      'all-traffic rules (protocol -1): the agent sends anything anywhere, the endpoints admit anything from the VPC',
    aws: {
      agentEgress: [{ proto: '-1', cidr: '0.0.0.0/0' }],
      endpointsIngress: [{ proto: '-1', cidr: VPC }],
    },
    proof: {
      aws: [
        {
          what: 'vdl-endpoints admits protocol -1 from the VPC',
          args: ['describe-security-groups', '--filters', 'Name=group-name,Values=vdl-endpoints'],
          query: 'SecurityGroups[0].IpPermissions[0].[IpProtocol, IpRanges[0].CidrIp]',
          equals: ['-1', VPC],
        },
      ],
    },
    expect: HEALTHY_DESIGN,
  },
  {
    name: 'zoo-self-referencing-sg',
    description:
      "one group for the workload and every endpoint: vdl-agent admits tcp/443 from itself and is the endpoints' only group",
    aws: {
      endpointsGroup: 'vdl-agent',
      agentIngress: [{ proto: 'tcp', from: 443, to: 443, sourceGroup: 'vdl-agent' }],
    },
    proof: {
      aws: [
        {
          what: 'the secretsmanager endpoint is in vdl-agent',
          args: ['describe-vpc-endpoints'],
          query: endpointField('secretsmanager', 'Groups[0].GroupName'),
          equals: 'vdl-agent',
        },
        {
          what: 'vdl-agent admits 443 from itself',
          args: ['describe-security-groups', '--filters', 'Name=group-name,Values=vdl-agent'],
          query: 'SecurityGroups[0].IpPermissions[0].UserIdGroupPairs[0].GroupId',
          equals: '{{SG_AGENT}}',
        },
      ],
    },
    expect: HEALTHY_DESIGN,
  },
  {
    name: 'zoo-custom-acl-exact',
    description:
      "agent subnet A's ACL allows exactly tcp/443 out and tcp 1024-65535 back in; everything else meets the default deny",
    aws: {
      agentSubnetAcl: [
        { rule: 100, egress: true, proto: 'tcp', from: 443, to: 443, cidr: '0.0.0.0/0', action: 'allow' },
        { rule: 100, egress: false, proto: 'tcp', from: 1024, to: 65535, cidr: '0.0.0.0/0', action: 'allow' },
      ],
    },
    proof: {
      aws: [
        {
          what: "subnet A's ACL allows 443 out at rule 100",
          args: [
            'describe-network-acls',
            '--filters',
            'Name=association.subnet-id,Values={{SUBNET_AGENT_A}}',
          ],
          query: 'NetworkAcls[0].Entries[?RuleNumber==`100` && Egress].[PortRange.From, PortRange.To] | [0]',
          equals: [443, 443],
        },
      ],
    },
    expect: HEALTHY_DESIGN,
  },
  {
    name: 'zoo-dhcp-forwarding-resolver',
    description:
      'DHCP options name a custom resolver (10.0.3.53) that forwards every query to AmazonProvidedDNS',
    aws: { dhcpDnsServers: ['10.0.3.53'] },
    dns: { custom: 'forward' },
    proof: {
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
    expect: HEALTHY_DESIGN,
  },
  {
    name: 'zoo-endpoint-enis-in-agent-subnet',
    description:
      "secretsmanager's and logs' ENIs sit in the agent's own subnet (no ACL crossing), whose ACL denies its own CIDR both ways",
    aws: {
      endpoints: {
        secretsmanager: { subnets: ['agent-a', 'endpoints-b'] },
        logs: { subnets: ['agent-a', 'endpoints-b'] },
      },
      agentSubnetAcl: [
        { rule: 90, egress: false, proto: '-1', cidr: '10.0.1.0/24', action: 'deny' },
        { rule: 90, egress: true, proto: '-1', cidr: '10.0.1.0/24', action: 'deny' },
        { rule: 100, egress: false, proto: '-1', cidr: '0.0.0.0/0', action: 'allow' },
        { rule: 100, egress: true, proto: '-1', cidr: '0.0.0.0/0', action: 'allow' },
      ],
    },
    proof: {
      aws: [
        {
          what: "secretsmanager's first ENI is in agent subnet A",
          args: ['describe-vpc-endpoints'],
          query: endpointField('secretsmanager', 'SubnetIds[0]'),
          equals: '{{SUBNET_AGENT_A}}',
        },
      ],
    },
    expect: HEALTHY_DESIGN,
  },
  {
    name: 'zoo-agent-in-subnet-b',
    description:
      'the agent runs in subnet B (us-east-1b, main route table), which shares its AZ with endpoint subnet B: two subnets per AZ',
    agentNode: 'agent-b',
    proof: {
      aws: [
        {
          what: 'subnet B and endpoint subnet B share us-east-1b',
          args: ['describe-subnets', '--subnet-ids', '{{SUBNET_AGENT_B}}', '{{SUBNET_ENDPOINTS_B}}'],
          query: 'Subnets[].AvailabilityZone',
          equals: ['us-east-1b', 'us-east-1b'],
        },
      ],
    },
    expect: HEALTHY_DESIGN,
  },
  {
    name: 'zoo-firehose',
    description: 'a kinesis-firehose endpoint, whose API hostname is firehose.us-east-1.amazonaws.com',
    aws: { services: ['kinesis-firehose'] },
    proof: {
      dns: { 'kinesis-firehose': 'private' },
      aws: [
        {
          what: "the service's private DNS name is firehose.us-east-1.amazonaws.com",
          args: [
            'describe-vpc-endpoint-services',
            '--service-names',
            'com.amazonaws.us-east-1.kinesis-firehose',
          ],
          query: 'ServiceDetails[0].PrivateDnsName',
          equals: 'firehose.us-east-1.amazonaws.com',
        },
      ],
    },
    expect: HEALTHY_DESIGN,
  },
  {
    name: 'zoo-igw-public-subnet-with-endpoints',
    description:
      'agent subnet A routes 0.0.0.0/0 to an internet gateway and the agent has no public IP, but every service it uses has an endpoint',
    aws: { igwDefaultRoute: ['a'] },
    proof: {
      aws: [
        {
          what: "agent subnet A's route table sends 0.0.0.0/0 to the internet gateway",
          args: ['describe-route-tables', '--route-table-ids', '{{RT_A}}'],
          query: "RouteTables[0].Routes[?DestinationCidrBlock=='0.0.0.0/0'].GatewayId | [0]",
          equals: '{{IGW_ID}}',
        },
      ],
    },
    expect: HEALTHY_DESIGN,
  },
  {
    name: 'zoo-nat-and-gateway-endpoints',
    description:
      'agent subnet A routes 0.0.0.0/0 to a NAT gateway and the S3 and DynamoDB prefix lists to their gateway endpoints (the prefix-list routes win)',
    aws: { natDefaultRoute: ['a'] },
    proof: {
      aws: [
        {
          what: "agent subnet A's route table has the NAT default route and both prefix-list routes",
          args: ['describe-route-tables', '--route-table-ids', '{{RT_A}}'],
          query:
            "[RouteTables[0].Routes[?DestinationCidrBlock=='0.0.0.0/0'].NatGatewayId | [0], length(RouteTables[0].Routes[?DestinationPrefixListId])]",
          equals: ['{{NAT_GATEWAY_ID}}', 2],
        },
      ],
    },
    expect: HEALTHY_DESIGN,
  },
];

/** The services a hub scenario's spoke uses: two through zones (both record kinds), one through a rule. */
const HUB_SERVICES = ['secretsmanager', 'ssm', 'logs'];
const HUB_DESIGN: HubSpec = {
  zones: { secretsmanager: { records: 'alias' }, ssm: { records: 'addresses' } },
  rules: { logs: {} },
};
/** The hub's endpoint group admits both VPCs (a spoke's CIDR is what real hubs forget). */
const HUB_ENDPOINTS_INGRESS: SgRule[] = [
  { proto: 'tcp', from: 443, to: 443, cidr: VPC },
  { proto: 'tcp', from: 443, to: 443, cidr: SPOKE_CIDR },
];
const HUB_AGENT_CONFIG = {
  services: HUB_SERVICES.map((name) => ({ name })),
  hub: { roleArn: HUB_ROLE_ARN },
};
const HUB_HEALTHY_PROOF: HubProof = {
  dns: each(HUB_SERVICES, 'hub'),
  tcp: each(HUB_SERVICES, 'connected'),
};
/** The spoke's zones, its rule associations and the TGW tables, read back as the agent could. */
const hubAws = (zones: number, ruleAssociations: number): AwsProof[] => [
  {
    what: `the spoke VPC has ${zones} private hosted zone(s) associated`,
    service: 'route53',
    args: ['list-hosted-zones-by-vpc', '--vpc-id', '{{SPOKE_VPC_ID}}', '--vpc-region', 'us-east-1'],
    query: 'length(HostedZoneSummaries)',
    equals: zones,
  },
  {
    what: `the spoke VPC has ${ruleAssociations} resolver rule association(s)`,
    service: 'route53resolver',
    args: ['list-resolver-rule-associations', '--filters', 'Name=VPCId,Values={{SPOKE_VPC_ID}}'],
    query: 'length(ResolverRuleAssociations)',
    equals: ruleAssociations,
  },
  {
    what: "the spoke subnet's route table sends the hub CIDR to the transit gateway",
    args: ['describe-route-tables', '--route-table-ids', '{{SPOKE_RT}}'],
    query: "RouteTables[0].Routes[?DestinationCidrBlock=='10.0.0.0/16'].TransitGatewayId | [0]",
    equals: '{{TGW_ID}}',
  },
];
const tgwRoutes = (table: string, cidr: string, attachment: string, present: boolean): AwsProof => ({
  what: `TGW table ${table} ${present ? 'routes' : 'has no route for'} ${cidr}${present ? ` to ${attachment}` : ''}`,
  args: [
    'search-transit-gateway-routes',
    '--transit-gateway-route-table-id',
    `{{${table}}}`,
    '--filters',
    `Name=route-search.exact-match,Values=${cidr}`,
  ],
  query: 'Routes[].TransitGatewayAttachments[0].TransitGatewayAttachmentId',
  equals: present ? [`{{${attachment}}}`] : [],
});

/** Hub-and-spoke scenarios (issue 15): brought up by test/e2e/scenarios-hub.test.ts. */
export const HUB_SCENARIOS: Scenario[] = [
  {
    name: 'hub-spoke',
    description:
      'a spoke VPC reaches the hub endpoints over a transit gateway; secretsmanager and ssm through zones associated with the spoke, logs through a forward rule',
    agentNode: 'spoke',
    hub: HUB_DESIGN,
    aws: { endpointsIngress: HUB_ENDPOINTS_INGRESS },
    agentConfig: HUB_AGENT_CONFIG,
    proof: {
      hub: HUB_HEALTHY_PROOF,
      aws: [
        ...hubAws(2, 1),
        tgwRoutes('TGW_RT_SPOKE', VPC, 'TGW_ATTACH_HUB', true),
        tgwRoutes('TGW_RT_HUB', SPOKE_CIDR, 'TGW_ATTACH_SPOKE', true),
        {
          what: 'the secretsmanager zone answers with an alias to the hub endpoint',
          service: 'route53',
          args: ['list-resource-record-sets', '--hosted-zone-id', '{{ZONE_SECRETSMANAGER}}'],
          query: "ResourceRecordSets[?Type=='A'].AliasTarget.DNSName | [0]",
          equals: '{{HUB_VPCE_NAME_SECRETSMANAGER}}',
        },
      ],
    },
    expect: { exitCode: 0, status: 'pass', targets: {} },
  },
  {
    name: 'hub-spoke-no-zone-association',
    description: "the secretsmanager zone is associated with the hub VPC but not with the spoke's",
    agentNode: 'spoke',
    hub: {
      ...HUB_DESIGN,
      zones: { ...HUB_DESIGN.zones, secretsmanager: { records: 'alias', associateSpoke: false } },
    },
    aws: { endpointsIngress: HUB_ENDPOINTS_INGRESS },
    agentConfig: HUB_AGENT_CONFIG,
    proof: {
      hub: { ...HUB_HEALTHY_PROOF, dns: { ...HUB_HEALTHY_PROOF.dns, secretsmanager: 'public' } },
      aws: hubAws(1, 1),
    },
    expect: {
      exitCode: 1,
      status: 'fail',
      targets: { secretsmanager: { status: 'fail', rootCause: 'HUB_ZONE_NOT_ASSOCIATED' } },
    },
  },
  {
    name: 'hub-spoke-rule-not-associated',
    description: 'the forward rule for logs exists in the account but is not associated with the spoke VPC',
    agentNode: 'spoke',
    hub: { ...HUB_DESIGN, rules: { logs: { associateSpoke: false } } },
    aws: { endpointsIngress: HUB_ENDPOINTS_INGRESS },
    agentConfig: HUB_AGENT_CONFIG,
    proof: {
      hub: { ...HUB_HEALTHY_PROOF, dns: { ...HUB_HEALTHY_PROOF.dns, logs: 'public' } },
      aws: [
        ...hubAws(2, 0),
        {
          what: 'the forward rule for logs exists',
          service: 'route53resolver',
          args: ['list-resolver-rules', '--filters', 'Name=TYPE,Values=FORWARD'],
          query: 'ResolverRules[].DomainName',
          equals: ['logs.us-east-1.amazonaws.com.'],
        },
      ],
    },
    expect: {
      exitCode: 1,
      status: 'fail',
      targets: { logs: { status: 'fail', rootCause: 'HUB_RULE_NOT_ASSOCIATED' } },
    },
  },
  {
    name: 'hub-spoke-tgw-route-missing',
    description:
      "the TGW route table associated with the spoke's attachment has no route to the hub CIDR: every hub ENI times out",
    agentNode: 'spoke',
    hub: { ...HUB_DESIGN, tgw: { spokeToHub: false } },
    aws: { endpointsIngress: HUB_ENDPOINTS_INGRESS },
    agentConfig: HUB_AGENT_CONFIG,
    proof: {
      hub: { ...HUB_HEALTHY_PROOF, tcp: each(HUB_SERVICES, 'timeout') },
      aws: [...hubAws(2, 1), tgwRoutes('TGW_RT_SPOKE', VPC, 'TGW_ATTACH_HUB', false)],
    },
    expect: {
      exitCode: 1,
      status: 'fail',
      targets: each(HUB_SERVICES, { status: 'fail', rootCause: 'TGW_ROUTE_MISSING' } as TargetExpect),
    },
  },
  {
    name: 'hub-spoke-tgw-return-route-missing',
    description:
      "the TGW route table associated with the hub's attachment has no route back to the spoke: the SYN arrives, the answer drops",
    agentNode: 'spoke',
    hub: { ...HUB_DESIGN, tgw: { hubToSpoke: false } },
    aws: { endpointsIngress: HUB_ENDPOINTS_INGRESS },
    agentConfig: HUB_AGENT_CONFIG,
    proof: {
      hub: { ...HUB_HEALTHY_PROOF, tcp: each(HUB_SERVICES, 'timeout') },
      aws: [...hubAws(2, 1), tgwRoutes('TGW_RT_HUB', SPOKE_CIDR, 'TGW_ATTACH_SPOKE', false)],
    },
    expect: {
      exitCode: 1,
      status: 'fail',
      targets: each(HUB_SERVICES, { status: 'fail', rootCause: 'TGW_RETURN_ROUTE_MISSING' } as TargetExpect),
    },
  },
  {
    name: 'hub-spoke-hub-sg-excludes-spoke',
    description:
      "the hub's secretsmanager endpoint SG admits tcp/443 from the hub VPC only, not from the spoke",
    agentNode: 'spoke',
    hub: HUB_DESIGN,
    aws: {
      endpointsIngress: HUB_ENDPOINTS_INGRESS,
      endpoints: {
        secretsmanager: {
          securityGroup: {
            name: 'vdl-hub-secretsmanager',
            ingress: [{ proto: 'tcp', from: 443, to: 443, cidr: VPC }],
          },
        },
      },
    },
    // What that group does to the spoke's packets (the lab's SG faults are explicit, as elsewhere).
    faults: [
      {
        node: 'endpoints',
        chain: 'INPUT',
        proto: 'tcp',
        dport: 443,
        src: SPOKE_CIDR,
        dst: { enisOf: 'secretsmanager' },
        action: 'DROP',
      },
    ],
    agentConfig: HUB_AGENT_CONFIG,
    proof: {
      hub: { ...HUB_HEALTHY_PROOF, tcp: { ...HUB_HEALTHY_PROOF.tcp, secretsmanager: 'timeout' } },
      aws: [
        ...hubAws(2, 1),
        {
          what: 'the hub secretsmanager SG admits 443 from the hub CIDR only',
          args: ['describe-security-groups', '--filters', 'Name=group-name,Values=vdl-hub-secretsmanager'],
          query: 'SecurityGroups[0].IpPermissions[0].IpRanges[*].CidrIp',
          equals: [VPC],
        },
      ],
    },
    expect: {
      exitCode: 1,
      status: 'fail',
      targets: { secretsmanager: { status: 'fail', rootCause: 'HUB_SG_EXCLUDES_SPOKE' } },
    },
  },
];
// The same fault with the hub role refused: the agent cannot read the hub's SG, so it must not
// name it (nor a TGW cause it cannot read either).
const sgScenario = HUB_SCENARIOS[HUB_SCENARIOS.length - 1]!;
HUB_SCENARIOS.push({
  ...sgScenario,
  name: 'hub-spoke-hub-unreadable',
  description:
    "the hub's secretsmanager SG excludes the spoke and the hub role cannot be assumed: unknown, never a wrong cause",
  deny: ['sts:AssumeRole'],
  expect: {
    exitCode: 3,
    status: 'unknown',
    targets: { secretsmanager: { status: 'unknown', rootCause: 'HUB_UNREADABLE' } },
  },
});

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
  const listed = [...SCENARIOS, ...HUB_SCENARIOS, ...IPV6_SCENARIOS].find((s) => s.name === name);
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
