// The plain data that flows through the agent:
// context → inventory + probes → checks → verdicts → report.
// Nothing here does I/O; every check is a pure function over these shapes.
import type {
  DhcpOptions,
  FlowLog,
  NetworkAcl,
  NetworkInterface,
  RouteTable,
  SecurityGroup,
  ServiceDetail,
  Subnet,
  TransitGatewayAttachment,
  TransitGatewayRoute,
  Vpc,
  VpcEndpoint,
  VpcPeeringConnection,
} from '@aws-sdk/client-ec2';

export type Status = 'pass' | 'warn' | 'fail' | 'unknown' | 'info';

export type CheckName =
  | 'context'
  | 'dns'
  | 'tcp'
  | 'tls'
  | 'http'
  | 'sdk'
  | 'route'
  | 'sg'
  | 'nacl'
  | 'endpoint'
  | 'policy'
  | 'profile'
  | 'flowlog'
  | 'verdict';

export interface Finding {
  check: CheckName;
  code: string;
  status: Status;
  message: string;
  fix?: string;
  /** The fix as code, where it is a change to AWS resources (src/fixes/): set when the report is assembled. */
  fixes?: FixSet;
  evidence: Record<string, unknown>;
  durationMs?: number;
}

/**
 * A fix as code, with the real ids: AWS CLI commands (one a line), a Terraform snippet, a
 * CloudFormation fragment (resources to put under `Resources:`). A kind is absent when the fix
 * is not a change that kind can express.
 */
export interface FixSet {
  cli?: string;
  terraform?: string;
  cloudformation?: string;
}

/** Where a fact about the agent's own position came from. */
export type ContextSource =
  | 'config'
  | 'env'
  | 'ecs-metadata'
  | 'lambda'
  | 'imds'
  | 'interfaces'
  | 'ec2'
  | 'resolv.conf'
  | 'vpc';

export interface Resolver {
  address: string;
  /** resolv.conf: what the OS (and so the workload) uses; vpc-base-2 / link-local: AmazonProvidedDNS. */
  source: 'resolv.conf' | 'vpc-base-2' | 'link-local' | 'config' | 'resolver-rule';
}

/** The kind of client the workload is: it decides the ephemeral ports return traffic is sent to. */
export type ClientKind = 'linux' | 'lambda' | 'nat-gateway' | 'load-balancer' | 'windows';

export interface AgentContext {
  region: string;
  vpcId: string;
  subnetId: string;
  /** The AZ's name (us-east-1a) when known, else its id; '' when neither is. */
  availabilityZone: string;
  /** The AZ id (use1-az1): names differ between accounts, ids do not. */
  availabilityZoneId?: string;
  privateIp: string;
  securityGroupIds: string[];
  resolvers: Resolver[];
  accountId?: string;
  /** Whose ephemeral ports the ACL checks assume: Lambda when it runs there, configurable, else Linux. */
  clientKind?: ClientKind;
  /**
   * The public IPv4 address that carries the agent's traffic through an internet gateway: null
   * when it is known to have none (Lambda; an ENI without an association), absent when unknown.
   */
  publicIp?: string | null;
  /** fact name → the step that supplied it */
  sources: Record<string, ContextSource>;
}

/** A call that could not be made: the checks that need it answer `unknown` naming it. */
export interface Gap {
  call: string; // e.g. DescribeRouteTables
  action: string; // IAM action, e.g. ec2:DescribeRouteTables
  kind: 'permission' | 'throttled' | 'timeout' | 'error';
  errorCode: string;
  message: string;
  /** Set when the call was made with the hub role's credentials (configuration `hub`), not the agent's. */
  via?: 'hub-role';
}

export type Part<T> = { ok: true; value: T } | { ok: false; gap: Gap };

export interface PrefixListInfo {
  /** '' when only the name is known: the lookup by name failed (see `gap`). */
  prefixListId: string;
  /** The list's name, or its id when the describe call that names it failed. */
  name: string;
  /** Empty, not "no entries", when `gap` is set. */
  cidrs: string[];
  /** Set when the entries could not be read: a route or rule through this list is undecidable. */
  gap?: Gap;
}

export interface CallRecord {
  call: string;
  durationMs: number;
  ok: boolean;
  pages: number;
  errorCode?: string;
}

