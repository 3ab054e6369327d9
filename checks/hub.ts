// Centralised ("hub") endpoints (issue 15): the findings the dns, route, sg and endpoint checks
// add for a target this VPC has no endpoint for, when the inventory read the hub-and-spoke
// chain. A cause is named only when its data was read and its symptom observed; what could not
// be read is ROUTE53_UNREADABLE or HUB_UNREADABLE, naming the action and the error.
import type { VpcEndpoint } from '@aws-sdk/client-ec2';
import {
  answerSourceGap,
  associatedRule,
  type HubAnswerSource,
  hubAnswerSource,
  hubEndpointFor,
  hubSideGap,
  peeringState,
  type TgwPath,
  tgwPath,
  unassociatedRules,
  unassociatedZones,
} from '../src/eval/hub.js';
import { effectiveRouteTable, evaluateRoute, type RouteDecision } from '../src/eval/routes.js';
import { evaluateIngress } from '../src/eval/security-groups.js';
import { isWorkloadResolver, vpcCidrs, workloadAddresses } from '../src/inventory-view.js';
import type { ChainInventory, CheckInput, DnsObservation, Finding, Gap, Status } from '../src/model.js';
import { ipInCidr, isPrivateIpv4 } from '../src/net/ip.js';

/** A target the VPC has no endpoint for, resolved by the workload to private addresses of another VPC. */
export interface HubTarget {
  chain: ChainInventory;
  /** The workload's private answers outside this VPC. */
  addresses: string[];
  source?: HubAnswerSource;
}

function outsideVpc(input: CheckInput, address: string): boolean {
  const cidrs = vpcCidrs(input.inventory);
  return (
    (isPrivateIpv4(address) || ipInCidr(address, '100.64.0.0/10')) &&
    cidrs !== undefined &&
    !cidrs.some((cidr) => ipInCidr(address, cidr))
  );
}

/** The hub view of a target, when it applies: no local endpoint, the chain read, private foreign answers. */
export function hubTarget(input: CheckInput): HubTarget | undefined {
  const { chain } = input.inventory;
  if (!chain || input.target.endpointType !== 'none') return undefined;
  const addresses = workloadAddresses(input.observations.dns).filter((a) => outsideVpc(input, a));
  if (addresses.length === 0) return undefined;
  const source = hubAnswerSource(chain, input.target.hostname);
  return { chain, addresses, ...(source ? { source } : {}) };
}

/** Whether the answer is the one the zone or rule gives: a rule's, or the record's values or alias. */
function explained(hub: HubTarget): boolean {
  const { source } = hub;
  if (!source) return false;
  if (source.via === 'rule' || source.recordsGap || !source.record) return true;
  const { record } = source;
  if (record.alias) {
    // The alias names a hub endpoint: when its ENIs were read, the answer must be theirs.
    const match = hubEndpointFor(hub.chain, hub.addresses);
    return hubSideGap(hub.chain) !== undefined || !match.endpoint || match.unmatched.length === 0;
  }
  if (record.type === 'CNAME') return true;
  return hub.addresses.every((a) => record.values.includes(a));
}

function gapText(gap: Gap): string {
  return gap.kind === 'permission'
    ? `${gap.action} denied (${gap.errorCode})`
    : `${gap.call} failed (${gap.errorCode})`;
}

function gapFix(gap: Gap, who: string): string {
  return gap.kind === 'permission'
    ? `allow ${gap.action} in ${who} (see deploy/ for the policy)`
    : `retry; if it persists, check that the agent reaches the ${gap.action.split(':')[0]} API (${gap.message})`;
}

/** Evidence of where an answer comes from: the zone and record, or the rule; the hub endpoint when read. */
function sourceEvidence(hub: HubTarget): Record<string, unknown> {
  const { source } = hub;
  const match = hubEndpointFor(hub.chain, hub.addresses);
  return {
    ...(source?.zone
      ? {
          hostedZoneId: source.zone.id,
          hostedZoneName: source.zone.name,
          zoneOwner: source.zone.ownerAccount ?? null,
        }
      : {}),
    ...(source?.record ? { record: source.record } : {}),
    ...(source?.recordsGap ? { records: `unknown: ${gapText(source.recordsGap)}` } : {}),
    ...(source?.rule
      ? {
          resolverRuleId: source.rule.id,
          ruleDomain: source.rule.domainName,
          ruleTargets: source.rule.targetIps,
          ruleAssociationId: source.associationId,
        }
      : {}),
    ...(match.endpoint
      ? { hubEndpointId: match.endpoint.VpcEndpointId, hubVpcId: match.endpoint.VpcId ?? null }
      : {}),
  };
}

