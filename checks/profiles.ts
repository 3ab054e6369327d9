// Workload profiles: is there an endpoint for every service the workload needs, and what
// happens without one (a NAT path that works at a cost, or a failure).
import { effectiveRouteTable, evaluateRoute, type RouteDecision, routeTarget } from '../src/eval/routes.js';
import { workloadAddresses } from '../src/inventory-view.js';
import type { Check, CheckInput, Status } from '../src/model.js';
import { profileService } from '../src/profiles.js';
import { shortServiceName } from '../src/targets.js';
import { servedByHub } from './hub.js';
import { createEndpointCommand, gapFinding } from './shared.js';

/**
 * Where the service's traffic goes without an endpoint: `nat` (works, at a price), `none` (no
 * route, or a blackhole: fails), `other` (a transit gateway, peering connection, appliance or
 * internet gateway: works if that side provides it, e.g. central endpoints in a hub VPC), or
 * `unknown` (the route tables are a gap).
 */
type Fallback =
  | { path: 'nat'; natIds: string[] }
  | { path: 'other'; targets: string[]; detail: string }
  | { path: 'none' | 'unknown'; detail: string };

function fallbackPath(input: CheckInput): Fallback {
  const { inventory, context } = input;
  if (!inventory.routeTables.ok)
    return {
      path: 'unknown',
      detail: `${inventory.routeTables.gap.action} unavailable (${inventory.routeTables.gap.errorCode})`,
    };
  const effective = effectiveRouteTable(inventory.routeTables.value, context.subnetId, context.vpcId);
  if (!effective) return { path: 'unknown', detail: `no route table found for ${context.subnetId}` };
  const lists = inventory.prefixLists.ok ? inventory.prefixLists.value : [];
  const addresses = workloadAddresses(input.observations.dns);
  let decisions: RouteDecision[] = addresses.map((ip) => evaluateRoute(effective.table, ip, lists));
  if (decisions.length === 0) {
    // Nothing resolved: judge by the default route, where public service addresses would go.
    const defaultRoute = (effective.table.Routes ?? []).find(
      (route) => route.DestinationCidrBlock === '0.0.0.0/0',
    );
    decisions = [
      defaultRoute
        ? evaluateRoute({ Routes: [defaultRoute] }, '0.0.0.0', [])
        : { kind: 'none', unresolvedPrefixLists: [] },
    ];
  }
  // A route to a prefix list whose entries are unknown could carry the traffic instead.
  const unread = [...new Set(decisions.flatMap((d) => d.undecidedBy ?? []))];
  if (unread.length > 0) {
    return {
      path: 'unknown',
      detail: `${effective.table.RouteTableId} routes ${unread.join(', ')}, whose entries could not be read`,
    };
  }
  if (decisions.every((d) => d.kind === 'nat')) {
    return {
      path: 'nat',
      natIds: [...new Set(decisions.flatMap((d) => (d.route ? [routeTarget(d.route)] : [])))],
    };
  }
  if (decisions.some((d) => d.kind === 'none' || d.kind === 'blackhole')) {
    return { path: 'none', detail: `${effective.table.RouteTableId} has no working route for it` };
  }
  // An internet gateway carries nothing for an agent known to have no public IP (Lambda).
  if (decisions.some((d) => d.kind === 'igw' && context.publicIp === null)) {
    return {
      path: 'none',
      detail: `${effective.table.RouteTableId} sends it to an internet gateway and ${context.privateIp} has no public IP`,
    };
  }
  const targets = [...new Set(decisions.flatMap((d) => (d.route ? [routeTarget(d.route)] : [])))];
  return {
    path: 'other',
    targets,
    detail: `${effective.table.RouteTableId} sends it to ${targets.join(', ')}`,
  };
}

/** The route table of the agent's subnet: where a gateway endpoint goes. */
function agentRouteTableId(input: CheckInput): string | undefined {
  const { context, inventory } = input;
  return inventory.routeTables.ok
    ? effectiveRouteTable(inventory.routeTables.value, context.subnetId, context.vpcId)?.table.RouteTableId
    : undefined;
}

function createCommand(input: CheckInput, gateway: boolean): string {
  return createEndpointCommand(input, gateway, agentRouteTableId(input));
}

