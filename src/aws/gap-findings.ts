// Every gap in the snapshot becomes a finding that names the IAM action (or the error) and the
// checks that lose their input, so an `unknown` is never a mystery. One cause is one finding:
// an EC2 API that cannot be reached fails every call the same way, and saying so eleven times
// buries it.

import { classifyAccessDenied, LAYER_WORDS, layerFix } from '../eval/access-denied.js';
import type { CheckName, Finding, Gap, Inventory } from '../model.js';
import { chainGaps } from './chain-gaps.js';

type PartName = Exclude<keyof Inventory, 'region' | 'vpcId' | 'fetchedAt' | 'durationMs' | 'calls'>;

/** Which checks read which part of the snapshot. */
export const PART_CONSUMERS: Record<PartName, CheckName[]> = {
  vpc: ['endpoint', 'dns', 'route'],
  dnsSupport: ['endpoint', 'dns'],
  dnsHostnames: ['endpoint', 'dns'],
  dhcpOptions: ['endpoint', 'dns'],
  subnets: ['endpoint', 'nacl', 'route'],
  routeTables: ['route'],
  networkAcls: ['nacl'],
  endpoints: ['endpoint', 'policy', 'dns', 'tcp', 'tls', 'route', 'sg', 'nacl', 'profile'],
  endpointInterfaces: ['endpoint', 'dns', 'tcp', 'sg', 'nacl'],
  securityGroups: ['sg'],
  prefixLists: ['route', 'sg', 'nacl'],
  services: ['endpoint', 'dns'],
  flowLogs: ['flowlog'],
  // The hub-and-spoke chain (issue 15): its gaps are named by their own parts (chainGaps).
  chain: ['dns', 'route', 'sg', 'endpoint'],
};

const PART_NAMES = Object.keys(PART_CONSUMERS) as PartName[];

/** The finding codes a failed AWS call gives. */
export const GAP_CODES = new Set(['AWS_PERMISSION_DENIED', 'AWS_THROTTLED', 'AWS_API_ERROR']);

/** A gap as the report lists it: once per IAM action and error, naming what it cost. */
export interface ReportGap extends Gap {
  /** Inventory parts (and `context` for discovery) this call's failure left unread. */
  parts: string[];
}

/** Failed calls that share one cause, and what they cost together. */
interface GapGroup {
  /** The call whose error is shown: a call that was made, not a dependant that was skipped. */
  gap: Gap;
  calls: string[];
  actions: string[];
  parts: string[];
  checks: CheckName[];
  where: string[];
}

export function codeForGap(gap: Gap): 'AWS_PERMISSION_DENIED' | 'AWS_THROTTLED' | 'AWS_API_ERROR' {
  if (gap.kind === 'permission') return 'AWS_PERMISSION_DENIED';
  if (gap.kind === 'throttled') return 'AWS_THROTTLED';
  return 'AWS_API_ERROR';
}

/** A gap whose call was never made because the call it depends on failed (dependentGap). */
const isDependent = (gap: Gap): boolean => / not made: /.test(gap.message);

/**
 * What makes two failed calls one cause. A denial is one policy to fix, throttling one rate, a
 * deadline or a connection error (ECONNREFUSED, ENOTFOUND…) one unreachable endpoint, whichever
 * call met it; any other API error is about that call and stays its own.
 */
export function causeKeyOf(gap: Gap): string {
  const shared =
    gap.kind === 'permission' ||
    gap.kind === 'throttled' ||
    gap.kind === 'timeout' ||
    /^E[A-Z_]+$/.test(gap.errorCode);
  // The hub role's denials are another policy to fix than the agent's.
  const who = gap.via ?? '';
  return shared
    ? `${who}\u0000${gap.kind}\u0000${gap.errorCode}`
    : `${who}\u0000${gap.kind}\u0000${gap.errorCode}\u0000${gap.call}`;
}

const gapKeyOf = (gap: Gap): string => `${gap.action}\u0000${gap.errorCode}`;

function union<T>(a: T[], b: T[]): T[] {
  return [...new Set([...a, ...b])];
}

function mergeGroup(into: GapGroup, from: GapGroup): void {
  if (isDependent(into.gap) && !isDependent(from.gap)) into.gap = from.gap;
  into.calls = union(into.calls, from.calls);
  into.actions = union(into.actions, from.actions);
  into.parts = union(into.parts, from.parts);
  into.checks = union(into.checks, from.checks);
  into.where = union(into.where, from.where);
}

function groupOf(gap: Gap, parts: string[], checks: CheckName[], where: string): GapGroup {
  return { gap, calls: [gap.call], actions: [gap.action], parts, checks, where: [where] };
}

/** The finding for one failed call; `parts` and `checks` say what it cost. */
export function findingForGap(
  gap: Gap,
  parts: string[],
  checks: CheckName[],
  where = 'the inventory',
): Finding {
  return findingForGroup(groupOf(gap, parts, checks, where));
}

