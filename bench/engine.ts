// The benchmarks, side by side with what an engineer would use instead: one command, every
// figure from that run, written to bench/RESULTS.md and bench/scale.png. Needs root (it brings the
// lab up once per scenario). See bench/README.md.
//
//   node --import tsx bench/engine.ts [--reps N]            (npm run bench installs and builds first)
//   node --import tsx bench/engine.ts --scenarios A,B [--reps N] (sections 1–2 over those only)
//   node --import tsx bench/engine.ts --only NAME [--reps N] (one row group to stdout: a scenario,
//                                                            scale-N, or drops)
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_TIMEOUTS } from '../src/config.js';
import { createDnsLimiter } from '../src/probes.js';
import type { LabState } from '../test/lab/index.js';
import { preflightProblem, readState, scenarios, withLab } from '../test/lab/index.js';
import { compareScenario, type ScenarioComparison } from './baselines.js';
import { BLACKBOX_BINARY } from './blackbox.js';
import { baseMachineFacts, ensureBuilt, loadAverage, sh } from './common.js';
import { type PlotSpec, renderPlotPng } from './plot.js';
import { type DropRow, dropRows, measureScale, type ScalePoint, WARM_RUNS_PER_PROCESS } from './scale.js';
import { distinct, ms, passFail, pick, spread, table, yesNo } from './stats.js';
import type { TlsFloorSummary } from './tls-floor.js';
import type { WarmRun } from './warm-run.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const RESULTS = join(ROOT, 'bench', 'RESULTS.md');
const PLOT = join(ROOT, 'bench', 'scale.png');
const SCALE_SIZES = [10, 50, 200];
const DROP_SCALE = 50;
const DROP_COUNTS = [1, 10, 40];
const TCP_DEADLINE_MS = DEFAULT_TIMEOUTS.tcpMs;
const DNS_LIMIT_PER_ENI = 1024;
const LIMITER = createDnsLimiter();
const SPEED_TARGET = 10;
const PROBE_TARGET = 1.5;
const WARM_TARGET_MS = 100;
/** src/aws/inventory.ts FILTER_VALUES_MAX: ENIs looked up per DescribeNetworkInterfaces call. */
const ENI_IDS_PER_CALL = 200;

const log = (msg: string): void => {
  process.stderr.write(`bench: ${msg}\n`);
};
const cmd = (text: string): string => `\`${text}\``;
const only = (name: string): string => cmd(`npm run bench -- --only ${name}`);

interface Results {
  /** The figures of the RESULTS.md this run replaces, to show beside this run's. */
  previous: PreviousFigures;
  /** --scenarios: the scenarios sections 1–2 cover, when not all. */
  scenarios?: string[];
  reps: number;
  facts: Array<[string, string]>;
  totalSeconds: number;
  comparisons: ScenarioComparison[];
  scale: ScalePoint[];
  drops: DropRow[];
  /** bench/tls-floor.ts's summary, or why it could not run. */
  tlsFloor: TlsFloorSummary | string;
  loadAtEnd: string;
}

// ---- derived figures --------------------------------------------------------------------

const agentWall = (c: ScenarioComparison) => pick(c.agent.samples, (s) => s.wallMs).median;
const shellWall = (c: ScenarioComparison) => pick(c.shell.runs, (r) => r.wallMs).median;
const agentProbes = (c: ScenarioComparison) =>
  pick(c.agent.samples, (s) => s.report.phases['probes'] ?? 0).median;
const blackboxRound = (c: ScenarioComparison) => pick(c.blackbox.output.rounds, (r) => r.wallMs).median;
const expectedCauses = (c: ScenarioComparison) =>
  distinct(Object.values(c.facts.expected).map((x) => x ?? '?')) || '– (healthy)';
/** The agent's probe phase ran into a probe deadline (its shortest, the TCP one). */
const waitsOutDeadline = (c: ScenarioComparison): boolean => agentProbes(c) >= TCP_DEADLINE_MS;
/** A scenario that breaks nothing: the right answer is silence. */
const isHealthy = (c: ScenarioComparison): boolean => Object.keys(c.facts.expected).length === 0;
const warmRuns = (p: ScalePoint): WarmRun[] => p.inProcess.flatMap((runs) => runs.slice(1));
const coldInProcess = (p: ScalePoint): WarmRun[] => p.inProcess.map((runs) => runs[0]!);
/** The same, from the processes whose runner ran as before issue 17 (`warm-run.ts --no-reuse`). */
const warmRunsBefore = (p: ScalePoint): WarmRun[] =>
  (p.inProcessNoReuse ?? []).flatMap((runs) => runs.slice(1));
