// Prometheus metrics for serve mode, built from each report as it arrives (not at scrape time,
// so a scrape costs a serialisation and never a run). One registry per app: tests build many.
//
// The set is sized for a fleet (docs/metrics.md): at most ten series per service, whatever the
// number of checks, and every per-service series is a gauge of the latest run. Blackbox and
// cloudprober keep per-probe latency as the last value too; the distribution over time is
// Prometheus's job (quantile_over_time), not one histogram per service in every sidecar.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Finding, Report, TargetReport } from './model.js';

/** Every value of the `status` label, always all present: 1 for the current one, 0 for the others. */
export const STATUSES = ['pass', 'warn', 'fail', 'unknown'] as const;
const RUN_BUCKETS = [0.25, 0.5, 1, 2.5, 5, 10, 30];
const PROBE_PHASES = [
  ['dns', 'dnsMs'],
  ['tcp', 'tcpMs'],
  ['tls', 'tlsMs'],
] as const;

/**
 * What a workload resolver's DNS finding says about "resolves to the endpoint's own ENIs":
 * 1 yes, 0 no (it answered elsewhere or not at all), undefined when the agent could not tell
 * (ENI IPs unread) or expects no private answer (DNS_PUBLIC_OK, DNS_NO_LOCAL_ENDPOINT). The
 * comparison findings (DNS_RESOLVERS_DISAGREE, DHCP_CUSTOM_DNS) are about another resolver.
 */
const DNS_PRIVATE: Record<string, 0 | 1> = {
  DNS_PRIVATE_OK: 1,
  DNS_RESOLVES_PUBLIC: 0,
  DNS_RESOLVES_UNEXPECTED_PRIVATE: 0,
  DNS_NXDOMAIN: 0,
  DNS_NODATA: 0,
  DNS_SERVFAIL: 0,
  DNS_REFUSED: 0,
  DNS_TIMEOUT: 0,
  DNS_MALFORMED_RESPONSE: 0,
  DNS_ERROR: 0,
};
const DNS_UNDECIDED = new Set(['DNS_ANSWER_UNVERIFIED', 'DNS_PUBLIC_OK', 'DNS_NO_LOCAL_ENDPOINT']);

/**
 * 1 when every workload resolver answered with the interface endpoint's ENI addresses, 0 when one
 * did not, undefined when that was not decided. Only interface endpoints are reached by DNS.
 */
export function dnsPrivate(target: TargetReport): 0 | 1 | undefined {
  if (target.endpointType !== 'Interface') return undefined;
  const verdicts = target.findings
    .filter((f: Finding) => f.check === 'dns' && (f.code in DNS_PRIVATE || DNS_UNDECIDED.has(f.code)))
    .map((f) => DNS_PRIVATE[f.code]);
  if (verdicts.includes(0)) return 0;
  if (verdicts.length === 0 || verdicts.includes(undefined)) return undefined;
  return 1;
}

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
  /** serve's schedule (VPCE_DOCTOR_INTERVAL_SECONDS): alerts judge report age against it. */
  scheduleIntervalSeconds?: number;
}

