// Routes from the agent's subnet: the gateway endpoint's prefix-list route for S3/DynamoDB, the
// local route for interface endpoint ENIs, and where a service without an endpoint goes.
import type { Route, RouteTable } from '@aws-sdk/client-ec2';
import {
  describeRoute,
  type EffectiveRouteTable,
  effectiveRouteTable,
  evaluateRoute,
  type RouteDecision,
  routeCidrs,
  routeTarget,
} from '../src/eval/routes.js';
import { endpointEnis, targetEndpoint, workloadAddresses } from '../src/inventory-view.js';
import type { Check, CheckInput, Finding, PrefixListInfo, Status } from '../src/model.js';
import { boundaryAddresses, ipInCidr } from '../src/net/ip.js';
import { hubRouteFinding, unrecognisedHubGap } from './hub.js';
import {
  createEndpointCommand,
  gapFinding,
  gatewayPrefixList,
  unreadFix,
  unreadPrefixLists,
  unreadText,
} from './shared.js';

interface PointResult {
  ip: string;
  code: string;
  status: Status;
  decision: RouteDecision;
  /** What the address stands for: an ENI id, `resolved`, or the prefix-list entry it samples. */
  via: string;
  /** Why a ROUTE_UNKNOWN point is undecided: an unread prefix list, or a public IP we do not know. */
  unknown?: 'prefix-list' | 'public-ip' | 'hub';
}

function tableLabel(input: CheckInput, effective: EffectiveRouteTable): string {
  const how =
    effective.association === 'explicit'
      ? 'explicitly associated with'
      : `main table of ${input.context.vpcId}, used by`;
  return `${effective.table.RouteTableId} (${how} ${input.context.subnetId})`;
}

function decisionEvidence(point: PointResult) {
  return {
    ip: point.ip,
    via: point.via,
    kind: point.decision.kind,
    route: point.decision.route ? describeRoute(point.decision.route) : null,
    matchedCidr: point.decision.matchedCidr ?? null,
    unresolvedPrefixLists: point.decision.unresolvedPrefixLists,
    undecidedBy: point.decision.undecidedBy ?? [],
  };
}

function winnerText(decision: RouteDecision): string {
  return decision.route ? describeRoute(decision.route) : 'no route';
}

function routeChangeCommand(table: RouteTable, route: Route, verb: 'delete-route' | 'replace-route'): string {
  const destination = route.DestinationCidrBlock
    ? `--destination-cidr-block ${route.DestinationCidrBlock}`
    : `--destination-prefix-list-id ${route.DestinationPrefixListId}`;
  const tail = verb === 'replace-route' ? ' --nat-gateway-id nat-… (or another live target)' : '';
  return `aws ec2 ${verb} --route-table-id ${table.RouteTableId} ${destination}${tail}`;
}

// A prefix-list route whose entries are unknown could beat the winner: nothing may be said of it.
function undecided(decision: RouteDecision): Pick<PointResult, 'code' | 'status' | 'unknown'> | undefined {
  return (decision.undecidedBy ?? []).length > 0
    ? { code: 'ROUTE_UNKNOWN', status: 'unknown', unknown: 'prefix-list' }
    : undefined;
}

// Where traffic goes when it does not use an endpoint (a missing gateway route, or no endpoint at
// all). An internet gateway carries only traffic from an address with a public IPv4: without
// one (every Lambda function) the route is a dead end, and when we do not know, we say so.
function pathCode(
  input: CheckInput,
  decision: RouteDecision,
): Pick<PointResult, 'code' | 'status' | 'unknown'> {
  const open = undecided(decision);
  if (open) return open;
  switch (decision.kind) {
    case 'igw':
      if (input.context.publicIp === null) return { code: 'ROUTE_IGW_NO_PUBLIC_IP', status: 'fail' };
      if (input.context.publicIp === undefined)
        return { code: 'ROUTE_UNKNOWN', status: 'unknown', unknown: 'public-ip' };
      return { code: 'ROUTE_VIA_OTHER_TARGET', status: 'warn' };
    case 'nat':
      return { code: 'ROUTE_VIA_NAT', status: 'warn' };
    case 'none':
      return { code: 'ROUTE_NO_PATH', status: 'fail' };
    case 'blackhole':
      return { code: 'ROUTE_BLACKHOLE', status: 'fail' };
    case 'local':
      return { code: 'ROUTE_LOCAL_OK', status: 'pass' };
    default:
      return { code: 'ROUTE_VIA_OTHER_TARGET', status: 'warn' };
  }
}

