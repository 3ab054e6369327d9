// The fixed shape of the lab: names, addresses and the services it plays. The engine's e2e
// tests rely on these values, so they change only together with them.

export const PREFIX = 'vdl-';
export const STATE_DIR = '/run/vpce-doctor-lab';
export const BRIDGE = 'vdl-br0';
export const REGION = 'us-east-1';
export const ACCOUNT_ID = '123456789012';
export const VPC_CIDR = '10.0.0.0/16';
export const VPC_PREFIX_LENGTH = 16;
export const LINK_LOCAL_DNS = '169.254.169.253';
export const VPC_DNS = '10.0.0.2';
export const CUSTOM_DNS = '10.0.3.53';
export const MOTO_ADDRESS = '10.0.0.250';
export const MOTO_PORT = 5000;
export const MOTO_URL = `http://${MOTO_ADDRESS}:${MOTO_PORT}`;
/** The EC2 fault proxy in front of moto (test/support/fault-proxy-daemon.ts), in vdl-aws too. */
export const FAULT_PROXY_PORT = 5001;
export const FAULT_PROXY_URL = `http://${MOTO_ADDRESS}:${FAULT_PROXY_PORT}`;

/**
 * The endpoint URL through the fault proxy that denies `actions` (EC2 Query API action names,
 * answered with EC2's UnauthorizedOperation) to this client, and tags its calls with `run`.
 */
export function faultProxyUrl(actions: readonly string[], run?: string): string {
  const deny = actions.length > 0 ? `deny/${actions.map(encodeURIComponent).join(',')}/` : '';
  return `${FAULT_PROXY_URL}/${deny}${run ? `run/${encodeURIComponent(run)}/` : ''}`;
}

export type NodeName = 'agent-a' | 'agent-b' | 'endpoints' | 'dns' | 'aws';

export interface LabNode {
  /** network namespace */
  ns: string;
  /** veth end inside the namespace */
  veth: string;
  /** veth end on the host, a port of the bridge */
  hostVeth: string;
  /** the namespace's fixed VPC address (configured as /16); vdl-endpoints gets the ENI IPs instead */
  address?: string;
}

export const NODES: Record<NodeName, LabNode> = {
  'agent-a': { ns: 'vdl-agent-a', veth: 'vdl-aga', hostVeth: 'vdl-h-aga', address: '10.0.1.10' },
  'agent-b': { ns: 'vdl-agent-b', veth: 'vdl-agb', hostVeth: 'vdl-h-agb', address: '10.0.2.10' },
  endpoints: { ns: 'vdl-endpoints', veth: 'vdl-ep', hostVeth: 'vdl-h-ep' },
  dns: { ns: 'vdl-dns', veth: 'vdl-dns', hostVeth: 'vdl-h-dns', address: VPC_DNS },
  aws: { ns: 'vdl-aws', veth: 'vdl-aws', hostVeth: 'vdl-h-aws', address: MOTO_ADDRESS },
};
export const NODE_NAMES = Object.keys(NODES) as NodeName[];

export type SubnetName = 'agent-a' | 'agent-b' | 'endpoints-a' | 'endpoints-b';

export interface LabSubnet {
  cidr: string;
  az: string;
}

export const SUBNETS: Record<SubnetName, LabSubnet> = {
  'agent-a': { cidr: '10.0.1.0/24', az: 'us-east-1a' },
  'agent-b': { cidr: '10.0.2.0/24', az: 'us-east-1b' },
  'endpoints-a': { cidr: '10.0.11.0/24', az: 'us-east-1a' },
  'endpoints-b': { cidr: '10.0.12.0/24', az: 'us-east-1b' },
};

export interface LabService {
  shortName: string;
  serviceName: string;
  kind: 'interface' | 'gateway';
  /** Names the certificate covers (wildcards allowed). */
  certNames: string[];
  /** The name a client resolves and sends as SNI. */
  hostname: string;
  /** Names the resolvers answer: exact names, or a `*.` suffix for a whole subtree. */
  dnsNames: string[];
  /** Where the public (non-endpoint) answer points: addresses the lab neither owns nor routes. */
  publicAddresses: string[];
  /** The certificate file stem under certs/ (default `svc-SHORTNAME`); generated services share one. */
  certFile?: string;
}

