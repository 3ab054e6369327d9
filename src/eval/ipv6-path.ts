// The IPv6 side of the path (issue 16): security groups (Ipv6Ranges, prefix lists' IPv6
// entries, group references), network ACL IPv6 entries (Ipv6CidrBlock: AWS keeps IPv4 and IPv6
// entries apart, each family with its own rules and its own default deny), and IPv6 routes
// (DestinationIpv6CidrBlock, egress-only internet gateways). Pure.
//
// The agent's own IPv6 address is not always known (context discovery reads IPv4): a peer may be
// a block (the agent subnet's /64). A rule decides for a block only when it covers all of it;
// a rule that covers part of it leaves the answer `undecided`, never a guess.
import type { NetworkAcl, NetworkAclEntry, Route, RouteTable, SecurityGroup } from '@aws-sdk/client-ec2';
import type { PrefixListInfo } from '../model.js';
import { type Cidr6, cidr6Covers, parseCidr6, parseIpv6 } from '../net/ip.js';
import {
  type AclCoverage,
  protocolMatches as aclProtocolMatches,
  DEFAULT_DENY_RULE_NUMBER,
  describeAclEntry,
  entryPorts,
  intersections,
  mergeRanges,
  type PortRange,
  subtract,
} from './nacl.js';
import { type RouteKind, routeKind, routeTarget } from './routes.js';
import {
  describePorts,
  type MatchedRule,
  permissionPeers,
  portMatches,
  protocolMatches,
  type RulePeer,
} from './security-groups.js';

export type Decision6 = 'allowed' | 'denied' | 'undecided';

/**
 * The number EC2 lists an ACL's IPv6 default deny (`*`) under: 32768, beside 32767 for IPv4's
 * (describe-network-acls output of a default ACL in a VPC with an IPv6 block).
 */
export const IPV6_DEFAULT_DENY_RULE_NUMBER = 32768;

function isDefaultDeny(entry: NetworkAclEntry): boolean {
  return entry.RuleNumber === DEFAULT_DENY_RULE_NUMBER || entry.RuleNumber === IPV6_DEFAULT_DENY_RULE_NUMBER;
}

/** An IPv6 address as a /128, or an IPv6 block as itself; undefined for anything else. */
export function parsePeer6(text: string): Cidr6 | undefined {
  if (text.includes('/')) return parseCidr6(text);
  const value = parseIpv6(text);
  return value === undefined ? undefined : { base: value, prefix: 128, text };
}

/** How a rule's block relates to the peer: covers all of it, none of it, or part of it. */
function relate(rule: Cidr6, peer: Cidr6): 'all' | 'none' | 'part' {
  if (cidr6Covers(rule, peer)) return 'all';
  if (cidr6Covers(peer, rule)) return 'part';
  return 'none';
}

// ── security groups ────────────────────────────────────────────────────────────────────────

export interface Sg6Query {
  direction: 'ingress' | 'egress';
  port: number;
  /** The other end: an IPv6 address, or a block when only the subnet is known. */
  peer: string;
  /** Security groups on the other end's ENI: a rule referencing one matches either family. */
  peerGroupIds: string[];
}

export interface Sg6Decision {
  decision: Decision6;
  matchedRule?: MatchedRule;
  /** Rules that cover part of the peer block (they make the decision `undecided`). */
  partialRules?: string[];
  /** Prefix lists referenced by matching rules whose entries could not be read. */
  unresolvedPrefixLists?: string[];
}

/** Every IPv6 rule of the groups in one direction, one line each: `sg-0ep: tcp/443 from 2600:1f18::/56`. */
export function describeRules6(groups: SecurityGroup[], direction: 'ingress' | 'egress'): string[] {
  const word = direction === 'ingress' ? 'from' : 'to';
  return groups.flatMap((group) => {
    const permissions = (direction === 'ingress' ? group.IpPermissions : group.IpPermissionsEgress) ?? [];
    const lines = permissions.flatMap((permission) =>
      (permission.Ipv6Ranges ?? []).flatMap((range) =>
        range.CidrIpv6 ? [`${group.GroupId}: ${describePorts(permission)} ${word} ${range.CidrIpv6}`] : [],
      ),
    );
    return lines.length > 0 ? lines : [`${group.GroupId}: no IPv6 ${direction} rules`];
  });
}

/**
 * Whether the groups allow a TCP flow to or from an IPv6 peer on one port. Groups are
 * allow-only and stateful: any rule covering the whole peer decides `allowed`; otherwise a rule
 * covering part of it, or an unread prefix list, leaves it `undecided`; else `denied`.
 */
