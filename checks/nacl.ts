// Network ACLs where the path crosses a subnet boundary, in both directions: the request to
// port 443 and the stateless return traffic to every ephemeral port the client may draw.
import type { NetworkAcl, NetworkAclEntry } from '@aws-sdk/client-ec2';
import {
  type AclCoverage,
  type AclDecision,
  aclForSubnet,
  DEFAULT_DENY_RULE_NUMBER,
  decideCoverage,
  describeAclEntry,
  EPHEMERAL_PORTS,
  evaluateAclRange,
  mergeRanges,
  type PortRange,
  portCount,
} from '../src/eval/nacl.js';
import type { AclChange } from '../src/fixes/nacl.js';
import { endpointEnis, targetEndpoint, workloadAddresses } from '../src/inventory-view.js';
import type {
  AgentContext,
  Check,
  CheckInput,
  ClientKind,
  Finding,
  TargetObservations,
} from '../src/model.js';
import { boundaryAddresses, ipInCidr } from '../src/net/ip.js';
import { gapFinding, gatewayPrefixList } from './shared.js';

/** The ports any client may receive return traffic on: what a fix for a fully denied return path opens. */
const ANY_CLIENT_EPHEMERAL: PortRange = { from: 1024, to: 65535 };

interface Leg {
  side: 'agent' | 'endpoint';
  acl: NetworkAcl;
  subnetId: string;
  egress: boolean;
  ports: PortRange;
  peer: string;
  /** The CIDR a fix should open to: the peer's subnet or prefix-list entry, else the peer /32. */
  peerCidr: string;
  /** e.g. `the request from 10.0.1.10 to 10.0.11.23:443` */
  flow: string;
  /** Return legs: whose ephemeral range `ports` is, e.g. `Linux's default ephemeral range 32768-60999`. */
  ephemeralSource?: string;
  /** Return legs: the local port the TCP probe drew, evidence of one port only. */
  probeLocalPort?: number;
  coverage: AclCoverage;
  decision: AclDecision;
}

/** The workload's kind decides its ephemeral range: from discovery (Lambda) or configuration, else Linux. */
export function clientKindOf(context: AgentContext): ClientKind {
  return context.clientKind ?? 'linux';
}

function ephemeralFor(context: AgentContext, observations: TargetObservations, ip: string, port: number) {
  const { ports, label } = EPHEMERAL_PORTS[clientKindOf(context)];
  const seen = observations.tcp.find(
    (tcp) => tcp.address === ip && tcp.port === port && tcp.localPort !== undefined,
  );
  return {
    ports,
    source: `${label} ${portsText(ports)}`,
    ...(seen?.localPort !== undefined ? { probeLocalPort: seen.localPort } : {}),
  };
}

function rangesText(ranges: PortRange[]): string {
  return ranges.map(portsText).join(', ');
}

function inRanges(port: number, ranges: PortRange[]): boolean {
  return ranges.some((range) => port >= range.from && port <= range.to);
}

/** A return leg some of whose ports are admitted and some dropped. */
function isPartial(leg: Leg): boolean {
  return leg.coverage.allowed.length > 0 && leg.coverage.denied.length > 0;
}

function uncovered(leg: Leg): PortRange[] {
  return mergeRanges(leg.coverage.denied.map((d) => d.ports));
}

function portsText(ports: PortRange): string {
  return ports.from === ports.to ? String(ports.from) : `${ports.from}-${ports.to}`;
}

function subnetCidr(input: CheckInput, subnetId: string | undefined, fallbackIp: string): string {
  const subnets = input.inventory.subnets.ok ? input.inventory.subnets.value : [];
  const cidr = subnets.find((s) => s.SubnetId === subnetId)?.CidrBlock;
  return cidr && ipInCidr(fallbackIp, cidr) ? cidr : `${fallbackIp}/32`;
}

/** An entry a fix wants, before it is numbered: the rule it must precede. */
interface WantedEntry {
  acl: NetworkAcl;
  egress: boolean;
  from: number;
  to: number;
  cidr: string;
  denied: NetworkAclEntry;
}

/**
 * The rule numbers one check run hands out, per (ACL, direction): one ACL rule can deny several
 * legs (endpoint ENIs in two subnets), and each allow entry must get its own number or the
 * commands and snippets clash (two `--rule-number 89`, two resources of the same address).
 */
class RuleNumbers {
  private readonly taken = new Map<string, Set<number>>();