function group(points: PointResult[]): PointResult[][] {
  const groups = new Map<string, PointResult[]>();
  for (const point of points) {
    // Undecided addresses are one finding per unread list set, whatever route they would take.
    const winner = point.unknown === 'prefix-list' ? '' : winnerText(point.decision);
    const key = `${point.code}|${point.unknown ?? ''}|${winner}|${(point.decision.undecidedBy ?? []).join(',')}`;
    groups.set(key, [...(groups.get(key) ?? []), point]);
  }
  return [...groups.values()];
}

function ipsText(points: PointResult[]): string {
  const ips = points.map((p) => (p.via.startsWith('eni-') ? `${p.ip} (${p.via})` : p.ip));
  return ips.length > 4 ? `${ips.slice(0, 4).join(', ')} and ${ips.length - 4} more` : ips.join(', ');
}

function pathFinding(
  input: CheckInput,
  effective: EffectiveRouteTable,
  points: PointResult[],
  gatewayFix?: string,
): Finding {
  const first = points[0]!;
  const table = effective.table;
  const where = tableLabel(input, effective);
  const winner = winnerText(first.decision);
  const evidence = {
    routeTable: table.RouteTableId,
    association: effective.association,
    addresses: points.map(decisionEvidence),
  };
  const route = first.decision.route;
  const noEndpointFix = gatewayFix ?? createEndpointCommand(input, false, table.RouteTableId);
  const base = { check: 'route' as const, code: first.code, status: first.status, evidence };
  if (first.unknown === 'prefix-list') {
    const unread = unreadPrefixLists(input, first.decision.undecidedBy ?? []);
    return {
      ...base,
      message: `cannot decide which route in ${where} carries ${input.target.shortName} traffic to ${ipsText(points)}: the entries of ${unreadText(unread)} are unknown, and a route to such a list can be more specific than ${[...new Set(points.map((p) => winnerText(p.decision)))].join(', ')}`,
      fix: unreadFix(unread),
      evidence: { ...evidence, unreadPrefixLists: unread },
    };
  }
  if (first.unknown === 'hub') {
    const gap = unrecognisedHubGap(input, first.ip);
    return {
      ...base,
      message: `${input.target.shortName} traffic to ${ipsText(points)}, private addresses in another VPC, leaves through ${winner} in ${where}; whether that is the way to a hub endpoint is unknown: ${gap ? `${gap.action} ${gap.kind === 'permission' ? 'denied' : 'failed'} (${gap.errorCode})` : 'the zone and rule chain was not read'}`,
      ...(gap ? { fix: `allow ${gap.action} in the agent's IAM policy (see deploy/iam-policy.json)` } : {}),
      evidence: { ...evidence, ...(gap ? { gap } : {}) },
    };
  }
  if (first.unknown === 'public-ip') {
    return {
      ...base,
      message: `${input.target.shortName} traffic to ${ipsText(points)} leaves through ${winner} in ${where}; an internet gateway carries it only from a public IPv4 address, and whether ${input.context.privateIp} has one is unknown (${publicIpSource(input)})`,
      fix: `check the agent's public IPv4: aws ec2 describe-network-interfaces --filters Name=addresses.private-ip-address,Values=${input.context.privateIp} --query 'NetworkInterfaces[].Association.PublicIp'; without one, ${noEndpointFix}`,
      evidence: { ...evidence, publicIp: 'unknown', agentIp: input.context.privateIp },
    };
  }
  switch (first.code) {
    case 'ROUTE_IGW_NO_PUBLIC_IP':
      return {
        ...base,
        message: `${input.target.shortName} traffic to ${ipsText(points)} leaves through ${winner} in ${where}, but the agent (${input.context.privateIp}) has no public IPv4 address (${publicIpSource(input)}): the internet gateway drops it`,
        fix: `${noEndpointFix} (or route ${table.RouteTableId}'s default route through a NAT gateway)`,
        evidence: {
          ...evidence,
          publicIp: null,
          publicIpSource: input.context.sources['publicIp'] ?? null,
          agentIp: input.context.privateIp,
        },
      };
    case 'ROUTE_VIA_NAT':
      return {
        ...base,
        message: `${input.target.shortName} traffic to ${ipsText(points)} leaves through ${winner} in ${where}, not a VPC endpoint: it works but costs $0.045/GB NAT processing`,
        fix: noEndpointFix,
      };
    case 'ROUTE_NO_PATH':
      return {
        ...base,
        message: `${where} has no route for ${ipsText(points)} (${input.target.shortName}): connections fail`,
        fix: noEndpointFix,
      };
    case 'ROUTE_BLACKHOLE':
      return {
        ...base,
        message: `${ipsText(points)} (${input.target.shortName}) matches ${winner} in ${where}: its target is gone and packets are dropped`,
        fix: route
          ? `${routeChangeCommand(table, route, 'replace-route')}, or ${routeChangeCommand(table, route, 'delete-route')}`
          : noEndpointFix,
      };
    case 'ROUTE_LOCAL_OK':
      return {
        ...base,
        message: `${ipsText(points)} (${input.target.shortName}) stays inside the VPC via ${winner} in ${where}`,
      };
    default:
      return {
        ...base,
        message: `${input.target.shortName} traffic to ${ipsText(points)} leaves through ${winner} in ${where}; whether it arrives depends on ${route ? routeTarget(route) : 'that target'}, not on a VPC endpoint`,
        fix: noEndpointFix,
      };
  }
}