function sourceText(hub: HubTarget): string {
  const { source } = hub;
  if (!source) return '';
  const match = hubEndpointFor(hub.chain, hub.addresses);
  const endpoint = match.endpoint
    ? ` (hub endpoint ${match.endpoint.VpcEndpointId} in ${match.endpoint.VpcId})`
    : '';
  if (source.via === 'rule')
    return `Resolver rule ${source.rule!.id} forwards ${source.rule!.domainName} to ${source.rule!.targetIps.map((t) => t.ip).join(', ')}${endpoint}`;
  const record = source.record
    ? source.record.alias
      ? `alias ${source.record.name} → ${source.record.alias.dnsName}`
      : `${source.record.name} ${source.record.type} ${source.record.values.join(', ')}`
    : source.recordsGap
      ? `records unread: ${gapText(source.recordsGap)}`
      : `records not read: the zone is account ${source.zone!.ownerAccount ?? 'unknown'}'s, read only through a hub role (configuration hub.roleArn)`;
  return `private hosted zone ${source.zone!.id} (${source.zone!.name}) associated with this VPC: ${record}${endpoint}`;
}

/**
 * The dns check's finding for a private answer outside the VPC: DNS_HUB_OK when an associated
 * zone or rule gives it; ROUTE53_UNREADABLE when what could give it was not read; undefined
 * when the chain says nothing (the caller keeps its own finding).
 */
export function hubAnswerFinding(input: CheckInput, observation: DnsObservation): Finding | undefined {
  const hub = hubTarget(input);
  if (!hub || observation.outcome !== 'answer') return undefined;
  const base = { check: 'dns' as const, durationMs: observation.durationMs };
  const answered = `${observation.hostname} via ${observation.resolver.address} → ${hub.addresses.join(', ')}`;
  if (explained(hub)) {
    return {
      ...base,
      code: 'DNS_HUB_OK',
      status: 'pass',
      message: `${answered}: centralised endpoint, answered by ${sourceText(hub)}`,
      evidence: {
        hostname: observation.hostname,
        resolver: observation.resolver,
        addresses: hub.addresses,
        ...sourceEvidence(hub),
      },
    };
  }
  const gap = answerSourceGap(hub.chain);
  if (!hub.source && gap) {
    return {
      ...base,
      code: 'ROUTE53_UNREADABLE',
      status: 'unknown',
      message: `${answered}, private addresses outside ${input.inventory.vpcId}; which zone or Resolver rule gives them is unknown: ${gapText(gap)}`,
      fix: gapFix(gap, "the agent's IAM policy"),
      evidence: { hostname: observation.hostname, addresses: hub.addresses, gap },
    };
  }
  return undefined;
}

const NOT_PRIVATE = new Set(['nxdomain', 'nodata']);

function workloadObservations(input: CheckInput): DnsObservation[] {
  const own = input.observations.dns.filter((o) => isWorkloadResolver(o.resolver));
  return own.length > 0 ? own : input.observations.dns;
}

/** The workload's resolver gave no private address: a public answer, NXDOMAIN or NODATA. */
function resolvedNoPrivate(input: CheckInput): DnsObservation | undefined {
  const observations = workloadObservations(input);
  const first = observations[0];
  if (!first) return undefined;
  const noPrivate = observations.every(
    (o) =>
      NOT_PRIVATE.has(o.outcome) ||
      (o.outcome === 'answer' &&
        o.addresses.every((a) => !isPrivateIpv4(a) && !ipInCidr(a, '100.64.0.0/10'))),
  );
  return noPrivate ? first : undefined;
}

function vpcArg(input: CheckInput): string {
  return `VPCRegion=${input.inventory.region},VPCId=${input.inventory.vpcId}`;
}

