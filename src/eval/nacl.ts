// Network ACL evaluation: stateless, ordered by rule number, first match decides, and an
// implicit deny (rule 32767, `*`) at the end.
import type { NetworkAcl, NetworkAclEntry } from '@aws-sdk/client-ec2';
import type { ClientKind } from '../model.js';
import { cidrContainsAddress, parseCidr, parseIpv4 } from '../net/ip.js';

export interface PortRange {
  from: number;
  to: number;
}

/**
 * The local ports each kind of client picks for its connections: the return traffic is addressed
 * to any of them, so a stateless ACL must admit the whole range, not the one port a probe drew.
 */
export const EPHEMERAL_PORTS: Record<ClientKind, { ports: PortRange; label: string }> = {
  linux: { ports: { from: 32768, to: 60999 }, label: "Linux's default ephemeral range" },
  lambda: { ports: { from: 1024, to: 65535 }, label: "AWS Lambda's ephemeral range" },
  'nat-gateway': { ports: { from: 1024, to: 65535 }, label: "a NAT gateway's ephemeral range" },
  'load-balancer': { ports: { from: 1024, to: 65535 }, label: "a load balancer's ephemeral range" },
  windows: { ports: { from: 49152, to: 65535 }, label: "Windows' default ephemeral range" },
};

export const CLIENT_KINDS = Object.keys(EPHEMERAL_PORTS) as ClientKind[];

/** How every port of a range fares against an ACL: the allowed pieces and the denied ones, each with its rule. */
export interface AclCoverage {
  allowed: PortRange[];
  denied: Array<{ ports: PortRange; rule: NetworkAclEntry }>;
  /** The allow rules that decided some of the range, in rule order. */
  allowedBy: NetworkAclEntry[];
}

export interface AclQuery {
  egress: boolean;
  protocol: 6;
  ports: PortRange;
  /** The peer address: destination for egress, source for ingress. */
  cidrIp: string;
}

export interface AclDecision {
  allowed: boolean;
  /** The rule that denied (part of) the range; rule 32767 for the default deny. */
  deniedBy?: NetworkAclEntry;
  /** The part of the queried range that the denying rule decided. */
  deniedPorts?: PortRange;
  /** The allow rules that decided the rest, in order. */
  allowedBy: NetworkAclEntry[];
}

/** The default rule every ACL ends with; AWS lists it, a fixture or emulator may not. */
export const DEFAULT_DENY_RULE_NUMBER = 32767;

/** The ACL associated with the subnet; falls back to the VPC's default ACL when none lists it. */
export function aclForSubnet(acls: NetworkAcl[], subnetId: string, vpcId?: string): NetworkAcl | undefined {
  const associated = acls.find((acl) =>
    (acl.Associations ?? []).some((association) => association.SubnetId === subnetId),
  );
  if (associated) return associated;
  const defaults = acls.filter(
    (acl) => acl.IsDefault === true && (vpcId === undefined || acl.VpcId === vpcId),
  );
  return defaults.length === 1 ? defaults[0] : undefined;
}

export function protocolMatches(entry: NetworkAclEntry): boolean {
  return entry.Protocol === '-1' || entry.Protocol === '6' || entry.Protocol === 'tcp';
}

export function entryPorts(entry: NetworkAclEntry): PortRange {
  if (entry.Protocol === '-1' || entry.PortRange?.From === undefined) return { from: 0, to: 65535 };
  return { from: entry.PortRange.From, to: entry.PortRange.To ?? entry.PortRange.From };
}

export function subtract(ranges: PortRange[], cut: PortRange): PortRange[] {
  return ranges.flatMap((range) => {
    if (cut.to < range.from || cut.from > range.to) return [range];
    const rest: PortRange[] = [];
    if (cut.from > range.from) rest.push({ from: range.from, to: cut.from - 1 });
    if (cut.to < range.to) rest.push({ from: cut.to + 1, to: range.to });
    return rest;
  });
}

/** `rule 90 deny inbound tcp 1024-65535 from 10.0.0.0/16`. */
export function describeAclEntry(entry: NetworkAclEntry): string {
  const direction = entry.Egress ? 'outbound' : 'inbound';
  const word = entry.Egress ? 'to' : 'from';
  const ports = entryPorts(entry);
  const protocol =
    entry.Protocol === '-1' ? 'all traffic' : entry.Protocol === '6' ? 'tcp' : `protocol ${entry.Protocol}`;
  const portText =
    entry.Protocol === '-1' ? '' : ports.from === ports.to ? ` ${ports.from}` : ` ${ports.from}-${ports.to}`;
  const number = entry.RuleNumber === DEFAULT_DENY_RULE_NUMBER ? '*' : String(entry.RuleNumber);
  return `rule ${number} ${entry.RuleAction} ${direction} ${protocol}${portText} ${word} ${entry.CidrBlock ?? entry.Ipv6CidrBlock ?? '?'}`;
}