function publicIpSource(input: CheckInput): string {
  const source = input.context.sources['publicIp'];
  if (input.context.publicIp === undefined)
    return "neither IMDS nor the agent's ENI was read; a subnet's MapPublicIpOnLaunch is no proof either way";
  if (source === 'lambda') return 'a Lambda function in a VPC never has one';
  if (source === 'imds') return 'IMDS has no meta-data/public-ipv4';
  return `its ENI has no public IP association (${source ?? 'ec2'})`;
}

function pointsForRanges(
  cidrs: string[],
  table: RouteTable,
  lists: PrefixListInfo[],
): Array<{ ip: string; via: string }> {
  const boundaries = routeCidrs(table, lists);
  return cidrs.flatMap((cidr) => boundaryAddresses(cidr, boundaries).map((ip) => ({ ip, via: cidr })));
}

function checkGateway(input: CheckInput, effective: EffectiveRouteTable, lists: PrefixListInfo[]): Finding[] {
  const { inventory, target } = input;
  if (!inventory.endpoints.ok)
    return [gapFinding('route', 'ROUTE_UNKNOWN', inventory.endpoints.gap, `read ${target.endpointId}`)];
  const endpoint = targetEndpoint(inventory, target);
  if (!endpoint) return [];
  const table = effective.table;
  const endpointId = endpoint.VpcEndpointId ?? '?';
  const { prefixListId, info, gap: listGap } = gatewayPrefixList(input, endpoint);
  const gatewayRoute = (table.Routes ?? []).find(
    (route) => route.GatewayId === endpointId && route.DestinationPrefixListId !== undefined,
  );
  const findings: Finding[] = [];
  const addFix = `aws ec2 modify-vpc-endpoint --vpc-endpoint-id ${endpointId} --add-route-table-ids ${table.RouteTableId}`;
  const resolved = workloadAddresses(input.observations.dns);
  // Without its entries and without resolved addresses there is nothing to sample; with
  // addresses, each point below says for itself whether the unread list leaves it undecided.
  if (listGap && resolved.length === 0) {
    return [
      gapFinding(
        'route',
        'ROUTE_UNKNOWN',
        listGap,
        `read the entries of ${prefixListId ?? `the ${target.shortName} prefix list`}`,
      ),
    ];
  }
  const samples =
    resolved.length > 0
      ? resolved.map((ip) => ({ ip, via: 'resolved' }))
      : pointsForRanges(info?.cidrs ?? [], table, lists);
  const points: PointResult[] = samples.map(({ ip, via }) => {
    const decision = evaluateRoute(table, ip, lists);
    const open = undecided(decision);
    if (open) return { ip, via, decision, ...open };
    if (info && !info.cidrs.some((cidr) => ipInCidr(ip, cidr))) {
      const broken = decision.kind === 'none' || decision.kind === 'blackhole';
      return { ip, via, decision, code: 'ROUTE_IP_NOT_IN_PREFIX_LIST', status: broken ? 'fail' : 'warn' };
    }
    if (gatewayRoute && decision.route === gatewayRoute)
      return { ip, via, decision, code: 'ROUTE_GATEWAY_OK', status: 'pass' };
    if (gatewayRoute) {
      if (decision.kind === 'blackhole')
        return { ip, via, decision, code: 'ROUTE_BLACKHOLE', status: 'fail' };
      return { ip, via, decision, code: 'ROUTE_MORE_SPECIFIC_OVERRIDES', status: 'warn' };
    }
    return { ip, via, decision, ...pathCode(input, decision) };
  });

  // Without the gateway route, traffic that still finds a live path (NAT, another gateway) works
  // and is reported by where it goes (ROUTE_VIA_NAT); only a path that ends is ROUTE_GATEWAY_MISSING.
  const deadEnd =
    points.length === 0 ||
    points.some(
      (p) =>
        p.code !== 'ROUTE_UNKNOWN' &&
        (p.decision.kind === 'none' ||
          p.decision.kind === 'blackhole' ||
          p.code === 'ROUTE_IGW_NO_PUBLIC_IP'),
    );
  if (!gatewayRoute && deadEnd) {
    findings.unshift({
      check: 'route',
      code: 'ROUTE_GATEWAY_MISSING',
      status: 'fail',
      message: `${tableLabel(input, effective)} has no route for ${prefixListId ?? `the ${target.shortName} prefix list`} to ${endpointId}: ${target.shortName} traffic from ${input.context.subnetId} does not use the gateway endpoint`,
      fix: addFix,
      evidence: {
        routeTable: table.RouteTableId,
        association: effective.association,
        endpointId,
        prefixListId: prefixListId ?? null,
        endpointRouteTables: endpoint.RouteTableIds ?? [],
        routes: (table.Routes ?? []).map(describeRoute),
      },
    });
  }
  for (const members of group(points.filter((p) => p.code !== 'ROUTE_GATEWAY_OK'))) {
    const first = members[0]!;
    const winner = first.decision.route;
    if (first.code === 'ROUTE_IP_NOT_IN_PREFIX_LIST') {
      findings.push({
        check: 'route',
        code: first.code,
        status: first.status,
        message: `${target.hostname} resolves to ${ipsText(members)}, outside ${prefixListId} (${target.service}): the gateway route cannot carry it; it takes ${winnerText(first.decision)}`,
        fix: `resolve the regional name ${target.hostname} through AmazonProvidedDNS (a proxy or another region's name is answering), or reach that address another way`,
        evidence: {
          prefixListId,
          prefixListCidrs: info?.cidrs ?? [],
          addresses: members.map(decisionEvidence),
        },
      });
    } else if (first.code === 'ROUTE_MORE_SPECIFIC_OVERRIDES' && winner && gatewayRoute) {
      findings.push({
        check: 'route',
        code: first.code,
        status: first.status,
        message: `in ${tableLabel(input, effective)}, ${describeRoute(winner)} beats ${describeRoute(gatewayRoute)} for ${ipsText(members)} (${first.decision.matchedCidr} is more specific than or ties with the prefix-list entry): ${target.shortName} traffic bypasses ${endpointId}`,
        fix: `${routeChangeCommand(table, winner, 'delete-route')} (or narrow it so it no longer covers ${target.shortName} addresses)`,
        evidence: {
          routeTable: table.RouteTableId,
          winningRoute: describeRoute(winner),
          gatewayRoute: describeRoute(gatewayRoute),
          addresses: members.map(decisionEvidence),
        },
      });
    } else {
      findings.push(pathFinding(input, effective, members, addFix));
    }
  }
  const ok = points.filter((p) => p.code === 'ROUTE_GATEWAY_OK');
  if (gatewayRoute && ok.length === points.length) {
    const sampled =
      resolved.length > 0
        ? `resolved ${ipsText(ok)}`
        : `every entry of ${prefixListId} (no resolved addresses)`;
    findings.push({
      check: 'route',
      code: 'ROUTE_GATEWAY_OK',
      status: 'pass',
      message: `${tableLabel(input, effective)} routes ${describeRoute(gatewayRoute)}; ${sampled} take that route`,
      evidence: {
        routeTable: table.RouteTableId,
        association: effective.association,
        endpointId,
        prefixListId,
        addresses: ok.map(decisionEvidence),
      },
    });
  }
  return findings;
}