  private takenIn(acl: NetworkAcl, egress: boolean): Set<number> {
    const key = `${acl.NetworkAclId}|${egress}`;
    let used = this.taken.get(key);
    if (!used) {
      used = new Set((acl.Entries ?? []).filter((e) => e.Egress === egress).map((e) => e.RuleNumber ?? 0));
      this.taken.set(key, used);
    }
    return used;
  }

  /** A free number before `denied` (after the highest rule, for the default deny), now taken. */
  free(acl: NetworkAcl, egress: boolean, denied: NetworkAclEntry): number | undefined {
    const used = this.takenIn(acl, egress);
    const deniedNumber = denied.RuleNumber ?? DEFAULT_DENY_RULE_NUMBER;
    let start = deniedNumber - 1;
    if (deniedNumber === DEFAULT_DENY_RULE_NUMBER) {
      const highest = Math.max(0, ...[...used].filter((n) => n < DEFAULT_DENY_RULE_NUMBER));
      start = Math.min(highest + 10, DEFAULT_DENY_RULE_NUMBER - 1);
    }
    for (let n = start; n > 0; n--) {
      if (!used.has(n)) {
        used.add(n);
        return n;
      }
    }
    return undefined;
  }

  /** Claims rule `number` for a replacement: false when another change of this run already rewrites it. */
  replaces(aclId: string | undefined, egress: boolean, number: number): boolean {
    const key = `${aclId}|${egress}|replaced`;
    const replaced = this.taken.get(key) ?? new Set<number>();
    this.taken.set(key, replaced);
    if (replaced.has(number)) return false;
    replaced.add(number);
    return true;
  }
}

/** An allow entry for `ports` to the peer, wanted just before the rule that denies them. */
function entryBefore(leg: Leg, denied: NetworkAclEntry, ports: PortRange): WantedEntry {
  return { acl: leg.acl, egress: leg.egress, from: ports.from, to: ports.to, cidr: leg.peerCidr, denied };
}

/**
 * The entry numbered: a free number before the deny; else the deny rule itself rewritten as the
 * allow (not the default deny, which cannot be replaced, and not twice); else a sentence saying
 * there is no number to give, never a clash.
 */
function numberEntry(wanted: WantedEntry, numbers: RuleNumbers): AclChange | string {
  const { acl, egress, denied } = wanted;
  const base = { aclId: acl.NetworkAclId ?? '', egress, from: wanted.from, to: wanted.to, cidr: wanted.cidr };
  const number = numbers.free(acl, egress, denied);
  if (number !== undefined) {
    const before =
      denied.RuleNumber === DEFAULT_DENY_RULE_NUMBER
        ? 'before the default deny'
        : `before rule ${denied.RuleNumber}`;
    return { ...base, ruleNumber: number, replace: false, note: before };
  }
  const deniedNumber = denied.RuleNumber ?? DEFAULT_DENY_RULE_NUMBER;
  if (deniedNumber !== DEFAULT_DENY_RULE_NUMBER && numbers.replaces(acl.NetworkAclId, egress, deniedNumber)) {
    return { ...base, ruleNumber: deniedNumber, replace: true, note: '' };
  }
  return `no free ${egress ? 'egress' : 'ingress'} rule number before ${deniedNumber === DEFAULT_DENY_RULE_NUMBER ? 'the default deny' : `rule ${deniedNumber}`} in ${base.aclId} for tcp ${wanted.from}-${wanted.to} ${egress ? 'to' : 'from'} ${wanted.cidr}: renumber the ACL's rules to make room for an allow entry`;
}

/** Each wanted entry once (legs of several ENIs often need the same one), then numbered. */
function numberEntries(
  wanted: Array<WantedEntry | AclChange>,
  numbers: RuleNumbers,
): { changes: AclChange[]; unnumbered: string[] } {
  const seen = new Map<string, WantedEntry | AclChange>();
  for (const w of wanted) {
    const key =
      'acl' in w
        ? `${w.acl.NetworkAclId}|${w.egress}|${w.from}-${w.to}|${w.cidr}|${w.denied.RuleNumber}`
        : `${w.aclId}|${w.egress}|${w.ruleNumber}|replace`;
    if (!seen.has(key)) seen.set(key, w);
  }
  const changes: AclChange[] = [];
  const unnumbered: string[] = [];
  for (const w of seen.values()) {
    let numbered: AclChange | string;
    if ('acl' in w) numbered = numberEntry(w, numbers);
    else if (numbers.replaces(w.aclId, w.egress, w.ruleNumber)) numbered = w;
    else
      numbered = `rule ${w.ruleNumber} of ${w.aclId} is rewritten by another change here: apply that one, then widen the rule to ${w.from}-${w.to}`;
    if (typeof numbered === 'string') unnumbered.push(numbered);
    else changes.push(numbered);
  }
  return { changes, unnumbered };
}

