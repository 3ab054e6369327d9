// Does a set of security groups allow a TCP flow? Groups are allow-only and stateful: any
// allowing rule in any group decides, and the return traffic needs no rule.
import type { IpPermission, SecurityGroup } from '@aws-sdk/client-ec2';
import type { PrefixListInfo } from '../model.js';
import { cidrContainsAddress, parseCidr, parseIpv4 } from '../net/ip.js';

export interface EgressQuery {
  protocol: 'tcp';
  port: number;
  destIp: string;
  /** Security groups on the destination ENI (a rule referencing one of them matches). */
  destGroupIds: string[];
}

export interface IngressQuery {
  protocol: 'tcp';
  port: number;
  sourceIp: string;
  /** Security groups on the source ENI. */
  sourceGroupIds: string[];
}

export type RulePeer =
  | { kind: 'cidr'; cidr: string }
  | { kind: 'prefix-list'; prefixListId: string; cidr?: string }
  | { kind: 'group'; groupId: string };

export interface MatchedRule {
  groupId: string;
  direction: 'ingress' | 'egress';
  ipProtocol: string;
  fromPort?: number;
  toPort?: number;
  peer: RulePeer;
  description?: string;
  /** e.g. `tcp/443 from sg-0app` */
  text: string;
}

export interface SgDecision {
  allowed: boolean;
  matchedRule?: MatchedRule;
  group?: SecurityGroup;
  /** Prefix lists referenced by rules of the right protocol and port whose entries are unknown. */
  unresolvedPrefixLists?: string[];
}

export function protocolMatches(ipProtocol: string | undefined): boolean {
  return ipProtocol === '-1' || ipProtocol === 'tcp' || ipProtocol === '6' || ipProtocol === 'all';
}

export function portMatches(permission: IpPermission, port: number): boolean {
  if (permission.IpProtocol === '-1' || permission.IpProtocol === 'all') return true;
  const from = permission.FromPort;
  const to = permission.ToPort;
  if (from === undefined || from === -1) return true;
  return port >= from && port <= (to === undefined || to === -1 ? from : to);
}

/** `tcp/443`, `tcp/1024-65535`, `all traffic`. */
export function describePorts(permission: IpPermission): string {
  if (permission.IpProtocol === '-1' || permission.IpProtocol === 'all') return 'all traffic';
  const protocol = permission.IpProtocol === '6' ? 'tcp' : (permission.IpProtocol ?? '?');
  const from = permission.FromPort;
  const to = permission.ToPort;
  if (from === undefined || from === -1 || (from === 0 && to === 65535)) return `${protocol}/all ports`;
  return from === to || to === undefined ? `${protocol}/${from}` : `${protocol}/${from}-${to}`;
}

function peerText(peer: RulePeer): string {
  if (peer.kind === 'cidr') return peer.cidr;
  if (peer.kind === 'group') return peer.groupId;
  return peer.cidr ? `${peer.prefixListId} (${peer.cidr})` : peer.prefixListId;
}

/** A permission's peers in one family: its ranges of that family, prefix lists and group references. */
export function permissionPeers(permission: IpPermission, family: 'ipv4' | 'ipv6' = 'ipv4'): RulePeer[] {
  const cidrs =
    family === 'ipv4'
      ? (permission.IpRanges ?? []).map((range) => range.CidrIp)
      : (permission.Ipv6Ranges ?? []).map((range) => range.CidrIpv6);
  return [
    ...cidrs.flatMap((cidr) => (cidr ? [{ kind: 'cidr' as const, cidr }] : [])),
    ...(permission.PrefixListIds ?? []).flatMap((pl) =>
      pl.PrefixListId ? [{ kind: 'prefix-list' as const, prefixListId: pl.PrefixListId }] : [],
    ),
    ...(permission.UserIdGroupPairs ?? []).flatMap((pair) =>
      pair.GroupId ? [{ kind: 'group' as const, groupId: pair.GroupId }] : [],
    ),
  ];
}

/** Every IPv4 rule of the groups in one direction, one line each: `sg-0ep: tcp/443 from 10.9.0.0/16`. */
export function describeRules(groups: SecurityGroup[], direction: 'ingress' | 'egress'): string[] {
  const word = direction === 'ingress' ? 'from' : 'to';
  return groups.flatMap((group) => {
    const permissions = (direction === 'ingress' ? group.IpPermissions : group.IpPermissionsEgress) ?? [];
    const lines = permissions.flatMap((permission) =>
      permissionPeers(permission).map(
        (peer) => `${group.GroupId}: ${describePorts(permission)} ${word} ${peerText(peer)}`,
      ),
    );
    return lines.length > 0 ? lines : [`${group.GroupId}: no ${direction} rules`];
  });
}