const coldBefore = (p: ScalePoint): WarmRun[] => (p.inProcessNoReuse ?? []).map((runs) => runs[0]!);
const budget = (w: WarmRun) => 2 * slowestInventoryCall(w) + (w.phases['probes'] ?? 0);
const budgetRatio = (runs: WarmRun[]) => pick(runs, (w) => w.durationMs / budget(w));
const slowestInventoryCall = (run: WarmRun): number =>
  Math.max(0, ...run.ec2.filter((c) => c.phase === 'inventory').map((c) => c.durationMs));
const warm100 = (points: ScalePoint[], runs: (p: ScalePoint) => WarmRun[]): number => {
  const p = points.find((x) => x.enis === 100);
  return p ? pick(runs(p), (w) => w.durationMs).median : Number.NaN;
};

// ---- the previous results file ------------------------------------------------------------

interface PreviousFigures {
  commit: string;
  warm100Ms: number;
  /** interface endpoints → the cold ratio of section 5 */
  coldRatio: Record<string, number>;
}

/** Reads the figures this run is compared with from the RESULTS.md it replaces. */
function previousFigures(text: string): PreviousFigures {
  const coldRatio: Record<string, number> = {};
  const section = text.split(/^## 5\./m)[1]?.split(/^## /m)[0] ?? '';
  const lines = section.split('\n').filter((l) => l.startsWith('|'));
  const header = (lines[0] ?? '').split('|').map((c) => c.trim());
  const at = header.indexOf('ratio');
  for (const line of lines.slice(2)) {
    const cells = line.split('|').map((c) => c.trim());
    const value = Number.parseFloat(cells[at] ?? '');
    if (at > 0 && cells[1] && Number.isFinite(value)) coldRatio[cells[1]] = value;
  }
  return {
    commit: /^\| commit \| ([^|]+?) \|$/m.exec(text)?.[1] ?? '–',
    warm100Ms: Number(
      /^Warm report for 100 ENIs \([^)]*\): (\d+(?:\.\d+)?) ms/m.exec(text)?.[1] ?? Number.NaN,
    ),
    coldRatio,
  };
}

function readPrevious(): PreviousFigures {
  try {
    return previousFigures(readFileSync(RESULTS, 'utf8'));
  } catch {
    return { commit: '–', warm100Ms: Number.NaN, coldRatio: {} };
  }
}

const fixed = (n: number | undefined, digits: number, unit = ''): string =>
  n === undefined || !Number.isFinite(n) ? '–' : `${n.toFixed(digits)}${unit}`;

const count = (items: ScenarioComparison[], fn: (c: ScenarioComparison) => boolean) =>
  `${items.filter(fn).length}/${items.length}`;

function worst<T>(
  items: T[],
  value: (item: T) => number,
  name: (item: T) => string,
  lowest: boolean,
): string {
  const sorted = [...items].sort((a, b) => (lowest ? value(a) - value(b) : value(b) - value(a)));
  const w = sorted[0];
  return w === undefined ? '–' : `${value(w).toFixed(1)}× (${name(w)})`;
}

// ---- the report -------------------------------------------------------------------------

