// Centralised ("hub") endpoints, decided over the chain the inventory read (issue 15): which
// associated private zone or Resolver rule answers a name, which zone or rule exists but is not
// associated with this VPC, which hub endpoint owns an address, and whether the transit
// gateway's tables carry traffic to the hub and back. Pure.
import type {
  NetworkInterface,
  TransitGatewayRoute,
  VpcEndpoint,
  VpcPeeringConnection,
} from '@aws-sdk/client-ec2';
import type {
  ChainInventory,
  Gap,
  HostedZoneInfo,
  ResolverRuleAssociationInfo,
  ResolverRuleInfo,
  TransitGatewayFacts,
  ZoneRecord,
} from '../model.js';
import { ipInCidr, prefixLength } from '../net/ip.js';

/** Whether a DNS domain (zone or rule) covers a name: the name itself or one under it. */
export function covers(domain: string, hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  return domain === name || name.endsWith(`.${domain}`);
}

/** The record of a zone that answers a name: the exact name, else the closest wildcard. */
export function recordFor(records: ZoneRecord[], hostname: string): ZoneRecord | undefined {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  const answering = records.filter((r) => r.type === 'A' || r.type === 'CNAME');
  const exact = answering.find((r) => r.name === name);
  if (exact) return exact;
  const labels = name.split('.');
  for (let i = 1; i < labels.length; i += 1) {
    const wildcard = answering.find((r) => r.name === `*.${labels.slice(i).join('.')}`);
    if (wildcard) return wildcard;
  }
  return undefined;
}

/** A rule association the VPC resolver applies (not failed, not being deleted). */
function isLive(association: ResolverRuleAssociationInfo): boolean {
  return association.status === undefined || !['FAILED', 'DELETING'].includes(association.status);
}

export interface HubAnswerSource {
  via: 'zone' | 'rule';
  zone?: HostedZoneInfo;
  /** The zone's record for the name, when the records were read and one answers it. */
  record?: ZoneRecord;
  /** The records could not be read: the zone's association alone explains the answer. */
  recordsGap?: Gap;
  rule?: ResolverRuleInfo;
  associationId?: string;
}

/**
 * What in this VPC's Route 53 configuration answers a name: the most specific associated
 * private zone or FORWARD rule that covers it (a rule wins a tie: Resolver prefers rules over
 * private zones of the same name). Undefined when neither does, or when what could answer it
 * was not read (`gaps` of the caller say so).
 */
export function hubAnswerSource(chain: ChainInventory, hostname: string): HubAnswerSource | undefined {
  const zones = chain.associatedZones.ok
    ? chain.associatedZones.value.filter((z) => covers(z.name, hostname))
    : [];
  const zone = zones.sort((a, b) => b.name.length - a.name.length)[0];
  const rules = chain.resolverRules.ok ? chain.resolverRules.value : [];
  const associations = chain.ruleAssociations.ok ? chain.ruleAssociations.value.filter(isLive) : [];
  const forward = associations
    .flatMap((a) => {
      const rule = rules.find((r) => r.id === a.ruleId);
      return rule && rule.ruleType === 'FORWARD' && covers(rule.domainName, hostname) ? [{ rule, a }] : [];
    })
    .sort((x, y) => y.rule.domainName.length - x.rule.domainName.length)[0];
  if (forward && (!zone || forward.rule.domainName.length >= zone.name.length))
    return { via: 'rule', rule: forward.rule, associationId: forward.a.id };
  if (!zone) return undefined;
  if (!zone.records) return { via: 'zone', zone };
  if (!zone.records.ok) return { via: 'zone', zone, recordsGap: zone.records.gap };
  const record = recordFor(zone.records.value, hostname);
  // A zone that covers the name without a record for it answers NXDOMAIN: it explains no address.
  return record ? { via: 'zone', zone, record } : undefined;
}

