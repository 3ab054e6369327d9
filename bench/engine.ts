// The engine's speed benchmarks: one command, every figure from that run, written to
// bench/RESULTS.md. Needs root (it brings the lab up twice). See bench/README.md.
//
//   node --import tsx bench/engine.ts [--reps N]      (npm run bench builds dist/ first)

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import '../src/quiet-warnings.js';
import { EC2Client } from '@aws-sdk/client-ec2';
import { loadInventory } from '../src/aws/inventory.js';
import { DEFAULT_TIMEOUTS } from '../src/config.js';
import type { Report } from '../src/model.js';
import { createDnsLimiter } from '../src/probes.js';
import { buildWorld } from '../test/integration/inventory-world.js';
import type { LabState } from '../test/lab/index.js';
import { labDown, labExec, labUp, preflightProblem, readState } from '../test/lab/index.js';
import { inNs, runScript } from '../test/lab/shell.js';
import { startMoto } from '../test/support/moto.js';
import { baseMachineFacts, ensureBuilt } from './common.js';
import type { WarmRun, WarmRunOutput } from './warm-run.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const RESULTS = join(ROOT, 'bench', 'RESULTS.md');
const REPORT = ['node', 'bin/vpce-doctor.js', 'report', '--format', 'json'];
const WARM = ['node', '--import', 'tsx', 'bench/warm-run.ts'];
const WARM_RUNS_PER_PROCESS = 3;
const SCALE = 50;
const EC2_SIZES = [1, 10, 50];
const DROP_COUNTS = [1, 40];
const ENDPOINTS_NS = 'vdl-endpoints';
const TCP_DEADLINE_MS = DEFAULT_TIMEOUTS.tcpMs;
const DNS_LIMIT_PER_ENI = 1024;
/** The agent's defaults (rate from src/config.ts dnsQueriesPerSecond, burst from the limiter). */
const LIMITER = createDnsLimiter();

const log = (msg: string): void => {
  process.stderr.write(`bench: ${msg}\n`);
};

// ---- numbers ----------------------------------------------------------------------------

interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

function spread(values: number[]): Spread {
  if (values.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted.at(-1)!, n: sorted.length };
}