function headline(r: Results): string {
  const cs = r.comparisons;
  const broken = cs.filter((c) => !isHealthy(c));
  const healthy = cs.filter(isHealthy);
  const probeRatio = spread(cs.map((c) => agentProbes(c) / blackboxRound(c)));
  const first = r.scale[0];
  const last = r.scale.at(-1);
  const coldAt = (p: ScalePoint | undefined) => pick(p?.cold ?? [], (s) => s.report.durationMs).median;
  const calls = r.scale.map((p) => distinct(p.cold.map((s) => s.report.inventory.calls)));
  // AWS takes at most 200 values per filter: the ENI lookup by id is one call per 200 ENIs.
  const beyondEnis = new Set(
    r.scale.flatMap((p) =>
      p.cold.map((s) => s.report.inventory.calls - Math.ceil(p.enis / ENI_IDS_PER_CALL)),
    ),
  );
  const peakQps = Math.max(0, ...r.scale.flatMap((p) => p.cold.map((s) => s.resolver.peakPerSecond)));
  const dropAt = (n: number) =>
    pick(r.drops.find((d) => d.dropped === n)?.samples ?? [], (s) => s.report.durationMs).median;
  const dropRatio = dropAt(DROP_COUNTS.at(-1)!) / dropAt(DROP_COUNTS[0]!);
  const rows: string[][] = [
    ...[
      ['', cs.filter((c) => !waitsOutDeadline(c))],
      [
        ', where a silent drop or a dead resolver makes every tool wait out a deadline',
        cs.filter(waitsOutDeadline),
      ],
    ].map(([where, group]) => {
      const items = group as ScenarioComparison[];
      const ratio = spread(items.map((c) => shellWall(c) / agentWall(c)));
      return [
        `incident shell wall time ÷ agent process wall time${where} (${items.length} scenarios)`,
        `≥ ${SPEED_TARGET}×`,
        `median ${ratio.median.toFixed(1)}×, lowest ${worst(
          items,
          (c) => shellWall(c) / agentWall(c),
          (c) => c.scenario,
          true,
        )}`,
        passFail(ratio.min >= SPEED_TARGET),
      ];
    }),
    [
      `broken scenarios whose root cause the agent names`,
      'every one',
      count(broken, (c) => c.agent.judgement.names),
      passFail(broken.every((c) => c.agent.judgement.names)),
    ],
    [
      '… the incident shell names / its output holds the facts',
      '–',
      `${count(broken, (c) => c.shell.judgement.names)} / ${count(broken, (c) => c.shell.judgement.evidence)}`,
      '',
    ],
    ['… blackbox_exporter says why', '–', count(broken, (c) => c.blackbox.judgement.names), ''],
    [
      'healthy scenarios where it stays quiet: agent / shell / blackbox',
      'agent quiet',
      [
        healthy.filter((c) => !c.agent.judgement.falseAlarm),
        healthy.filter((c) => !c.shell.judgement.falseAlarm),
        healthy.filter((c) => !c.blackbox.judgement.falseAlarm),
      ]
        .map((q) => `${q.length}/${healthy.length}`)
        .join(' / '),
      passFail(healthy.every((c) => !c.agent.judgement.falseAlarm)),
    ],
    [
      'agent probe phase ÷ blackbox_exporter round, per scenario',
      `≤ ${PROBE_TARGET}×`,
      `median ${probeRatio.median.toFixed(2)}×, highest ${worst(
        cs,
        (c) => agentProbes(c) / blackboxRound(c),
        (c) => c.scenario,
        false,
      )}`,
      passFail(probeRatio.max <= PROBE_TARGET),
    ],
    [
      `cold report, ${last?.interfaceEndpoints} ÷ ${first?.interfaceEndpoints} interface endpoints`,
      '–',
      `${(coldAt(last) / coldAt(first)).toFixed(1)}× for ${((last?.enis ?? 0) / (first?.enis ?? 1)).toFixed(0)}× the ENIs`,
      '',
    ],
    [
      'warm report, 100 ENIs (this run; as before issue 17, same run; the previous RESULTS.md)',
      `< ${WARM_TARGET_MS} ms`,
      `${fixed(warm100(r.scale, warmRuns), 0, ' ms')}; ${fixed(warm100(r.scale, warmRunsBefore), 0, ' ms')}; ${fixed(r.previous.warm100Ms, 0, ' ms')}`,
      passFail(warm100(r.scale, warmRuns) < WARM_TARGET_MS),
    ],
    tlsFloorRow(r.tlsFloor),
    ...r.scale.map((p) => {
      const now = budgetRatio(coldInProcess(p)).median;
      return [
        `cold report ÷ (2 × slowest inventory request + probe round), ${p.interfaceEndpoints} endpoints (this run; as before, same run; previous)`,
        '≤ 1',
        `${fixed(now, 2)}; ${fixed(budgetRatio(coldBefore(p)).median, 2)}; ${fixed(r.previous.coldRatio[String(p.interfaceEndpoints)], 2)}`,
        passFail(now <= 1),
      ];
    }),
    [
      `EC2 calls per cold inventory at ${SCALE_SIZES.join(' / ')} endpoints`,
      `constant, but one ENI lookup per ${ENI_IDS_PER_CALL} ENIs`,
      `${calls.join(' / ')}; less the ENI lookups: ${[...beyondEnis].join(', ')}`,
      passFail(beyondEnis.size === 1),
    ],
    [
      'peak DNS queries per second at the resolver, any scale',
      `far below ${DNS_LIMIT_PER_ENI}`,
      `${peakQps} (${((peakQps / DNS_LIMIT_PER_ENI) * 100).toFixed(0)} %)`,
      passFail(peakQps < DNS_LIMIT_PER_ENI / 4),
    ],
    [
      `report time with ${DROP_COUNTS.at(-1)} ÷ ${DROP_COUNTS[0]} silently dropped ENIs`,
      'flat',
      `${dropRatio.toFixed(2)}×`,
      passFail(dropRatio < 1.5),
    ],
  ];
  return table(['measure', 'target', 'measured', ''], rows);
}