function changeCommand(change: AclChange): string {
  const direction = change.egress ? '--egress' : '--ingress';
  const entry = `--protocol tcp --port-range From=${change.from},To=${change.to} --cidr-block ${change.cidr} --rule-action allow`;
  const verb = change.replace ? 'replace-network-acl-entry' : 'create-network-acl-entry';
  const note = change.note ? ` (${change.note})` : '';
  return `aws ec2 ${verb} --network-acl-id ${change.aclId} ${direction} --rule-number ${change.ruleNumber} ${entry}${note}`;
}

function legChanges(leg: Leg): WantedEntry[] {
  // Return traffic: open the ephemeral range AWS recommends for clients, not only the one port seen.
  const ports = leg.ephemeralSource ? ANY_CLIENT_EPHEMERAL : leg.ports;
  return [entryBefore(leg, leg.decision.deniedBy!, ports)];
}

/**
 * The allow rule that admits part of the range and can be widened to all of it without taking
 * ports from a later deny rule: a tcp rule for the peer whose range touches the client's.
 */
function widenable(leg: Leg): NetworkAclEntry | undefined {
  const laterDeny = (rule: NetworkAclEntry) =>
    leg.coverage.denied.some(
      (d) =>
        d.rule.RuleNumber !== DEFAULT_DENY_RULE_NUMBER && (d.rule.RuleNumber ?? 0) > (rule.RuleNumber ?? 0),
    );
  return leg.coverage.allowedBy.find((rule) => {
    if (rule.Protocol !== '6' || rule.PortRange?.From === undefined || laterDeny(rule)) return false;
    const from = rule.PortRange.From;
    const to = rule.PortRange.To ?? from;
    return to + 1 >= leg.ports.from && from <= leg.ports.to + 1;
  });
}

/** Widen the rule that admits part of the range, or allow the dropped pieces before the rules that drop them. */
function partialChanges(leg: Leg): Array<WantedEntry | AclChange> {
  const byDefault = leg.coverage.denied.filter((d) => d.rule.RuleNumber === DEFAULT_DENY_RULE_NUMBER);
  const byRule = leg.coverage.denied.filter((d) => d.rule.RuleNumber !== DEFAULT_DENY_RULE_NUMBER);
  const changes: Array<WantedEntry | AclChange> = byRule.map((d) => entryBefore(leg, d.rule, d.ports));
  if (byDefault.length > 0) {
    const rule = widenable(leg);
    if (rule?.PortRange?.From !== undefined) {
      changes.push({
        aclId: leg.acl.NetworkAclId ?? '',
        egress: leg.egress,
        ruleNumber: rule.RuleNumber ?? 0,
        replace: true,
        from: Math.min(rule.PortRange.From, leg.ports.from),
        to: Math.max(rule.PortRange.To ?? rule.PortRange.From, leg.ports.to),
        cidr: rule.CidrBlock ?? leg.peerCidr,
        note: `widens rule ${rule.RuleNumber} from ${rule.PortRange.From}-${rule.PortRange.To ?? rule.PortRange.From}`,
      });
    } else {
      changes.push(entryBefore(leg, byDefault[0]!.rule, leg.ports));
    }
  }
  return changes;
}

function legEvidence(leg: Leg) {
  return {
    side: leg.side,
    aclId: leg.acl.NetworkAclId,
    subnetId: leg.subnetId,
    direction: leg.egress ? 'outbound' : 'inbound',
    ports: portsText(leg.ports),
    peer: leg.peer,
    flow: leg.flow,
    ephemeralPorts: leg.ephemeralSource ?? null,
    allowed: leg.decision.allowed,
    deniedBy: leg.decision.deniedBy ? describeAclEntry(leg.decision.deniedBy) : null,
    deniedPorts: leg.decision.deniedPorts ? portsText(leg.decision.deniedPorts) : null,
    allowedBy: leg.decision.allowedBy.map(describeAclEntry),
    ...(leg.ephemeralSource
      ? {
          admittedPorts: rangesText(leg.coverage.allowed) || null,
          droppedPorts: leg.coverage.denied.map((d) => ({
            ports: portsText(d.ports),
            rule: describeAclEntry(d.rule),
          })),
          probeLocalPort: leg.probeLocalPort ?? null,
          probeLocalPortAdmitted:
            leg.probeLocalPort === undefined ? null : inRanges(leg.probeLocalPort, leg.coverage.allowed),
        }
      : {}),
  };
}