/**
 * For a target without a local endpoint whose name did not resolve to a private address: a hub
 * zone or a FORWARD rule for the name that exists but is not associated with this VPC; a rule
 * that is associated but whose targets did not answer (observed).
 */
export function hubMissingFindings(input: CheckInput): Finding[] {
  const { chain } = input.inventory;
  const { target } = input;
  if (!chain || target.endpointType !== 'none' || target.hostname === '') return [];
  const findings: Finding[] = [];
  const rulesDown = ruleTargetsDown(input, chain);
  if (rulesDown) findings.push(rulesDown);
  const observation = resolvedNoPrivate(input);
  if (!observation) return findings;
  // A public answer that connected works (through NAT or an egress VPC): it bypasses the hub.
  const connected = input.observations.tcp.some((o) => o.outcome === 'connected');
  const status: Status = observation.outcome === 'answer' && connected ? 'warn' : 'fail';
  const seen =
    observation.outcome === 'answer'
      ? `${target.hostname} resolves to public ${observation.addresses.join(', ')}`
      : `${target.hostname} answers ${observation.outcome.toUpperCase()}`;
  const explainsObserved = { explainsObserved: true };
  for (const zone of unassociatedZones(chain, target.hostname).slice(0, 1)) {
    const owner = zone.readBy === 'hub' ? 'the hub account' : 'this account';
    findings.push({
      check: 'dns',
      code: 'HUB_ZONE_NOT_ASSOCIATED',
      status,
      message: `${seen}: private hosted zone ${zone.id} (${zone.name}) in ${owner} would answer it, but is not associated with ${input.inventory.vpcId}`,
      fix:
        zone.readBy === 'hub'
          ? `in the zone's account: aws route53 create-vpc-association-authorization --hosted-zone-id ${zone.id} --vpc ${vpcArg(input)}; then from this account: aws route53 associate-vpc-with-hosted-zone --hosted-zone-id ${zone.id} --vpc ${vpcArg(input)}`
          : `aws route53 associate-vpc-with-hosted-zone --hosted-zone-id ${zone.id} --vpc ${vpcArg(input)}`,
      evidence: {
        hostname: target.hostname,
        observed: { outcome: observation.outcome, addresses: observation.addresses },
        hostedZoneId: zone.id,
        hostedZoneName: zone.name,
        zoneAccount: zone.readBy,
        crossAccount: zone.readBy === 'hub',
        vpcId: input.inventory.vpcId,
        region: input.inventory.region,
        ...explainsObserved,
      },
    });
  }
  for (const rule of unassociatedRules(chain, target.hostname).slice(0, 1)) {
    findings.push({
      check: 'dns',
      code: 'HUB_RULE_NOT_ASSOCIATED',
      status,
      message: `${seen}: Resolver rule ${rule.id} forwards ${rule.domainName} to ${rule.targetIps.map((t) => t.ip).join(', ') || 'its targets'}, but is not associated with ${input.inventory.vpcId}`,
      fix: `aws route53resolver associate-resolver-rule --resolver-rule-id ${rule.id} --vpc-id ${input.inventory.vpcId}`,
      evidence: {
        hostname: target.hostname,
        observed: { outcome: observation.outcome, addresses: observation.addresses },
        resolverRuleId: rule.id,
        ruleDomain: rule.domainName,
        ruleTargets: rule.targetIps,
        ruleOwner: rule.ownerId ?? null,
        shareStatus: rule.shareStatus ?? null,
        vpcId: input.inventory.vpcId,
        ...explainsObserved,
      },
    });
  }
  if (findings.length === 0) {
    const gap = [chain.accountZones, chain.hub.zones, chain.resolverRules, chain.ruleAssociations].find(
      (p) => p !== undefined && !p.ok,
    );
    if (gap && !gap.ok) {
      findings.push({
        check: 'dns',
        code: 'ROUTE53_UNREADABLE',
        status: 'unknown',
        message: `${seen}; whether a hub zone or Resolver rule for it exists but is not associated with ${input.inventory.vpcId} is unknown: ${gapText(gap.gap)}`,
        fix: gapFix(
          gap.gap,
          gap.gap.message.includes('hub role') ? 'the hub role' : "the agent's IAM policy",
        ),
        evidence: { hostname: target.hostname, gap: gap.gap },
      });
    }
  }
  return findings;
}