/** The kind of bench/tls-floor.ts round that is one ENI's share of a warm report. */
const WARM_ENI_PROBE = 'tcp + tls resumed, one connection';

/**
 * What the warm target is up against: a warm run connects to each ENI and resumes a TLS session
 * over that connection (src/probes.ts probeTcpTls); 100 of those, timed apart from everything
 * else a report does, on loopback (bench/tls-floor.ts).
 */
function tlsFloorRow(floor: TlsFloorSummary | string): string[] {
  const what = `CPU of the ENI probes alone in a warm report of 100 ENIs: 100 × (connect + resumed TLS handshake over it), \`npm run bench:tls-floor\``;
  if (typeof floor === 'string') return [what, '–', `not measured: ${floor}`, ''];
  const perEni = floor.medianCpuMsPerConnection[WARM_ENI_PROBE];
  if (perEni === undefined) return [what, '–', 'not measured: no such round', ''];
  return [
    what,
    '–',
    `${(100 * perEni).toFixed(0)} ms (${floor.cpuMsPerConnection[WARM_ENI_PROBE]} ms per ENI; ${floor.node}, OpenSSL ${floor.openssl})`,
    '',
  ];
}

/** Runs bench/tls-floor.ts (loopback only, about 15 s) and keeps its summary line. */
function measureTlsFloor(): TlsFloorSummary | string {
  const out = sh(
    [process.execPath, '--import', 'tsx', join(ROOT, 'bench', 'tls-floor.ts'), '--rounds', '5'],
    '',
  );
  const last = out.split('\n').at(-1) ?? '';
  try {
    const summary = JSON.parse(last) as TlsFloorSummary;
    return summary.medianCpuMsPerConnection ? summary : 'no summary line';
  } catch {
    return last === '' ? 'it printed nothing' : 'its last line is not JSON';
  }
}

function speedTable(cs: ScenarioComparison[]): string {
  return table(
    [
      'scenario',
      'agent process wall',
      'agent durationMs',
      'incident shell wall',
      'shell commands',
      'of which aws CLI',
      'shell ÷ agent',
      'agent probe phase',
      'blackbox round (probes)',
      'agent probes ÷ blackbox',
      'reproduce',
    ],
    cs.map((c) => [
      c.scenario,
      ms(pick(c.agent.samples, (s) => s.wallMs)),
      ms(pick(c.agent.samples, (s) => s.report.durationMs)),
      ms(pick(c.shell.runs, (s) => s.wallMs)),
      distinct(c.shell.runs.map((s) => s.commands)),
      ms(pick(c.shell.runs, (s) => s.awsCliMs)),
      `${(shellWall(c) / agentWall(c)).toFixed(1)}×`,
      ms(pick(c.agent.samples, (s) => s.report.phases['probes'] ?? 0)),
      `${ms(pick(c.blackbox.output.rounds, (s) => s.wallMs))} (${c.blackbox.output.probes})`,
      `${(agentProbes(c) / blackboxRound(c)).toFixed(2)}×`,
      only(c.scenario),
    ]),
  );
}