type LegSpec = Omit<Leg, 'decision' | 'coverage'>;

function decide(spec: LegSpec): Leg {
  const coverage = evaluateAclRange(spec.acl, {
    egress: spec.egress,
    protocol: 6,
    ports: spec.ports,
    cidrIp: spec.peer,
  });
  return { ...spec, coverage, decision: decideCoverage(coverage) };
}

function legsTo(
  input: CheckInput,
  agentAcl: NetworkAcl,
  ip: string,
  port: number,
  peerCidr: string,
): LegSpec[] {
  const { context } = input;
  const ephemeral = ephemeralFor(context, input.observations, ip, port);
  return [
    {
      side: 'agent',
      acl: agentAcl,
      subnetId: context.subnetId,
      egress: true,
      ports: { from: port, to: port },
      peer: ip,
      peerCidr,
      flow: `the request from ${context.privateIp} to ${ip}:${port}`,
    },
    {
      side: 'agent',
      acl: agentAcl,
      subnetId: context.subnetId,
      egress: false,
      ports: ephemeral.ports,
      peer: ip,
      peerCidr,
      flow: `the return traffic from ${ip}:${port} to ${context.privateIp}:${portsText(ephemeral.ports)}`,
      ephemeralSource: ephemeral.source,
      ...(ephemeral.probeLocalPort !== undefined ? { probeLocalPort: ephemeral.probeLocalPort } : {}),
    },
  ];
}

function unknown(message: string, fix: string, evidence: Record<string, unknown>): Finding {
  return { check: 'nacl', code: 'NACL_UNKNOWN', status: 'unknown', message, fix, evidence };
}

function interfaceLegs(
  input: CheckInput,
  acls: NetworkAcl[],
  agentAcl: NetworkAcl,
): { legs: Leg[]; skipped: string[] } | Finding {
  const { inventory, target, context } = input;
  if (!inventory.endpoints.ok)
    return gapFinding('nacl', 'NACL_UNKNOWN', inventory.endpoints.gap, `read ${target.endpointId}`);
  if (!inventory.endpointInterfaces.ok) {
    return gapFinding(
      'nacl',
      'NACL_UNKNOWN',
      inventory.endpointInterfaces.gap,
      `read the ENIs of ${target.endpointId}`,
    );
  }
  const endpoint = targetEndpoint(inventory, target);
  if (!endpoint) return { legs: [], skipped: [] };
  const legs: Leg[] = [];
  const skipped: string[] = [];
  for (const eni of endpointEnis(inventory.endpointInterfaces.value, endpoint)) {
    const ip = eni.PrivateIpAddress;
    if (!ip) continue;
    // AWS does not evaluate network ACLs between two addresses of the same subnet.
    if (eni.SubnetId === context.subnetId) {
      skipped.push(`${eni.NetworkInterfaceId} ${ip}`);
      continue;
    }
    const endpointAcl = aclForSubnet(acls, eni.SubnetId ?? '', context.vpcId);
    if (!endpointAcl) {
      return unknown(
        `no network ACL of ${context.vpcId} is associated with ${eni.SubnetId} (${eni.NetworkInterfaceId} of ${endpoint.VpcEndpointId})`,
        `aws ec2 describe-network-acls --filters Name=association.subnet-id,Values=${eni.SubnetId}`,
        { subnetId: eni.SubnetId },
      );
    }
    const agentCidr = subnetCidr(input, context.subnetId, context.privateIp);
    const eniCidr = subnetCidr(input, eni.SubnetId, ip);
    for (const port of target.ports) {
      const ephemeral = ephemeralFor(context, input.observations, ip, port);
      const specs: LegSpec[] = [
        ...legsTo(input, agentAcl, ip, port, eniCidr),
        {
          side: 'endpoint',
          acl: endpointAcl,
          subnetId: eni.SubnetId ?? '?',
          egress: false,
          ports: { from: port, to: port },
          peer: context.privateIp,
          peerCidr: agentCidr,
          flow: `the request from ${context.privateIp} to ${ip}:${port}`,
        },
        {
          side: 'endpoint',
          acl: endpointAcl,
          subnetId: eni.SubnetId ?? '?',
          egress: true,
          ports: ephemeral.ports,
          peer: context.privateIp,
          peerCidr: agentCidr,
          flow: `the return traffic from ${ip}:${port} to ${context.privateIp}:${portsText(ephemeral.ports)}`,
          ephemeralSource: ephemeral.source,
          ...(ephemeral.probeLocalPort !== undefined ? { probeLocalPort: ephemeral.probeLocalPort } : {}),
        },
      ];
      legs.push(...specs.map(decide));
    }
  }
  return { legs, skipped };
}