/** The associated rule's targets did not answer a direct query, while the VPC resolver timed out or failed. */
function ruleTargetsDown(input: CheckInput, chain: ChainInventory): Finding | undefined {
  const { target } = input;
  const failed = workloadObservations(input).find((o) => o.outcome === 'timeout' || o.outcome === 'servfail');
  if (!failed) return undefined;
  const rule = associatedRule(chain, target.hostname);
  const direct = input.observations.ruleTargets ?? [];
  if (!rule || direct.length === 0) return undefined;
  if (direct.some((o) => ['answer', 'nxdomain', 'nodata'].includes(o.outcome))) return undefined;
  return {
    check: 'dns',
    code: 'HUB_RULE_TARGETS_DOWN',
    status: 'fail',
    message: `${target.hostname} via ${failed.resolver.address}: ${failed.outcome.toUpperCase()}; Resolver rule ${rule.id} forwards ${rule.domainName} to ${direct.map((o) => `${o.resolver.address} (${o.outcome})`).join(', ')}, and none answered directly`,
    fix: `check the hub's inbound Resolver endpoint${rule.resolverEndpointId ? ` ${rule.resolverEndpointId}` : ''} behind ${rule.targetIps.map((t) => t.ip).join(', ')}: its state, its security group (udp/tcp 53 from the outbound endpoint), and the route from the outbound endpoint's subnets: aws route53resolver list-resolver-endpoint-ip-addresses --resolver-endpoint-id <inbound endpoint id>`,
    evidence: {
      hostname: target.hostname,
      vpcResolver: { address: failed.resolver.address, outcome: failed.outcome },
      resolverRuleId: rule.id,
      ruleDomain: rule.domainName,
      direct: direct.map((o) => ({
        address: o.resolver.address,
        outcome: o.outcome,
        detail: o.detail ?? null,
      })),
      explainsObserved: true,
    },
  };
}

/** Whether the workload reaches the service through a hub endpoint an associated zone or rule names. */
export function servedByHub(input: CheckInput): boolean {
  const hub = hubTarget(input);
  return hub !== undefined && explained(hub);
}

/** Whether an address is a hub endpoint's: an associated zone or rule answers the name with it, or a hub ENI holds it. */
function isHubAddress(hub: HubTarget | undefined, ip: string): boolean {
  if (!hub?.addresses.includes(ip)) return false;
  return explained(hub) || hubEndpointFor(hub.chain, [ip]).enis.length > 0;
}

export interface HubRoute {
  code: string;
  status: Status;
  message: string;
  fix?: string;
  evidence: Record<string, unknown>;
}

function tgwEvidence(path: TgwPath): Record<string, unknown> {
  switch (path.kind) {
    case 'ok':
      return {
        transitGatewayPath: 'read',
        spokeTable: path.forwardTableId,
        forwardRoute: path.forward.DestinationCidrBlock,
        hubAttachment: path.hubAttachmentId,
        returnTable: path.returnTableId,
        returnRoute: path.back.DestinationCidrBlock,
      };
    case 'unread':
      return { transitGatewayPath: 'unread', step: path.step, gap: path.gap };
    case 'undecided':
      return { transitGatewayPath: 'undecided', reason: path.reason };
    default:
      return { transitGatewayPath: path.kind, ...path };
  }
}

/**
 * The route check's answer for a hub address whose route in the spoke's table goes to a transit
 * gateway or a peering; undefined when the address is not a hub endpoint's.
 */