function findsTable(cs: ScenarioComparison[]): string {
  const j = (c: ScenarioComparison, x: { flagsFailures: boolean; falseAlarm: boolean }) =>
    isHealthy(c)
      ? x.falseAlarm
        ? 'false alarm'
        : 'quiet'
      : `${yesNo(x.flagsFailures)}${x.falseAlarm ? ' + false alarm' : ''}`;
  return table(
    [
      'scenario',
      'root cause',
      'agent flags / names it',
      'shell flags / holds the facts / names it',
      'blackbox flags / says why',
    ],
    cs.map((c) => [
      c.scenario,
      expectedCauses(c),
      `${j(c, c.agent.judgement)} / **${yesNo(c.agent.judgement.names)}**`,
      `${j(c, c.shell.judgement)} / ${isHealthy(c) ? '–' : yesNo(c.shell.judgement.evidence)} / **${yesNo(c.shell.judgement.names)}**`,
      `${j(c, c.blackbox.judgement)} / **${yesNo(c.blackbox.judgement.names)}**`,
    ]),
  );
}

function notes(cs: ScenarioComparison[]): string {
  return cs
    .filter((c) => c.shell.judgement.notes.length + c.blackbox.judgement.notes.length > 0)
    .map(
      (c) =>
        `- **${c.scenario}** — shell: ${c.shell.judgement.notes.join('; ') || 'nothing flagged'}. ` +
        `blackbox: ${c.blackbox.judgement.notes.join('; ') || 'nothing flagged'}.`,
    )
    .join('\n');
}

function scaleTable(points: ScalePoint[]): string {
  return table(
    [
      'interface endpoints (ENIs)',
      'cold durationMs',
      'cold process wall',
      'warm durationMs',
      'warm, as before issue 17 (same run)',
      'warm TLS handshakes resumed',
      'warm CPU, user + system (ms)',
      'EC2 requests cold / warm',
      'DNS queries per report (resolver log)',
      'peak queries/s at the resolver',
      'peak RSS, cold process (MB)',
      'agent probe phase',
      'blackbox round (probes)',
      'reproduce',
    ],
    points.map((p) => [
      `${p.interfaceEndpoints} (${p.enis})`,
      ms(pick(p.cold, (s) => s.report.durationMs)),
      ms(pick(p.cold, (s) => s.wallMs)),
      ms(pick(warmRuns(p), (w) => w.durationMs)),
      ms(pick(warmRunsBefore(p), (w) => w.durationMs)),
      distinct(warmRuns(p).map((w) => `${w.tlsResumed ?? '?'}/${w.tlsHandshakes ?? '?'}`)),
      ms(pick(warmRuns(p), (w) => (w.cpuUserMs ?? Number.NaN) + (w.cpuSystemMs ?? Number.NaN))),
      `${distinct(coldInProcess(p).map((w) => w.ec2.length))} / ${distinct(warmRuns(p).map((w) => w.ec2.length))}`,
      distinct(p.cold.map((s) => s.resolver.queries)),
      ms(pick(p.cold, (s) => s.resolver.peakPerSecond)),
      ms(pick(p.cold, (s) => s.peakRssKb / 1024)),
      ms(pick(p.cold, (s) => s.report.phases['probes'] ?? 0)),
      `${ms(spread(p.blackboxRoundMs))} (${p.blackboxProbes})`,
      only(p.scenario),
    ]),
  );
}

function dropTable(drops: DropRow[]): string {
  return table(
    ['dropped ENIs', 'n', 'durationMs', 'probe phase', 'targets not passing', 'root causes'],
    drops.map((d) => [
      String(d.dropped),
      String(d.samples.length),
      ms(pick(d.samples, (s) => s.report.durationMs)),
      ms(pick(d.samples, (s) => s.report.phases['probes'] ?? 0)),
      distinct(d.samples.map((s) => s.report.targets.filter((t) => t.status !== 'pass').length)),
      distinct(
        d.samples.flatMap((s) => s.report.targets.flatMap((t) => (t.rootCause ? [t.rootCause.code] : []))),
      ) || '–',
    ]),
  );
}