function addressLegs(input: CheckInput, agentAcl: NetworkAcl): { legs: Leg[]; skipped: string[] } | Finding {
  const { inventory, target } = input;
  const resolved = workloadAddresses(input.observations.dns);
  let samples = resolved.map((ip) => ({ ip, cidr: `${ip}/32` }));
  if (samples.length === 0 && target.endpointType === 'Gateway') {
    const pl = gatewayPrefixList(input, targetEndpoint(inventory, target));
    if (pl.gap) {
      return gapFinding(
        'nacl',
        'NACL_UNKNOWN',
        pl.gap,
        `read the entries of ${pl.prefixListId ?? 'the prefix list'}`,
      );
    }
    const boundaries = (agentAcl.Entries ?? []).flatMap((e) => (e.CidrBlock ? [e.CidrBlock] : []));
    samples = (pl.info?.cidrs ?? []).flatMap((cidr) =>
      boundaryAddresses(cidr, boundaries).map((ip) => ({ ip, cidr })),
    );
  } else if (target.endpointType === 'Gateway') {
    const lists = inventory.prefixLists.ok ? inventory.prefixLists.value : [];
    const pl = gatewayPrefixList(input, targetEndpoint(inventory, target));
    const cidrs = pl.info?.cidrs ?? lists.flatMap((l) => l.cidrs);
    samples = samples.map(({ ip, cidr }) => ({ ip, cidr: cidrs.find((c) => ipInCidr(ip, c)) ?? cidr }));
  }
  const legs = samples.flatMap(({ ip, cidr }) =>
    target.ports.flatMap((port) => legsTo(input, agentAcl, ip, port, cidr).map(decide)),
  );
  return { legs, skipped: [] };
}