function findingForGroup(group: GapGroup): Finding {
  const { gap, calls, actions, parts, checks } = group;
  const code = codeForGap(gap);
  const lost = checks.length > 0 ? `; checks without input: ${checks.join(', ')}` : '';
  const called = calls.length === 1 ? gap.call : `${calls.length} calls (${calls.join(', ')})`;
  const where = group.where.join(' and ');
  const evidence = {
    call: gap.call,
    action: gap.action,
    kind: gap.kind,
    errorCode: gap.errorCode,
    detail: gap.message,
    calls,
    actions,
    parts,
    checks,
    where: group.where,
    ...(gap.via ? { via: gap.via } : {}),
  };
  switch (code) {
    case 'AWS_PERMISSION_DENIED': {
      const reading = classifyAccessDenied(gap.message);
      const elsewhere = layerFix(reading, actions.join(', '));
      if (elsewhere && reading.layer) {
        // The sentence AWS returned names the layer that denied: the role's own policy is not it.
        return {
          check: 'context',
          code,
          status: 'unknown',
          message: `${called} denied (${gap.errorCode}) for ${where}: ${reading.deny === 'explicit' ? 'an explicit deny in' : 'no Allow in'} ${LAYER_WORDS[reading.layer]} for ${actions.join(', ')}${lost}`,
          fix: elsewhere[0]!.toUpperCase() + elsewhere.slice(1),
          evidence: { ...evidence, layer: reading.layer, deny: reading.deny },
        };
      }
      if (gap.via === 'hub-role' || actions.includes('sts:AssumeRole')) {
        // Issue 15: the hub role's policy, or the one statement that lets the agent assume it.
        const hubRole = gap.via === 'hub-role';
        return {
          check: 'context',
          code,
          status: 'unknown',
          message: `${called} denied (${gap.errorCode}) for ${where}: ${hubRole ? 'the hub role (configuration hub.roleArn) lacks' : "the agent's role may not assume the hub role:"} ${actions.join(', ')}${lost}`,
          fix: hubRole
            ? `Allow ${actions.join(', ')} in the hub role's policy (deploy/hub-read-policy.json)`
            : `Allow sts:AssumeRole on the hub role's ARN only (deploy/hub-assume-policy.json), and name the agent's role in the hub role's trust policy (with the external id when hub.externalId is set)`,
          evidence,
        };
      }
      return {
        check: 'context',
        code,
        status: 'unknown',
        message: `${called} denied (${gap.errorCode}) for ${where}: the agent's role lacks ${actions.join(', ')}${lost}`,
        fix: `Allow ${actions.join(', ')} on "*" in the agent's IAM role policy (see deploy/ for the full policy), e.g. aws iam put-role-policy --role-name ROLE --policy-name vpce-doctor --policy-document file://deploy/iam-policy.json`,
        evidence,
      };
    }
    case 'AWS_THROTTLED':
      return {
        check: 'context',
        code,
        status: 'unknown',
        message: `${called} throttled (${gap.errorCode}) after the SDK's retries for ${where}${lost}`,
        fix: `Lower the call rate on ${actions.join(', ')} in this account and Region: raise the agent's inventory TTL, run fewer agents per VPC, or find the other caller with CloudTrail (eventName ${calls.join(', ')})`,
        evidence,
      };
    default:
      return {
        check: 'context',
        code,
        status: 'unknown',
        message: `${called} failed (${gap.kind} ${gap.errorCode}: ${gap.message}) for ${where}${lost}`,
        fix:
          gap.kind === 'timeout'
            ? `Check that the agent reaches the EC2 API (an ec2 interface endpoint, or NAT) and raise the inventory timeout if the VPC is large`
            : `Check the EC2 endpoint the agent uses (AWS_ENDPOINT_URL_EC2 / the ec2 VPC endpoint) and retry; the error came from ${calls.join(', ')}`,
        evidence,
      };
  }
}

/**
 * The gaps a part holds: the part's own when it failed, else those of its items (a prefix list
 * whose entries could not be read is kept in the part, with its gap).
 */
function gapsOfPart(part: unknown): Gap[] {
  if (!part || typeof part !== 'object' || !('ok' in part)) return [];
  const p = part as { ok: boolean; gap?: Gap; value?: unknown };
  if (!p.ok) return p.gap ? [p.gap] : [];
  if (!Array.isArray(p.value)) return [];
  return p.value
    .map((item) => (item && typeof item === 'object' ? (item as { gap?: Gap }).gap : undefined))
    .filter((gap): gap is Gap => gap !== undefined && typeof gap === 'object');
}