function checkInterface(
  input: CheckInput,
  effective: EffectiveRouteTable,
  lists: PrefixListInfo[],
): Finding[] {
  const { inventory, target } = input;
  if (!inventory.endpoints.ok)
    return [gapFinding('route', 'ROUTE_UNKNOWN', inventory.endpoints.gap, `read ${target.endpointId}`)];
  if (!inventory.endpointInterfaces.ok) {
    return [
      gapFinding(
        'route',
        'ROUTE_UNKNOWN',
        inventory.endpointInterfaces.gap,
        `read the ENIs of ${target.endpointId}`,
      ),
    ];
  }
  const endpoint = targetEndpoint(inventory, target);
  if (!endpoint) return [];
  const table = effective.table;
  const points: PointResult[] = endpointEnis(inventory.endpointInterfaces.value, endpoint).flatMap((eni) => {
    const ip = eni.PrivateIpAddress;
    if (!ip) return [];
    const decision = evaluateRoute(table, ip, lists);
    const via = eni.NetworkInterfaceId ?? '?';
    const open = undecided(decision);
    if (open) return [{ ip, via, decision, ...open }];
    if (decision.kind === 'local')
      return [{ ip, via, decision, code: 'ROUTE_LOCAL_OK', status: 'pass' as const }];
    if (decision.kind === 'blackhole' || decision.kind === 'none')
      return [{ ip, via, decision, ...pathCode(input, decision) }];
    // A route to an appliance ENI or a Gateway Load Balancer endpoint is how inspection is built: it can work.
    const appliance = decision.kind === 'eni' || decision.kind === 'gateway-endpoint';
    return [
      {
        ip,
        via,
        decision,
        code: 'ROUTE_MORE_SPECIFIC_OVERRIDES',
        status: appliance ? ('warn' as const) : ('fail' as const),
      },
    ];
  });
  const bad = points.filter((p) => p.code !== 'ROUTE_LOCAL_OK');
  const localRoute = (table.Routes ?? []).find((route) => route.GatewayId === 'local');
  const findings = group(bad).map((members): Finding => {
    const first = members[0]!;
    const winner = first.decision.route;
    if (first.code !== 'ROUTE_MORE_SPECIFIC_OVERRIDES' || !winner) {
      return pathFinding(
        input,
        effective,
        members,
        `check the ENI addresses of ${endpoint.VpcEndpointId}; the local route should cover them`,
      );
    }
    return {
      check: 'route',
      code: first.code,
      status: first.status,
      message: `in ${tableLabel(input, effective)}, ${describeRoute(winner)} beats ${localRoute ? describeRoute(localRoute) : 'the local route'} for ${ipsText(members)} of ${endpoint.VpcEndpointId}: traffic to the endpoint leaves via ${routeTarget(winner)}`,
      fix: `${routeChangeCommand(table, winner, 'delete-route')} (a route more specific than local must not cover endpoint ENIs unless an appliance returns the traffic)`,
      evidence: {
        routeTable: table.RouteTableId,
        winningRoute: describeRoute(winner),
        localRoute: localRoute ? describeRoute(localRoute) : null,
        addresses: members.map(decisionEvidence),
      },
    };
  });
  if (bad.length === 0 && points.length > 0) {
    findings.push({
      check: 'route',
      code: 'ROUTE_LOCAL_OK',
      status: 'pass',
      message: `${tableLabel(input, effective)} reaches every ENI of ${endpoint.VpcEndpointId} (${ipsText(points)}) through the local route`,
      evidence: {
        routeTable: table.RouteTableId,
        association: effective.association,
        addresses: points.map(decisionEvidence),
      },
    });
  }
  return findings;
}

