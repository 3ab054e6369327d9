// When runs happen in serve mode: a jittered background schedule, plus fresh runs a request
// asks for. One run at a time: every caller that arrives while a run is in flight gets that
// run's result, so 100 concurrent `?fresh=1` cost one run, and a slow run never stacks up.
import type { Report } from './model.js';
import type { RunOptions } from './runner.js';

/** What serve needs of the runner: nothing a request says reaches `run` except `fresh`. */
export interface ReportSource {
  run(options?: RunOptions): Promise<Report>;
}

export type Trigger = 'schedule' | 'fresh';

export interface KeeperOptions {
  runner: ReportSource;
  /** The report deadline handed to every run. */
  timeoutMs?: number;
  /** At most one fresh run per this many ms; beyond it callers get the cached report. */
  freshMinIntervalMs?: number;
  clock?: () => number;
  onReport?: (report: Report, trigger: Trigger) => void;
  onError?: (error: unknown, trigger: Trigger) => void;
}

export interface Latest {
  report: Report;
  /** When the run finished (epoch ms). */
  finishedAt: number;
}

export type FreshOutcome =
  | { kind: 'ran'; latest: Latest }
  | { kind: 'rate-limited'; latest: Latest; retryInMs: number }
  | { kind: 'failed'; latest: Latest | undefined; error: unknown };

export interface ReportKeeper {
  latest(): Latest | undefined;
  /** The latest report, or the first run's when it is still in flight. Never starts a run. */
  latestOrFirst(): Promise<Latest | undefined>;
  /** A run ignoring the inventory cache, single-flight and rate-limited. */
  fresh(): Promise<FreshOutcome>;
  /** A scheduled run; joins the one in flight instead of overlapping it. */
  tick(): Promise<void>;
  /** Aborts the run in flight; later calls start nothing. */
  stop(): void;
  runsStarted(): number;
}

interface InFlight {
  fresh: boolean;
  promise: Promise<Latest>;
}

export function createReportKeeper(options: KeeperOptions): ReportKeeper {
  const clock = options.clock ?? Date.now;
  const freshMinIntervalMs = options.freshMinIntervalMs ?? 10_000;
  const abort = new AbortController();
  let latest: Latest | undefined;
  let inFlight: InFlight | undefined;
  let queuedFresh: Promise<Latest> | undefined;
  let lastFreshStart = Number.NEGATIVE_INFINITY;
  let started = 0;

  function start(fresh: boolean): Promise<Latest> {
    started += 1;
    if (fresh) lastFreshStart = clock();
    const trigger: Trigger = fresh ? 'fresh' : 'schedule';
    const promise = options.runner
      .run({
        signal: abort.signal,
        ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
        ...(fresh ? { fresh: true } : {}),
      })
      .then(
        (report) => {
          latest = { report, finishedAt: clock() };
          options.onReport?.(report, trigger);
          return latest;
        },
        (error: unknown) => {
          options.onError?.(error, trigger);
          throw error;
        },
      )
      .finally(() => {
        if (inFlight?.promise === promise) inFlight = undefined;
      });
    inFlight = { fresh, promise };
    return promise;
  }

  /** A fresh run after the one in flight: that one may have used a cached inventory. */
  function freshAfterCurrent(current: Promise<Latest>): Promise<Latest> {
    queuedFresh ??= current
      .catch(() => undefined)
      .then(() => {
        queuedFresh = undefined;
        if (abort.signal.aborted) throw new Error('serve is stopping');
        return start(true);
      });
    return queuedFresh;
  }

  async function fresh(): Promise<FreshOutcome> {
    let run: Promise<Latest>;
    if (inFlight?.fresh) run = inFlight.promise;
    else if (queuedFresh) run = queuedFresh;
    else {
      const sinceLast = clock() - lastFreshStart;
      if (latest && sinceLast < freshMinIntervalMs) {
        return { kind: 'rate-limited', latest, retryInMs: freshMinIntervalMs - sinceLast };
      }
      if (abort.signal.aborted) return { kind: 'failed', latest, error: new Error('serve is stopping') };
      run = inFlight ? freshAfterCurrent(inFlight.promise) : start(true);
    }
    try {
      return { kind: 'ran', latest: await run };
    } catch (error) {
      return { kind: 'failed', latest, error };
    }
  }

  async function tick(): Promise<void> {
    if (abort.signal.aborted) return;
    try {
      await (inFlight?.promise ?? start(false));
    } catch {
      // onError has it; the schedule goes on with the previous report.
    }
  }

  async function latestOrFirst(): Promise<Latest | undefined> {
    if (latest || !inFlight) return latest;
    try {
      return await inFlight.promise;
    } catch {
      return latest;
    }
  }

  return {
    latest: () => latest,
    latestOrFirst,
    fresh,
    tick,
    stop: () => abort.abort(new Error('serve is stopping')),
    runsStarted: () => started,
  };
}

export interface ScheduleOptions {
  intervalMs: number;
  /** ±fraction of the interval, so a fleet started together does not call EC2 in step. */
  jitter?: number;
  random?: () => number;
  tick: () => Promise<void>;
}

export interface Schedule {
  /** Resolves when the run in flight (if any) has settled. */
  stop(): Promise<void>;
}

/** Runs `tick` now, then again `intervalMs` (jittered) after each one finishes: never overlapping. */
export function startSchedule(options: ScheduleOptions): Schedule {
  const jitter = options.jitter ?? 0.1;
  const random = options.random ?? Math.random;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let current: Promise<void> = Promise.resolve();

  const delay = () => jitteredDelay(options.intervalMs, jitter, random);

  function next(): void {
    if (stopped) return;
    current = options.tick().finally(() => {
      if (!stopped) timer = setTimeout(next, delay());
    });
  }

  next();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await current.catch(() => undefined);
    },
  };
}

/** intervalMs ± jitter × intervalMs, uniformly. */
export function jitteredDelay(intervalMs: number, jitter: number, random: () => number): number {
  return Math.max(0, Math.round(intervalMs * (1 + jitter * (2 * random() - 1))));
}