function ms(s: Spread, digits = 0): string {
  if (s.n === 0) return '–';
  const f = (v: number) => v.toFixed(digits);
  return s.n === 1 ? `${f(s.median)}` : `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
}

const pick = <T>(items: T[], fn: (item: T) => number): Spread => spread(items.map(fn));
const passFail = (ok: boolean): string => (ok ? '**pass**' : '**FAIL**');

// ---- the agent in the lab ---------------------------------------------------------------

interface ColdSample {
  wallMs: number;
  report: Report;
}

async function coldReport(): Promise<ColdSample> {
  const started = performance.now();
  const result = await labExec(REPORT, { timeoutMs: 60_000 });
  const wallMs = performance.now() - started;
  try {
    return { wallMs, report: JSON.parse(result.stdout) as Report };
  } catch {
    throw new Error(`no JSON report (exit ${result.code}): ${result.stderr || result.stdout}`);
  }
}

async function coldReports(reps: number): Promise<ColdSample[]> {
  const samples: ColdSample[] = [];
  for (let i = 0; i < reps; i += 1) samples.push(await coldReport());
  return samples;
}

async function warmProcesses(processes: number): Promise<WarmRun[][]> {
  const out: WarmRun[][] = [];
  for (let i = 0; i < processes; i += 1) {
    const result = await labExec([...WARM, String(WARM_RUNS_PER_PROCESS)], { timeoutMs: 120_000 });
    if (result.code !== 0) throw new Error(`warm-run failed (exit ${result.code}): ${result.stderr}`);
    out.push((JSON.parse(result.stdout) as WarmRunOutput).runs);
  }
  return out;
}

interface LabMeasurements {
  scenario: string;
  endpoints: number;
  enis: number;
  /** The first report after `lab up`, not counted: it also pays moto's lazy start-up. */
  firstAfterUp: ColdSample;
  cold: ColdSample[];
  /** per process: run 1 cold, the rest warm */
  inProcess: WarmRun[][];
}

async function measureLab(state: LabState, reps: number): Promise<LabMeasurements> {
  const interfaces = Object.values(state.aws.endpoints).filter((e) => e.type === 'Interface');
  log(`${state.scenario}: one report to warm moto up, then ${reps} cold reports`);
  const firstAfterUp = await coldReport();
  const cold = await coldReports(reps);
  log(`${state.scenario}: ${Math.max(2, Math.ceil(reps / 2))} processes of ${WARM_RUNS_PER_PROCESS} runs`);
  const inProcess = await warmProcesses(Math.max(2, Math.ceil(reps / 2)));
  return {
    scenario: state.scenario,
    endpoints: Object.keys(state.aws.endpoints).length,
    enis: interfaces.reduce((n, e) => n + e.eniIps.length, 0),
    firstAfterUp,
    cold,
    inProcess,
  };
}

interface DropRow {
  dropped: number;
  samples: ColdSample[];
}

/**
 * Drops tcp/443 to `count` ENI IPs inside vdl-endpoints (as a host firewall would, silently),
 * measures, and removes exactly those rules. The ENIs are the first of the endpoints the agent
 * probes last (targets go in name order), so every row pays the whole DNS spread before its
 * TCP deadline: the rows differ only in the number of dropped ENIs.
 */
async function dropRows(state: LabState, reps: number, baseline: ColdSample[]): Promise<DropRow[]> {
  const rows: DropRow[] = [{ dropped: 0, samples: baseline }];
  const lastFirst = Object.entries(state.eniIps)
    .sort(([a], [b]) => b.localeCompare(a))
    .map(([, ips]) => ips[0]!);
  for (const count of DROP_COUNTS) {
    const ips = lastFirst.slice(0, count);
    if (ips.length < count) throw new Error(`the lab has only ${ips.length} interface endpoints`);
    const rule = (op: '-A' | '-D', ip: string) =>
      inNs(ENDPOINTS_NS, [
        'iptables',
        '-w',
        op,
        'INPUT',
        '-p',
        'tcp',
        '--dport',
        '443',
        '-d',
        ip,
        '-j',
        'DROP',
      ]).join(' ');
    await runScript(ips.map((ip) => rule('-A', ip)));
    try {
      log(`${state.scenario}: ${count} dropped ENIs, ${reps} cold reports`);
      rows.push({ dropped: count, samples: await coldReports(reps) });
    } finally {
      await runScript(ips.map((ip) => rule('-D', ip)));
    }
  }
  return rows;
}

// ---- EC2 calls per inventory (moto on loopback, host) -----------------------------------

interface Ec2Row {
  interfaceEndpoints: number;
  enis: number;
  calls: number[];
  pages: number[];
  durationMs: number[];
  slowestCallMs: number[];
  callNames: string;
}

async function measureEc2Calls(reps: number): Promise<Ec2Row[]> {
  const moto = await startMoto();
  const ec2 = new EC2Client({
    endpoint: moto.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  const rows: Ec2Row[] = [];
  try {
    for (const n of EC2_SIZES) {
      await moto.reset();
      log(`moto: a VPC with ${n} interface endpoints`);
      const world = await buildWorld(ec2, { interfaceEndpoints: n });
      const row: Ec2Row = {
        interfaceEndpoints: n,
        enis: 2 * n,
        calls: [],
        pages: [],
        durationMs: [],
        slowestCallMs: [],
        callNames: '',
      };
      for (let i = 0; i < reps; i += 1) {
        const inventory = await loadInventory(ec2, { vpcId: world.vpcId, region: 'us-east-1' });
        const gaps = Object.values(inventory).filter(
          (p) => p && typeof p === 'object' && 'ok' in p && p.ok === false,
        );
        if (gaps.length > 0) throw new Error(`inventory of ${n} endpoints has gaps: ${JSON.stringify(gaps)}`);
        row.calls.push(inventory.calls.length);
        row.pages.push(inventory.calls.reduce((s, c) => s + c.pages, 0));
        row.durationMs.push(inventory.durationMs);
        row.slowestCallMs.push(Math.max(...inventory.calls.map((c) => c.durationMs)));
        row.callNames = countNames(inventory.calls.map((c) => c.call));
      }
      rows.push(row);
    }
  } finally {
    ec2.destroy();
    await moto.stop();
  }
  return rows;
}

function countNames(names: string[]): string {
  const counts = new Map<string, number>();
  for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
  return [...counts.entries()].map(([n, c]) => (c > 1 ? `${n}×${c}` : n)).join(', ');
}

// ---- machine ----------------------------------------------------------------------------

function sh(argv: string[]): string {
  try {
    return execFileSync(argv[0]!, argv.slice(1), {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return 'unknown';
  }
}

function machineFacts(): Array<[string, string]> {
  return [
    ...baseMachineFacts(),
    ['moto', sh(['python3', '-c', 'import moto; print(moto.__version__)'])],
    ['dnsmasq', sh(['dnsmasq', '--version']).split('\n')[0] ?? 'unknown'],
    [
      'load average at start (1/5/15 min)',
      loadavg()
        .map((l) => l.toFixed(2))
        .join(' / '),
    ],
  ];
}

// ---- derived figures --------------------------------------------------------------------

function warmRuns(m: LabMeasurements): WarmRun[] {
  return m.inProcess.flatMap((runs) => runs.slice(1));
}

function coldInProcess(m: LabMeasurements): WarmRun[] {
  return m.inProcess.map((runs) => runs[0]!);
}

function slowestInventoryCall(run: WarmRun): number {
  return Math.max(0, ...run.ec2.filter((c) => c.phase === 'inventory').map((c) => c.durationMs));
}

function slowestInventoryCommand(run: WarmRun): string {
  const slowest = slowestInventoryCall(run);
  return run.ec2.find((c) => c.phase === 'inventory' && c.durationMs === slowest)?.command ?? '–';
}

/** The most queries sent within any 1000 ms window. */
function peakPerSecond(times: number[]): number {
  let peak = 0;
  let start = 0;
  for (let end = 0; end < times.length; end += 1) {
    while (times[end]! - times[start]! >= 1000) start += 1;
    peak = Math.max(peak, end - start + 1);
  }
  return peak;
}

// ---- the report -------------------------------------------------------------------------

interface Results {
  reps: number;
  facts: Array<[string, string]>;
  totalSeconds: number;
  ec2: Ec2Row[];
  labs: LabMeasurements[];
  drops: DropRow[];
  loadAtEnd: string;
}

function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

function render(r: Results): string {
  const healthy = r.labs[0]!;
  const scale = r.labs[1]!;
  const out: string[] = [];
  out.push(
    '# Engine benchmark results',
    '',
    `Generated by \`node --import tsx bench/engine.ts --reps ${r.reps}\` (\`npm run bench\`) in ${r.totalSeconds.toFixed(0)} s. ` +
      'Do not edit by hand: rerun the command. Every figure below comes from that one run; ' +
      'cells read `median (min–max)` in milliseconds unless they say otherwise. What each row means: bench/README.md.',
    '',
    '## Machine',
    '',
    table(['fact', 'value'], [...r.facts, ['load average at end (1/5/15 min)', r.loadAtEnd]]),
    '',
  );

  // 1 + 3: cold reports, fresh processes.
  out.push(
    '## 1, 3. Cold report (fresh agent process, empty inventory cache)',
    '',
    'Command, per scenario: `npm run lab -- up --scenario SCENARIO` then ' +
      '`npm run lab -- exec -- node bin/vpce-doctor.js report --format json` (read `durationMs`, `phases`).',
    '',
    table(
      [
        'scenario',
        'endpoints (ENIs)',
        'n',
        'status',
        'durationMs',
        'context',
        'inventory',
        'probes',
        'checks',
        'process wall time',
        'EC2 calls',
      ],
      r.labs.map((m) => [
        m.scenario,
        `${m.endpoints} (${m.enis})`,
        String(m.cold.length),
        [...new Set(m.cold.map((s) => s.report.status))].join(','),
        ms(pick(m.cold, (s) => s.report.durationMs)),
        ms(pick(m.cold, (s) => s.report.phases['context'] ?? 0)),
        ms(pick(m.cold, (s) => s.report.phases['inventory'] ?? 0)),
        ms(pick(m.cold, (s) => s.report.phases['probes'] ?? 0)),
        ms(pick(m.cold, (s) => s.report.phases['checks'] ?? 0)),
        ms(pick(m.cold, (s) => s.wallMs)),
        [...new Set(m.cold.map((s) => s.report.inventory.calls))].join(','),
      ]),
    ),
    '',
    `Not counted: the first report after \`lab up\` (moto builds its backends lazily on first use): ${r.labs
      .map(
        (m) =>
          `${m.scenario} ${m.firstAfterUp.report.durationMs} ms (inventory ${Math.round(m.firstAfterUp.report.phases['inventory'] ?? 0)} ms)`,
      )
      .join(', ')}.`,
    '',
  );

  // 2 + 3: warm reports.
  const warmTarget = 100;
  const scaleWarm = pick(warmRuns(scale), (w) => w.durationMs);
  out.push(
    '## 2, 3. Warm report (same process, cached inventory)',
    '',
    `Command: \`npm run lab -- exec -- node --import tsx bench/warm-run.ts ${WARM_RUNS_PER_PROCESS}\` ` +
      `(runs the runner ${WARM_RUNS_PER_PROCESS} times in one process, built as src/cli.ts builds it; run 1 is cold, runs 2–${WARM_RUNS_PER_PROCESS} warm). ` +
      `Samples: ${healthy.inProcess.length} processes × ${WARM_RUNS_PER_PROCESS - 1} warm runs.`,
    '',
    table(
      [
        'scenario',
        'endpoints (ENIs)',
        'n',
        'in-process cold durationMs',
        'warm durationMs',
        'warm context',
        'warm inventory',
        'warm probes',
        'warm checks',
        'EC2 requests per warm run',
      ],
      r.labs.map((m) => {
        const warm = warmRuns(m);
        return [
          m.scenario,
          `${m.endpoints} (${m.enis})`,
          String(warm.length),
          ms(pick(coldInProcess(m), (w) => w.durationMs)),
          ms(pick(warm, (w) => w.durationMs)),
          ms(
            pick(warm, (w) => w.phases['context'] ?? 0),
            1,
          ),
          ms(
            pick(warm, (w) => w.phases['inventory'] ?? 0),
            1,
          ),
          ms(pick(warm, (w) => w.phases['probes'] ?? 0)),
          ms(
            pick(warm, (w) => w.phases['checks'] ?? 0),
            1,
          ),
          [...new Set(warm.map((w) => w.ec2.length))].join(','),
        ];
      }),
    ),
    '',
    `Where the warm time goes: the agent's DNS rate limiter (src/net/rate-limit.ts, ${LIMITER.ratePerSecond}/s, burst ${LIMITER.burst}) ` +
      `alone needs at least (queries − burst) / rate = ${r.labs
        .map((m) => {
          const queries = warmRuns(m)[0]?.dnsQueryTimesMs.length ?? 0;
          return `${m.scenario}: (${queries} − ${LIMITER.burst}) / ${LIMITER.ratePerSecond} = ${Math.max(0, ((queries - LIMITER.burst) / LIMITER.ratePerSecond) * 1000).toFixed(0)} ms`;
        })
        .join('; ')} of every warm run's probes phase.`,
    '',
    `Target (issue): warm report for 100 ENIs under ${warmTarget} ms. Measured (${scale.scenario}, ${scale.enis} ENIs): ` +
      `median ${scaleWarm.median.toFixed(0)} ms = ${(scaleWarm.median / warmTarget).toFixed(1)}× the target → ${passFail(scaleWarm.median < warmTarget)}.`,
    '',
  );

  // 4: EC2 calls.
  const callCounts = new Set(r.ec2.flatMap((row) => row.calls));
  out.push(
    '## 4. EC2 calls per cold inventory (moto on loopback, `loadInventory` in-process on the host)',
    '',
    'Command: part of `node --import tsx bench/engine.ts` (moto from test/support/moto.ts, the VPC from ' +
      'test/integration/inventory-world.ts: 2 subnets, N interface endpoints with an ENI in each, one s3 gateway endpoint, ' +
      'a flow log, a customer-managed prefix list). No probes.',
    '',
    table(
      [
        'interface endpoints (ENIs)',
        'n',
        'logical calls',
        'pages (requests)',
        'inventory ms',
        'slowest call ms',
        'calls',
      ],
      r.ec2.map((row) => [
        `${row.interfaceEndpoints} (${row.enis})`,
        String(row.calls.length),
        [...new Set(row.calls)].join(','),
        [...new Set(row.pages)].join(','),
        ms(spread(row.durationMs)),
        ms(spread(row.slowestCallMs), 1),
        row.callNames,
      ]),
    ),
    '',
    `Target: constant in the number of endpoints. Measured: ${[...callCounts].join(', ')} call(s) for ` +
      `${EC2_SIZES.join(', ')} endpoints → ${passFail(callCounts.size === 1)}. ` +
      '(moto returns every Describe* result in one page; against AWS, pages grow with the result size and calls do not.)',
    '',
  );

  // 5: dropped ENIs.
  const base = r.drops.find((d) => d.dropped === 0)!;
  const one = r.drops.find((d) => d.dropped === 1)!;
  const forty = r.drops.find((d) => d.dropped === 40)!;
  const t1 = spread(one.samples.map((s) => s.report.durationMs)).median;
  const t40 = spread(forty.samples.map((s) => s.report.durationMs)).median;
  const t0 = spread(base.samples.map((s) => s.report.durationMs)).median;
  out.push(
    `## 5. Silently dropped ENIs (${scale.scenario})`,
    '',
    `Command: with \`${scale.scenario}\` up, \`ip netns exec ${ENDPOINTS_NS} iptables -A INPUT -p tcp --dport 443 -d ENI_IP -j DROP\` ` +
      'for each dropped ENI (the first ENI of the endpoints the agent probes last), then the cold report command of section 1.',
    '',
    table(
      ['dropped ENIs', 'n', 'durationMs', 'probes', 'targets not passing', 'root causes'],
      r.drops.map((d) => [
        String(d.dropped),
        String(d.samples.length),
        ms(pick(d.samples, (s) => s.report.durationMs)),
        ms(pick(d.samples, (s) => s.report.phases['probes'] ?? 0)),
        [...new Set(d.samples.map((s) => s.report.targets.filter((t) => t.status !== 'pass').length))].join(
          ',',
        ),
        [
          ...new Set(
            d.samples.flatMap((s) =>
              s.report.targets.map((t) => t.rootCause?.code).filter((c) => c !== undefined),
            ),
          ),
        ].join(', ') || '–',
      ]),
    ),
    '',
    `Target: the drops cost one TCP probe deadline (${TCP_DEADLINE_MS} ms, src/config.ts DEFAULT_TIMEOUTS.tcpMs) together, not one each. ` +
      `time(40)/time(1) = ${(t40 / t1).toFixed(2)}; time(40) − time(0) = ${(t40 - t0).toFixed(0)} ms ` +
      `(bound: ${TCP_DEADLINE_MS} ms + spread) → ${passFail(t40 / t1 < 1.5 && t40 - t0 < TCP_DEADLINE_MS * 1.5)}.`,
    '',
  );

  // 6: cold report vs twice the slowest inventory call plus one probe round.
  const rows6 = r.labs.map((m) => {
    const runs = coldInProcess(m);
    const ratios = runs.map((w) => w.durationMs / (2 * slowestInventoryCall(w) + (w.phases['probes'] ?? 0)));
    return { m, runs, ratios: spread(ratios) };
  });
  out.push(
    '## 6. Cold report vs "twice the slowest single inventory call plus one probe round"',
    '',
    `Command: \`npm run lab -- exec -- node --import tsx bench/warm-run.ts ${WARM_RUNS_PER_PROCESS}\`, run 1 of each process ` +
      "(its EC2 client times every request; requests after context discovery are the inventory's; the probe round is the `probes` phase, " +
      'all targets probed at once).',
    '',
    table(
      [
        'scenario',
        'n',
        'cold durationMs',
        'context',
        'inventory',
        'slowest inventory request',
        'probe round',
        'budget 2×slowest + probes',
        'ratio durationMs / budget',
        'vs target',
        'over budget',
        'context + checks',
      ],
      rows6.map(({ m, runs, ratios }) => [
        m.scenario,
        String(runs.length),
        ms(pick(runs, (w) => w.durationMs)),
        ms(pick(runs, (w) => w.phases['context'] ?? 0)),
        ms(pick(runs, (w) => w.phases['inventory'] ?? 0)),
        `${ms(pick(runs, slowestInventoryCall), 1)} (${[...new Set(runs.map(slowestInventoryCommand))].join(', ')})`,
        ms(pick(runs, (w) => w.phases['probes'] ?? 0)),
        ms(pick(runs, (w) => 2 * slowestInventoryCall(w) + (w.phases['probes'] ?? 0))),
        ms(ratios, 2),
        passFail(ratios.median <= 1),
        ms(pick(runs, (w) => w.durationMs - 2 * slowestInventoryCall(w) - (w.phases['probes'] ?? 0))),
        ms(pick(runs, (w) => (w.phases['context'] ?? 0) + (w.phases['checks'] ?? 0))),
      ]),
    ),
    '',
  );

  // DNS query rate.
  out.push(
    '## DNS queries per second the agent sends',
    '',
    "Counted in-process (bench/warm-run.ts times every grant of the agent's shared DNS rate limiter, i.e. every query sent), " +
      'over the cold runs of section 6. Each target asks each resolver of src/probe-plan.ts resolversToQuery once (in the lab: AmazonProvidedDNS at 10.0.0.2, which resolv.conf names, so one query per target).',
    '',
    table(
      [
        'scenario',
        'targets',
        'queries per report',
        'probes phase',
        'average queries/s over the probes phase',
        'peak queries in any 1 s',
        `vs ${DNS_LIMIT_PER_ENI}/s per ENI`,
      ],
      r.labs.map((m) => {
        const runs = coldInProcess(m);
        const peak = pick(runs, (w) => peakPerSecond(w.dnsQueryTimesMs));
        return [
          m.scenario,
          [...new Set(runs.map((w) => w.targets))].join(','),
          [...new Set(runs.map((w) => w.dnsQueryTimesMs.length))].join(','),
          ms(pick(runs, (w) => w.phases['probes'] ?? 0)),
          ms(pick(runs, (w) => w.dnsQueryTimesMs.length / ((w.phases['probes'] ?? 1) / 1000))),
          ms(peak),
          `${passFail(peak.max < DNS_LIMIT_PER_ENI / 4)} (peak ${((peak.max / DNS_LIMIT_PER_ENI) * 100).toFixed(0)} % of the limit)`,
        ];
      }),
    ),
    '',
  );
  return `${out.join('\n')}\n`;
}