export function hubRouteFinding(
  input: CheckInput,
  ip: string,
  decision: RouteDecision,
  where: string,
): HubRoute | undefined {
  const hub = hubTarget(input);
  if (!hub || !isHubAddress(hub, ip) || !decision.route) return undefined;
  const { context } = input;
  if (decision.kind === 'tgw' && decision.route.TransitGatewayId) {
    const tgw = decision.route.TransitGatewayId;
    const path = tgwPath(hub.chain, tgw, ip, context.privateIp);
    const evidence = {
      ip,
      transitGatewayId: tgw,
      vpcRoute: decision.route.DestinationCidrBlock,
      ...tgwEvidence(path),
    };
    if (path.kind === 'forward-missing' || path.kind === 'no-association') {
      const table = path.kind === 'forward-missing' ? path.tableId : undefined;
      return {
        code: 'TGW_ROUTE_MISSING',
        status: 'fail',
        message:
          path.kind === 'no-association'
            ? `${ip} (${input.target.shortName}) leaves ${where} for ${tgw}, but this VPC's attachment ${path.attachmentId} is associated with no route table: the transit gateway drops it`
            : `${ip} (${input.target.shortName}) leaves ${where} for ${tgw}, but ${table}, the table of this VPC's attachment ${path.attachmentId}, has ${path.blackhole ? `only a blackhole route (${path.blackhole.DestinationCidrBlock})` : 'no route'} for it: the transit gateway drops it`,
        fix:
          path.kind === 'no-association'
            ? `aws ec2 associate-transit-gateway-route-table --transit-gateway-route-table-id tgw-rtb-… --transit-gateway-attachment-id ${path.attachmentId}`
            : `aws ec2 create-transit-gateway-route --transit-gateway-route-table-id ${table} --destination-cidr-block <the hub VPC's CIDR containing ${ip}> --transit-gateway-attachment-id <the hub VPC's attachment> (or propagate the hub attachment into ${table})`,
        evidence: { ...evidence, ...(table ? { transitGatewayRouteTableId: table } : {}) },
      };
    }
    if (path.kind === 'return-missing') {
      return {
        code: 'TGW_RETURN_ROUTE_MISSING',
        status: 'fail',
        message: `${ip} (${input.target.shortName}) is routed by ${tgw} to ${path.hubAttachmentId}, but ${path.tableId}, the table of that attachment, has ${path.blackhole ? `only a blackhole route (${path.blackhole.DestinationCidrBlock})` : 'no route'} back to ${context.privateIp}: replies are dropped`,
        fix: `aws ec2 create-transit-gateway-route --transit-gateway-route-table-id ${path.tableId} --destination-cidr-block ${vpcCidrs(input.inventory)?.find((c) => ipInCidr(context.privateIp, c)) ?? `<this VPC's CIDR containing ${context.privateIp}>`} --transit-gateway-attachment-id ${path.attachmentId} (or propagate ${path.attachmentId} into ${path.tableId})`,
        evidence: {
          ...evidence,
          transitGatewayRouteTableId: path.tableId,
          spokeAttachmentId: path.attachmentId,
          spokeCidr: vpcCidrs(input.inventory)?.find((c) => ipInCidr(context.privateIp, c)) ?? null,
        },
      };
    }
    const read =
      path.kind === 'ok'
        ? ` and both transit gateway tables (${path.forwardTableId} → ${path.hubAttachmentId}, ${path.returnTableId} back) carry it`
        : path.kind === 'unread'
          ? `; the transit gateway's tables could not be read (${gapText(path.gap)})`
          : `; the transit gateway's path is undecided: ${path.reason}`;
    return {
      code: 'ROUTE_VIA_TRANSIT_GATEWAY',
      status: 'pass',
      message: `${ip} (${input.target.shortName}, a hub endpoint address) leaves ${where} through ${tgw}${read}`,
      evidence,
    };
  }
  if (decision.kind === 'pcx' && decision.route.VpcPeeringConnectionId) {
    const pcx = decision.route.VpcPeeringConnectionId;
    const { connection, gap } = peeringState(hub.chain, pcx);
    const state = connection?.Status?.Code;
    const evidence = {
      ip,
      vpcPeeringConnectionId: pcx,
      vpcRoute: decision.route.DestinationCidrBlock,
      state: state ?? (gap ? 'unread' : 'not listed'),
      ...(gap ? { gap } : {}),
    };
    if (state && state !== 'active') {
      return {
        code: 'PEERING_NOT_ACTIVE',
        status: 'fail',
        message: `${ip} (${input.target.shortName}) leaves ${where} through ${pcx}, which is ${state}${connection?.Status?.Message ? ` (${connection.Status.Message})` : ''}: nothing crosses it`,
        fix:
          state === 'pending-acceptance'
            ? `in the accepter account: aws ec2 accept-vpc-peering-connection --vpc-peering-connection-id ${pcx}`
            : `create a new peering connection to the hub VPC and point the route at it: aws ec2 create-vpc-peering-connection --vpc-id ${input.inventory.vpcId} --peer-vpc-id <hub VPC>`,
        evidence,
      };
    }
    return {
      code: 'ROUTE_VIA_PEERING',
      status: 'pass',
      message: `${ip} (${input.target.shortName}, a hub endpoint address) leaves ${where} through ${pcx}${state ? ` (${state})` : gap ? ` (its state could not be read: ${gapText(gap)})` : ''}`,
      evidence,
    };
  }
  return undefined;
}