function checkNoEndpoint(
  input: CheckInput,
  effective: EffectiveRouteTable,
  lists: PrefixListInfo[],
): Finding[] {
  const gateway = ['s3', 'dynamodb'].includes(input.target.shortName);
  const hub: Finding[] = [];
  const points: PointResult[] = workloadAddresses(input.observations.dns).flatMap((ip) => {
    const decision = evaluateRoute(effective.table, ip, lists);
    // A hub endpoint's address reached over a transit gateway or a peering (issue 15).
    const central =
      !undecided(decision) && (decision.kind === 'tgw' || decision.kind === 'pcx')
        ? hubRouteFinding(input, ip, decision, tableLabel(input, effective))
        : undefined;
    // The same, when the chain's DNS side could not be read: the route to another VPC is no
    // cause of a timeout there (the hub's side may be), so it is left undecided.
    const hidden =
      !central && !undecided(decision) && (decision.kind === 'tgw' || decision.kind === 'pcx')
        ? unrecognisedHubGap(input, ip)
        : undefined;
    if (hidden) {
      return [{ ip, via: 'resolved', decision, code: 'ROUTE_UNKNOWN', status: 'unknown', unknown: 'hub' }];
    }
    if (central) {
      hub.push({
        check: 'route',
        ...central,
        evidence: {
          routeTable: effective.table.RouteTableId,
          association: effective.association,
          ...central.evidence,
        },
      });
      return [];
    }
    return [{ ip, via: 'resolved', decision, ...pathCode(input, decision) }];
  });
  const fix = createEndpointCommand(input, gateway, effective.table.RouteTableId);
  return [
    ...mergeHubFindings(hub),
    ...group(points).map((members) => pathFinding(input, effective, members, fix)),
  ];
}

