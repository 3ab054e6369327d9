// One function builds the runner from its dependencies (EC2 client, probes, clock, logger);
// the CLI, the server and the Lambda handler only wire it to their world.
// Data flows one way: context → inventory + probes → checks → verdicts → report.
import { setMaxListeners } from 'node:events';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { CHECKS } from '../checks/index.js';
import { createInventoryCache, type InventoryCache } from './aws/cache.js';
import type { ChainClients } from './aws/hub.js';
import { type Ec2, loadInventory } from './aws/inventory.js';
import type { Config } from './config.js';
import { discoverContext, findingsForGaps } from './context/index.js';
import type {
  AgentContext,
  Finding,
  Inventory,
  Report,
  Target,
  TargetObservations,
  TargetReport,
} from './model.js';
import { createTlsSessionCache } from './net/tls.js';
import { createPool, observeTarget, type Probes } from './probe-plan.js';
import { summarizeObservations } from './probe-summary.js';
import { buildReport } from './report.js';
import { buildTargets, fullServiceName } from './targets.js';
import { decideTarget } from './verdict.js';

const MAX_OPEN_SOCKETS = 256;

export interface RunnerDeps {
  /**
   * The EC2 client for a Region (cached per Region by the caller): the Region is often learned
   * only by discovery (IMDS, config), after the edge wired the runner. Preferred over `ec2`.
   */
  ec2For?: (region: string) => Ec2;
  /** One client whose Region the caller already fixed (a caller that knows where it runs). */
  ec2?: EC2Client;
  /**
   * The Route 53, Resolver and hub-role clients for a Region (src/aws/hub.ts): given, the
   * inventory also reads the hub-and-spoke chain (issue 15); absent, it does not.
   */
  chainFor?: (region: string) => ChainClients;
  env: NodeJS.ProcessEnv;
  config: Config;
  probes: Probes;
  version: string;
  clock?: () => number;
  /**
   * Replaces context discovery (tests, or a caller that already knows where it runs). `onVpc`,
   * when called as soon as the VPC and Region are known, starts the inventory beside the rest.
   */
  discover?: (
    signal: AbortSignal,
    hooks: {
      onVpc: (vpcId: string, region: string) => void;
      vpcCidr: (vpcId: string) => Promise<string | undefined> | undefined;
    },
  ) => Promise<{ context?: AgentContext; findings: Finding[] }>;
  /** Extra evidence for failing targets after the verdicts (flow-log REJECT records): I/O, so injected. */
  flowLogEvidence?: EvidenceSource;
  /**
   * false: every run discovers the context and does full TLS handshakes, and the inventory waits
   * for the whole discovery, as before issue 17 (the benches measure both ways in one run).
   */
  reuse?: boolean;
}

/** What the `evidence` phase hands an evidence source: the failing targets, after their verdicts. */
export interface EvidenceInput {
  context: AgentContext;
  inventory: Inventory;
  targets: TargetReport[];
  signal: AbortSignal;
}

/** Findings to add to each target of the input, in the same order. Must not throw. */
export type EvidenceSource = (input: EvidenceInput) => Promise<Finding[][]>;

export interface RunOptions {
  /** --service: narrow to these names. */
  only?: string[];
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Ignore the inventory cache, the discovered context and the TLS sessions. */
  fresh?: boolean;
  /** Workload profiles for this run only, added to the configured ones (a Lambda event's). */
  profiles?: string[];
}

export interface Runner {
  run(options?: RunOptions): Promise<Report>;
  /** The targets of the last run, for callers that validate --service names. */
  lastTargets(): Target[];
}

class Phases {
  readonly durations: Record<string, number> = {};
  constructor(private readonly clock: () => number) {}
  async time<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const start = this.clock();
    try {
      return await fn();
    } finally {
      this.durations[name] = this.clock() - start;
    }
  }
}