export function evaluateSecurityGroups6(
  groups: SecurityGroup[],
  query: Sg6Query,
  prefixLists: PrefixListInfo[],
): Sg6Decision {
  const peer = parsePeer6(query.peer);
  const partial: string[] = [];
  const unresolved = new Set<string>();
  const word = query.direction === 'ingress' ? 'from' : 'to';
  for (const group of groups) {
    const permissions =
      (query.direction === 'ingress' ? group.IpPermissions : group.IpPermissionsEgress) ?? [];
    for (const permission of permissions) {
      if (!protocolMatches(permission.IpProtocol) || !portMatches(permission, query.port)) continue;
      for (const rulePeer of permissionPeers(permission, 'ipv6')) {
        const blocks = peerBlocks(rulePeer, query.peerGroupIds, prefixLists, unresolved);
        for (const block of blocks) {
          const relation = block === 'group' ? 'all' : peer ? relate(block, peer) : 'none';
          const cidr = block === 'group' ? undefined : block.text;
          const text = `${describePorts(permission)} ${word} ${rulePeer.kind === 'group' ? rulePeer.groupId : rulePeer.kind === 'prefix-list' ? `${rulePeer.prefixListId} (${cidr})` : cidr}`;
          if (relation === 'part') partial.push(`${group.GroupId}: ${text}`);
          if (relation !== 'all') continue;
          const matched: MatchedRule = {
            groupId: group.GroupId ?? '?',
            direction: query.direction,
            ipProtocol: permission.IpProtocol ?? '?',
            peer: rulePeer.kind === 'prefix-list' && cidr ? { ...rulePeer, cidr } : rulePeer,
            text,
          };
          if (permission.FromPort !== undefined) matched.fromPort = permission.FromPort;
          if (permission.ToPort !== undefined) matched.toPort = permission.ToPort;
          return { decision: 'allowed', matchedRule: matched };
        }
      }
    }
  }
  const undecided = partial.length > 0 || unresolved.size > 0;
  return {
    decision: undecided ? 'undecided' : 'denied',
    ...(partial.length > 0 ? { partialRules: partial } : {}),
    ...(unresolved.size > 0 ? { unresolvedPrefixLists: [...unresolved] } : {}),
  };
}

function peerBlocks(
  peer: RulePeer,
  peerGroupIds: string[],
  prefixLists: PrefixListInfo[],
  unresolved: Set<string>,
): Array<Cidr6 | 'group'> {
  if (peer.kind === 'group') return peerGroupIds.includes(peer.groupId) ? ['group'] : [];
  if (peer.kind === 'cidr') {
    const block = parseCidr6(peer.cidr);
    return block ? [block] : [];
  }
  const list = prefixLists.find((pl) => pl.prefixListId === peer.prefixListId);
  // An unread list could hold the peer: neither a match nor a miss.
  if (!list || list.gap) {
    unresolved.add(peer.prefixListId);
    return [];
  }
  return list.cidrs.flatMap((text) => {
    const block = parseCidr6(text);
    return block ? [block] : [];
  });
}

// ── network ACLs ───────────────────────────────────────────────────────────────────────────

export interface Acl6Query {
  egress: boolean;
  ports: PortRange;
  /** The peer: destination for egress, source for ingress (an address, or the agent's block). */
  peer: string;
}

export interface Acl6Coverage extends AclCoverage {
  /** An entry that covers part of the peer block before the range was decided: the rest is unknown. */
  undecidedBy?: NetworkAclEntry;
}

/** `rule 100 allow inbound tcp 443 from ::/0`: the IPv6 entry as the console lists it, `*` for its default deny. */
export function describeAclEntry6(entry: NetworkAclEntry): string {
  return describeAclEntry(isDefaultDeny(entry) ? { ...entry, RuleNumber: DEFAULT_DENY_RULE_NUMBER } : entry);
}

/**
 * Every port of the range against the ACL's IPv6 entries in one direction: rule-number order,
 * first match decides, IPv4 entries never apply, and the IPv6 default deny (`*`) takes the rest.
 */