/** One batched control-plane snapshot of the agent's VPC, as EC2 describes it. */
export interface Inventory {
  region: string;
  vpcId: string;
  fetchedAt: number; // epoch ms
  durationMs: number;
  calls: CallRecord[];
  vpc: Part<Vpc>;
  dnsSupport: Part<boolean>;
  dnsHostnames: Part<boolean>;
  /** undefined value: the VPC uses no DHCP option set ("default" AmazonProvidedDNS). */
  dhcpOptions: Part<DhcpOptions | undefined>;
  subnets: Part<Subnet[]>;
  routeTables: Part<RouteTable[]>;
  networkAcls: Part<NetworkAcl[]>;
  endpoints: Part<VpcEndpoint[]>;
  /** The network interfaces of the VPC's interface endpoints. */
  endpointInterfaces: Part<NetworkInterface[]>;
  securityGroups: Part<SecurityGroup[]>;
  /** Prefix lists referenced by routes and security-group rules, with their CIDRs. */
  prefixLists: Part<PrefixListInfo[]>;
  services: Part<ServiceDetail[]>;
  flowLogs: Part<FlowLog[]>;
  /**
   * The hub-and-spoke chain (issue 15), loaded when the runner is given the Route 53 clients;
   * absent, the checks judge as before (no centralised-endpoint findings).
   */
  chain?: ChainInventory;
}

/** One resource record set of a private hosted zone, as the checks need it. */
export interface ZoneRecord {
  /** Lower case, no trailing dot; `*.` kept for wildcards. */
  name: string;
  type: string;
  /** A/AAAA/CNAME values (empty for an alias). */
  values: string[];
  /** An alias record: its target's DNS name (lower case, no trailing dot) and hosted zone. */
  alias?: { dnsName: string; hostedZoneId: string };
}

/** A Route 53 hosted zone, from ListHostedZonesByVPC (associated) or ListHostedZonesByName. */
export interface HostedZoneInfo {
  /** Z…, without the /hostedzone/ prefix. */
  id: string;
  /** Lower case, no trailing dot. */
  name: string;
  private: boolean;
  /** Whether ListHostedZonesByVPC listed it for this VPC. */
  associated: boolean;
  /** The owning account (ListHostedZonesByVPC), when AWS said. */
  ownerAccount?: string;
  /** Which credentials found it: the agent's own, or the hub role's. */
  readBy: 'agent' | 'hub';
  /** The records, read for associated zones that can answer a service name; a gap when unreadable. */
  records?: Part<ZoneRecord[]>;
}

/** A Route 53 Resolver rule visible to the account (its own or shared through RAM). */
export interface ResolverRuleInfo {
  id: string;
  name?: string;
  /** Lower case, no trailing dot. */
  domainName: string;
  ruleType: string;
  status?: string;
  targetIps: Array<{ ip: string; port: number }>;
  ownerId?: string;
  shareStatus?: string;
  resolverEndpointId?: string;
}

export interface ResolverRuleAssociationInfo {
  id: string;
  ruleId: string;
  vpcId: string;
  status?: string;
}

/** A transit gateway route table and its routes (SearchTransitGatewayRoutes, active and blackhole). */
export interface TransitGatewayTableInfo {
  id: string;
  routes: Part<TransitGatewayRoute[]>;
}

/** What was read of the transit gateway this VPC is attached to. */
export interface TransitGatewayFacts {
  transitGatewayId: string;
  /** Which credentials read the TGW's attachments and tables. */
  readBy: 'agent' | 'hub';
  /** Every attachment of the transit gateway, with the route table each is associated with. */
  attachments: Part<TransitGatewayAttachment[]>;
  /** The route tables the attachments are associated with, with their routes. */
  tables: TransitGatewayTableInfo[];
}

/** The hub side, read through the configured role (configuration `hub`), or with the agent's own credentials. */
export interface HubInventory {
  /** Whether a hub role is configured; without one the agent's own credentials read the hub side. */
  role: 'configured' | 'none';
  /** The assumed role's account, or the gap of sts:AssumeRole. */
  session: Part<{ accountId?: string }>;
  /** The interface endpoints that the associated zones' records point at. */
  endpoints: Part<VpcEndpoint[]>;
  endpointInterfaces: Part<NetworkInterface[]>;
  securityGroups: Part<SecurityGroup[]>;
  /** Private hosted zones of the hub account (ListHostedZonesByName). */
  zones?: Part<HostedZoneInfo[]>;
}

/** The DNS chain and the path to centralised endpoints in another VPC (issue 15). */
export interface ChainInventory {
  /** Private hosted zones associated with this VPC (ListHostedZonesByVPC), with records where read. */
  associatedZones: Part<HostedZoneInfo[]>;
  /** The agent account's hosted zones (ListHostedZonesByName), associated or not. */
  accountZones: Part<HostedZoneInfo[]>;
  resolverRules: Part<ResolverRuleInfo[]>;
  /** The Resolver rule associations of this VPC. */
  ruleAssociations: Part<ResolverRuleAssociationInfo[]>;
  /** This VPC's transit gateway attachments. */
  transitGatewayAttachments: Part<TransitGatewayAttachment[]>;
  /** Peering connections this VPC is requester or accepter of. */
  peeringConnections: Part<VpcPeeringConnection[]>;
  /** One per transit gateway this VPC is attached to. */
  transitGateways: TransitGatewayFacts[];
  hub: HubInventory;
}