export function createRunner(deps: RunnerDeps): Runner {
  const ec2For = (region: string): Ec2 => {
    const client = deps.ec2For?.(region) ?? deps.ec2;
    if (!client) throw new Error('createRunner needs ec2For or ec2');
    return client;
  };
  const clock = deps.clock ?? (() => performance.timeOrigin + performance.now());
  const { config } = deps;
  const caches = new Map<string, InventoryCache>();
  let targetsOfLastRun: Target[] = [];
  // What does not change between runs, kept as long as the inventory (docs/caches.md): the
  // discovered context, and TLS sessions so warm handshakes resume instead of re-verifying.
  let discoveredAt: { result: Discovered; at: number } | undefined;
  const reuse = deps.reuse ?? true;
  const sessions = createTlsSessionCache({ ttlMs: config.inventoryTtlMs, clock });

  /** The context of a run: the cached one while it is younger than the inventory TTL. */
  async function discover(
    signal: AbortSignal,
    fresh: boolean,
    onVpc: (vpcId: string, region: string) => void,
    vpcCidr: (vpcId: string) => Promise<string | undefined> | undefined,
  ): Promise<Discovered & { cached: boolean }> {
    if (reuse && !fresh && discoveredAt && clock() - discoveredAt.at <= config.inventoryTtlMs)
      return { ...copyDiscovered(discoveredAt.result), cached: true };
    // Aged from its start: the inventory it asks for loads after, so the context expires first
    // and its rediscovery reloads the inventory with it (below), never the other way round.
    const at = clock();
    const result = deps.discover
      ? await deps.discover(signal, { onVpc, vpcCidr })
      : await discoverContext({
          ec2For,
          env: deps.env,
          signal: unlimitedListeners(
            AbortSignal.any([signal, AbortSignal.timeout(config.timeouts.contextMs)]),
          ),
          config: config.context,
          onVpc,
          vpcCidr,
        });
    // Only a context found is kept: a failed discovery is retried on the next run.
    discoveredAt = result.context ? { result: copyDiscovered(result), at } : undefined;
    return { ...result, cached: false };
  }

  function cacheFor(vpcId: string, region: string): InventoryCache {
    const key = cacheKey(vpcId, region);
    let cache = caches.get(key);
    if (!cache) {
      cache = createInventoryCache({
        ttlMs: config.inventoryTtlMs,
        clock,
        load: (signal: AbortSignal) =>
          loadInventory(ec2For(region), {
            vpcId,
            region,
            signal,
            timeoutMs: config.timeouts.inventoryMs,
            serviceNames: config.services.map((s) => fullServiceName(s.name, region)),
            ...(deps.chainFor
              ? {
                  chain: {
                    clients: deps.chainFor(region),
                    hostnames: config.services.flatMap((s) => (s.hostname ? [s.hostname] : [])),
                    always: config.hub !== undefined,
                  },
                }
              : {}),
          }),
      });
      caches.set(key, cache);
    }
    return cache;
  }

  async function run(options: RunOptions = {}): Promise<Report> {
    const startedAt = clock();
    const deadline = AbortSignal.timeout(options.timeoutMs ?? config.timeouts.reportMs);
    const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
    // Every probe of the run listens on this one signal: hundreds of listeners are expected.
    unlimitedListeners(signal);
    const phases = new Phases(clock);
    const findings: Finding[] = [];

    if (options.fresh) sessions.clear();
    // A context discovered anew comes with an inventory loaded anew: the two refresh together.
    const reloaded = reuse ? { signal, maxAgeMs: 0 } : { signal, ...(options.fresh ? { maxAgeMs: 0 } : {}) };
    // The inventory starts as soon as discovery knows the VPC: the rest of discovery (the
    // agent's security groups, the resolvers) overlaps it instead of running before it.
    let early:
      | { key: string; vpcId: string; snapshot: Promise<Awaited<ReturnType<InventoryCache['get']>>> }
      | undefined;
    const onVpc = (vpcId: string, region: string) => {
      if (!reuse || early || signal.aborted) return;
      const snapshot = cacheFor(vpcId, region).get(reloaded);
      snapshot.catch(() => {}); // awaited below when discovery agrees; dropped otherwise
      early = { key: cacheKey(vpcId, region), vpcId, snapshot };
    };
    // Discovery's own DescribeVpcs (for the resolvers' base+2) is the inventory's: taken from it.
    const vpcCidr = (vpcId: string) =>
      early?.vpcId === vpcId
        ? early.snapshot.then(({ inventory }) =>
            inventory.vpc.ok ? inventory.vpc.value.CidrBlock : undefined,
          )
        : undefined;
    const discovered = await phases.time('context', () =>
      discover(signal, options.fresh === true, onVpc, vpcCidr),
    );
    findings.push(...discovered.findings);
    const context = discovered.context;
    if (!context) {
      return buildReport({
        version: deps.version,
        startedAt,
        finishedAt: clock(),
        phases: phases.durations,
        findings,
        targets: [],
      });
    }
    for (const address of config.resolvers) {
      if (!context.resolvers.some((r) => r.address === address))
        context.resolvers.push({ address, source: 'config' });
    }

    const cache = cacheFor(context.vpcId, context.region);
    let snapshot: Awaited<ReturnType<InventoryCache['get']>>;
    try {
      const started = early?.key === cacheKey(context.vpcId, context.region) ? early.snapshot : undefined;
      snapshot = await phases.time(
        'inventory',
        () => started ?? cache.get(discovered.cached && !options.fresh ? { signal } : reloaded),
      );
    } catch (error) {
      if (!signal.aborted) throw error;
      findings.push(deadlineFinding('inventory', options.timeoutMs ?? config.timeouts.reportMs));
      return buildReport({
        version: deps.version,
        startedAt,
        finishedAt: clock(),
        context,
        phases: phases.durations,
        findings,
        targets: [],
      });
    }
    const { inventory, ageMs } = snapshot;
    findings.push(...findingsForGaps(inventory).map(withoutConsumers));
    // Only an AZ id known (use1-az1): the agent's subnet gives the name the report shows.
    if (!context.availabilityZone || context.availabilityZone === context.availabilityZoneId)
      fillAvailabilityZone(context, inventory);

    const runConfig = options.profiles
      ? { ...config, profiles: [...new Set([...config.profiles, ...options.profiles])] }
      : config;
    const targets = buildTargets(context, inventory, {
      config: runConfig,
      ...(options.only ? { only: options.only } : {}),
    });
    targetsOfLastRun = targets;

    // Every target at once, sockets bounded by one pool: silently dropped ENIs cost one probe
    // deadline together, not one each. Each target is judged as soon as its own probes end, while
    // the others' are still out (issue 17): `probes` runs until the last observation, `checks` is
    // the judging left after it.
    const sockets = createPool(MAX_OPEN_SOCKETS);
    const probesStarted = clock();
    let observedAt = probesStarted;
    const reports = await Promise.all(
      targets.map(async (target) => {
        const observed = await observeTarget(
          target,
          context,
          inventory,
          deps.probes,
          config.timeouts,
          signal,
          sockets,
          {
            canary: config.canary?.l7 ?? true,
            signed: config.canary?.signed ?? false,
            ...(reuse ? { sessions } : {}),
          },
        );
        observedAt = Math.max(observedAt, clock());
        return judgeTarget(observed.target, context, inventory, observed.observations);
      }),
    );
    phases.durations['probes'] = observedAt - probesStarted;
    phases.durations['checks'] = clock() - observedAt;
    let judged = reports;
    if (signal.aborted) {
      const finding = deadlineFinding('probes', options.timeoutMs ?? config.timeouts.reportMs);
      findings.push(finding);
      judged = reports.map((report) => undecidedByDeadline(report, finding));
    }

    // Evidence: only failing targets, after their verdicts; it adds findings, never changes a status.
    const failing = judged.filter((report) => report.status === 'fail');
    if (deps.flowLogEvidence && failing.length > 0 && !signal.aborted) {
      const source = deps.flowLogEvidence;
      const extra = await phases.time('evidence', () =>
        source({ context, inventory, targets: failing, signal }).catch((): Finding[][] => []),
      );
      failing.forEach((report, i) => {
        report.findings.push(...(extra[i] ?? []));
      });
    }

    return buildReport({
      version: deps.version,
      startedAt,
      finishedAt: clock(),
      context,
      inventory,
      inventoryAgeMs: ageMs,
      phases: phases.durations,
      findings,
      targets: judged,
    });
  }

  return { run, lastTargets: () => targetsOfLastRun };
}

