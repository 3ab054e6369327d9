// Which route table a subnet uses, and which of its routes carries a given IPv4 address.
import type { Route, RouteTable } from '@aws-sdk/client-ec2';
import type { PrefixListInfo } from '../model.js';
import { cidrContainsAddress, parseCidr, parseIpv4 } from '../net/ip.js';

export type RouteKind =
  | 'local'
  | 'gateway-endpoint'
  | 'nat'
  | 'igw'
  | 'tgw'
  | 'pcx'
  | 'eni'
  | 'vgw'
  | 'blackhole'
  | 'other'
  | 'none';

export interface EffectiveRouteTable {
  table: RouteTable;
  association: 'explicit' | 'main';
}

export interface RouteDecision {
  kind: RouteKind;
  /** The winning route; absent when kind is `none`. */
  route?: Route;
  /** The CIDR of the winning route that contains the address (for a prefix-list route: the list entry). */
  matchedCidr?: string;
  prefixLength?: number;
  /** Prefix lists routed by this table whose entries were not in the inventory: the decision may be incomplete. */
  unresolvedPrefixLists: string[];
  /**
   * The unresolved lists that could beat the winner (an entry can be as long as /32): when not
   * empty the decision is undecidable and `kind` is only what the readable routes say.
   */
  undecidedBy?: string[];
}

/** The route table a subnet uses: its explicit association, else the VPC's main table. */
export function effectiveRouteTable(
  routeTables: RouteTable[],
  subnetId: string,
  vpcId: string,
): EffectiveRouteTable | undefined {
  const inVpc = routeTables.filter((table) => table.VpcId === vpcId);
  const explicit = inVpc.find((table) =>
    (table.Associations ?? []).some(
      (association) =>
        association.SubnetId === subnetId && association.AssociationState?.State !== 'disassociated',
    ),
  );
  if (explicit) return { table: explicit, association: 'explicit' };
  const main = inVpc.find((table) =>
    (table.Associations ?? []).some((association) => association.Main === true),
  );
  return main ? { table: main, association: 'main' } : undefined;
}

/** The target id a route sends traffic to (`local`, `nat-…`, `vpce-…`, `tgw-…`…). */
export function routeTarget(route: Route): string {
  return (
    route.NatGatewayId ??
    route.TransitGatewayId ??
    route.VpcPeeringConnectionId ??
    route.NetworkInterfaceId ??
    route.InstanceId ??
    route.GatewayId ??
    route.EgressOnlyInternetGatewayId ??
    route.LocalGatewayId ??
    route.CarrierGatewayId ??
    route.CoreNetworkArn ??
    'unknown-target'
  );
}

/** What kind of hop a route is; a blackhole route is `blackhole` whatever its target was. */
export function routeKind(route: Route): RouteKind {
  if (route.State === 'blackhole') return 'blackhole';
  if (route.GatewayId === 'local') return 'local';
  if (route.NatGatewayId) return 'nat';
  if (route.TransitGatewayId) return 'tgw';
  if (route.VpcPeeringConnectionId) return 'pcx';
  if (route.NetworkInterfaceId || route.InstanceId) return 'eni';
  const gateway = route.GatewayId ?? '';
  if (gateway.startsWith('vpce-')) return 'gateway-endpoint';
  if (gateway.startsWith('igw-')) return 'igw';
  if (gateway.startsWith('vgw-')) return 'vgw';
  return 'other';
}

/** The route's destination as the console shows it: a CIDR or a prefix-list id. */
export function routeDestination(route: Route): string {
  return route.DestinationCidrBlock ?? route.DestinationPrefixListId ?? route.DestinationIpv6CidrBlock ?? '?';
}

/** One line for messages: `52.216.8.0/24 → nat-0a1b`. */
export function describeRoute(route: Route): string {
  const state = route.State === 'blackhole' ? ' (blackhole)' : '';
  return `${routeDestination(route)} → ${routeTarget(route)}${state}`;
}

// Tie-break between routes of equal prefix length, per the VPC User Guide, "How route priority
// works" (docs.aws.amazon.com/vpc/latest/userguide/route-tables-priority.html): longest prefix
// first, then static routes, then prefix-list routes, then propagated routes. So a CIDR route
// beats a prefix-list route of the same length, and a prefix-list route beats a propagated one.
function tieRank(route: Route): number {
  if (route.DestinationPrefixListId) return 1;
  if (route.Origin === 'EnableVgwRoutePropagation') return 2;
  return 0;
}

interface Candidate {
  route: Route;
  cidr: string;
  prefix: number;
}

function candidatesFor(
  route: Route,
  address: number,
  prefixLists: PrefixListInfo[],
  unresolved: Set<string>,
) {
  const found: Candidate[] = [];
  const consider = (cidrText: string) => {
    const cidr = parseCidr(cidrText);
    if (cidr && cidrContainsAddress(cidr, address))
      found.push({ route, cidr: cidrText, prefix: cidr.prefix });
  };
  if (route.DestinationCidrBlock) consider(route.DestinationCidrBlock);
  else if (route.DestinationPrefixListId) {
    const list = prefixLists.find((pl) => pl.prefixListId === route.DestinationPrefixListId);
    if (!list || list.gap) unresolved.add(route.DestinationPrefixListId);
    else for (const cidr of list.cidrs) consider(cidr);
  }
  return found;
}

/**
 * Longest-prefix match of an IPv4 address across the table's CIDR and prefix-list routes
 * (a prefix-list route is as long as the list entry that contains the address).
 */
export function evaluateRoute(table: RouteTable, ip: string, prefixLists: PrefixListInfo[]): RouteDecision {
  const address = parseIpv4(ip);
  const unresolved = new Set<string>();
  if (address === undefined) return { kind: 'none', unresolvedPrefixLists: [], undecidedBy: [] };
  let best: Candidate | undefined;
  for (const route of table.Routes ?? []) {
    for (const candidate of candidatesFor(route, address, prefixLists, unresolved)) {
      if (
        !best ||
        candidate.prefix > best.prefix ||
        (candidate.prefix === best.prefix && tieRank(candidate.route) < tieRank(best.route))
      ) {
        best = candidate;
      }
    }
  }
  const unresolvedPrefixLists = [...unresolved];
  const undecidedBy = unresolvedPrefixLists.filter((id) => !best || couldBeBeaten(best, id, table));
  if (!best) return { kind: 'none', unresolvedPrefixLists, undecidedBy };
  return {
    kind: routeKind(best.route),
    route: best.route,
    matchedCidr: best.cidr,
    prefixLength: best.prefix,
    unresolvedPrefixLists,
    undecidedBy,
  };
}

// An unread list may hold any entry up to /32 covering the address, and a prefix-list route wins
// a tie against a propagated route (and against another list, in an order AWS does not
// document): only a /32 static CIDR route is safe from it.
function couldBeBeaten(best: Candidate, prefixListId: string, table: RouteTable): boolean {
  if (best.prefix < 32) return true;
  const listRoutes = (table.Routes ?? []).filter((route) => route.DestinationPrefixListId === prefixListId);
  return listRoutes.some((route) => tieRank(route) <= tieRank(best.route));
}

/** Every CIDR a route of the table covers (prefix lists expanded): the points where the winner can change. */
export function routeCidrs(table: RouteTable, prefixLists: PrefixListInfo[]): string[] {
  return (table.Routes ?? []).flatMap((route) => {
    if (route.DestinationCidrBlock) return [route.DestinationCidrBlock];
    const list = prefixLists.find((pl) => pl.prefixListId === route.DestinationPrefixListId);
    return list?.cidrs ?? [];
  });
}