export type EndpointType = 'Interface' | 'Gateway' | 'GatewayLoadBalancer' | 'none';

/** What the agent checks: one AWS service or endpoint service. */
export interface Target {
  /** e.g. com.amazonaws.us-east-1.secretsmanager */
  service: string;
  /** Short name for tables: secretsmanager, ecr.dkr, s3 */
  shortName: string;
  /** The name a workload resolves, e.g. secretsmanager.us-east-1.amazonaws.com */
  hostname: string;
  endpointId?: string;
  endpointType: EndpointType;
  ports: number[];
  tls: boolean;
  /** Required by a profile or by configuration; a discovered-only target is not required. */
  required: boolean;
  origin: Array<'discovered' | 'profile' | 'config'>;
  profiles: string[];
  /** The service's other endpoints in the VPC, which its workloads do not use: listed, never judged. */
  offPath?: OffPathEndpoint[];
  /** Calls the configuration says the workload makes through this endpoint (services[].actions). */
  actions?: ConfiguredAction[];
}

/** One call through an endpoint, as the configuration names it. */
export interface ConfiguredAction {
  /** `s3:GetObject`; `*` and `?` allowed in the action name. */
  action: string;
  /** An ARN (wildcards for what is not known), or `*` for an action that takes no resource. */
  resource: string;
  /** The caller: an IAM role or user ARN, or an account id; unknown when absent. */
  principal?: string;
}

/** A call an endpoint policy must let through (src/policy-needs.ts), and who says so. */
export interface PolicyNeed extends ConfiguredAction {
  /** `profile ecs-fargate` or `configuration`. */
  source: string;
}

/** Why an endpoint of a service is not the one the VPC's workloads reach the service through. */
export type OffPathReason =
  | 'inbound-resolver-only' // its private DNS answers on-premises clients (inbound Resolver endpoints) only
  | 'private-dns-elsewhere' // another interface endpoint owns the service name (only one can)
  | 'name-on-interface' // a gateway endpoint, while the service name resolves to an interface endpoint
  | 'same-kind-elsewhere'; // another endpoint of the same kind is the path

export interface OffPathEndpoint {
  endpointId: string;
  endpointType: EndpointType;
  reason: OffPathReason;
  /** The endpoint that is the path, when there is one. */
  pathId?: string;
}

export type DnsOutcome =
  | 'answer'
  | 'nxdomain'
  | 'servfail'
  | 'refused'
  | 'nodata'
  | 'timeout'
  | 'malformed'
  | 'error';

export interface DnsObservation {
  resolver: Resolver;
  hostname: string;
  /** Set for an AAAA query (src/net/dns.ts queryAaaa); absent for A, as before IPv6. */
  recordType?: 'AAAA';
  outcome: DnsOutcome;
  addresses: string[];
  rcode?: string;
  transport: 'udp' | 'tcp';
  durationMs: number;
  detail?: string;
}

export type TcpOutcome = 'connected' | 'refused' | 'timeout' | 'unreachable' | 'error';

export interface TcpObservation {
  address: string;
  port: number;
  outcome: TcpOutcome;
  durationMs: number;
  errorCode?: string;
  /** The source port the kernel chose: the port the return traffic (and the ACL) sees. */
  localPort?: number;
}

export type TlsOutcome = 'ok' | 'name_mismatch' | 'untrusted' | 'handshake_failed' | 'timeout';

export interface TlsObservation {
  address: string;
  port: number;
  servername: string;
  outcome: TlsOutcome;
  /** Subject alternative DNS names (and CN when there are none) of the peer certificate. */
  certNames: string[];
  authorizationError?: string;
  /** What went wrong in words: the handshake error, the name check's message, or the deadline. */
  detail?: string;
  /**
   * A resumed session (src/net/tls.ts): the listener answered and TLS completed, and the
   * certificate facts are those its full handshake verified, at most one inventory TTL ago.
   */
  resumed?: boolean;
  durationMs: number;
}

/** How an HTTPS request through an endpoint ENI ended (src/net/https-canary.ts). */
export type HttpOutcome = 'response' | 'timeout' | 'reset' | 'error';

