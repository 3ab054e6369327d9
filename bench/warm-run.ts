// Runs the agent's runner K times in one process, the way src/cli.ts builds it, and prints one
// JSON object: per run the report's duration and phases, every EC2 request with its duration
// (split into context discovery and inventory), and every DNS query's send time. Run 1 is cold
// (empty inventory cache); later runs reuse the cached inventory (warm). Between runs it waits
// until the DNS rate limiter's bucket is full again (burst / rate), as it is between the sidecar's
// scheduled runs: back to back, run 2 would measure the limiter refilling, not the agent.
// `--no-reuse` builds the runner as before issue 17 (createRunner's `reuse: false`: context
// rediscovered and full TLS handshakes every run, the inventory after the whole discovery), so
// one bench run measures both.
// Inside the lab: `lab exec -- node --import tsx bench/warm-run.ts [K] [--no-reuse]`.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { createEc2Client } from '../src/aws/ec2-client.js';
import { loadConfig } from '../src/config.js';
import { discoverContext } from '../src/context/index.js';
import type { TlsObservation } from '../src/model.js';
import type { Probes } from '../src/probe-plan.js';
import { createDnsLimiter, createProbes } from '../src/probes.js';
import { createRunner } from '../src/runner.js';
import { VERSION } from '../src/version.js';

export interface Ec2CallTiming {
  command: string;
  phase: 'context' | 'inventory';
  startMs: number;
  durationMs: number;
  ok: boolean;
}

export interface WarmRun {
  status: string;
  durationMs: number;
  phases: Record<string, number>;
  targets: number;
  summary: Record<string, number>;
  inventoryCalls: number;
  inventoryAgeMs: number;
  ec2: Ec2CallTiming[];
  /** Milliseconds from the run's start at which each DNS query got its rate-limiter token (was sent). */
  dnsQueryTimesMs: number[];
  /** The process's CPU time during the run (process.cpuUsage), user and system (the kernel's network path). */
  cpuUserMs?: number;
  cpuSystemMs?: number;
  /** TLS probes that completed a handshake, and how many of those resumed a kept session. */
  tlsHandshakes?: number;
  tlsResumed?: number;
}

export interface WarmRunOutput {
  runs: WarmRun[];
}

/** Which part of the run sent an EC2 request: discovery runs inside 'context', the rest is the inventory's. */
const phaseOf = new AsyncLocalStorage<Ec2CallTiming['phase']>();

async function main(runs: number, reuse: boolean): Promise<WarmRunOutput> {
  const env = process.env;
  const config = await loadConfig(env);
  const ec2 = createEc2Client({ env, requestTimeoutMs: config.timeouts.inventoryMs });
  // src/probes.ts createProbes, with the shared limiter's grants timed: a grant is a query sent.
  const limiter = createDnsLimiter(config.dnsQueriesPerSecond);
  const acquire = limiter.acquire.bind(limiter);
  limiter.acquire = (signal) =>
    acquire(signal).then(() => {
      dnsTimes.push(round(performance.now() - runStart));
    });
  const real = createProbes({ limiter });
  let tlsHandshakes = 0;
  let tlsResumed = 0;
  const counted = (observation: TlsObservation | undefined) => {
    if (observation?.outcome === 'ok') tlsHandshakes += 1;
    if (observation?.resumed) tlsResumed += 1;
    return observation;
  };
  const probeTcpTls = real.probeTcpTls?.bind(real);
  const probes: Probes = {
    ...real,
    probeTls: async (address, port, servername, options) =>
      counted(await real.probeTls(address, port, servername, options)) as TlsObservation,
    ...(probeTcpTls && {
      probeTcpTls: async (address, port, servername, options) => {
        const both = await probeTcpTls(address, port, servername, options);
        counted(both.tls);
        return both;
      },
    }),
  };

  let runStart = 0;
  let ec2Calls: Ec2CallTiming[] = [];
  let dnsTimes: number[] = [];

  const send = ec2.send.bind(ec2) as (command: unknown, options?: unknown) => Promise<unknown>;
  (ec2 as unknown as { send: typeof send }).send = async (command, options) => {
    const started = performance.now();
    const callPhase = phaseOf.getStore() ?? 'inventory';
    let ok = false;
    try {
      const out = await send(command, options);
      ok = true;
      return out;
    } finally {
      ec2Calls.push({
        command: (command as object).constructor.name.replace(/Command$/, ''),
        phase: callPhase,
        startMs: round(started - runStart),
        durationMs: round(performance.now() - started),
        ok,
      });
    }
  };

  const runner = createRunner({
    ec2: ec2 as EC2Client,
    env,
    config,
    probes,
    version: VERSION,
    reuse,
    // Context discovery exactly as the runner does it by default, inside the 'context' store;
    // the inventory it starts early (onVpc) runs outside it, so its calls count as the inventory's
    // even while discovery goes on.
    discover: (signal, { onVpc, vpcCidr }) =>
      phaseOf.run('context', () =>
        discoverContext({
          ec2,
          env,
          signal: AbortSignal.any([signal, AbortSignal.timeout(config.timeouts.contextMs)]),
          config: config.context,
          onVpc: (vpcId, region) => phaseOf.run('inventory', () => onVpc(vpcId, region)),
          vpcCidr,
        }),
      ),
  });

  const out: WarmRun[] = [];
  const refillMs = Math.ceil((limiter.burst / limiter.ratePerSecond) * 1000);
  for (let i = 0; i < runs; i += 1) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, refillMs));
    ec2Calls = [];
    dnsTimes = [];
    tlsHandshakes = 0;
    tlsResumed = 0;
    runStart = performance.now();
    const cpuBefore = process.cpuUsage();
    const report = await runner.run({ timeoutMs: config.timeouts.reportMs });
    const cpu = process.cpuUsage(cpuBefore);
    out.push({
      status: report.status,
      durationMs: report.durationMs,
      phases: report.phases,
      targets: report.targets.length,
      summary: report.summary,
      inventoryCalls: report.inventory.calls,
      inventoryAgeMs: report.inventory.ageMs,
      ec2: ec2Calls,
      dnsQueryTimesMs: dnsTimes.sort((a, b) => a - b),
      tlsHandshakes,
      tlsResumed,
      cpuUserMs: round(cpu.user / 1000),
      cpuSystemMs: round(cpu.system / 1000),
    });
  }
  return { runs: out };
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

const args = process.argv.slice(2);
const runs = Number(args.find((a) => !a.startsWith('--')) ?? '3');
main(Number.isInteger(runs) && runs > 0 ? runs : 3, !args.includes('--no-reuse')).then(
  (output) => {
    process.stdout.write(`${JSON.stringify(output)}\n`);
  },
  (error: unknown) => {
    process.stderr.write(`warm-run: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  },
);