/** ENDPOINT_MISSING for a service a profile needs but the VPC has no endpoint for; PROFILE_OK otherwise. */
export const checkProfiles: Check = (input) => {
  const { target, context } = input;
  const needs = target.profiles.flatMap((profile) => {
    // By the service's own short name: an `s3-interface` target serves the profile's `s3`.
    const entry = profileService(profile, shortServiceName(target.service));
    return entry ? [{ profile, ...entry }] : [];
  });
  if (needs.length === 0) return [];
  const required = needs.some((need) => need.required);
  const because = needs
    .map((need) => `${need.profile}${need.required ? '' : ' (optional)'}: ${need.why}`)
    .join('; ');
  const gatewayExpected = needs.some((need) => need.endpointType === 'Gateway');
  const evidence: Record<string, unknown> = {
    service: target.service,
    profiles: needs.map((need) => ({
      profile: need.profile,
      required: need.required,
      endpointType: need.endpointType,
      why: need.why,
    })),
    endpointId: target.endpointId ?? null,
    endpointType: target.endpointType,
  };

  // Served by a centralised endpoint that an associated zone or rule names (issue 15).
  const hub = target.endpointType === 'none' && servedByHub(input);
  if (target.endpointType !== 'none' || hub) {
    const shape =
      gatewayExpected && target.endpointType === 'Interface'
        ? ' (an interface endpoint; a gateway endpoint would be free)'
        : '';
    return [
      {
        check: 'profile',
        code: 'PROFILE_OK',
        status: 'pass',
        message: hub
          ? `${target.shortName} is served by a centralised endpoint in another VPC (see its DNS finding); needed by ${because}`
          : `${target.shortName} has ${target.endpointId ?? 'an endpoint'}${shape}; needed by ${because}`,
        evidence,
      },
    ];
  }

  // No endpoint found only because the endpoints could not be read: that is not a missing endpoint.
  if (!input.inventory.endpoints.ok) {
    return [
      gapFinding(
        'profile',
        'ENDPOINT_UNKNOWN',
        input.inventory.endpoints.gap,
        `tell whether ${context.vpcId} has an endpoint for ${target.shortName} (${because}); the probes still show whether it is reachable`,
      ),
    ];
  }

  const fallback = fallbackPath(input);
  evidence['fallback'] = fallback;
  const routeTableId = agentRouteTableId(input);
  if (routeTableId) evidence['routeTableId'] = routeTableId;
  let status: Status;
  let consequence: string;
  switch (fallback.path) {
    case 'nat': {
      status = required ? 'warn' : 'info';
      const cost = gatewayExpected
        ? 'a gateway endpoint is free'
        : 'an interface endpoint costs about $0.01/hour per AZ plus $0.01/GB';
      consequence = `it works today through ${fallback.natIds.join(', ')} at $0.045/GB NAT processing (${cost}), and breaks if the NAT path goes`;
      break;
    }
    case 'none':
      status = required ? 'fail' : 'warn';
      consequence = `and there is no NAT path (${fallback.detail}), so it fails`;
      break;
    case 'other':
      // Hub-and-spoke with endpoints centralised in a shared-services VPC is a normal AWS
      // pattern: whether the far side serves the service is outside this VPC's configuration.
      status = required ? 'warn' : 'info';
      consequence = `it depends on ${fallback.targets.join(', ')} (${fallback.detail}): central endpoints or egress behind it? The probes tell whether it works`;
      break;
    default:
      status = required ? 'unknown' : 'info';
      consequence = `and the path without it cannot be judged: ${fallback.detail}`;
  }
  return [
    {
      check: 'profile',
      code: 'ENDPOINT_MISSING',
      status,
      message: `no VPC endpoint for ${target.shortName} (${target.service}) in ${context.vpcId}: ${because}; ${consequence}`,
      fix:
        fallback.path === 'unknown' && !input.inventory.routeTables.ok
          ? `allow ${input.inventory.routeTables.gap.action} in the agent's IAM policy so the path can be judged; to stop depending on it: ${createCommand(input, gatewayExpected)}`
          : createCommand(input, gatewayExpected),
      evidence,
    },
  ];
};