function budgetTable(points: ScalePoint[]): string {
  return table(
    [
      'interface endpoints',
      'n',
      'cold durationMs',
      'slowest inventory request',
      'probe round',
      '2 × slowest + probes',
      'ratio',
      '',
      'cold durationMs, as before issue 17 (same run)',
      'ratio, as before',
      'context phase: as before → now',
    ],
    points.map((p) => {
      const runs = coldInProcess(p);
      const before = coldBefore(p);
      const ratio = budgetRatio(runs);
      return [
        String(p.interfaceEndpoints),
        String(runs.length),
        ms(pick(runs, (w) => w.durationMs)),
        ms(pick(runs, slowestInventoryCall), 1),
        ms(pick(runs, (w) => w.phases['probes'] ?? 0)),
        ms(pick(runs, budget)),
        ms(ratio, 2),
        passFail(ratio.median <= 1),
        ms(pick(before, (w) => w.durationMs)),
        ms(budgetRatio(before), 2),
        `${ms(pick(before, (w) => w.phases['context'] ?? 0))} → ${ms(pick(runs, (w) => w.phases['context'] ?? 0))}`,
      ];
    }),
  );
}

function render(r: Results): string {
  const repro = `node --import tsx bench/engine.ts --reps ${r.reps}${r.scenarios ? ` --scenarios ${r.scenarios.join(',')}` : ''}`;
  const warmNow = warm100(r.scale, warmRuns);
  const out = [
    '# Benchmark results',
    '',
    `Generated by \`${repro}\` (\`npm run bench\`) in ${r.totalSeconds.toFixed(0)} s. Do not edit by hand: rerun the command. ` +
      `Every figure below comes from that one run; cells read \`median (min–max)\` of ${r.reps} repetitions, in milliseconds unless they say otherwise. ` +
      "Each row's **reproduce** command reruns just that row group and prints it. What each column means: bench/README.md.",
    '',
    ...(r.scenarios
      ? [
          `**Sections 1–2 and the headline's scenario rows cover ${r.scenarios.length} of the lab's ${scenarios.length} scenarios** (\`--scenarios\`: ${r.scenarios.join(', ')}); the scale and fault sections are complete.`,
          '',
        ]
      : []),
    '## Headline',
    '',
    headline(r),
    '',
    '## Machine',
    '',
    table(['fact', 'value'], [...r.facts, ['load average at end (1/5/15 min)', r.loadAtEnd]]),
    '',
    '## 1. Every lab scenario, three ways: how long',
    '',
    'Per scenario the lab comes up (`npm run lab -- up --scenario NAME`), one unmeasured report lists the targets, then, in vdl-agent-a: ' +
      `the agent, ${cmd('node bin/vpce-doctor.js report --format json')}, a fresh process each time; the incident shell, ` +
      `${cmd('VPC_ID=… SUBNET_ID=… HOSTS=… bash bench/incident-shell.sh')} (dig, nc and the AWS CLI against moto, one command after another); ` +
      `blackbox_exporter, ${cmd('node --import tsx bench/blackbox.ts INPUT.json')} (every probe at once, after one unmeasured round). ` +
      "Wall times include process start-up; the agent's durationMs and probe phase are its own report's.",
    '',
    speedTable(r.comparisons),
    '',
    '## 2. Every lab scenario, three ways: what each finds',
    '',
    '"Flags": it shows a failure for every service the scenario breaks ("+ false alarm": and for one it leaves working). ' +
      '"Holds the facts": the raw output contains what the root cause follows from (bench/evidence.ts, one rule per code). ' +
      '"Names it": the output states the cause — for the agent, the target\'s rootCause is the expected code; for the shell and blackbox, ' +
      "the failing probe's own message says it (dig's `status: SERVFAIL`, Go's `x509: certificate is valid for …`). " +
      'blackbox_exporter is read generously: its debug page (probe logs), not only the metrics Prometheus keeps.',
    '',
    findsTable(r.comparisons),
    '',
    'What the shell and blackbox showed, per scenario:',
    '',
    notes(r.comparisons),
    '',
    `## 3. Scale: ${SCALE_SIZES.join(', ')} interface endpoints × 2 AZs`,
    '',
    `Generated labs \`scale-N\` (N interface endpoints, 2 ENIs each, plus 2 gateway endpoints). Cold: ${cmd('/usr/bin/time -f %M node bin/vpce-doctor.js report --format json')} ` +
      `(peak RSS from GNU time), with the queries dnsmasq logged from the agent during the report. Warm: ${cmd(`node --import tsx bench/warm-run.ts ${WARM_RUNS_PER_PROCESS}`)} ` +
      `(runs 2–${WARM_RUNS_PER_PROCESS} of each process reuse the cached inventory, each after the DNS limiter's bucket has refilled, as between the sidecar's scheduled runs; it also counts EC2 requests). ` +
      `The agent's DNS rate limiter (${LIMITER.ratePerSecond}/s, burst ${LIMITER.burst}; AmazonProvidedDNS drops past ${DNS_LIMIT_PER_ENI}/s per ENI) ` +
      `alone holds the probe phase to at least (targets − ${LIMITER.burst}) / ${LIMITER.ratePerSecond} s.`,
    '',
    scaleTable(r.scale),
    '',
    '![report time against interface endpoints](scale.png)',
    '',
    `Warm report for 100 ENIs (issue 3 target: under ${WARM_TARGET_MS} ms): ${Number.isNaN(warmNow) ? '–' : `${warmNow.toFixed(0)} ms → ${passFail(warmNow < WARM_TARGET_MS)}`}. ` +
      `As before issue 17, in this run (${cmd(`node --import tsx bench/warm-run.ts ${WARM_RUNS_PER_PROCESS} --no-reuse`)}: context rediscovered, full TLS handshakes, inventory after discovery): ${fixed(warm100(r.scale, warmRunsBefore), 0, ' ms')}; ` +
      `the previous RESULTS.md (commit ${r.previous.commit}): ${fixed(r.previous.warm100Ms, 0, ' ms')}.`,
    '',
    `## 4. Faults at scale: silently dropped ENIs (scale-${DROP_SCALE})`,
    '',
    `With \`scale-${DROP_SCALE}\` up, \`ip netns exec vdl-endpoints iptables -A INPUT -p tcp --dport 443 -d ENI_IP -j DROP\` for each dropped ENI ` +
      `(the first ENI of the endpoints the agent probes last), then the cold report command. Reproduce: ${only('drops')}. ` +
      `Target: the drops cost one TCP deadline (${TCP_DEADLINE_MS} ms) together, not one each.`,
    '',
    dropTable(r.drops),
    '',
    '## 5. Cold report vs "twice the slowest inventory request plus one probe round" (issue 3)',
    '',
    "Run 1 of each warm-run process (section 3): its EC2 client times every request; the requests made inside context discovery are not the inventory's, " +
      'even when the inventory overlaps discovery (it starts as soon as discovery knows the VPC). ≤ 1 passes. ' +
      `The last three columns are run 1 of the \`--no-reuse\` processes of the same run: discovery, then the inventory, in series, as before issue 17. ` +
      `The previous RESULTS.md (commit ${r.previous.commit}) had ${
        Object.entries(r.previous.coldRatio)
          .map(([n, v]) => `${v.toFixed(2)} at ${n}`)
          .join(', ') || '–'
      }.`,
    '',
    budgetTable(r.scale),
    '',
  ];
  return `${out.join('\n')}\n`;
}

