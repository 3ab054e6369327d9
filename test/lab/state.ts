// The lab's record of what it made, kept in /run/vpce-doctor-lab/state.json.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Ipv6State } from './ipv6.js';
import type { AgentExpect } from './scenarios.js';
import { STATE_DIR } from './topology.js';

export interface EndpointState {
  id: string;
  serviceName: string;
  type: 'Interface' | 'Gateway';
  state: string;
  privateDns: boolean;
  subnetIds: string[];
  routeTableIds: string[];
  securityGroupIds: string[];
  /** ENI IPs, in the order of the endpoint's subnets */
  eniIps: string[];
  /** DnsEntries names (the endpoint's own vpce names, and its private names with private DNS on). */
  dnsNames?: string[];
  /** DnsOptions.PrivateDnsOnlyForInboundResolverEndpoint as DescribeVpcEndpoints reports it. */
  privateDnsOnlyForInboundResolverEndpoint?: boolean;
  /** IPv6 scenarios: IpAddressType and DnsOptions.DnsRecordIpType as described, the ENIs' IPv6 addresses. */
  ipAddressType?: string;
  dnsRecordIpType?: string;
  eniIpv6?: string[];
}

/** What configure-moto made, with the ids moto chose. */
export interface AwsState {
  vpcId: string;
  dhcpOptionsId: string;
  dnsSupport: boolean;
  dnsHostnames: boolean;
  dhcpDnsServers: string[];
  subnets: Record<string, string>;
  routeTables: { main: string; a: string };
  securityGroups: Record<string, string>;
  agentEnis: { a: string; b: string };
  /** by service short name */
  endpoints: Record<string, EndpointState>;
  /** by the scenario's key (AdditionalEndpoint.key) */
  additionalEndpoints?: Record<string, EndpointState>;
  /** the scenario's customer-managed prefix lists: name → id */
  customPrefixLists?: Record<string, string>;
  internetGatewayId?: string;
  /** by gateway service short name */
  prefixLists: Record<string, { id: string; cidrs: string[] }>;
  /** by gateway service short name: the address the lab owns inside the prefix list's first CIDR */
  gatewayAddresses: Record<string, string>;
  natGatewayId?: string;
  networkAclId?: string;
  /** Short names of the generated interface services (scale scenarios), in creation order. */
  extraServices?: string[];
  endpointService?: {
    serviceName: string;
    serviceId: string;
    loadBalancerArn: string;
    endpoint: EndpointState;
  };
  /** Hub scenarios: the spoke VPC, the transit gateway and the DNS chain, as moto reports them. */
  hub?: HubState;
  /** IPv6 scenarios (test/lab/ipv6.ts): the VPC's and subnets' IPv6 blocks and what else was made. */
  ipv6?: Ipv6State;
}

/** A route of a TGW route table as SearchTransitGatewayRoutes reports it. */
export interface TgwRouteState {
  cidr: string;
  state: string;
  attachmentId?: string;
}

export interface HubState {
  spokeVpcId: string;
  spokeSubnetId: string;
  spokeRouteTableId: string;
  spokeAgentEni: string;
  spokeAgentSg: string;
  transitGatewayId: string;
  attachments: { hub: string; spoke: string };
  /** The TGW route table associated with each attachment (GetTransitGatewayRouteTableAssociations) and its routes. */
  routeTables: {
    spoke: { id: string; routes: TgwRouteState[] };
    hub: { id: string; routes: TgwRouteState[] };
  };
  /** Every private hosted zone the lab made: its A records and the VPCs it is associated with. */
  zones: Array<{
    id: string;
    name: string;
    vpcIds: string[];
    records: Array<{ name: string; addresses?: string[]; aliasDnsName?: string }>;
  }>;
  /** Every FORWARD rule the lab made and the VPCs associated with it (ListResolverRuleAssociations). */
  rules: Array<{ id: string; domain: string; targets: string[]; vpcIds: string[] }>;
  inboundEndpointId: string;
  outboundEndpointId: string;
  roleArn: string;
}

export interface LabState {
  scenario: string;
  /** The namespace node the agent runs in (`lab exec` default: this one). */
  agentNode: 'agent-a' | 'agent-b' | 'spoke';
  startedAt: string;
  stateDir: string;
  caPath: string;
  motoUrl: string;
  /** The environment `lab exec` gives a command. */
  env: Record<string, string>;
  agentConfigPath?: string;
  agentConfig?: Record<string, unknown>;
  /** The scenario's expectation with endpoint-service placeholders resolved. */
  expect: AgentExpect;
  aws: AwsState;
  /** Endpoint ids by service short name (the endpoint service under its vpce-svc id). */
  endpointIds: Record<string, string>;
  /** ENI IPs by service short name (interface endpoints; the endpoint service under its id). */
  eniIps: Record<string, string[]>;
  gatewayAddresses: Record<string, string>;
  resolvers: { vpc: string; linkLocal: string; custom: string; agent: string; spoke?: string };
  /** Placeholder values ({{VPC_ID}}…) for the scenario's proofs. */
  placeholders: Record<string, string>;
  pids: Record<string, number>;
}

export const STATE_FILE = join(STATE_DIR, 'state.json');

/** The running lab's state, or undefined when no lab is up. */
export function readState(): LabState | undefined {
  try {
    return JSON.parse(readFileSync(STATE_FILE, 'utf8')) as LabState;
  } catch {
    return undefined;
  }
}
