// Network ACL evaluation: stateless, ordered by rule number, first match decides, and an
// implicit deny (rule 32767, `*`) at the end.
import type { NetworkAcl, NetworkAclEntry } from '@aws-sdk/client-ec2';
import { cidrContainsAddress, parseCidr, parseIpv4 } from '../net/ip.js';

export interface PortRange {
  from: number;
  to: number;
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

function protocolMatches(entry: NetworkAclEntry): boolean {
  return entry.Protocol === '-1' || entry.Protocol === '6' || entry.Protocol === 'tcp';
}

function entryPorts(entry: NetworkAclEntry): PortRange {
  if (entry.Protocol === '-1' || entry.PortRange?.From === undefined) return { from: 0, to: 65535 };
  return { from: entry.PortRange.From, to: entry.PortRange.To ?? entry.PortRange.From };
}

function subtract(ranges: PortRange[], cut: PortRange): PortRange[] {
  return ranges.flatMap((range) => {
    if (cut.to < range.from || cut.from > range.to) return [range];
    const rest: PortRange[] = [];
    if (cut.from > range.from) rest.push({ from: range.from, to: cut.from - 1 });
    if (cut.to < range.to) rest.push({ from: cut.to + 1, to: range.to });
    return rest;
  });
}

function intersection(ranges: PortRange[], other: PortRange): PortRange | undefined {
  for (const range of ranges) {
    const from = Math.max(range.from, other.from);
    const to = Math.min(range.to, other.to);
    if (from <= to) return { from, to };
  }
  return undefined;
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
  return `rule ${number} ${entry.RuleAction} ${direction} ${protocol}${portText} ${word} ${entry.CidrBlock ?? '?'}`;
}

/**
 * Decides a TCP flow against an ACL in one direction. A port range is allowed only when every
 * port in it is allowed; otherwise the first rule (by number) that denies part of it is returned.
 */
export function evaluateAcl(acl: NetworkAcl, query: AclQuery): AclDecision {
  const address = parseIpv4(query.cidrIp);
  const entries = (acl.Entries ?? [])
    .filter((entry) => entry.Egress === query.egress && entry.CidrBlock !== undefined)
    .sort((a, b) => (a.RuleNumber ?? 0) - (b.RuleNumber ?? 0));
  let open: PortRange[] = [{ from: query.ports.from, to: query.ports.to }];
  const allowedBy: NetworkAclEntry[] = [];
  for (const entry of entries) {
    if (address === undefined) break;
    const cidr = parseCidr(entry.CidrBlock ?? '');
    if (!cidr || !cidrContainsAddress(cidr, address) || !protocolMatches(entry)) continue;
    const hit = intersection(open, entryPorts(entry));
    if (!hit) continue;
    if (entry.RuleAction === 'deny') return { allowed: false, deniedBy: entry, deniedPorts: hit, allowedBy };
    allowedBy.push(entry);
    open = subtract(open, entryPorts(entry));
    if (open.length === 0) return { allowed: true, allowedBy };
  }
  const implicit: NetworkAclEntry = {
    RuleNumber: DEFAULT_DENY_RULE_NUMBER,
    Protocol: '-1',
    RuleAction: 'deny',
    Egress: query.egress,
    CidrBlock: '0.0.0.0/0',
  };
  const remaining = open[0] ?? query.ports;
  return { allowed: false, deniedBy: implicit, deniedPorts: remaining, allowedBy };
}
