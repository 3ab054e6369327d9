// Routes: a gateway endpoint on the agent subnet's route table, a missing endpoint created, and
// the route that takes the traffic away deleted.
import type { Finding, FixSet } from '../model.js';
import { associationFixes, createEndpointFixes } from './endpoints.js';
import { type FixScope, fixSet, records, text } from './scope.js';
import { awsCommand } from './write-cli.js';

/** ROUTE_GATEWAY_MISSING: the route table the agent's subnet uses, added to the gateway endpoint. */
export function gatewayRouteFixes(finding: Finding, scope: FixScope): FixSet | undefined {
  const endpointId = text(finding.evidence, 'endpointId');
  const table = text(finding.evidence, 'routeTable');
  return endpointId && table ? associationFixes(scope, endpointId, 'routeTable', table) : undefined;
}

/**
 * Traffic that leaves by NAT, an internet gateway or nowhere: onto the gateway endpoint the
 * route table lacks, or through the endpoint the VPC lacks. An interface endpoint's ENIs are
 * reached by the local route, so nothing is added for one.
 */
export function pathFixes(finding: Finding, scope: FixScope): FixSet | undefined {
  const target = scope.target;
  const table = text(finding.evidence, 'routeTable');
  if (!target || !table) return undefined;
  if (target.endpointType === 'Gateway' && target.endpointId)
    return associationFixes(scope, target.endpointId, 'routeTable', table);
  if (target.endpointType === 'none') return createEndpointFixes(finding, scope);
  return undefined;
}

/** The route that wins, from `10.0.0.0/8 → tgw-0a1b` in the evidence. */
function winningDestination(finding: Finding): string | undefined {
  const described =
    text(finding.evidence, 'winningRoute') ??
    records(finding.evidence['addresses'])
      .map((a) => a['route'])
      .find((r): r is string => typeof r === 'string');
  const destination = described?.split(' → ')[0];
  return destination && destination !== '?' ? destination : undefined;
}

/**
 * ROUTE_BLACKHOLE, ROUTE_MORE_SPECIFIC_OVERRIDES: delete the route. Only a command: removing a
 * route from code is deleting its resource, not a snippet to add.
 */
export function deleteRouteFixes(finding: Finding): FixSet | undefined {
  const table = text(finding.evidence, 'routeTable');
  const destination = winningDestination(finding);
  if (!table || !destination) return undefined;
  const flag = destination.startsWith('pl-')
    ? '--destination-prefix-list-id'
    : destination.includes(':')
      ? '--destination-ipv6-cidr-block'
      : '--destination-cidr-block';
  return fixSet({
    cli: awsCommand('ec2', 'delete-route', ['--route-table-id', table, flag, destination]),
  });
}