// ---- main -------------------------------------------------------------------------------

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { reps: { type: 'string', default: '5' } } });
  const reps = Number(values.reps);
  if (!Number.isInteger(reps) || reps < 1 || reps > 50) throw new Error('--reps: a whole number 1..50');
  const problem = preflightProblem({ uid: process.getuid?.() ?? 0, ipNetns: true });
  if (problem) throw new Error(problem);
  if (readState())
    throw new Error('a lab is up; the benchmark brings up its own (run `npm run lab -- down` first)');

  const started = performance.now();
  ensureBuilt(log);
  const facts = machineFacts();

  const ec2 = await measureEc2Calls(reps);
  const labs: LabMeasurements[] = [];
  let drops: DropRow[] = [];
  try {
    log('lab up: healthy');
    labs.push(await measureLab(await labUp('healthy'), reps));
    await labDown();
    log(`lab up: scale-${SCALE}`);
    const state = await labUp(`scale-${SCALE}`);
    const scale = await measureLab(state, reps);
    labs.push(scale);
    drops = await dropRows(state, reps, scale.cold);
  } finally {
    await labDown();
  }

  const results: Results = {
    reps,
    facts,
    totalSeconds: (performance.now() - started) / 1000,
    ec2,
    labs,
    drops,
    loadAtEnd: loadavg()
      .map((l) => l.toFixed(2))
      .join(' / '),
  };
  writeFileSync(RESULTS, render(results));
  log(`wrote ${RESULTS} in ${results.totalSeconds.toFixed(0)} s`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