/** One unsigned HTTPS request to the service's API at one address: the L7 canary. */
export interface HttpObservation {
  address: string;
  port: number;
  hostname: string;
  method: 'GET' | 'POST';
  path: string;
  outcome: HttpOutcome;
  status?: number;
  /** The response headers the classifier reads (lower-case names). */
  headers: Record<string, string>;
  /** The first bytes of the body (at most the probe's read limit), as latin1 text. */
  body: string;
  /** Bytes received before the read stopped; `truncated` when the limit cut the body. */
  bodyBytes: number;
  truncated: boolean;
  errorCode?: string;
  detail?: string;
  durationMs: number;
}

/** A name an SDK may call instead of the target's hostname (global STS, dual-stack, FIPS). */
export interface SdkNameObservation {
  kind: 'sts-global' | 'dualstack' | 'fips';
  hostname: string;
  /** Whether a VPC endpoint's private DNS could serve this name at all. */
  endpointServes: boolean;
  dns: DnsObservation;
  /** The AAAA answer for the same name (issue 16), when AAAA was asked. */
  aaaa?: DnsObservation;
}

/**
 * What the probes saw for AAAA and over IPv6 (issue 16), apart from the IPv4 observations so
 * that the IPv4 checks read exactly what they read before. Absent when no AAAA was asked.
 */
export interface Ipv6Observations {
  /**
   * AAAA for the target's name through every resolver asked for A; and A and AAAA through the
   * VPC resolver's IPv6 address (fd00:ec2::253) when the agent's subnet has an IPv6 block.
   */
  dns: DnsObservation[];
  /** TCP to the endpoint ENIs' IPv6 addresses (else to the addresses AAAA answered). */
  tcp: TcpObservation[];
  tls: TlsObservation[];
}

/** The optional signed canary: sts:GetCallerIdentity with the agent's own role (src/aws/sts-canary.ts). */
export interface SignedCallObservation {
  call: 'sts:GetCallerIdentity';
  region: string;
  outcome: 'ok' | 'denied' | 'error';
  /** The caller's ARN and account, when STS answered. */
  arn?: string;
  account?: string;
  errorCode?: string;
  message?: string;
  httpStatus?: number;
  /** What the AccessDenied message names (src/eval/access-denied.ts). */
  denied?: {
    layer?: string;
    deny?: 'explicit' | 'implicit';
    principal?: string;
    action?: string;
    resource?: string;
  };
  durationMs: number;
}

/** Everything the probes saw for one target. */
export interface TargetObservations {
  dns: DnsObservation[];
  tcp: TcpObservation[];
  tls: TlsObservation[];
  /** The L7 canary's requests; absent when it did not run (see `httpSkipped`). */
  http?: HttpObservation[];
  /** Why the canary did not run for a target it applies to. */
  httpSkipped?: string;
  /** The SDK name variants resolved for this target (checks/sdk-names.ts). */
  sdkNames?: SdkNameObservation[];
  /** The signed STS call, on the STS target when the configuration asks for it. */
  signed?: SignedCallObservation;
  /**
   * Direct queries to the target IPs of the Resolver rule that forwards this name, made when the
   * VPC resolver timed out or failed (HUB_RULE_TARGETS_DOWN).
   */
  ruleTargets?: DnsObservation[];
  /** AAAA answers and IPv6 probes (src/probe-ipv6.ts); absent when AAAA was not asked. */
  ipv6?: Ipv6Observations;
}

export interface CheckInput {
  context: AgentContext;
  inventory: Inventory;
  target: Target;
  observations: TargetObservations;
}

/** Every check has this shape and is registered in checks/index.ts. */
export type Check = (input: CheckInput) => Finding[];

/** What the probes saw for a target, condensed for tables and metrics. */
export interface ProbeSummary {
  /** private | public | timeout | servfail | nxdomain | … (the workload's resolver) */
  dns: string;
  dnsMs?: number;
  /** ok | timeout | refused | unreachable | partial | skipped */
  tcp: string;
  tcpMs?: number;
  /** ok | name_mismatch | untrusted | handshake_failed | timeout | skipped */
  tls: string;
  tlsMs?: number;
  addresses: string[];
}

export interface TargetReport {
  service: string;
  shortName: string;
  hostname: string;
  endpointId?: string;
  endpointType: EndpointType;
  status: Status;
  rootCause?: { code: string; message: string; fix?: string; fixes?: FixSet };
  required: boolean;
  probe?: ProbeSummary;
  findings: Finding[];
}

export interface Report {
  schemaVersion: 1;
  tool: { name: 'vpce-doctor'; version: string };
  status: Exclude<Status, 'info'>;
  startedAt: string;
  durationMs: number;
  context: AgentContext;
  inventory: { fetchedAt: string; ageMs: number; calls: number; gaps: Gap[] };
  phases: Record<string, number>;
  findings: Finding[];
  targets: TargetReport[];
  summary: { pass: number; warn: number; fail: number; unknown: number };
}