function hubEndpointText(endpoint: VpcEndpoint | undefined, enis: string[]): string {
  return endpoint
    ? `hub endpoint ${endpoint.VpcEndpointId} (${endpoint.VpcId})`
    : `hub ENI ${enis.join(', ')}`;
}

/** Whether a TCP probe to these hub addresses was dropped silently. */
function timedOut(input: CheckInput, addresses: string[]): boolean {
  return input.observations.tcp.some((o) => addresses.includes(o.address) && o.outcome === 'timeout');
}

/** HUB_SG_EXCLUDES_SPOKE: the hub endpoint's groups admit neither this agent's address nor its groups on the port. */
export function hubSecurityGroupFindings(input: CheckInput): Finding[] {
  const hub = hubTarget(input);
  if (!hub?.chain.hub.securityGroups.ok || !hub.chain.hub.endpoints.ok) return [];
  const match = hubEndpointFor(hub.chain, hub.addresses);
  if (match.enis.length === 0) return [];
  const groupIds = match.endpoint
    ? (match.endpoint.Groups ?? []).flatMap((g) => (g.GroupId ? [g.GroupId] : []))
    : [
        ...new Set(
          match.enis.flatMap((n) => (n.Groups ?? []).flatMap((g) => (g.GroupId ? [g.GroupId] : []))),
        ),
      ];
  const groups = hub.chain.hub.securityGroups.value.filter((g) => groupIds.includes(g.GroupId ?? ''));
  if (groups.length < groupIds.length) return [];
  const { context, target } = input;
  const denied = target.ports.filter((port) => {
    // Across a transit gateway a rule naming the agent's group matches only with security-group
    // referencing on: such a rule leaves the decision open, never a denial.
    const decision = evaluateIngress(
      groups,
      { protocol: 'tcp', port, sourceIp: context.privateIp, sourceGroupIds: context.securityGroupIds },
      [],
    );
    return !decision.allowed && (decision.unresolvedPrefixLists ?? []).length === 0;
  });
  if (denied.length === 0) return [];
  const port = denied[0]!;
  const group = groups[0]!.GroupId!;
  const what = hubEndpointText(
    match.endpoint,
    match.enis.map((n) => n.NetworkInterfaceId ?? '?'),
  );
  const spokeCidr =
    vpcCidrs(input.inventory)?.find((c) => ipInCidr(context.privateIp, c)) ?? `${context.privateIp}/32`;
  return [
    {
      check: 'sg',
      code: 'HUB_SG_EXCLUDES_SPOKE',
      status: 'fail',
      message: `${groups.map((g) => g.GroupId).join(', ')} (on ${what}) admit no tcp/${denied.join(', ')} from ${context.privateIp} (this spoke's agent)`,
      fix: `in the hub account: aws ec2 authorize-security-group-ingress --group-id ${group} --protocol tcp --port ${port} --cidr ${spokeCidr}`,
      evidence: {
        hubEndpointId: match.endpoint?.VpcEndpointId ?? null,
        hubVpcId: match.endpoint?.VpcId ?? match.enis[0]?.VpcId ?? null,
        groupIds,
        groupId: group,
        ports: denied,
        port,
        agentIp: context.privateIp,
        spokeCidr,
        explainsObserved: timedOut(input, hub.addresses),
      },
    },
  ];
}