function plotSpec(points: ScalePoint[]): PlotSpec {
  const series = (name: string, values: (p: ScalePoint) => number[]) => ({
    name,
    points: points.map((p) => {
      const s = spread(values(p));
      return { x: p.interfaceEndpoints, y: Math.round(s.median), min: s.min, max: s.max };
    }),
  });
  return {
    title: 'vpce-doctor report time against interface endpoints (2 ENIs each)',
    subtitle: 'median, bars min–max; from npm run bench',
    xTitle: 'interface endpoints',
    yTitle: 'ms',
    yUnit: 'ms',
    series: [
      series('cold process wall time', (p) => p.cold.map((s) => s.wallMs)),
      series('cold report (durationMs)', (p) => p.cold.map((s) => s.report.durationMs)),
      series('warm report (durationMs)', (p) => warmRuns(p).map((w) => w.durationMs)),
      series('agent probe phase', (p) => p.cold.map((s) => s.report.phases['probes'] ?? 0)),
      series('blackbox_exporter round, same targets', (p) => p.blackboxRoundMs),
    ],
  };
}

// ---- machine ----------------------------------------------------------------------------

function machineFacts(): Array<[string, string]> {
  return [
    ...baseMachineFacts(),
    ['moto', sh(['python3', '-c', 'import moto; print(moto.__version__)'])],
    ['dnsmasq', sh(['dnsmasq', '--version']).split('\n')[0] ?? 'unknown'],
    ['AWS CLI', sh(['/usr/bin/aws', '--version'])],
    ['blackbox_exporter', sh([BLACKBOX_BINARY, '--version']).split('\n')[0] ?? 'unknown'],
    ['dig', sh(['bash', '-c', 'dig -v 2>&1'])],
    ['load average at start (1/5/15 min)', loadAverage()],
  ];
}