type Discovered = { context?: AgentContext; findings: Finding[] };

const cacheKey = (vpcId: string, region: string): string => `${region}/${vpcId}`;

/** Each run gets its own copy: the runner fills in the AZ and configured resolvers on it. */
function copyDiscovered(result: Discovered): Discovered {
  return structuredClone(result);
}

/** A signal many concurrent requests listen on: Node warns past 10 listeners, which here is normal. */
function unlimitedListeners(signal: AbortSignal): AbortSignal {
  setMaxListeners(0, signal);
  return signal;
}

const ACTIVE_CHECKS = new Set<string>(Object.keys(CHECKS));

/** A call whose data no registered check reads (flow logs, for now) cannot make a run undecided. */
function withoutConsumers(finding: Finding): Finding {
  const checks = finding.evidence['checks'];
  if (!Array.isArray(checks) || checks.some((c) => ACTIVE_CHECKS.has(String(c)))) return finding;
  return { ...finding, status: 'info' };
}

/** Discovery may not know the AZ (no IMDS, DescribeSubnets denied then); the inventory's subnets do. */
function fillAvailabilityZone(context: AgentContext, inventory: Inventory): void {
  const subnet = inventory.subnets.ok
    ? inventory.subnets.value.find((s) => s.SubnetId === context.subnetId)
    : undefined;
  if (subnet?.AvailabilityZone) {
    context.availabilityZone = subnet.AvailabilityZone;
    context.sources['availabilityZone'] = 'ec2';
  }
  if (subnet?.AvailabilityZoneId && !context.availabilityZoneId) {
    context.availabilityZoneId = subnet.AvailabilityZoneId;
    context.sources['availabilityZoneId'] = 'ec2';
  }
}