/** The gap that keeps the source of an answer unknown: zones or rules that could not be read. */
export function answerSourceGap(chain: ChainInventory): Gap | undefined {
  if (!chain.associatedZones.ok) return chain.associatedZones.gap;
  if (!chain.ruleAssociations.ok) return chain.ruleAssociations.gap;
  if (!chain.resolverRules.ok) return chain.resolverRules.gap;
  return undefined;
}

/**
 * Private zones named after the name (or its parent, the home of a wildcard record such as ECR's
 * `*.dkr.ecr`, four labels at least) that are not associated with this VPC (this account's and the hub's). A broader
 * zone (`amazonaws.com`, a corporate one) is not taken as the one that would answer: its
 * records are not read.
 */
export function unassociatedZones(chain: ChainInventory, hostname: string): HostedZoneInfo[] {
  // Without this VPC's associations every zone would look unassociated: nothing may be said.
  if (!chain.associatedZones.ok) return [];
  const associated = new Set(chain.associatedZones.value.map((z) => z.id));
  const found = [
    ...(chain.accountZones.ok ? chain.accountZones.value : []),
    ...(chain.hub.zones?.ok ? chain.hub.zones.value : []),
  ];
  const byId = new Map<string, HostedZoneInfo>();
  const name = hostname.toLowerCase().replace(/\.$/, '');
  // A wildcard's home is a service's own zone (dkr.ecr.REGION.amazonaws.com), never REGION.amazonaws.com.
  const up = name.slice(name.indexOf('.') + 1);
  const parent = up.split('.').length >= 4 ? up : undefined;
  for (const z of found)
    if (z.private && !associated.has(z.id) && (z.name === name || z.name === parent)) byId.set(z.id, z);
  return [...byId.values()].sort((a, b) => b.name.length - a.name.length);
}

/** FORWARD rules visible to the account that cover the name and are not associated with this VPC. */
export function unassociatedRules(chain: ChainInventory, hostname: string): ResolverRuleInfo[] {
  if (!chain.resolverRules.ok || !chain.ruleAssociations.ok) return [];
  const associated = new Set(chain.ruleAssociations.value.filter(isLive).map((a) => a.ruleId));
  return chain.resolverRules.value
    .filter((r) => r.ruleType === 'FORWARD' && !associated.has(r.id) && covers(r.domainName, hostname))
    .sort((a, b) => b.domainName.length - a.domainName.length);
}

/** The FORWARD rule associated with this VPC that forwards the name, if any. */
export function associatedRule(chain: ChainInventory, hostname: string): ResolverRuleInfo | undefined {
  const source = hubAnswerSource(chain, hostname);
  return source?.via === 'rule' ? source.rule : undefined;
}

export interface HubEndpointMatch {
  endpoint?: VpcEndpoint;
  /** The hub ENIs that hold the addresses. */
  enis: NetworkInterface[];
  /** Addresses no read hub ENI holds. */
  unmatched: string[];
}

/** The hub endpoint and ENIs that hold the answered addresses (from what the hub side read). */
export function hubEndpointFor(chain: ChainInventory, addresses: string[]): HubEndpointMatch {
  const enis = chain.hub.endpointInterfaces.ok ? chain.hub.endpointInterfaces.value : [];
  const holding = (ip: string) =>
    enis.find(
      (n) => n.PrivateIpAddress === ip || (n.PrivateIpAddresses ?? []).some((a) => a.PrivateIpAddress === ip),
    );
  const matched = addresses.flatMap((ip) => {
    const eni = holding(ip);
    return eni ? [eni] : [];
  });
  const unmatched = addresses.filter((ip) => !holding(ip));
  const endpoints = chain.hub.endpoints.ok ? chain.hub.endpoints.value : [];
  const endpoint = endpoints.find((e) =>
    matched.some((n) => (e.NetworkInterfaceIds ?? []).includes(n.NetworkInterfaceId ?? '')),
  );
  return { ...(endpoint ? { endpoint } : {}), enis: [...new Set(matched)], unmatched };
}

/** The hub facts' first gap: the role, the endpoints, their ENIs or their groups. */
export function hubSideGap(chain: ChainInventory): Gap | undefined {
  const hub = chain.hub;
  for (const part of [hub.session, hub.endpoints, hub.endpointInterfaces, hub.securityGroups])
    if (!part.ok) return part.gap;
  return undefined;
}

