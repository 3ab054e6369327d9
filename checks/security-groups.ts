// Security groups on the path: the agent's egress to every endpoint ENI (or resolved address)
// and the endpoint's ingress from the agent, on every target port.
import type { SecurityGroup } from '@aws-sdk/client-ec2';
import {
  describeRules,
  evaluateEgress,
  evaluateIngress,
  ruleCidrs,
  type SgDecision,
} from '../src/eval/security-groups.js';
import { endpointEnis, endpointGroupIds, targetEndpoint, workloadAddresses } from '../src/inventory-view.js';
import type { Check, CheckInput, Finding, PrefixListInfo } from '../src/model.js';
import { boundaryAddresses } from '../src/net/ip.js';
import { hubSecurityGroupFindings } from './hub.js';
import { gapFinding, gatewayPrefixList, unreadFix, unreadPrefixLists, unreadText } from './shared.js';

interface Flow {
  ip: string;
  port: number;
  /** The ENI id, `resolved`, or the prefix-list entry the address samples. */
  via: string;
  /** Undefined when the agent's security groups are not known: nothing to evaluate. */
  egress?: SgDecision;
  ingress?: SgDecision;
  /** The ingress was denied without the agent's groups, but a rule referencing a group could admit it. */
  ingressNeedsAgentGroups?: boolean;
}

function groupsById(all: SecurityGroup[], ids: string[]): { groups: SecurityGroup[]; missing: string[] } {
  const groups = ids.flatMap((id) => all.filter((group) => group.GroupId === id));
  const missing = ids.filter((id) => !all.some((group) => group.GroupId === id));
  return { groups, missing };
}

function missingGroupsFinding(ids: string[], whose: string): Finding {
  return {
    check: 'sg',
    code: 'SG_UNKNOWN',
    status: 'unknown',
    message: `cannot evaluate security groups: ${ids.join(', ')} (${whose}) not returned by DescribeSecurityGroups`,
    fix: `check that ${ids.join(', ')} exist: aws ec2 describe-security-groups --group-ids ${ids.join(' ')}`,
    evidence: { missingGroupIds: ids, whose },
  };
}

/** Every group the rules reference: when the agent's own groups are unknown, any of these might be one. */
function referencedGroupIds(groups: SecurityGroup[]): string[] {
  return [
    ...new Set(
      groups.flatMap((group) =>
        (group.IpPermissions ?? []).flatMap((permission) =>
          (permission.UserIdGroupPairs ?? []).flatMap((pair) => (pair.GroupId ? [pair.GroupId] : [])),
        ),
      ),
    ),
  ];
}

/**
 * Endpoint ingress from an agent whose groups are unknown: only rules that do not depend on them
 * (CIDR, prefix list) can decide. A denial that a group reference might lift is left open.
 */
function ingressWithoutAgentGroups(
  endpointGroups: SecurityGroup[],
  port: number,
  sourceIp: string,
  lists: PrefixListInfo[],
): Pick<Flow, 'ingress' | 'ingressNeedsAgentGroups'> {
  const query = { protocol: 'tcp' as const, port, sourceIp };
  const ingress = evaluateIngress(endpointGroups, { ...query, sourceGroupIds: [] }, lists);
  if (ingress.allowed) return { ingress };
  const anyGroup = evaluateIngress(
    endpointGroups,
    { ...query, sourceGroupIds: referencedGroupIds(endpointGroups) },
    lists,
  );
  return anyGroup.allowed ? { ingress, ingressNeedsAgentGroups: true } : { ingress };
}