/**
 * What keeps the path to the hub addresses from being judged: a transit gateway read that
 * failed (this VPC's attachments, the transit gateway's attachments or a table on the path), a
 * path the tables that were read do not decide, or an unreadable peering.
 */
function pathUnread(
  input: CheckInput,
  hub: HubTarget,
): { gap?: Gap; reason?: string; byHub: boolean } | undefined {
  const { inventory, context } = input;
  if (!inventory.routeTables.ok) return undefined;
  const effective = effectiveRouteTable(inventory.routeTables.value, context.subnetId, context.vpcId);
  if (!effective) return undefined;
  const lists = inventory.prefixLists.ok ? inventory.prefixLists.value : [];
  const byHub = hub.chain.hub.role === 'configured';
  for (const ip of hub.addresses) {
    const decision = evaluateRoute(effective.table, ip, lists);
    if (decision.kind === 'tgw' && decision.route?.TransitGatewayId) {
      const path = tgwPath(hub.chain, decision.route.TransitGatewayId, ip, context.privateIp);
      if (path.kind === 'unread')
        return {
          gap: path.gap,
          byHub: byHub && (path.step !== 'attachments' || hub.chain.transitGatewayAttachments.ok),
        };
      if (path.kind === 'undecided') return { reason: path.reason, byHub };
    }
    if (decision.kind === 'pcx' && decision.route?.VpcPeeringConnectionId) {
      const { gap } = peeringState(hub.chain, decision.route.VpcPeeringConnectionId);
      if (gap) return { gap, byHub: false };
    }
  }
  return undefined;
}

/** HUB_ENDPOINT_OK, the hub endpoint's state, or HUB_UNREADABLE for what the hub side could not read. */
/**
 * The chain's DNS side could not be read, so whether `ip` (a private answer outside this VPC,
 * routed to a transit gateway or peering) is a hub endpoint's is unknown: the gap that hides it.
 * The route there is then no cause of a timeout; the hub may be (HUB_UNREADABLE).
 */
export function unrecognisedHubGap(input: CheckInput, ip: string): Gap | undefined {
  const hub = hubTarget(input);
  if (!hub?.addresses.includes(ip) || hub.source || isHubAddress(hub, ip)) return undefined;
  return answerSourceGap(hub.chain);
}