/** Both subnets' network ACLs, both directions, wherever the path crosses a subnet boundary. */
export const checkNacl: Check = (input) => {
  const { inventory, context, target } = input;
  if (target.endpointType === 'GatewayLoadBalancer') return [];
  if (!inventory.networkAcls.ok) {
    return [
      gapFinding(
        'nacl',
        'NACL_UNKNOWN',
        inventory.networkAcls.gap,
        `read the network ACL of ${context.subnetId}`,
      ),
    ];
  }
  const acls = inventory.networkAcls.value;
  const agentAcl = aclForSubnet(acls, context.subnetId, context.vpcId);
  if (!agentAcl) {
    return [
      unknown(
        `no network ACL of ${context.vpcId} is associated with the agent's ${context.subnetId}`,
        `aws ec2 describe-network-acls --filters Name=association.subnet-id,Values=${context.subnetId}`,
        { subnetId: context.subnetId },
      ),
    ];
  }
  const result =
    target.endpointType === 'Interface' ? interfaceLegs(input, acls, agentAcl) : addressLegs(input, agentAcl);
  if (!('legs' in result)) return [result];
  const { legs, skipped } = result;
  const findings: Finding[] = [];
  const denied = new Map<string, Leg[]>();
  const partial = new Map<string, Leg[]>();
  const numbers = new RuleNumbers();
  for (const leg of legs.filter(isPartial)) {
    const key = `${leg.side}|${leg.acl.NetworkAclId}|${leg.egress}|${rangesText(uncovered(leg))}`;
    partial.set(key, [...(partial.get(key) ?? []), leg]);
  }
  for (const leg of legs.filter((l) => !l.decision.allowed && !isPartial(l))) {
    const key = `${leg.side}|${leg.acl.NetworkAclId}|${leg.egress}|${leg.decision.deniedBy?.RuleNumber}`;
    denied.set(key, [...(denied.get(key) ?? []), leg]);
  }
  for (const members of denied.values()) {
    const first = members[0]!;
    const rule = describeAclEntry(first.decision.deniedBy!).replace(/^rule (\S+) deny/, 'rule $1 denies');
    const flows = [...new Set(members.map((m) => m.flow))];
    const flowText =
      flows.length > 2 ? `${flows.slice(0, 2).join('; ')} and ${flows.length - 2} more` : flows.join('; ');
    const ephemeral = first.ephemeralSource ? ` (ports: ${first.ephemeralSource})` : '';
    const { changes, unnumbered } = numberEntries(members.flatMap(legChanges), numbers);
    findings.push({
      check: 'nacl',
      code: first.side === 'agent' ? 'NACL_AGENT_SUBNET_DENIED' : 'NACL_ENDPOINT_SUBNET_DENIED',
      status: 'fail',
      message: `${first.acl.NetworkAclId} (${first.side === 'agent' ? "agent's" : 'endpoint'} ${first.subnetId}) ${rule} — ${flowText}${ephemeral}`,
      fix: [...changes.map(changeCommand), ...unnumbered].join('; '),
      evidence: {
        legs: members.map(legEvidence),
        skippedSameSubnet: skipped,
        aclChanges: changes,
      },
    });
  }
  for (const members of partial.values()) findings.push(partialFinding(members, skipped, numbers));
  if (findings.length > 0) return findings;
  if (legs.length === 0 && skipped.length === 0) return [];
  const acls_ = [...new Set(legs.map((l) => l.acl.NetworkAclId))];
  const message =
    legs.length === 0
      ? `not evaluated: every ENI of ${target.endpointId} is in the agent's ${context.subnetId} (ACLs apply only across subnets)`
      : `${acls_.join(' and ')} allow tcp ${target.ports.join(',')} out and the return traffic back for ${[...new Set(legs.map((l) => (l.peer === context.privateIp ? undefined : l.peer)).filter(Boolean))].join(', ')}${skipped.length > 0 ? `; same-subnet ENIs not evaluated: ${skipped.join(', ')}` : ''}`;
  return [
    {
      check: 'nacl',
      code: 'NACL_OK',
      status: 'pass',
      message,
      evidence: { legs: legs.map(legEvidence), skippedSameSubnet: skipped },
    },
  ];
};

/**
 * Part of the client's ephemeral range is dropped on the way back: each connection works or
 * hangs depending on the source port the kernel draws.
 */
function partialFinding(members: Leg[], skipped: string[], numbers: RuleNumbers): Finding {
  const first = members[0]!;
  const { changes, unnumbered } = numberEntries(members.flatMap(partialChanges), numbers);
  const dropped = uncovered(first);
  const share = Math.round((100 * portCount(dropped)) / portCount([first.ports]));
  const rules = [...new Set(first.coverage.denied.map((d) => describeAclEntry(d.rule)))].join(', ');
  const flows = [...new Set(members.map((m) => m.flow))];
  const flowText =
    flows.length > 2 ? `${flows.slice(0, 2).join('; ')} and ${flows.length - 2} more` : flows.join('; ');
  const probed = members.filter((m) => m.probeLocalPort !== undefined);
  const probeText =
    probed.length === 0
      ? ''
      : `; the probe drew ${[...new Set(probed.map((m) => m.probeLocalPort))].join(', ')}, ${
          probed.some((m) => !inRanges(m.probeLocalPort!, m.coverage.allowed))
            ? 'in the dropped part'
            : 'in the admitted part: it passed by luck of the draw'
        }`;
  const whose = first.side === 'agent' ? "agent's" : 'endpoint';
  return {
    check: 'nacl',
    code: 'NACL_EPHEMERAL_PARTIAL',
    status: 'warn',
    message: `${first.acl.NetworkAclId} (${whose} ${first.subnetId}) admits ${flowText} only on ports ${rangesText(first.coverage.allowed)} of ${first.ephemeralSource}: connections whose source port falls in ${rangesText(dropped)} (${share}% of them) are dropped (${rules}) — intermittent failures${probeText}`,
    fix: [...changes.map(changeCommand), ...unnumbered].join('; '),
    evidence: {
      legs: members.map(legEvidence),
      aclChanges: changes,
      droppedPorts: dropped.map(portsText),
      skippedSameSubnet: skipped,
      // When the probe's own port was admitted on every leg, a timeout it saw has another cause.
      ...(probed.length > 0 && probed.every((m) => inRanges(m.probeLocalPort!, m.coverage.allowed))
        ? { explainsObserved: false }
        : {}),
    },
  };
}