/** What the report can say about agent groups it does not know, and how to supply them. */
function agentGroupsUnknownFinding(
  input: CheckInput,
  flows: Flow[],
  endpointGroups: SecurityGroup[] | undefined,
  evidence: Record<string, unknown>,
): Finding {
  const { context } = input;
  const open = flows.filter((f) => f.ingressNeedsAgentGroups);
  const admitted = flows.find((f) => f.ingress?.allowed)?.ingress?.matchedRule;
  const endpointIds = endpointGroups?.map((g) => g.GroupId).join(', ') ?? '';
  const ingressText =
    open.length > 0
      ? `, nor ${endpointIds} ingress to ${flowText(open)} (its rules admit only security groups, which the agent may or may not carry)`
      : admitted
        ? `; ${admitted.groupId} admits it without them (${admitted.text})`
        : '';
  return {
    check: 'sg',
    code: 'SG_UNKNOWN',
    status: 'unknown',
    message: `cannot decide the agent's egress to ${flowText(flows)}${ingressText}: the security groups of ${context.privateIp} are not known (not configured, and discovery could not read them from its ENI)`,
    fix: `set VPCE_DOCTOR_SECURITY_GROUP_IDS=sg-…[,sg-…] (or context.securityGroupIds in the config file) to the groups of ${context.privateIp}'s ENI — list them with aws ec2 describe-network-interfaces --filters Name=addresses.private-ip-address,Values=${context.privateIp} --query 'NetworkInterfaces[].Groups' — or allow ec2:DescribeNetworkInterfaces so discovery reads them`,
    evidence: { ...evidence, missing: 'agentSecurityGroupIds' },
  };
}

function list(values: string[], max = 4): string {
  return values.length > max
    ? `${values.slice(0, max).join(', ')} and ${values.length - max} more`
    : values.join(', ');
}

function flowText(flows: Flow[]): string {
  return list(flows.map((f) => `${f.ip}:${f.port}${f.via.startsWith('eni-') ? ` (${f.via})` : ''}`));
}

function flowEvidence(flow: Flow) {
  const side = (decision: SgDecision | undefined) =>
    decision === undefined
      ? null
      : {
          allowed: decision.allowed,
          group: decision.group?.GroupId ?? null,
          rule: decision.matchedRule?.text ?? null,
          unresolvedPrefixLists: decision.unresolvedPrefixLists ?? [],
        };
  return {
    ip: flow.ip,
    port: flow.port,
    via: flow.via,
    egress: side(flow.egress),
    ingress: side(flow.ingress),
  };
}

function undecided(decisions: Array<SgDecision | undefined>): string[] {
  return [...new Set(decisions.flatMap((d) => (d && !d.allowed ? (d.unresolvedPrefixLists ?? []) : [])))];
}

function isDenied(decision: SgDecision | undefined): boolean {
  return decision !== undefined && !decision.allowed && (decision.unresolvedPrefixLists ?? []).length === 0;
}