export function intersections(ranges: PortRange[], other: PortRange): PortRange[] {
  return ranges.flatMap((range) => {
    const from = Math.max(range.from, other.from);
    const to = Math.min(range.to, other.to);
    return from <= to ? [{ from, to }] : [];
  });
}

function byPort(a: { from: number }, b: { from: number }): number {
  return a.from - b.from;
}

/** Joins touching or overlapping ranges: 32768-40000 and 40001-45000 are 32768-45000. */
export function mergeRanges(ranges: PortRange[]): PortRange[] {
  const merged: PortRange[] = [];
  for (const range of [...ranges].sort(byPort)) {
    const last = merged[merged.length - 1];
    if (last && range.from <= last.to + 1) last.to = Math.max(last.to, range.to);
    else merged.push({ ...range });
  }
  return merged;
}

/** How many ports the ranges hold. */
export function portCount(ranges: PortRange[]): number {
  return ranges.reduce((sum, range) => sum + range.to - range.from + 1, 0);
}

/**
 * Every port of the queried range against the ACL in one direction, as intervals: rules in
 * number order, the first that matches a port decides it, the default deny takes the rest.
 */
export function evaluateAclRange(acl: NetworkAcl, query: AclQuery): AclCoverage {
  const address = parseIpv4(query.cidrIp);
  const entries = (acl.Entries ?? [])
    .filter((entry) => entry.Egress === query.egress && entry.CidrBlock !== undefined)
    .filter((entry) => entry.RuleNumber !== DEFAULT_DENY_RULE_NUMBER)
    .sort((a, b) => (a.RuleNumber ?? 0) - (b.RuleNumber ?? 0));
  let open: PortRange[] = [{ from: query.ports.from, to: query.ports.to }];
  const coverage: AclCoverage = { allowed: [], denied: [], allowedBy: [] };
  for (const entry of entries) {
    if (address === undefined || open.length === 0) break;
    const cidr = parseCidr(entry.CidrBlock ?? '');
    if (!cidr || !cidrContainsAddress(cidr, address) || !protocolMatches(entry)) continue;
    const hits = intersections(open, entryPorts(entry));
    if (hits.length === 0) continue;
    if (entry.RuleAction === 'deny') coverage.denied.push(...hits.map((ports) => ({ ports, rule: entry })));
    else {
      coverage.allowed.push(...hits);
      coverage.allowedBy.push(entry);
    }
    open = subtract(open, entryPorts(entry));
  }
  if (open.length > 0) {
    const listed = (acl.Entries ?? []).find(
      (entry) =>
        entry.Egress === query.egress &&
        entry.RuleNumber === DEFAULT_DENY_RULE_NUMBER &&
        entry.CidrBlock !== undefined,
    );
    const implicit: NetworkAclEntry = listed ?? {
      RuleNumber: DEFAULT_DENY_RULE_NUMBER,
      Protocol: '-1',
      RuleAction: 'deny',
      Egress: query.egress,
      CidrBlock: '0.0.0.0/0',
    };
    coverage.denied.push(...open.map((ports) => ({ ports, rule: implicit })));
  }
  coverage.allowed = mergeRanges(coverage.allowed);
  coverage.denied.sort((a, b) => byPort(a.ports, b.ports));
  return coverage;
}

/**
 * Decides a TCP flow against an ACL in one direction. A port range is allowed only when every
 * port in it is allowed; otherwise the first rule (by number) that denies part of it is returned.
 */
export function evaluateAcl(acl: NetworkAcl, query: AclQuery): AclDecision {
  return decideCoverage(evaluateAclRange(acl, query));
}

/** A coverage as one decision: denied when any port is, naming the lowest-numbered rule that drops some. */
export function decideCoverage(coverage: AclCoverage): AclDecision {
  if (coverage.denied.length === 0) return { allowed: true, allowedBy: coverage.allowedBy };
  const number = (entry: NetworkAclEntry) => entry.RuleNumber ?? DEFAULT_DENY_RULE_NUMBER;
  const first = [...coverage.denied].sort(
    (a, b) => number(a.rule) - number(b.rule) || byPort(a.ports, b.ports),
  )[0]!;
  return { allowed: false, deniedBy: first.rule, deniedPorts: first.ports, allowedBy: coverage.allowedBy };
}
