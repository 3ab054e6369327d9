// Every gap in the snapshot becomes one finding that names the IAM action (or the error) and
// the checks that lose their input, so an `unknown` is never a mystery.
import type { CheckName, Finding, Gap, Inventory } from '../model.js';

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
  endpoints: ['endpoint', 'dns', 'tcp', 'tls', 'route', 'sg', 'nacl', 'profile'],
  endpointInterfaces: ['endpoint', 'dns', 'tcp', 'sg', 'nacl'],
  securityGroups: ['sg'],
  prefixLists: ['route', 'sg', 'nacl'],
  services: ['endpoint', 'dns'],
  flowLogs: ['flowlog'],
};

const PART_NAMES = Object.keys(PART_CONSUMERS) as PartName[];

export function codeForGap(gap: Gap): 'AWS_PERMISSION_DENIED' | 'AWS_THROTTLED' | 'AWS_API_ERROR' {
  if (gap.kind === 'permission') return 'AWS_PERMISSION_DENIED';
  if (gap.kind === 'throttled') return 'AWS_THROTTLED';
  return 'AWS_API_ERROR';
}

/** The finding for one failed call; `parts` and `checks` say what it cost. */
export function findingForGap(
  gap: Gap,
  parts: string[],
  checks: CheckName[],
  where = 'the inventory',
): Finding {
  const code = codeForGap(gap);
  const lost = checks.length > 0 ? `; checks without input: ${checks.join(', ')}` : '';
  const evidence = {
    call: gap.call,
    action: gap.action,
    kind: gap.kind,
    errorCode: gap.errorCode,
    detail: gap.message,
    parts,
    checks,
  };
  switch (code) {
    case 'AWS_PERMISSION_DENIED':
      return {
        check: 'context',
        code,
        status: 'unknown',
        message: `${gap.call} denied (${gap.errorCode}) for ${where}: the agent's role lacks ${gap.action}${lost}`,
        fix: `Allow ${gap.action} on "*" in the agent's IAM role policy (see deploy/ for the full policy), e.g. aws iam put-role-policy --role-name ROLE --policy-name vpce-doctor --policy-document file://deploy/iam-policy.json`,
        evidence,
      };
    case 'AWS_THROTTLED':
      return {
        check: 'context',
        code,
        status: 'unknown',
        message: `${gap.call} throttled (${gap.errorCode}) after the SDK's retries for ${where}${lost}`,
        fix: `Lower the call rate on ${gap.action} in this account and Region: raise the agent's inventory TTL, run fewer agents per VPC, or find the other caller with CloudTrail (eventName ${gap.call})`,
        evidence,
      };
    default:
      return {
        check: 'context',
        code,
        status: 'unknown',
        message: `${gap.call} failed (${gap.kind} ${gap.errorCode}: ${gap.message}) for ${where}${lost}`,
        fix:
          gap.kind === 'timeout'
            ? `Check that the agent reaches the EC2 API (an ec2 interface endpoint, or NAT) and raise the inventory timeout if the VPC is large`
            : `Check the EC2 endpoint the agent uses (AWS_ENDPOINT_URL_EC2 / the ec2 VPC endpoint) and retry; the error came from ${gap.call}`,
        evidence,
      };
  }
}

/** One finding per failed call (a dependent part names its original cause, so it folds in). */
export function findingsForGaps(inventory: Inventory): Finding[] {
  const byCause = new Map<string, { gap: Gap; parts: string[]; checks: Set<CheckName> }>();
  for (const name of PART_NAMES) {
    const part = inventory[name];
    if (part.ok) continue;
    const key = `${part.gap.call}\u0000${part.gap.errorCode}`;
    const entry = byCause.get(key) ?? { gap: part.gap, parts: [], checks: new Set<CheckName>() };
    entry.parts.push(name);
    for (const check of PART_CONSUMERS[name]) entry.checks.add(check);
    byCause.set(key, entry);
  }
  return [...byCause.values()].map(({ gap, parts, checks }) =>
    findingForGap(gap, parts, [...checks], `${inventory.vpcId} in ${inventory.region}`),
  );
}

/** Every gap of the snapshot, once per failed call: for the report's `inventory.gaps`. */
export function inventoryGaps(inventory: Inventory): Gap[] {
  const seen = new Map<string, Gap>();
  for (const name of PART_NAMES) {
    const part = inventory[name];
    if (!part.ok) seen.set(`${part.gap.call}\u0000${part.gap.errorCode}`, part.gap);
  }
  return [...seen.values()];
}