/** The longest-prefix route of a transit gateway table for an address (CIDR routes only). */
export function tgwRouteFor(
  routes: TransitGatewayRoute[],
  ip: string,
): { route?: TransitGatewayRoute; prefixListRoutes: string[] } {
  let best: TransitGatewayRoute | undefined;
  let bestLength = -1;
  for (const route of routes) {
    const cidr = route.DestinationCidrBlock;
    if (!cidr || !ipInCidr(ip, cidr)) continue;
    const length = prefixLength(cidr) ?? -1;
    if (length > bestLength) {
      best = route;
      bestLength = length;
    }
  }
  const prefixListRoutes = routes.flatMap((r) => (r.PrefixListId ? [r.PrefixListId] : []));
  return { ...(best ? { route: best } : {}), prefixListRoutes };
}

export type TgwPath =
  | { kind: 'unread'; gap: Gap; step: 'attachments' | 'forward-table' | 'return-table' }
  /** Something the tables do not say (a prefix-list route, an attachment not listed). */
  | { kind: 'undecided'; reason: string; forwardTableId?: string }
  | { kind: 'no-association'; attachmentId: string }
  | { kind: 'forward-missing'; tableId: string; attachmentId: string; blackhole?: TransitGatewayRoute }
  | {
      kind: 'return-missing';
      /** This VPC's attachment, where the return route must lead. */
      attachmentId: string;
      forwardTableId: string;
      forward: TransitGatewayRoute;
      hubAttachmentId: string;
      tableId: string;
      blackhole?: TransitGatewayRoute;
    }
  | {
      kind: 'ok';
      forwardTableId: string;
      forward: TransitGatewayRoute;
      hubAttachmentId: string;
      returnTableId: string;
      back: TransitGatewayRoute;
    };

/**
 * The transit gateway's part of the path from this VPC (agentIp) to a hub address: the table
 * associated with this VPC's attachment must route the address to an attachment, and the table
 * associated with that attachment must route agentIp back. A table that could not be read is
 * `unread`, never a missing route.
 */
