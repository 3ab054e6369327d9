// The report of DESIGN.md (schemaVersion 1), assembled from the verdicts. Pure.
import type { AgentContext, Finding, Gap, Inventory, Report, TargetReport } from './model.js';
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

export function buildReport(parts: ReportParts): Report {
  const summary = { pass: 0, warn: 0, fail: 0, unknown: 0 };
  for (const target of parts.targets) {
    if (target.status !== 'info') summary[target.status] += 1;
  }
  const statuses = [...parts.targets.map((t) => t.status), ...parts.findings.map((f) => f.status)];
  // With nothing to check and nothing wrong, we could not decide anything: say so.
  const status =
    parts.targets.length === 0 && !statuses.includes('fail') ? 'unknown' : overallStatus(statuses);
  const gaps: Gap[] = [];
  if (parts.inventory) {
    for (const part of Object.values(parts.inventory)) {
      if (part && typeof part === 'object' && 'ok' in part && part.ok === false) gaps.push(part.gap as Gap);
    }
  }
  return {
    schemaVersion: 1,
    tool: { name: 'vpce-doctor', version: parts.version },
    status,
    startedAt: new Date(parts.startedAt).toISOString(),
    durationMs: Math.round(parts.finishedAt - parts.startedAt),
    context: parts.context ?? EMPTY_CONTEXT,
    inventory: {
      fetchedAt: parts.inventory ? new Date(parts.inventory.fetchedAt).toISOString() : '',
      ageMs: Math.round(parts.inventoryAgeMs ?? 0),
      calls: parts.inventory?.calls.length ?? 0,
      gaps,
    },
    phases: Object.fromEntries(Object.entries(parts.phases).map(([k, v]) => [k, Math.round(v * 10) / 10])),
    findings: parts.findings,
    targets: parts.targets,
    summary,
  };
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