const svc = (shortName: string): string => `com.amazonaws.${REGION}.${shortName}`;
const host = (name: string): string => `${name}.${REGION}.amazonaws.com`;

/**
 * The endpoint's own names (`vpce-ID-RAND[-AZ].LABEL.REGION.vpce.amazonaws.com`, where LABEL is
 * the private name's label, `api.ecr` for ecr.api): AWS's certificate for the service covers them.
 */
export function vpceNamesWildcard(privateName: string): string {
  const label = privateName.replace(/^\*\./, '').replace(`.${REGION}.amazonaws.com`, '');
  return `*.${label}.${REGION}.vpce.amazonaws.com`;
}

/**
 * Interface services whose API hostname is not SHORTNAME.REGION.amazonaws.com (AWS's
 * ServiceDetail.PrivateDnsName; moto 5.2.1 reports the same for these).
 */
export const HOSTNAME_LABELS: Record<string, string> = {
  'kinesis-firehose': 'firehose',
  'kinesis-streams': 'kinesis',
};

function interfaceService(shortName: string, index: number, names = [host(shortName)]): LabService {
  const probe = names[0]!.startsWith('*.') ? `${ACCOUNT_ID}${names[0]!.slice(1)}` : names[0]!;
  return {
    shortName,
    serviceName: svc(shortName),
    kind: 'interface',
    certNames: [...names, vpceNamesWildcard(names[0]!)],
    hostname: probe,
    dnsNames: names,
    // 52.94.200.0/24 lies outside every AWS-managed prefix list moto holds (dynamodb has 52.94.0.0/22).
    publicAddresses: [`52.94.200.${10 + index}`, `52.94.201.${10 + index}`],
  };
}

export const SERVICES: LabService[] = [
  interfaceService('secretsmanager', 0),
  interfaceService('logs', 1),
  interfaceService('sts', 2),
  interfaceService('ecr.api', 3, [host('api.ecr')]),
  interfaceService('ecr.dkr', 4, [host('*.dkr.ecr')]),
  interfaceService('ssm', 5),
  interfaceService('ssmmessages', 6),
  interfaceService('ec2messages', 7),
  {
    shortName: 's3',
    serviceName: svc('s3'),
    kind: 'gateway',
    // and the names of an S3 interface endpoint, which a scenario may add beside the gateway
    certNames: [host('s3'), host('*.s3'), vpceNamesWildcard(host('s3'))],
    hostname: host('s3'),
    dnsNames: [host('s3'), host('*.s3')],
    publicAddresses: [],
  },
  {
    shortName: 'dynamodb',
    serviceName: svc('dynamodb'),
    kind: 'gateway',
    certNames: [host('dynamodb')],
    hostname: host('dynamodb'),
    dnsNames: [host('dynamodb')],
    publicAddresses: [],
  },
];

export const INTERFACE_SERVICES = SERVICES.filter((s) => s.kind === 'interface').map((s) => s.shortName);
export const GATEWAY_SERVICES = SERVICES.filter((s) => s.kind === 'gateway').map((s) => s.shortName);

/** The certificate stem of the generated (scale) services: `svc-scale-K`, one leaf per group. */
export const SCALE_CERT = 'svc-scale';

/**
 * Generated services per certificate. AWS gives each service its own certificate; the lab groups
 * them to keep `lab up` quick, but small: the session Node keeps for resumption holds the server's
 * certificate, and Node drops a session over 10 KiB (SecureContext::kMaxSessionSize). One leaf
 * naming all 200 services (22 KB) made every warm handshake of scale-200 a full one.
 */
export const SCALE_CERT_SERVICES = 16;

/**
 * An interface service the scale scenarios (or a scenario's `aws.services`) add: a name moto knows
 * (configure-moto picks them from DescribeVpcEndpointServices), reached at
 * `SHORTNAME.us-east-1.amazonaws.com`, or at the name HOSTNAME_LABELS gives (firehose.…).
 * `index` counts from 0 among the generated services.
 */
export function generatedService(shortName: string, index: number): LabService {
  const label = HOSTNAME_LABELS[shortName] ?? shortName;
  return {
    ...interfaceService(shortName, SERVICES.length + index, [host(label)]),
    certFile: `${SCALE_CERT}-${Math.floor(index / SCALE_CERT_SERVICES)}`,
  };
}