// ---- main -------------------------------------------------------------------------------

/** The lab's withLab (up, run, always down), saying which scenario comes up. */
function withScenario<T>(name: string, fn: (state: LabState) => Promise<T>): Promise<T> {
  log(`lab up: ${name}`);
  return withLab(name, fn);
}

async function runOnly(name: string, reps: number): Promise<string> {
  if (name === 'drops') {
    const drops = await withScenario(`scale-${DROP_SCALE}`, (s) => dropRows(s, DROP_COUNTS, reps, log));
    return dropTable(drops);
  }
  if (/^scale-\d+$/.test(name)) {
    const point = await withScenario(name, (s) => measureScale(s, reps, log));
    return `${scaleTable([point])}\n\n${budgetTable([point])}`;
  }
  if (!scenarios.some((s) => s.name === name)) {
    throw new Error(
      `--only: one of ${scenarios.map((s) => s.name).join(', ')}, scale-N or drops; not "${name}"`,
    );
  }
  const c = await withScenario(name, (s) => compareScenario(s, reps, log));
  return `${speedTable([c])}\n\n${findsTable([c])}\n\n${notes([c])}`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      reps: { type: 'string', default: '3' },
      only: { type: 'string' },
      scenarios: { type: 'string' },
    },
  });
  const reps = Number(values.reps);
  if (!Number.isInteger(reps) || reps < 1 || reps > 20) throw new Error('--reps: a whole number 1..20');
  const problem = preflightProblem({ uid: process.getuid?.() ?? 0, ipNetns: true });
  if (problem) throw new Error(problem);
  if (readState())
    throw new Error('a lab is up; the benchmark brings up its own (run `npm run lab -- down` first)');
  ensureBuilt(log);

  if (values.only) {
    process.stdout.write(`${await runOnly(values.only, reps)}\n`);
    return;
  }

  const started = performance.now();
  const previous = readPrevious();
  const facts = machineFacts();
  // --scenarios a,b: sections 1–2 over those only (the lab has more scenarios than a bench
  // window holds); the results file's command line says which.
  const picked = values.scenarios?.split(',').filter(Boolean);
  const unknown = picked?.filter((name) => !scenarios.some((s) => s.name === name)) ?? [];
  if (unknown.length > 0) throw new Error(`--scenarios: no scenario ${unknown.join(', ')}`);
  const comparisons: ScenarioComparison[] = [];
  for (const s of scenarios.filter((x) => !picked || picked.includes(x.name)))
    comparisons.push(await withScenario(s.name, (state) => compareScenario(state, reps, log)));
  const scale: ScalePoint[] = [];
  let drops: DropRow[] = [];
  for (const n of SCALE_SIZES) {
    scale.push(
      await withScenario(`scale-${n}`, async (state) => {
        const point = await measureScale(state, reps, log);
        if (n === DROP_SCALE) drops = await dropRows(state, DROP_COUNTS, reps, log);
        return point;
      }),
    );
  }
  log('TLS floor (loopback)');
  const tlsFloor = measureTlsFloor();
  const results: Results = {
    previous,
    tlsFloor,
    ...(picked ? { scenarios: picked } : {}),
    reps,
    facts,
    totalSeconds: (performance.now() - started) / 1000,
    comparisons,
    scale,
    drops,
    loadAtEnd: loadAverage(),
  };
  writeFileSync(PLOT, await renderPlotPng(plotSpec(scale)));
  writeFileSync(RESULTS, render(results));
  log(`wrote ${RESULTS} and ${PLOT} in ${results.totalSeconds.toFixed(0)} s`);
}

main().catch(async (error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