/** Probes cut off by the report's deadline saw nothing: their target is undecided, not failed. */
function undecidedByDeadline(report: TargetReport, deadline: Finding): TargetReport {
  if (report.status !== 'fail') return report;
  return {
    ...report,
    status: 'unknown',
    rootCause: {
      code: deadline.code,
      message: deadline.message,
      ...(deadline.fix ? { fix: deadline.fix } : {}),
    },
  };
}

function deadlineFinding(phase: string, timeoutMs: number): Finding {
  return {
    check: 'context',
    code: 'REPORT_DEADLINE_EXCEEDED',
    status: 'unknown',
    message: `the report's deadline of ${timeoutMs} ms ran out during the ${phase} phase; results after it are incomplete`,
    fix: 'Raise --timeout-ms (or timeouts.reportMs), or look at why that phase is slow (EC2 API latency or throttling for inventory; silent drops for probes).',
    evidence: { phase, timeoutMs },
  };
}

/** Every registered check over one target, then the verdict. Pure. */
export function judgeTarget(
  target: Target,
  context: AgentContext,
  inventory: Inventory,
  observations: TargetObservations,
): TargetReport {
  const input = { context, inventory, target, observations };
  const findings = Object.values(CHECKS).flatMap((check) => check(input));
  const report = decideTarget(target, observations, findings);
  report.probe = summarizeObservations(target, context, inventory, observations);
  return report;
}