export function tgwPath(
  chain: ChainInventory,
  transitGatewayId: string,
  hubIp: string,
  agentIp: string,
): TgwPath {
  if (!chain.transitGatewayAttachments.ok)
    return { kind: 'unread', gap: chain.transitGatewayAttachments.gap, step: 'attachments' };
  const own = chain.transitGatewayAttachments.value.find(
    (a) => a.TransitGatewayId === transitGatewayId && a.State !== 'deleted',
  );
  const facts: TransitGatewayFacts | undefined = chain.transitGateways.find(
    (t) => t.transitGatewayId === transitGatewayId,
  );
  if (!own)
    return { kind: 'undecided', reason: `no attachment of this VPC to ${transitGatewayId} was listed` };
  if (!facts) {
    const owner = own.TransitGatewayOwnerId;
    return {
      kind: 'undecided',
      reason:
        owner && owner !== own.ResourceOwnerId
          ? `${transitGatewayId} belongs to account ${owner}: its route tables are read only through a hub role in that account (configuration hub.roleArn)`
          : `${transitGatewayId} was not read`,
    };
  }
  if (!facts.attachments.ok) return { kind: 'unread', gap: facts.attachments.gap, step: 'attachments' };
  const ownId = own.TransitGatewayAttachmentId!;
  const listed = facts.attachments.value.find((a) => a.TransitGatewayAttachmentId === ownId) ?? own;
  const forwardTableId = listed.Association?.TransitGatewayRouteTableId;
  if (!forwardTableId || listed.Association?.State === 'disassociated') {
    // Only the transit gateway's owner sees associations (and searches its tables): to anyone
    // else a missing association says nothing.
    const ownerRead = facts.tables.some((t) => t.routes.ok);
    return ownerRead
      ? { kind: 'no-association', attachmentId: ownId }
      : {
          kind: 'undecided',
          reason: `the route table of ${ownId} is not visible to the account that read ${transitGatewayId}`,
        };
  }
  const forward = routeIn(facts, forwardTableId, hubIp, 'forward-table', forwardTableId);
  if ('kind' in forward) return forward;
  if (!forward.route || forward.route.State === 'blackhole') {
    return {
      kind: 'forward-missing',
      tableId: forwardTableId,
      attachmentId: ownId,
      ...(forward.route ? { blackhole: forward.route } : {}),
    };
  }
  const hubAttachmentId = forward.route.TransitGatewayAttachments?.[0]?.TransitGatewayAttachmentId;
  const hubAttachment = facts.attachments.value.find((a) => a.TransitGatewayAttachmentId === hubAttachmentId);
  const returnTableId = hubAttachment?.Association?.TransitGatewayRouteTableId;
  if (!hubAttachmentId || !returnTableId)
    return {
      kind: 'undecided',
      reason: hubAttachmentId
        ? `the route table of ${hubAttachmentId} is not known`
        : `the route for ${hubIp} in ${forwardTableId} names no attachment`,
      forwardTableId,
    };
  const back = routeIn(facts, returnTableId, agentIp, 'return-table', forwardTableId);
  if ('kind' in back) return back;
  const backTo = back.route?.TransitGatewayAttachments?.[0]?.TransitGatewayAttachmentId;
  if (!back.route || back.route.State === 'blackhole' || (backTo !== undefined && backTo !== ownId)) {
    return {
      kind: 'return-missing',
      attachmentId: ownId,
      forwardTableId,
      forward: forward.route,
      hubAttachmentId,
      tableId: returnTableId,
      ...(back.route ? { blackhole: back.route } : {}),
    };
  }
  return {
    kind: 'ok',
    forwardTableId,
    forward: forward.route,
    hubAttachmentId,
    returnTableId,
    back: back.route,
  };
}

/**
 * The route of one transit gateway table for an address, or why it cannot be known: the table
 * was not read (a gap, or past the tables read), or only a prefix-list route, whose entries are
 * not read, could match.
 */
function routeIn(
  facts: TransitGatewayFacts,
  tableId: string,
  ip: string,
  step: 'forward-table' | 'return-table',
  forwardTableId: string,
): { route?: TransitGatewayRoute } | Extract<TgwPath, { kind: 'unread' | 'undecided' }> {
  const table = facts.tables.find((t) => t.id === tableId);
  if (!table) return { kind: 'undecided', reason: `${tableId} was not read`, forwardTableId };
  if (!table.routes.ok) return { kind: 'unread', gap: table.routes.gap, step };
  const found = tgwRouteFor(table.routes.value, ip);
  if (!found.route && found.prefixListRoutes.length > 0)
    return {
      kind: 'undecided',
      reason: `${tableId} routes prefix lists (${found.prefixListRoutes.join(', ')}) whose entries were not read`,
      forwardTableId,
    };
  return found.route ? { route: found.route } : {};
}

/** A peering connection's state, from what DescribeVpcPeeringConnections returned. */
export function peeringState(
  chain: ChainInventory,
  peeringId: string,
): { connection?: VpcPeeringConnection; gap?: Gap } {
  if (!chain.peeringConnections.ok) return { gap: chain.peeringConnections.gap };
  const connection = chain.peeringConnections.value.find((p) => p.VpcPeeringConnectionId === peeringId);
  return connection ? { connection } : {};
}

/**
 * A target without a local endpoint whose name an associated zone or Resolver rule answers with
 * private addresses: a centralised endpoint the probes reach in another VPC.
 */
export function isHubServed(
  chain: ChainInventory | undefined,
  hostname: string,
  addresses: string[],
): boolean {
  if (!chain || hostname === '' || addresses.length === 0) return false;
  const isPrivate = (a: string) =>
    ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10'].some((cidr) => ipInCidr(a, cidr));
  return addresses.every(isPrivate) && hubAnswerSource(chain, hostname) !== undefined;
}
