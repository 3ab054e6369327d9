// CloudWatch Embedded Metric Format: JSON lines that CloudWatch Logs turns into metrics with no
// PutMetricData call. An EMF document takes each dimension's value from one root member, so one
// document can speak for one service only: a run writes one line per target (dimensions Service,
// and Service + Check) and one line for the run itself (dimension Subnet). Pure.
import type { Report, Status, TargetReport } from '../model.js';

export const EMF_NAMESPACE = 'VpceDoctor';

/** Metric values of `Status`: ordered so that an alarm on `>= 3` fires on failures only. */
export const STATUS_VALUE: Record<Exclude<Status, 'info'>, number> = {
  pass: 0,
  warn: 1,
  unknown: 2,
  fail: 3,
};

interface MetricDefinition {
  Name: string;
  Unit?: 'Milliseconds' | 'Count' | 'None';
}

interface MetricDirective {
  Namespace: string;
  Dimensions: string[][];
  Metrics: MetricDefinition[];
}

export interface EmfDocument {
  _aws: { Timestamp: number; CloudWatchMetrics: MetricDirective[] };
  [member: string]: unknown;
}

const TARGET_METRICS: MetricDefinition[] = [
  { Name: 'Status', Unit: 'None' },
  { Name: 'DnsMs', Unit: 'Milliseconds' },
  { Name: 'TcpMs', Unit: 'Milliseconds' },
  { Name: 'TlsMs', Unit: 'Milliseconds' },
];

const RUN_METRICS: MetricDefinition[] = [
  { Name: 'Status', Unit: 'None' },
  { Name: 'ReportMs', Unit: 'Milliseconds' },
  { Name: 'Failing', Unit: 'Count' },
];

/** The check that decided a target's status ('none' when it passes): a stable, small dimension. */
export function decidingCheck(target: TargetReport): string {
  if (!target.rootCause) return 'none';
  return target.findings.find((f) => f.code === target.rootCause?.code)?.check ?? 'verdict';
}

function statusValue(status: Status): number {
  return status === 'info' ? STATUS_VALUE.pass : STATUS_VALUE[status];
}

/** Where the agent runs, as plain members: searchable in Logs Insights, not dimensions (cost). */
function placeMembers(report: Report): Record<string, string> {
  const { context } = report;
  return {
    VpcId: context.vpcId || 'unknown',
    Subnet: context.subnetId || 'unknown',
    AvailabilityZone: context.availabilityZone || 'unknown',
    Region: context.region || 'unknown',
  };
}

/** Every EMF document of one run: one per target, then one for the run. */
export function buildEmfDocuments(report: Report, timestamp = Date.parse(report.startedAt)): EmfDocument[] {
  const place = placeMembers(report);
  const at = Number.isFinite(timestamp) ? timestamp : Date.now();
  const documents: EmfDocument[] = report.targets.map((target) => {
    // A metric with no value is left out of both the directive and the root: EMF rejects a
    // directive whose metric has no target member.
    const values: Record<string, number> = { Status: statusValue(target.status) };
    if (target.probe?.dnsMs !== undefined) values['DnsMs'] = target.probe.dnsMs;
    if (target.probe?.tcpMs !== undefined) values['TcpMs'] = target.probe.tcpMs;
    if (target.probe?.tlsMs !== undefined) values['TlsMs'] = target.probe.tlsMs;
    return {
      _aws: {
        Timestamp: at,
        CloudWatchMetrics: [
          {
            Namespace: EMF_NAMESPACE,
            Dimensions: [['Service'], ['Service', 'Check']],
            Metrics: TARGET_METRICS.filter((m) => m.Name in values),
          },
        ],
      },
      Service: target.shortName,
      Check: decidingCheck(target),
      ...values,
      ...place,
      ServiceName: target.service,
      ...(target.endpointId ? { EndpointId: target.endpointId } : {}),
      TargetStatus: target.status,
      ...(target.rootCause ? { RootCause: target.rootCause.code } : {}),
    };
  });
  documents.push({
    _aws: {
      Timestamp: at,
      CloudWatchMetrics: [{ Namespace: EMF_NAMESPACE, Dimensions: [['Subnet']], Metrics: RUN_METRICS }],
    },
    ...place,
    Status: STATUS_VALUE[report.status],
    ReportMs: report.durationMs,
    Failing: report.summary.fail,
    ReportStatus: report.status,
  });
  return documents;
}

/** The run's EMF lines, newline-terminated, ready for stdout (Lambda) or a log stream. */
export function renderEmf(report: Report, timestamp?: number): string {
  return buildEmfDocuments(report, timestamp)
    .map((d) => `${JSON.stringify(d)}\n`)
    .join('');
}
