// The recent runs of `vpce-doctor serve`, kept in memory for the status page's plots. Bounded:
// a sidecar runs every minute for months, so only the last runs stay, each condensed to what
// the plots draw (a status and a latency per service), never the whole report.
import type { Report, Status } from './model.js';

/** Two hours at the default one-minute schedule. */
export const HISTORY_RUNS = 120;

export interface ServicePoint {
  status: Status;
  /**
   * DNS + TCP connect + TLS handshake, the time a client needs before its first request; absent
   * when the connection did not complete (a timeout is not a latency).
   */
  latencyMs?: number;
  /** The root cause's code, or the code that left the service undecided. */
  code?: string;
}

export interface RunPoint {
  startedAt: string;
  /** When the run finished (epoch ms): the plots' time axis. */
  finishedAt: number;
  status: Report['status'];
  /** shortName → what the run saw for that service. */
  services: Record<string, ServicePoint>;
}

export interface History {
  record(report: Report, finishedAt: number): void;
  /** The kept runs, oldest first. */
  runs(): readonly RunPoint[];
  readonly capacity: number;
}

/** The time a client spends connecting: only when TCP (and TLS, where it applies) completed. */
export function connectLatency(probe: Report['targets'][number]['probe']): number | undefined {
  if (probe?.tcp !== 'ok' || probe.tcpMs === undefined) return undefined;
  if (probe.tls !== 'n/a' && probe.tls !== 'skipped' && probe.tlsMs === undefined) return undefined;
  const total = (probe.dnsMs ?? 0) + probe.tcpMs + (probe.tlsMs ?? 0);
  return Math.round(total * 10) / 10;
}

export function condenseRun(report: Report, finishedAt: number): RunPoint {
  const services: Record<string, ServicePoint> = {};
  for (const target of report.targets) {
    const latencyMs = connectLatency(target.probe);
    const code =
      target.rootCause?.code ??
      (target.status === 'unknown' ? target.findings.find((f) => f.status === 'unknown')?.code : undefined);
    services[target.shortName] = {
      status: target.status,
      ...(latencyMs !== undefined ? { latencyMs } : {}),
      ...(code ? { code } : {}),
    };
  }
  return { startedAt: report.startedAt, finishedAt, status: report.status, services };
}

export function createHistory(capacity = HISTORY_RUNS): History {
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('history capacity must be ≥ 1');
  const kept: RunPoint[] = [];
  return {
    capacity,
    record(report, finishedAt) {
      kept.push(condenseRun(report, finishedAt));
      if (kept.length > capacity) kept.splice(0, kept.length - capacity);
    },
    runs: () => kept.slice(),
  };
}