function judge(
  input: CheckInput,
  flows: Flow[],
  agentGroups: SecurityGroup[],
  endpointGroups: SecurityGroup[] | undefined,
  destinationLabel: string,
  egressFix: (port: number, ips: string[]) => string,
): Finding[] {
  const { context, inventory } = input;
  const agentIds = context.securityGroupIds.join(', ') || 'security groups unknown';
  const evidence = {
    agentIp: context.privateIp,
    agentGroups: context.securityGroupIds,
    endpointGroups: endpointGroups?.map((g) => g.GroupId) ?? null,
    agentEgressRules: describeRules(agentGroups, 'egress'),
    endpointIngressRules: endpointGroups ? describeRules(endpointGroups, 'ingress') : null,
    flows: flows.map(flowEvidence),
  };
  const findings: Finding[] = [];
  // No agent groups: egress is unknown, never denied (the list is empty because it was not read).
  if (context.securityGroupIds.length === 0 && flows.length > 0) {
    findings.push(agentGroupsUnknownFinding(input, flows, endpointGroups, evidence));
  }
  const unresolved = undecided(flows.flatMap((f) => [f.egress, f.ingress]));
  if (unresolved.length > 0) {
    // A flow decided by nothing but an unread prefix list is neither allowed nor denied: say so,
    // never let it pass as SG_OK.
    findings.push(
      inventory.prefixLists.ok
        ? {
            check: 'sg',
            code: 'SG_UNKNOWN',
            status: 'unknown',
            message: `cannot decide ${flowText(flows)}: the rules reference ${unreadText(unreadPrefixLists(input, unresolved))}, whose entries are unknown`,
            fix: unreadFix(unreadPrefixLists(input, unresolved)),
            evidence,
          }
        : gapFinding(
            'sg',
            'SG_UNKNOWN',
            inventory.prefixLists.gap,
            `resolve ${unresolved.join(', ')} referenced by the rules`,
          ),
    );
  }
  const egressDenied = flows.filter((f) => isDenied(f.egress));
  if (egressDenied.length > 0) {
    const ports = [...new Set(egressDenied.map((f) => f.port))];
    findings.push({
      check: 'sg',
      code: 'SG_AGENT_EGRESS_DENIED',
      status: 'fail',
      message: `${agentIds} (agent ${context.privateIp}) ${context.securityGroupIds.length === 1 ? 'allows' : 'allow'} no outbound tcp to ${flowText(egressDenied)} ${destinationLabel}; outbound rules: ${list(describeRules(agentGroups, 'egress'), 3)}`,
      fix: ports
        .map((port) =>
          egressFix(
            port,
            egressDenied.filter((f) => f.port === port).map((f) => f.ip),
          ),
        )
        .join('; '),
      evidence,
    });
  }
  const ingressDenied = flows.filter((f) => isDenied(f.ingress) && !f.ingressNeedsAgentGroups);
  if (endpointGroups && ingressDenied.length > 0) {
    const endpointIds = endpointGroups.map((g) => g.GroupId).join(', ');
    const ports = [...new Set(ingressDenied.map((f) => f.port))];
    const source = context.securityGroupIds[0]
      ? `--source-group ${context.securityGroupIds[0]}`
      : `--cidr ${context.privateIp}/32`;
    findings.push({
      check: 'sg',
      code: 'SG_ENDPOINT_INGRESS_DENIED',
      status: 'fail',
      message: `${endpointIds} ${destinationLabel} ${endpointGroups.length === 1 ? 'allows' : 'allow'} inbound only ${list(
        describeRules(endpointGroups, 'ingress').map((r) => r.replace(/^sg-[^:]+: /, '')),
        3,
      )}; the agent is ${context.privateIp} (${agentIds}) — ${flowText(ingressDenied)} blocked (silently dropped)`,
      fix: ports
        .map(
          (port) =>
            `aws ec2 authorize-security-group-ingress --group-id ${endpointGroups[0]?.GroupId} --protocol tcp --port ${port} ${source}`,
        )
        .join('; '),
      evidence,
    });
  }
  if (findings.length === 0 && flows.length > 0) {
    const egressRule = flows[0]?.egress?.matchedRule;
    const ingressRule = flows[0]?.ingress?.matchedRule;
    const ingressText = ingressRule ? ` and ${ingressRule.groupId} allows it in (${ingressRule.text})` : '';
    findings.push({
      check: 'sg',
      code: 'SG_OK',
      status: 'pass',
      message: `${egressRule?.groupId ?? agentIds} allows ${flowText(flows)} out (${egressRule?.text ?? '?'})${ingressText} ${destinationLabel}`,
      evidence,
    });
  }
  return findings;
}

function checkInterface(
  input: CheckInput,
  allGroups: SecurityGroup[],
  agentGroups: SecurityGroup[],
  lists: PrefixListInfo[],
) {
  const { inventory, target, context } = input;
  if (!inventory.endpoints.ok)
    return [gapFinding('sg', 'SG_UNKNOWN', inventory.endpoints.gap, `read ${target.endpointId}`)];
  if (!inventory.endpointInterfaces.ok) {
    return [
      gapFinding(
        'sg',
        'SG_UNKNOWN',
        inventory.endpointInterfaces.gap,
        `read the ENIs of ${target.endpointId}`,
      ),
    ];
  }
  const endpoint = targetEndpoint(inventory, target);
  if (!endpoint) return [];
  const endpointIds = endpointGroupIds(endpoint);
  const { groups: endpointGroups, missing } = groupsById(allGroups, endpointIds);
  if (missing.length > 0)
    return [missingGroupsFinding(missing, `security groups of ${endpoint.VpcEndpointId}`)];
  const agentGroupsKnown = context.securityGroupIds.length > 0;
  const flows: Flow[] = endpointEnis(inventory.endpointInterfaces.value, endpoint).flatMap((eni) =>
    target.ports.flatMap((port) => {
      const ip = eni.PrivateIpAddress;
      if (!ip) return [];
      return [
        {
          ip,
          port,
          via: eni.NetworkInterfaceId ?? '?',
          ...(agentGroupsKnown
            ? {
                egress: evaluateEgress(
                  agentGroups,
                  { protocol: 'tcp', port, destIp: ip, destGroupIds: endpointIds },
                  lists,
                ),
                ingress: evaluateIngress(
                  endpointGroups,
                  {
                    protocol: 'tcp',
                    port,
                    sourceIp: context.privateIp,
                    sourceGroupIds: context.securityGroupIds,
                  },
                  lists,
                ),
              }
            : ingressWithoutAgentGroups(endpointGroups, port, context.privateIp, lists)),
        },
      ];
    }),
  );
  const agentGroup = context.securityGroupIds[0] ?? 'sg-…';
  return judge(
    input,
    flows,
    agentGroups,
    endpointGroups,
    `on ${endpoint.VpcEndpointId}`,
    (port) =>
      `aws ec2 authorize-security-group-egress --group-id ${agentGroup} --protocol tcp --port ${port} --source-group ${endpointIds[0] ?? 'sg-…'}`,
  );
}