/** The fixed services plus the generated ones a running lab has (AwsState.extraServices). */
export function labServices(extraServices: readonly string[] = []): LabService[] {
  return [...SERVICES, ...extraServices.map((name, i) => generatedService(name, i))];
}

export function serviceByShortName(shortName: string): LabService {
  const found = SERVICES.find((s) => s.shortName === shortName);
  if (!found) throw new Error(`unknown lab service ${shortName}`);
  return found;
}

/** The address the lab owns inside a gateway prefix list CIDR: its base + 10. */
export function gatewayAddressIn(cidr: string): string {
  const [base] = cidr.split('/');
  const parts = base!.split('.').map(Number);
  parts[3] = (parts[3] ?? 0) + 10;
  return parts.join('.');
}

// Hub-and-spoke (issue 15): the lab VPC above plays the hub (shared services); a spoke VPC on its
// own bridge reaches it through a router namespace standing for the transit gateway. Made only
// for scenarios with `hub`, so the other scenarios keep their topology and their up time.
export const SPOKE_BRIDGE = 'vdl-br1';
export const SPOKE_CIDR = '10.1.0.0/16';
/** The spoke VPC's AmazonProvidedDNS (its CIDR base + 2). */
export const SPOKE_DNS = '10.1.0.2';
/** The hub's inbound Resolver endpoint addresses (targets of the forward rules), owned by vdl-dns. */
export const HUB_INBOUND_DNS = ['10.0.4.53', '10.0.5.53'];
/** The hub subnets that hold the inbound and outbound Resolver endpoints. */
export const HUB_DNS_SUBNETS = [
  { name: 'hub-dns-a', cidr: '10.0.4.0/24', az: 'us-east-1a' },
  { name: 'hub-dns-b', cidr: '10.0.5.0/24', az: 'us-east-1b' },
];
export const SPOKE_SUBNET = { name: 'spoke-a', cidr: '10.1.1.0/24', az: 'us-east-1a' };
/**
 * The hub role the agent assumes to read the hub side (configuration `hub.roleArn`). Same account
 * as the spoke: moto keeps each account's EC2, Route 53 and Resolver state apart and shares
 * nothing (no RAM, no cross-account TGW routes or zone listings), see README.
 */
export const HUB_ROLE_NAME = 'vpce-doctor-hub-read';
export const HUB_ROLE_ARN = `arn:aws:iam::${ACCOUNT_ID}:role/${HUB_ROLE_NAME}`;

export type HubNodeName = 'spoke' | 'spoke-dns' | 'tgw';

export interface HubNode extends LabNode {
  bridge: string;
  /** Its address (configured as /16 of its VPC). */
  address: string;
}

/** The router's address on each bridge: the next hop of every route across the transit gateway. */
export const TGW_HUB_ADDRESS = '10.0.0.1';
export const TGW_SPOKE_ADDRESS = '10.1.0.1';

export const HUB_NODES: Record<HubNodeName, HubNode> = {
  spoke: {
    ns: 'vdl-spoke',
    veth: 'vdl-spk',
    hostVeth: 'vdl-h-spk',
    address: '10.1.1.10',
    bridge: SPOKE_BRIDGE,
  },
  'spoke-dns': {
    ns: 'vdl-sdns',
    veth: 'vdl-sdns',
    hostVeth: 'vdl-h-sdns',
    address: SPOKE_DNS,
    bridge: SPOKE_BRIDGE,
  },
  // Two legs: `veth`/`hostVeth` on the spoke bridge, `hubVeth`/`hubHostVeth` on the hub bridge.
  tgw: {
    ns: 'vdl-tgw',
    veth: 'vdl-tgws',
    hostVeth: 'vdl-h-tgws',
    address: TGW_SPOKE_ADDRESS,
    bridge: SPOKE_BRIDGE,
  },
};
export const TGW_HUB_LEG = {
  veth: 'vdl-tgwh',
  hostVeth: 'vdl-h-tgwh',
  address: TGW_HUB_ADDRESS,
  bridge: BRIDGE,
};
/** Hub namespaces that answer the spoke (ENIs, resolvers, moto): they route the spoke's /16 via the router. */
export const HUB_ANSWERING: NodeName[] = ['endpoints', 'dns', 'aws'];