function evaluate(
  groups: SecurityGroup[],
  direction: 'ingress' | 'egress',
  port: number,
  peerIp: string,
  peerGroupIds: string[],
  prefixLists: PrefixListInfo[],
): SgDecision {
  const address = parseIpv4(peerIp);
  const unresolved = new Set<string>();
  for (const group of groups) {
    const permissions = (direction === 'ingress' ? group.IpPermissions : group.IpPermissionsEgress) ?? [];
    for (const permission of permissions) {
      if (!protocolMatches(permission.IpProtocol) || !portMatches(permission, port)) continue;
      for (const peer of permissionPeers(permission)) {
        const matched = peerMatches(peer, address, peerGroupIds, prefixLists, unresolved);
        if (!matched) continue;
        const word = direction === 'ingress' ? 'from' : 'to';
        const rule: MatchedRule = {
          groupId: group.GroupId ?? '?',
          direction,
          ipProtocol: permission.IpProtocol ?? '?',
          peer: matched,
          text: `${describePorts(permission)} ${word} ${peerText(matched)}`,
        };
        if (permission.FromPort !== undefined) rule.fromPort = permission.FromPort;
        if (permission.ToPort !== undefined) rule.toPort = permission.ToPort;
        return { allowed: true, matchedRule: rule, group };
      }
    }
  }
  return unresolved.size > 0
    ? { allowed: false, unresolvedPrefixLists: [...unresolved] }
    : { allowed: false };
}

function peerMatches(
  peer: RulePeer,
  address: number | undefined,
  peerGroupIds: string[],
  prefixLists: PrefixListInfo[],
  unresolved: Set<string>,
): RulePeer | undefined {
  if (peer.kind === 'group') return peerGroupIds.includes(peer.groupId) ? peer : undefined;
  if (address === undefined) return undefined;
  if (peer.kind === 'cidr') {
    const cidr = parseCidr(peer.cidr);
    return cidr && cidrContainsAddress(cidr, address) ? peer : undefined;
  }
  const list = prefixLists.find((pl) => pl.prefixListId === peer.prefixListId);
  // An unread list (gap) could hold the address: neither a match nor a miss.
  if (!list || list.gap) {
    unresolved.add(peer.prefixListId);
    return undefined;
  }
  const hit = list.cidrs.find((text) => {
    const cidr = parseCidr(text);
    return cidr !== undefined && cidrContainsAddress(cidr, address);
  });
  return hit === undefined ? undefined : { ...peer, cidr: hit };
}

/** Whether the groups (on the source ENI) allow a TCP connection out to destIp:port. */
export function evaluateEgress(
  groups: SecurityGroup[],
  query: EgressQuery,
  prefixLists: PrefixListInfo[],
): SgDecision {
  return evaluate(groups, 'egress', query.port, query.destIp, query.destGroupIds, prefixLists);
}

/** Whether the groups (on the destination ENI) allow a TCP connection in from sourceIp to port. */
export function evaluateIngress(
  groups: SecurityGroup[],
  query: IngressQuery,
  prefixLists: PrefixListInfo[],
): SgDecision {
  return evaluate(groups, 'ingress', query.port, query.sourceIp, query.sourceGroupIds, prefixLists);
}

/** The CIDRs the groups' rules mention in one direction (prefix lists expanded): where a decision can change. */
export function ruleCidrs(
  groups: SecurityGroup[],
  direction: 'ingress' | 'egress',
  prefixLists: PrefixListInfo[],
) {
  return groups.flatMap((group) =>
    ((direction === 'ingress' ? group.IpPermissions : group.IpPermissionsEgress) ?? []).flatMap(
      (permission) =>
        permissionPeers(permission).flatMap((peer) => {
          if (peer.kind === 'cidr') return [peer.cidr];
          if (peer.kind === 'prefix-list')
            return prefixLists.find((pl) => pl.prefixListId === peer.prefixListId)?.cidrs ?? [];
          return [];
        }),
    ),
  );
}
