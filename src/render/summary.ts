// What the text and markdown renderers both say about a report as a whole: where the agent is
// (only what was found, never an empty "()"), and counts that say when nothing was checked.
import type { Report, Status, TargetReport } from '../model.js';

/** A target some check decided; `unknown` and `info` ones were not checked. */
export const wasChecked = (t: TargetReport): boolean =>
  t.status === 'pass' || t.status === 'warn' || t.status === 'fail';

/**
 * Where the agent is: `vpc-… subnet-… (us-east-1a) 10.0.1.23`, `(AZ unknown)` when no step
 * found the AZ, and `context unresolved (found region us-east-1)` when discovery stopped short.
 */
export function describePlace(report: Report): { resolved: boolean; text: string } {
  const c = report.context;
  const az = c.availabilityZone ? `(${c.availabilityZone})` : '(AZ unknown)';
  const unresolved = !c.vpcId || report.findings.some((f) => f.code === 'CONTEXT_UNRESOLVED');
  if (!unresolved) return { resolved: true, text: `${c.vpcId} ${c.subnetId} ${az} ${c.privateIp}` };
  const found = [
    c.region && `region ${c.region}`,
    c.vpcId,
    c.subnetId,
    c.availabilityZone && `AZ ${c.availabilityZone}`,
    c.privateIp,
  ].filter(Boolean);
  return {
    resolved: false,
    text: `context unresolved${found.length > 0 ? ` (found ${found.join(', ')})` : ''}`,
  };
}

export function countTargets(targets: TargetReport[]): Record<Status, number> {
  const counts: Record<Status, number> = { pass: 0, warn: 0, fail: 0, unknown: 0, info: 0 };
  for (const t of targets) counts[t.status] += 1;
  return counts;
}

/**
 * Why nothing was checked, when nothing was: `no targets (CONTEXT_UNRESOLVED, AWS_API_ERROR)` or
 * `3 unknown (AWS_PERMISSION_DENIED)`. Undefined when some target was checked.
 */
export function nothingChecked(report: Report): string | undefined {
  if (report.targets.some(wasChecked)) return undefined;
  const codes = new Set<string>();
  for (const f of report.findings) if (f.status === 'fail' || f.status === 'unknown') codes.add(f.code);
  for (const t of report.targets) {
    const code = t.rootCause?.code ?? t.findings.find((f) => f.status === 'unknown')?.code;
    if (code && t.status === 'unknown') codes.add(code);
  }
  const why = codes.size > 0 ? ` (${[...codes].join(', ')})` : '';
  if (report.targets.length === 0) return `no targets${why}`;
  const counts = countTargets(report.targets);
  const listed = [counts.unknown ? `${counts.unknown} unknown` : '', counts.info ? `${counts.info} info` : '']
    .filter(Boolean)
    .join(', ');
  return `${listed}${why}`;
}