/** One finding per hub route outcome, naming every address that met it (a hub endpoint has an ENI per AZ). */
function mergeHubFindings(findings: Finding[]): Finding[] {
  const merged = new Map<string, { finding: Finding; ips: string[] }>();
  for (const finding of findings) {
    const { ip, ...rest } = finding.evidence;
    const key = `${finding.code}|${JSON.stringify(rest)}`;
    const known = merged.get(key);
    if (known) known.ips.push(String(ip));
    else merged.set(key, { finding, ips: [String(ip)] });
  }
  return [...merged.values()].map(({ finding, ips }) => {
    const first = ips[0]!;
    return ips.length === 1
      ? finding
      : {
          ...finding,
          message: finding.message.replace(first, ips.join(', ')),
          evidence: { ...finding.evidence, ip: first, addresses: ips },
        };
  });
}

/** Routes from the agent's subnet to the target, evaluated by longest-prefix match. */
export const checkRoutes: Check = (input) => {
  const { inventory, context, target } = input;
  if (target.endpointType === 'GatewayLoadBalancer') return [];
  if (!inventory.routeTables.ok) {
    return [
      gapFinding(
        'route',
        'ROUTE_UNKNOWN',
        inventory.routeTables.gap,
        `read the route table of ${context.subnetId}`,
      ),
    ];
  }
  const effective = effectiveRouteTable(inventory.routeTables.value, context.subnetId, context.vpcId);
  if (!effective) {
    return [
      {
        check: 'route',
        code: 'ROUTE_UNKNOWN',
        status: 'unknown',
        message: `no route table of ${context.vpcId} is associated with ${context.subnetId} and none is marked main`,
        fix: `aws ec2 describe-route-tables --filters Name=vpc-id,Values=${context.vpcId} — check the agent's subnet id (${context.subnetId})`,
        evidence: {
          subnetId: context.subnetId,
          vpcId: context.vpcId,
          routeTables: inventory.routeTables.value.map((t) => t.RouteTableId),
        },
      },
    ];
  }
  const lists = inventory.prefixLists.ok ? inventory.prefixLists.value : [];
  if (target.endpointType === 'Gateway') return checkGateway(input, effective, lists);
  if (target.endpointType === 'Interface') return checkInterface(input, effective, lists);
  return checkNoEndpoint(input, effective, lists);
};