export function hubEndpointFindings(input: CheckInput): Finding[] {
  const hub = hubTarget(input);
  if (!hub) return [];
  const hidden = unrecognisedHubGap(input, hub.addresses[0]!);
  if (hidden) {
    if (!timedOut(input, hub.addresses)) return [];
    return [
      {
        check: 'endpoint',
        code: 'HUB_UNREADABLE',
        status: 'unknown',
        message: `${input.target.shortName} resolves to ${hub.addresses.join(', ')}, private addresses in another VPC, and the connection timed out; whether they are a hub endpoint's, and what on the way drops them, is unknown: ${gapText(hidden)}`,
        fix: gapFix(hidden, "the agent's IAM policy"),
        evidence: { addresses: hub.addresses, gap: hidden, hubRole: hub.chain.hub.role },
      },
    ];
  }
  if (!isHubAddress(hub, hub.addresses[0]!)) return [];
  const role =
    hub.chain.hub.role === 'configured' ? 'the hub role (configuration hub.roleArn)' : "the agent's role";
  const sideGap = hubSideGap(hub.chain);
  const unread = sideGap
    ? { gap: sideGap, byHub: hub.chain.hub.role === 'configured' }
    : pathUnread(input, hub);
  const match = hubEndpointFor(hub.chain, hub.addresses);
  if (unread) {
    const hubRole = hub.chain.hub.role === 'configured';
    const { gap } = unread;
    const why = gap ? gapText(gap) : unread.reason;
    const fix = !gap
      ? `read the transit gateway's route tables as its owner: configure a read-only role in the network account (configuration hub.roleArn, policy deploy/hub-read-policy.json)`
      : hubRole && gap.action === 'sts:AssumeRole'
        ? `let the agent's role assume the hub role (sts:AssumeRole on it, and the hub role's trust policy naming the agent's role${gap.message.includes('xternal') ? ' and the external id' : ''}); see deploy/hub-assume-policy.json and deploy/hub-read-policy.json`
        : hubRole && unread.byHub
          ? `allow ${gap.action} in the hub role (see deploy/hub-read-policy.json)`
          : `allow ${gap.action} in the agent's IAM policy (see deploy/iam-policy.json)${hubRole ? '' : ', or configure a read-only role in the hub account (configuration hub.roleArn, policy deploy/hub-read-policy.json)'}`;
    return [
      {
        check: 'endpoint',
        code: 'HUB_UNREADABLE',
        status: 'unknown',
        message: `${input.target.shortName} is served from another VPC (${hub.addresses.join(', ')}); the hub side (its endpoint, security groups, the path through the transit gateway or peering) could not be read${gap ? ` with ${unread.byHub ? role : "the agent's role"}` : ''}: ${why}`,
        fix,
        evidence: {
          addresses: hub.addresses,
          ...(gap ? { gap } : { reason: unread.reason }),
          hubRole: hub.chain.hub.role,
        },
      },
    ];
  }
  if (!match.endpoint && match.enis.length === 0) {
    // Nothing read says which hub endpoint holds these addresses, so its groups were not judged:
    // a silent drop there is undecided, not a contradiction of what the spoke allows.
    if (!timedOut(input, hub.addresses)) return [];
    const gap = hub.source?.recordsGap;
    const reason =
      hub.source?.via === 'rule'
        ? `they are answered through Resolver rule ${hub.source.rule?.id}, and the hub endpoint behind a rule is not looked up`
        : `no hub endpoint read holds them`;
    return [
      {
        check: 'endpoint',
        code: 'HUB_UNREADABLE',
        status: 'unknown',
        message: `${input.target.shortName} is served from another VPC (${hub.addresses.join(', ')}) and timed out there; which hub endpoint (and security groups) answers is unknown: ${gap ? gapText(gap) : reason}`,
        fix: gap
          ? `allow ${gap.action} (the zone's records lead to the hub endpoint) in the agent's IAM policy or the hub role's`
          : `check the hub endpoint's security groups for ${input.context.privateIp} on tcp/${input.target.ports.join(', ')}: aws ec2 describe-network-interfaces --filters Name=addresses.private-ip-address,Values=${hub.addresses.join(',')} (in the hub account)`,
        evidence: { addresses: hub.addresses, ...(gap ? { gap } : { reason }), hubRole: hub.chain.hub.role },
      },
    ];
  }
  if (!match.endpoint) return [];
  const { endpoint } = match;
  if (String(endpoint.State ?? 'unknown').toLowerCase() !== 'available') {
    return [
      {
        check: 'endpoint',
        code: 'ENDPOINT_NOT_AVAILABLE',
        status: 'fail',
        message: `hub endpoint ${endpoint.VpcEndpointId} (${endpoint.ServiceName}, ${endpoint.VpcId}) is ${endpoint.State ?? 'in an unknown state'}, not available`,
        fix: `in the hub account: aws ec2 describe-vpc-endpoints --vpc-endpoint-ids ${endpoint.VpcEndpointId} (a pendingAcceptance endpoint needs the service owner's acceptance; a failed one must be recreated)`,
        evidence: { endpointId: endpoint.VpcEndpointId, state: endpoint.State ?? null, hub: true },
      },
    ];
  }
  if (hubSecurityGroupFindings(input).length > 0) return [];
  return [
    {
      check: 'endpoint',
      code: 'HUB_ENDPOINT_OK',
      status: 'pass',
      message: `hub endpoint ${endpoint.VpcEndpointId} (${endpoint.ServiceName}) in ${endpoint.VpcId} is available and its security groups admit ${input.context.privateIp} on tcp/${input.target.ports.join(', ')}`,
      evidence: {
        hubEndpointId: endpoint.VpcEndpointId,
        hubVpcId: endpoint.VpcId ?? null,
        enis: match.enis.map((n) => ({ id: n.NetworkInterfaceId, ip: n.PrivateIpAddress })),
        groupIds: (endpoint.Groups ?? []).map((g) => g.GroupId),
      },
    },
  ];
}