/** Each gap of the snapshot with the part it cost (the chain's named by its own parts). */
function partGaps(inventory: Inventory): Array<{ name: string; consumers: CheckName[]; gap: Gap }> {
  return PART_NAMES.flatMap((name) =>
    name === 'chain'
      ? chainGaps(inventory.chain).map(({ part, gap }) => ({
          name: part,
          consumers: PART_CONSUMERS.chain,
          gap,
        }))
      : gapsOfPart(inventory[name]).map((gap) => ({ name, consumers: PART_CONSUMERS[name], gap })),
  );
}

/** One finding per cause (a dependent part names its original cause, so it folds in). */
export function findingsForGaps(inventory: Inventory): Finding[] {
  const byCause = new Map<string, GapGroup>();
  const where = `${inventory.vpcId} in ${inventory.region}`;
  for (const { name, consumers, gap } of partGaps(inventory)) {
    {
      const group = groupOf(gap, [name], consumers, where);
      const key = causeKeyOf(gap);
      const known = byCause.get(key);
      if (known) mergeGroup(known, group);
      else byCause.set(key, group);
    }
  }
  return [...byCause.values()].map(findingForGroup);
}

/** Every gap of the snapshot, once per IAM action and error: for the report's `inventory.gaps`. */
export function inventoryGaps(inventory: Inventory): ReportGap[] {
  const seen = new Map<string, ReportGap>();
  for (const { name, gap } of partGaps(inventory)) addGap(seen, gap, name);
  return [...seen.values()];
}

function addGap(seen: Map<string, ReportGap>, gap: Gap, part: string): void {
  const key = gapKeyOf(gap);
  const known = seen.get(key);
  if (!known) {
    seen.set(key, { ...gap, parts: [part] });
    return;
  }
  if (!known.parts.includes(part)) known.parts.push(part);
  // A skipped dependant repeats its cause's error; the call that was made says it better.
  if (isDependent(known) && !isDependent(gap)) Object.assign(known, { ...gap, parts: known.parts });
}

/** The group a gap finding was made from, read back from its evidence. */
function groupOfFinding(finding: Finding): GapGroup | undefined {
  if (!GAP_CODES.has(finding.code)) return undefined;
  const e = finding.evidence;
  const strings = (value: unknown): string[] | undefined =>
    Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : undefined;
  if (typeof e['call'] !== 'string' || typeof e['action'] !== 'string' || typeof e['kind'] !== 'string')
    return undefined;
  const gap: Gap = {
    call: e['call'],
    action: e['action'],
    kind: e['kind'] as Gap['kind'],
    errorCode: String(e['errorCode'] ?? ''),
    message: String(e['detail'] ?? ''),
    ...(e['via'] === 'hub-role' ? { via: 'hub-role' as const } : {}),
  };
  const where = strings(e['where']) ?? (typeof e['where'] === 'string' ? [e['where']] : []);
  return {
    gap,
    calls: strings(e['calls']) ?? [gap.call],
    actions: strings(e['actions']) ?? [gap.action],
    parts: strings(e['parts']) ?? [],
    checks: (strings(e['checks']) ?? []) as CheckName[],
    where,
  };
}

/**
 * The report's findings with each cause once: gap findings that share a cause (discovery's and
 * the inventory's ECONNREFUSED, say) become one naming every call, and a finding repeated word
 * for word is kept once. Order is kept: the first of a kind stands where it stood.
 */
export function mergeFindings(findings: Finding[]): Finding[] {
  const out: Finding[] = [];
  const groups = new Map<
    string,
    { group: GapGroup; status: Finding['status']; index: number; merged: boolean }
  >();
  const seen = new Set<string>();
  for (const finding of findings) {
    const group = groupOfFinding(finding);
    if (group) {
      const key = `${finding.status}\u0000${causeKeyOf(group.gap)}`;
      const known = groups.get(key);
      if (known) {
        mergeGroup(known.group, group);
        known.merged = true;
      } else {
        groups.set(key, { group, status: finding.status, index: out.length, merged: false });
        out.push(finding);
      }
      continue;
    }
    const key = `${finding.check}\u0000${finding.code}\u0000${finding.status}\u0000${finding.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(finding);
  }
  // A finding the runner made informational (nothing reads its data) keeps that status.
  for (const { group, status, index, merged } of groups.values()) {
    if (merged) out[index] = { ...findingForGroup(group), status };
  }
  return out;
}

/**
 * The report's `inventory.gaps`: the snapshot's, and the calls context discovery could not
 * make, each action and error once with every part it cost.
 */
export function reportGaps(inventory: Inventory | undefined, findings: Finding[]): ReportGap[] {
  const seen = new Map<string, ReportGap>();
  for (const finding of findings) {
    const group = groupOfFinding(finding);
    if (!group?.parts.includes('context')) continue;
    addGap(seen, group.gap, 'context');
  }
  if (inventory) {
    for (const { name, gap } of partGaps(inventory)) addGap(seen, gap, name);
  }
  return [...seen.values()];
}