export function createMetrics(options: MetricsOptions): Metrics {
  const registry = new Registry();
  const clock = options.clock ?? Date.now;
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  let inventoryFetchedAt: number | undefined;
  const gauge = (name: string, help: string, labelNames: string[] = []) =>
    new Gauge({ name, help, labelNames, registers });
  const counter = (name: string, help: string, labelNames: string[] = []) =>
    new Counter({ name, help, labelNames, registers });

  gauge('vpce_doctor_build_info', 'Always 1; the version label says which vpce-doctor is running.', [
    'version',
  ]).set({ version: options.version }, 1);
  if (options.scheduleIntervalSeconds !== undefined) {
    gauge(
      'vpce_doctor_schedule_interval_seconds',
      'Seconds between scheduled reports (VPCE_DOCTOR_INTERVAL_SECONDS): a report older than a few of these is stale.',
    ).set(options.scheduleIntervalSeconds);
  }

  const contextInfo = gauge(
    'vpce_doctor_context_info',
    'Always 1; where the agent found itself in the latest report (empty label: not found).',
    ['vpc_id', 'subnet_id', 'availability_zone'],
  );
  const reportStatus = gauge(
    'vpce_doctor_report_status',
    'Overall status of the latest report: 1 for the current status, 0 for the other three.',
    ['status'],
  );
  const status = gauge(
    'vpce_doctor_status',
    'Status of each service in the latest report: 1 for the current status, 0 for the other three.',
    ['service', 'status'],
  );
  const targetInfo = gauge(
    'vpce_doctor_target_info',
    'Always 1; the endpoint each service is checked through and whether a profile or the configuration requires it.',
    ['service', 'endpoint_type', 'endpoint_id', 'required'],
  );
  const rootCause = gauge(
    'vpce_doctor_target_root_cause',
    'Always 1; the root-cause finding code of each service that does not pass, with its status.',
    ['service', 'code', 'status'],
  );
  const dnsPrivateGauge = gauge(
    'vpce_doctor_dns_private',
    "1 when the workload's resolver answered with the interface endpoint's own addresses, 0 when it did not; absent when undecided or not an interface endpoint.",
    ['service'],
  );
  const probePhaseSeconds = gauge(
    'vpce_doctor_probe_phase_duration_seconds',
    'Time of each probe phase in the latest run: dns (query), tcp (slowest connect on 443), tls (slowest handshake); absent when the phase did not succeed.',
    ['service', 'phase'],
  );
  const reportSeconds = new Histogram({
    name: 'vpce_doctor_report_duration_seconds',
    help: 'Wall time of a whole run, from context discovery to the report.',
    buckets: RUN_BUCKETS,
    registers,
  });
  const phaseSeconds = gauge(
    'vpce_doctor_report_phase_duration_seconds',
    'Time each phase of the latest run (context, inventory, probes, checks) took.',
    ['phase'],
  );
  const runs = counter(
    'vpce_doctor_runs_total',
    'Runs finished, by what started them (schedule or a ?fresh=1 request).',
    ['trigger'],
  );
  const runErrors = counter(
    'vpce_doctor_run_errors_total',
    'Runs that ended in an internal error (no report).',
    ['trigger'],
  );
  const rateLimited = counter(
    'vpce_doctor_fresh_rate_limited_total',
    'Requests for ?fresh=1 answered with the cached report because a fresh run happened too recently.',
  );
  const ec2Calls = counter(
    'vpce_doctor_ec2_api_calls_total',
    'EC2 API calls made, by action (each call counted once, after the SDK retries).',
    ['action'],
  );
  const ec2Errors = counter(
    'vpce_doctor_ec2_api_errors_total',
    'EC2 API calls that failed after retries, by action and error code.',
    ['action', 'error_code'],
  );
  const gaps = gauge(
    'vpce_doctor_inventory_gaps',
    'Describe calls missing from the latest inventory (value 1), with the IAM action and why.',
    ['action', 'kind', 'error_code'],
  );
  new Gauge({
    name: 'vpce_doctor_inventory_age_seconds',
    help: 'Age of the control-plane snapshot the latest report used, now (NaN: no snapshot read).',
    registers,
    collect() {
      // An unlabelled gauge cannot be absent, and 0 would claim a fresh snapshot.
      this.set(
        inventoryFetchedAt === undefined ? Number.NaN : Math.max(0, (clock() - inventoryFetchedAt) / 1000),
      );
    },
  });
  const lastReport = gauge(
    'vpce_doctor_last_report_timestamp_seconds',
    'Unix time the latest report finished; time() minus it is the report age.',
  );

  function observeTarget(target: TargetReport): void {
    const service = target.shortName;
    for (const s of STATUSES) status.set({ service, status: s }, target.status === s ? 1 : 0);
    targetInfo.set(
      {
        service,
        endpoint_type: target.endpointType,
        endpoint_id: target.endpointId ?? '',
        required: String(target.required),
      },
      1,
    );
    if (target.rootCause && target.status !== 'pass') {
      rootCause.set({ service, code: target.rootCause.code, status: target.status }, 1);
    }
    const isPrivate = dnsPrivate(target);
    if (isPrivate !== undefined) dnsPrivateGauge.set({ service }, isPrivate);
    for (const [phase, field] of PROBE_PHASES) {
      const ms = target.probe?.[field];
      if (ms !== undefined) probePhaseSeconds.set({ service, phase }, ms / 1000);
    }
  }

  function observeReport(report: Report, trigger: string): void {
    lastReport.set(clock() / 1000);
    const fetched = Date.parse(report.inventory.fetchedAt);
    inventoryFetchedAt = Number.isNaN(fetched) ? undefined : fetched;
    runs.inc({ trigger });
    reportSeconds.observe(report.durationMs / 1000);

    // A service, cause or context that went away must not linger with its last value.
    for (const gauge of [contextInfo, status, targetInfo, rootCause, dnsPrivateGauge, probePhaseSeconds]) {
      gauge.reset();
    }
    phaseSeconds.reset();
    gaps.reset();
    const { context } = report;
    contextInfo.set(
      {
        vpc_id: context.vpcId,
        subnet_id: context.subnetId,
        availability_zone: context.availabilityZone,
      },
      1,
    );
    for (const s of STATUSES) reportStatus.set({ status: s }, report.status === s ? 1 : 0);
    for (const [phase, ms] of Object.entries(report.phases)) phaseSeconds.set({ phase }, ms / 1000);
    for (const gap of report.inventory.gaps) {
      gaps.set({ action: gap.action, kind: gap.kind, error_code: gap.errorCode }, 1);
    }
    for (const target of report.targets) observeTarget(target);
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