function checkAddresses(input: CheckInput, agentGroups: SecurityGroup[], lists: PrefixListInfo[]): Finding[] {
  const { target, inventory, context } = input;
  const resolved = workloadAddresses(input.observations.dns);
  let samples = resolved.map((ip) => ({ ip, via: 'resolved' }));
  let prefixListId: string | undefined;
  if (target.endpointType === 'Gateway') {
    const endpoint = targetEndpoint(inventory, target);
    const pl = gatewayPrefixList(input, endpoint);
    prefixListId = pl.prefixListId;
    if (samples.length === 0) {
      if (pl.gap) {
        return [
          gapFinding('sg', 'SG_UNKNOWN', pl.gap, `read the entries of ${prefixListId ?? 'the prefix list'}`),
        ];
      }
      const boundaries = ruleCidrs(agentGroups, 'egress', lists);
      samples = (pl.info?.cidrs ?? []).flatMap((cidr) =>
        boundaryAddresses(cidr, boundaries).map((ip) => ({ ip, via: cidr })),
      );
    }
  }
  const flows: Flow[] = samples.flatMap(({ ip, via }) =>
    target.ports.map((port) => ({
      ip,
      port,
      via,
      ...(context.securityGroupIds.length > 0
        ? {
            egress: evaluateEgress(
              agentGroups,
              { protocol: 'tcp', port, destIp: ip, destGroupIds: [] },
              lists,
            ),
          }
        : {}),
    })),
  );
  const agentGroup = context.securityGroupIds[0] ?? 'sg-…';
  const label = `(${target.shortName}${target.endpointId ? ` via ${target.endpointId}` : ''})`;
  const findings = judge(input, flows, agentGroups, undefined, label, (port, ips) =>
    prefixListId
      ? `aws ec2 authorize-security-group-egress --group-id ${agentGroup} --ip-permissions IpProtocol=tcp,FromPort=${port},ToPort=${port},PrefixListIds=[{PrefixListId=${prefixListId}}]`
      : ips
          .map(
            (ip) =>
              `aws ec2 authorize-security-group-egress --group-id ${agentGroup} --protocol tcp --port ${port} --cidr ${ip}/32`,
          )
          .join('; '),
  );
  // The fix as code opens egress to the service's prefix list: the evidence names it.
  const own = prefixListId
    ? findings.map((f) =>
        f.code === 'SG_AGENT_EGRESS_DENIED' ? { ...f, evidence: { ...f.evidence, prefixListId } } : f,
      )
    : findings;
  // A hub endpoint's groups, read in the hub account (issue 15), must admit this agent too.
  return [...own, ...hubSecurityGroupFindings(input)];
}

/** Agent egress and endpoint ingress on the target's ports, through every security group involved. */
export const checkSecurityGroups: Check = (input) => {
  const { inventory, context, target } = input;
  if (target.endpointType === 'GatewayLoadBalancer') return [];
  if (!inventory.securityGroups.ok) {
    return [
      gapFinding(
        'sg',
        'SG_UNKNOWN',
        inventory.securityGroups.gap,
        `read the security groups of ${context.privateIp}`,
      ),
    ];
  }
  const all = inventory.securityGroups.value;
  const { groups: agentGroups, missing } = groupsById(all, context.securityGroupIds);
  if (missing.length > 0) return [missingGroupsFinding(missing, `the agent's ${context.privateIp}`)];
  const lists = inventory.prefixLists.ok ? inventory.prefixLists.value : [];
  if (target.endpointType === 'Interface') return checkInterface(input, all, agentGroups, lists);
  return checkAddresses(input, agentGroups, lists);
};
