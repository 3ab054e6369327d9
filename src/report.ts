// The report of DESIGN.md (schemaVersion 1), assembled from the verdicts. Pure.
import { mergeFindings, reportGaps } from './aws/gap-findings.js';
import { attachFixes } from './fixes/index.js';
import type { AgentContext, ContextSource, Finding, Inventory, Report, TargetReport } from './model.js';
import { overallStatus } from './verdict.js';

export interface ReportParts {
  version: string;
  startedAt: number;
  finishedAt: number;
  context?: AgentContext;
  inventory?: Inventory;
  inventoryAgeMs?: number;
  phases: Record<string, number>;
  findings: Finding[];
  targets: TargetReport[];
}

const EMPTY_CONTEXT: AgentContext = {
  region: '',
  vpcId: '',
  subnetId: '',
  availabilityZone: '',
  privateIp: '',
  securityGroupIds: [],
  resolvers: [],
  sources: {},
};

/**
 * The facts discovery did find when it could not find them all: CONTEXT_UNRESOLVED carries
 * them, so the report says the Region it knows instead of "".
 */
export function partialContext(findings: Finding[]): AgentContext {
  const unresolved = findings.find((f) => f.code === 'CONTEXT_UNRESOLVED');
  const found = (unresolved?.evidence['found'] ?? {}) as Record<string, unknown>;
  const sources = (unresolved?.evidence['sources'] ?? {}) as Record<string, ContextSource>;
  const text = (key: string): string => (typeof found[key] === 'string' ? (found[key] as string) : '');
  const groups = found['securityGroupIds'];
  const known = Object.fromEntries(
    Object.entries(sources).filter(([key]) => found[key] !== undefined && found[key] !== ''),
  ) as Record<string, ContextSource>;
  return {
    ...EMPTY_CONTEXT,
    region: text('region'),
    vpcId: text('vpcId'),
    subnetId: text('subnetId'),
    availabilityZone: text('availabilityZone') || text('availabilityZoneId'),
    ...(text('availabilityZoneId') ? { availabilityZoneId: text('availabilityZoneId') } : {}),
    privateIp: text('privateIp'),
    securityGroupIds: Array.isArray(groups) ? groups.filter((g): g is string => typeof g === 'string') : [],
    resolvers: [],
    sources: known,
    ...(text('accountId') ? { accountId: text('accountId') } : {}),
  };
}

export function buildReport(parts: ReportParts): Report {
  const summary = { pass: 0, warn: 0, fail: 0, unknown: 0 };
  for (const target of parts.targets) {
    if (target.status !== 'info') summary[target.status] += 1;
  }
  const findings = mergeFindings(parts.findings);
  const statuses = [...parts.targets.map((t) => t.status), ...findings.map((f) => f.status)];
  // With nothing to check and nothing wrong, we could not decide anything: say so.
  const status =
    parts.targets.length === 0 && !statuses.includes('fail') ? 'unknown' : overallStatus(statuses);
  const report: Report = {
    schemaVersion: 1,
    tool: { name: 'vpce-doctor', version: parts.version },
    status,
    startedAt: new Date(parts.startedAt).toISOString(),
    durationMs: Math.round(parts.finishedAt - parts.startedAt),
    context: parts.context ?? partialContext(parts.findings),
    inventory: {
      fetchedAt: parts.inventory ? new Date(parts.inventory.fetchedAt).toISOString() : '',
      ageMs: Math.round(parts.inventoryAgeMs ?? 0),
      calls: parts.inventory?.calls.length ?? 0,
      gaps: reportGaps(parts.inventory, parts.findings),
    },
    phases: Object.fromEntries(Object.entries(parts.phases).map(([k, v]) => [k, Math.round(v * 10) / 10])),
    findings,
    targets: parts.targets,
    summary,
  };
  return attachFixes(report, parts.inventory);
}

/** The CLI's exit code for a report: 0 pass or warn, 1 fail, 3 unknown. */
export function exitCodeFor(report: Report): number {
  switch (report.status) {
    case 'fail':
      return 1;
    case 'unknown':
      return 3;
    default:
      return 0;
  }
}
