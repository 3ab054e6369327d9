// Runs the agent's runner K times in one process, the way src/cli.ts builds it, and prints one
// JSON object: per run the report's duration and phases, every EC2 request with its duration
// (split into context discovery and inventory), and every DNS query's send time. Run 1 is cold
// (empty inventory cache); later runs reuse the cached inventory (warm). Between runs it waits
// until the DNS rate limiter's bucket is full again (burst / rate), as it is between the sidecar's
// scheduled runs: back to back, run 2 would measure the limiter refilling, not the agent.
// Inside the lab: `lab exec -- node --import tsx bench/warm-run.ts [K]`.
import type { EC2Client } from '@aws-sdk/client-ec2';
import { createEc2Client } from '../src/aws/ec2-client.js';
import { loadConfig } from '../src/config.js';
import { discoverContext } from '../src/context/index.js';
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
}

export interface WarmRunOutput {
  runs: WarmRun[];
}

async function main(runs: number): Promise<WarmRunOutput> {
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
  const probes: Probes = createProbes({ limiter });

  let runStart = 0;
  let phase: Ec2CallTiming['phase'] = 'context';
  let ec2Calls: Ec2CallTiming[] = [];
  let dnsTimes: number[] = [];

  const send = ec2.send.bind(ec2) as (command: unknown, options?: unknown) => Promise<unknown>;
  (ec2 as unknown as { send: typeof send }).send = async (command, options) => {
    const started = performance.now();
    const callPhase = phase;
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
    // Context discovery exactly as the runner does it by default, marking where it ends so
    // the EC2 calls after it count as the inventory's.
    discover: async (signal) => {
      try {
        return await discoverContext({
          ec2,
          env,
          signal: AbortSignal.any([signal, AbortSignal.timeout(config.timeouts.contextMs)]),
          config: config.context,
        });
      } finally {
        phase = 'inventory';
      }
    },
  });

  const out: WarmRun[] = [];
  const refillMs = Math.ceil((limiter.burst / limiter.ratePerSecond) * 1000);
  for (let i = 0; i < runs; i += 1) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, refillMs));
    ec2Calls = [];
    dnsTimes = [];
    phase = 'context';
    runStart = performance.now();
    const report = await runner.run({ timeoutMs: config.timeouts.reportMs });
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
    });
  }
  return { runs: out };
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

const runs = Number(process.argv[2] ?? '3');
main(Number.isInteger(runs) && runs > 0 ? runs : 3).then(
  (output) => {
    process.stdout.write(`${JSON.stringify(output)}\n`);
  },
  (error: unknown) => {
    process.stderr.write(`warm-run: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  },
);