export function evaluateAcl6(acl: NetworkAcl, query: Acl6Query): Acl6Coverage {
  const peer = parsePeer6(query.peer);
  const entries = (acl.Entries ?? [])
    .filter((entry) => entry.Egress === query.egress && entry.Ipv6CidrBlock !== undefined)
    .filter((entry) => !isDefaultDeny(entry))
    .sort((a, b) => (a.RuleNumber ?? 0) - (b.RuleNumber ?? 0));
  let open: PortRange[] = [{ ...query.ports }];
  const coverage: Acl6Coverage = { allowed: [], denied: [], allowedBy: [] };
  for (const entry of entries) {
    if (!peer || open.length === 0) break;
    const block = parseCidr6(entry.Ipv6CidrBlock ?? '');
    if (!block || !aclProtocolMatches(entry)) continue;
    const relation = relate(block, peer);
    if (relation === 'none') continue;
    const hits = intersections(open, entryPorts(entry));
    if (hits.length === 0) continue;
    if (relation === 'part') {
      // Part of the peer block meets this rule, the rest goes on: which one the agent is, is not known.
      coverage.undecidedBy = entry;
      break;
    }
    if (entry.RuleAction === 'deny') coverage.denied.push(...hits.map((ports) => ({ ports, rule: entry })));
    else {
      coverage.allowed.push(...hits);
      coverage.allowedBy.push(entry);
    }
    open = subtract(open, entryPorts(entry));
  }
  if (open.length > 0 && !coverage.undecidedBy) {
    const listed = (acl.Entries ?? []).find(
      (entry) => entry.Egress === query.egress && isDefaultDeny(entry) && entry.Ipv6CidrBlock !== undefined,
    );
    const implicit: NetworkAclEntry = listed ?? {
      RuleNumber: IPV6_DEFAULT_DENY_RULE_NUMBER,
      Protocol: '-1',
      RuleAction: 'deny',
      Egress: query.egress,
      Ipv6CidrBlock: '::/0',
    };
    coverage.denied.push(...open.map((ports) => ({ ports, rule: implicit })));
  }
  coverage.allowed = mergeRanges(coverage.allowed);
  return coverage;
}

/** A coverage as one decision: undecided, denied when any port is, else allowed. */
export function decideAcl6(coverage: Acl6Coverage): Decision6 {
  if (coverage.undecidedBy) return 'undecided';
  return coverage.denied.length > 0 ? 'denied' : 'allowed';
}

// ── routes ─────────────────────────────────────────────────────────────────────────────────

export type Route6Kind = RouteKind | 'eigw';

export interface Route6Decision {
  kind: Route6Kind;
  route?: Route;
  matchedCidr?: string;
  prefixLength?: number;
  /** Prefix lists routed by the table whose entries were not read, which could hold a longer match. */
  undecidedBy: string[];
}

/** What kind of hop an IPv6 route is: an egress-only internet gateway is its own kind. */
export function routeKind6(route: Route): Route6Kind {
  if (route.State !== 'blackhole' && route.EgressOnlyInternetGatewayId) return 'eigw';
  return routeKind(route);
}

/** `::/0 → eigw-0a1b`. */
export function describeRoute6(route: Route): string {
  const destination = route.DestinationIpv6CidrBlock ?? route.DestinationPrefixListId ?? '?';
  return `${destination} → ${routeTarget(route)}${route.State === 'blackhole' ? ' (blackhole)' : ''}`;
}

/**
 * Longest-prefix match of an IPv6 address across the table's IPv6 routes and the IPv6 entries
 * of its prefix-list routes. IPv4 routes never carry IPv6 traffic (`0.0.0.0/0` is not `::/0`).
 * On equal length a CIDR route beats a prefix-list route, as for IPv4 (VPC User Guide, route priority).
 */
export function evaluateRoute6(table: RouteTable, ip: string, prefixLists: PrefixListInfo[]): Route6Decision {
  const address = parsePeer6(ip);
  const undecided = new Set<string>();
  if (address?.prefix !== 128) return { kind: 'none', undecidedBy: [] };
  let best: { route: Route; cidr: string; prefix: number; list: boolean } | undefined;
  const consider = (route: Route, text: string, list: boolean) => {
    const block = parseCidr6(text);
    if (!block || !cidr6Covers(block, address)) return;
    if (!best || block.prefix > best.prefix || (block.prefix === best.prefix && best.list && !list))
      best = { route, cidr: text, prefix: block.prefix, list };
  };
  for (const route of table.Routes ?? []) {
    if (route.DestinationIpv6CidrBlock) consider(route, route.DestinationIpv6CidrBlock, false);
    else if (route.DestinationPrefixListId) {
      const list = prefixLists.find((pl) => pl.prefixListId === route.DestinationPrefixListId);
      if (!list || list.gap) undecided.add(route.DestinationPrefixListId);
      else for (const cidr of list.cidrs) consider(route, cidr, true);
    }
  }
  const found = best as { route: Route; cidr: string; prefix: number; list: boolean } | undefined;
  // An unread list can hold an entry as long as /128: only a /128 CIDR route is safe from it.
  const undecidedBy = [...undecided].filter(() => !found || found.prefix < 128);
  if (!found) return { kind: 'none', undecidedBy };
  return {
    kind: routeKind6(found.route),
    route: found.route,
    matchedCidr: found.cidr,
    prefixLength: found.prefix,
    undecidedBy,
  };
}
