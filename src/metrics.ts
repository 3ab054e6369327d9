// Prometheus metrics for serve mode, built from each report as it arrives (not at scrape time,
// so a scrape costs a serialisation and never a run). One registry per app: tests build many.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Report, Status } from './model.js';
import { overallStatus } from './verdict.js';

const STATUSES = ['pass', 'warn', 'fail', 'unknown'] as const;
const PROBE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const RUN_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 15, 30, 60];

export interface Metrics {
  registry: Registry;
  observeReport(report: Report, trigger: string): void;
  observeRunError(trigger: string): void;
  observeFreshRateLimited(): void;
  /** One EC2 API call as the SDK finished it (after its retries). */
  observeEc2Call(action: string, errorCode?: string): void;
}

export interface MetricsOptions {
  version: string;
  /** Process metrics (CPU, memory, event loop, GC); off in unit tests that build many apps. */
  processMetrics?: boolean;
  clock?: () => number;
}

export function createMetrics(options: MetricsOptions): Metrics {
  const registry = new Registry();
  const clock = options.clock ?? Date.now;
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  let lastFinishedAt: number | undefined;
  let inventoryFetchedAt: number | undefined;

  new Gauge({
    name: 'vpce_doctor_build_info',
    help: 'Always 1; the version label says which vpce-doctor is running.',
    labelNames: ['version'],
    registers,
  }).set({ version: options.version }, 1);

  const reportStatus = new Gauge({
    name: 'vpce_doctor_report_status',
    help: 'Overall status of the latest report: 1 for the current status, 0 for the others.',
    labelNames: ['status'],
    registers,
  });
  const targetStatus = new Gauge({
    name: 'vpce_doctor_target_status',
    help: 'Status of each target (service) in the latest report: 1 for the current status, 0 for the others.',
    labelNames: ['service', 'endpoint_type', 'status'],
    registers,
  });
  const checkStatus = new Gauge({
    name: 'vpce_doctor_check_status',
    help: 'Worst status of each check kind per target in the latest report (one series per target and check, value 1).',
    labelNames: ['service', 'check', 'status'],
    registers,
  });
  const rootCause = new Gauge({
    name: 'vpce_doctor_target_root_cause',
    help: 'The root-cause finding code of each target that does not pass (value 1).',
    labelNames: ['service', 'code', 'status'],
    registers,
  });
  const probeHistogram = (name: string, help: string) =>
    new Histogram({ name, help, labelNames: ['service'], buckets: PROBE_BUCKETS, registers });
  const dnsSeconds = probeHistogram(
    'vpce_doctor_dns_probe_duration_seconds',
    'DNS query time for the service hostname through the workload resolver, per run.',
  );
  const tcpSeconds = probeHistogram(
    'vpce_doctor_tcp_connect_duration_seconds',
    'TCP connect time to the endpoint on 443, per run.',
  );
  const tlsSeconds = probeHistogram(
    'vpce_doctor_tls_handshake_duration_seconds',
    'TLS handshake time with the service name as SNI, per run.',
  );
  const reportSeconds = new Histogram({
    name: 'vpce_doctor_report_duration_seconds',
    help: 'Wall time of a whole run, from context discovery to the report.',
    labelNames: ['trigger'],
    buckets: RUN_BUCKETS,
    registers,
  });
  const phaseSeconds = new Gauge({
    name: 'vpce_doctor_report_phase_duration_seconds',
    help: 'Time each phase (context, inventory, probes, checks) took in the latest report.',
    labelNames: ['phase'],
    registers,
  });
  const runs = new Counter({
    name: 'vpce_doctor_runs_total',
    help: 'Runs finished, by what started them (schedule or a ?fresh=1 request).',
    labelNames: ['trigger'],
    registers,
  });
  const runErrors = new Counter({
    name: 'vpce_doctor_run_errors_total',
    help: 'Runs that ended in an internal error (no report).',
    labelNames: ['trigger'],
    registers,
  });
  const rateLimited = new Counter({
    name: 'vpce_doctor_fresh_rate_limited_total',
    help: 'Requests for ?fresh=1 answered with the cached report because a fresh run happened too recently.',
    registers,
  });
  const ec2Calls = new Counter({
    name: 'vpce_doctor_ec2_api_calls_total',
    help: 'EC2 API calls made, by action (each call counted once, after the SDK retries).',
    labelNames: ['action'],
    registers,
  });
  const ec2Errors = new Counter({
    name: 'vpce_doctor_ec2_api_errors_total',
    help: 'EC2 API calls that failed after retries, by action and error code.',
    labelNames: ['action', 'error_code'],
    registers,
  });
  const gaps = new Gauge({
    name: 'vpce_doctor_inventory_gaps',
    help: 'Describe calls missing from the latest inventory (value 1), with the IAM action and why.',
    labelNames: ['action', 'kind', 'error_code'],
    registers,
  });
  new Gauge({
    name: 'vpce_doctor_inventory_age_seconds',
    help: 'Age of the control-plane snapshot the latest report used, now.',
    registers,
    collect() {
      if (inventoryFetchedAt !== undefined) this.set(Math.max(0, (clock() - inventoryFetchedAt) / 1000));
    },
  });
  new Gauge({
    name: 'vpce_doctor_report_age_seconds',
    help: 'Seconds since the latest report finished.',
    registers,
    collect() {
      if (lastFinishedAt !== undefined) this.set(Math.max(0, (clock() - lastFinishedAt) / 1000));
    },
  });
  const lastReport = new Gauge({
    name: 'vpce_doctor_last_report_timestamp_seconds',
    help: 'Unix time the latest report finished.',
    registers,
  });

  function observeReport(report: Report, trigger: string): void {
    lastFinishedAt = clock();
    lastReport.set(lastFinishedAt / 1000);
    const fetched = Date.parse(report.inventory.fetchedAt);
    inventoryFetchedAt = Number.isNaN(fetched) ? undefined : fetched;
    runs.inc({ trigger });
    reportSeconds.observe({ trigger }, report.durationMs / 1000);

    for (const status of STATUSES) reportStatus.set({ status }, report.status === status ? 1 : 0);
    // A target or check that went away must not linger with its last value.
    targetStatus.reset();
    checkStatus.reset();
    rootCause.reset();
    phaseSeconds.reset();
    gaps.reset();
    for (const [phase, ms] of Object.entries(report.phases)) phaseSeconds.set({ phase }, ms / 1000);
    for (const gap of report.inventory.gaps) {
      gaps.set({ action: gap.action, kind: gap.kind, error_code: gap.errorCode }, 1);
    }
    for (const target of report.targets) {
      const service = target.shortName;
      for (const status of STATUSES) {
        targetStatus.set(
          { service, endpoint_type: target.endpointType, status },
          target.status === status ? 1 : 0,
        );
      }
      const byCheck = new Map<string, Status[]>();
      for (const finding of target.findings) {
        byCheck.set(finding.check, [...(byCheck.get(finding.check) ?? []), finding.status]);
      }
      for (const [check, statuses] of byCheck) {
        checkStatus.set({ service, check, status: overallStatus(statuses) }, 1);
      }
      if (target.rootCause && target.status !== 'pass') {
        rootCause.set({ service, code: target.rootCause.code, status: target.status }, 1);
      }
      const probe = target.probe;
      if (probe?.dnsMs !== undefined) dnsSeconds.observe({ service }, probe.dnsMs / 1000);
      if (probe?.tcpMs !== undefined) tcpSeconds.observe({ service }, probe.tcpMs / 1000);
      if (probe?.tlsMs !== undefined) tlsSeconds.observe({ service }, probe.tlsMs / 1000);
    }
  }

  return {
    registry,
    observeReport,
    observeRunError: (trigger) => runErrors.inc({ trigger }),
    observeFreshRateLimited: () => rateLimited.inc(),
    observeEc2Call(action, errorCode) {
      ec2Calls.inc({ action });
      if (errorCode !== undefined) ec2Errors.inc({ action, error_code: errorCode });
    },
  };
}
