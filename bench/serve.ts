// Load on `vpce-doctor serve`: wrk against the cached /report.json and /metrics at 50 and 200
// connections, and the server's RSS idle and after 100,000+ requests. Writes every figure to
// bench/SERVE-RESULTS.md. Needs root (it brings the `healthy` lab up and always brings it down).
// Every packet stays inside the lab's agent namespace. See bench/README.md.
// The server runs as the image runs it: Node 22 (scripts/node22.sh) with the Dockerfile's
// NODE_OPTIONS; then, in the same lab, again with Node's defaults, side by side.
//
//   node --import tsx bench/serve.ts [--duration S]      (npm run bench:serve builds dist/ first)

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { labDown, labEnv, labUp, readState, waitForFreeLab } from '../test/lab/index.js';
import { run } from '../test/lab/shell.js';
import { baseMachineFacts, ensureBuilt, loadAverage } from './common.js';
import { table } from './stats.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const RESULTS = join(ROOT, 'bench', 'SERVE-RESULTS.md');
const DOCKERFILE = join(ROOT, 'Dockerfile');
/** Preloaded into the server: writes V8's heap spaces to stderr on SIGUSR2 (bench/heap-spaces.mjs). */
const HEAP_SPACES = join(ROOT, 'bench', 'heap-spaces.mjs');
const NS = 'vdl-agent-a';
/**
 * wrk and curl run in the agent's namespace (vdl-agent-a) and reach it on loopback: with no token
 * the report routes answer loopback clients only (src/app.ts).
 */
const BASE = 'http://127.0.0.1:9077';
const THREADS = 2;
const CONNECTIONS = [50, 200];
const ROUTES = ['/report.json', '/metrics'];
const WARMUP_SECONDS = 3;
const MIN_REQUESTS = 100_000;
const MAX_TOP_UPS = 3;
const TARGET_RPS = 5_000;
const TARGET_P99_MS = 20;
const TARGET_RSS_MB = 100;
/** RSS may move this much between the warmed-up and the final sample and still count as no growth. */
const GROWTH_TOLERANCE_MB = 10;
const CLK_TCK = 100;

const log = (msg: string): void => {
  process.stderr.write(`bench:serve: ${msg}\n`);
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- preconditions ----------------------------------------------------------------------

function ensureWrk(): string {
  const have = () => spawnSync('sh', ['-c', 'command -v wrk'], { encoding: 'utf8' }).status === 0;
  if (!have()) {
    log('wrk is missing: bash bench/host-deps.sh');
    spawnSync('bash', [join(ROOT, 'bench/host-deps.sh')], { stdio: 'inherit' });
  }
  if (!have()) throw new Error('wrk is not installed and `bash bench/host-deps.sh` did not install it');
  // `wrk -v` prints its banner and exits 1.
  const banner = spawnSync('wrk', ['-v'], { encoding: 'utf8' });
  return `${banner.stdout}${banner.stderr}`.split('\n')[0]?.trim() || 'unknown';
}

// ---- the server -------------------------------------------------------------------------

async function curlStatus(path: string): Promise<{ status: number; bytes: number }> {
  const result = await run(
    [
      'ip',
      'netns',
      'exec',
      NS,
      'curl',
      '-sS',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code} %{size_download}',
      '--max-time',
      '10',
      `${BASE}${path}`,
    ],
    { timeoutMs: 15_000 },
  );
  const [status, bytes] = result.stdout.trim().split(' ').map(Number);
  return { status: status ?? 0, bytes: bytes ?? 0 };
}

/** `ip netns exec` execs the command in place, so the spawned pid is node's; if not, its child. */
function serverPid(spawned: number): number {
  const comm = readFileSync(`/proc/${spawned}/comm`, 'utf8').trim();
  if (comm !== 'ip') return spawned;
  const children = readFileSync(`/proc/${spawned}/task/${spawned}/children`, 'utf8').trim().split(/\s+/);
  const child = Number(children[0]);
  if (!child) throw new Error(`no child process under ip (pid ${spawned})`);
  return child;
}

interface Memory {
  rssMb: number;
  hwmMb: number;
}

function memory(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
}

/** User + system CPU seconds the process has used. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** Busy CPU seconds of the whole machine (every process, ours or not) from /proc/stat. */
function machineBusySeconds(): number {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  const n = ticks.map(Number);
  // user nice system idle iowait irq softirq steal …: busy is all but idle and iowait.
  const total = n.slice(0, 8).reduce((a, b) => a + b, 0);
  return (total - n[3]! - n[4]!) / CLK_TCK;
}

interface Heap {
  heapUsedMb: number;
  externalMb: number;
}

/** The V8 heap as the server's own /metrics reports it (prom-client's default metrics). */
async function heap(): Promise<Heap> {
  const result = await run(
    ['ip', 'netns', 'exec', NS, 'curl', '-sS', '--max-time', '10', `${BASE}/metrics`],
    {
      timeoutMs: 15_000,
    },
  );
  const value = (name: string) =>
    Number(new RegExp(`^${name} ([\\d.e+]+)$`, 'm').exec(result.stdout)?.[1] ?? Number.NaN) / 2 ** 20;
  return {
    heapUsedMb: value('nodejs_heap_size_used_bytes'),
    externalMb: value('nodejs_external_memory_bytes'),
  };
}

/** The NODE_OPTIONS the image sets (its `ENV NODE_OPTIONS="…"`), or '' when it sets none. */
function imageNodeOptions(dockerfile = readFileSync(DOCKERFILE, 'utf8')): string {
  return /^\s*(?:ENV\s+)?NODE_OPTIONS="([^"]*)"/m.exec(dockerfile)?.[1] ?? '';
}

/** What the server's V8 says about its memory (bench/heap-spaces.mjs), in MB. */
type HeapSpaces = Record<string, number>;

let serverStderr = '';

/** Asks the server for its heap spaces (SIGUSR2) and reads the line it writes. */
async function heapSpaces(pid: number): Promise<HeapSpaces | undefined> {
  const before = serverStderr.length;
  process.kill(pid, 'SIGUSR2');
  for (let i = 0; i < 20; i += 1) {
    await sleep(100);
    const line = /^VPCE_HEAP (\{.*\})$/m.exec(serverStderr.slice(before))?.[1];
    if (line) return JSON.parse(line) as HeapSpaces;
  }
  return undefined;
}

// ---- wrk --------------------------------------------------------------------------------

interface WrkResult {
  route: string;
  connections: number;
  seconds: number;
  requests: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  non2xx: number;
  socketErrors: number;
  timeouts: number;
  serverCores: number;
  machineCores: number;
  rssAfter: Memory;
}

function toMs(value: string, unit: string): number {
  const n = Number(value);
  const factor: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  return n * (factor[unit] ?? Number.NaN);
}

/** The figures we need from wrk's `--latency` report. */
function parseWrk(
  out: string,
): Pick<
  WrkResult,
  'requests' | 'rps' | 'p50Ms' | 'p99Ms' | 'maxMs' | 'non2xx' | 'socketErrors' | 'timeouts'
> {
  const latency = (pct: string) => {
    const m = new RegExp(`^\\s+${pct}%\\s+([\\d.]+)(us|ms|s|m|h)\\s*$`, 'm').exec(out);
    return m ? toMs(m[1]!, m[2]!) : Number.NaN;
  };
  const max = /^\s+Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s|m|h)/m.exec(out);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    requests: Number(/^\s*(\d+) requests in /m.exec(out)?.[1] ?? Number.NaN),
    rps: Number(/^Requests\/sec:\s+([\d.]+)/m.exec(out)?.[1] ?? Number.NaN),
    p50Ms: latency('50'),
    p99Ms: latency('99'),
    maxMs: max ? toMs(max[1]!, max[2]!) : Number.NaN,
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
    socketErrors: sock ? sock.slice(1).reduce((n, v) => n + Number(v), 0) : 0,
    timeouts: sock ? Number(sock[4]) : 0,
  };
}

async function wrk(pid: number, route: string, connections: number, seconds: number): Promise<WrkResult> {
  const argv = [
    'ip',
    'netns',
    'exec',
    NS,
    'wrk',
    `-t${THREADS}`,
    `-c${connections}`,
    `-d${seconds}s`,
    '--latency',
    `${BASE}${route}`,
  ];
  const cpuBefore = cpuSeconds(pid);
  const machineBefore = machineBusySeconds();
  const started = performance.now();
  const result = await run(argv, { timeoutMs: (seconds + 30) * 1000 });
  const wall = (performance.now() - started) / 1000;
  if (result.code !== 0) throw new Error(`wrk exited ${result.code}: ${result.stderr || result.stdout}`);
  const parsed = parseWrk(result.stdout);
  if (!Number.isFinite(parsed.requests) || !Number.isFinite(parsed.p99Ms)) {
    throw new Error(`could not read wrk's output:\n${result.stdout}`);
  }
  return {
    route,
    connections,
    seconds,
    ...parsed,
    serverCores: (cpuSeconds(pid) - cpuBefore) / wall,
    machineCores: (machineBusySeconds() - machineBefore) / wall,
    rssAfter: memory(pid),
  };
}

// ---- the run ----------------------------------------------------------------------------

interface Results extends Run {
  facts: Array<[string, string]>;
  loadAtEnd: string;
  totalSeconds: number;
  /** The image's NODE_OPTIONS, which the run above had. */
  nodeOptions: string;
  /** The same load on the same lab with Node's defaults (no NODE_OPTIONS). */
  defaults: Run;
  /** The figures of the SERVE-RESULTS.md this run replaces. */
  previous: PreviousFigures;
}

interface Run {
  duration: number;
  reportBytes: number;
  metricsBytes: number;
  idle: Memory;
  warm: Memory;
  final: Memory;
  idleHeap: Heap;
  finalHeap: Heap;
  idleSpaces?: HeapSpaces;
  finalSpaces?: HeapSpaces;
  baseline: WrkResult;
  warmup: WrkResult[];
  runs: WrkResult[];
  topUps: WrkResult[];
  alive: boolean;
}

async function measure(duration: number, pid: number): Promise<Run> {
  const report = await curlStatus('/report.json');
  const metrics = await curlStatus('/metrics');
  if (report.status !== 200 || metrics.status !== 200) {
    throw new Error(`/report.json answered ${report.status}, /metrics ${metrics.status}: expected 200`);
  }
  await sleep(2_000);
  const idle = memory(pid);
  const idleHeap = await heap();
  const idleSpaces = await heapSpaces(pid);
  log(`idle RSS ${idle.rssMb.toFixed(1)} MB; warm-up ${WARMUP_SECONDS} s per route at 200 connections`);

  const warmup: WrkResult[] = [];
  for (const route of ROUTES) warmup.push(await wrk(pid, route, 200, WARMUP_SECONDS));
  const warm = memory(pid);

  const runs: WrkResult[] = [];
  for (const connections of CONNECTIONS) {
    for (const route of ROUTES) {
      log(`wrk ${route} -c${connections} ${duration} s`);
      runs.push(await wrk(pid, route, connections, duration));
    }
  }
  log(`baseline: wrk /healthz -c50 ${duration} s`);
  const baseline = await wrk(pid, '/healthz', 50, duration);
  const topUps: WrkResult[] = [];
  const total = () => [baseline, ...warmup, ...runs, ...topUps].reduce((n, r) => n + r.requests, 0);
  while (total() < MIN_REQUESTS && topUps.length < MAX_TOP_UPS) {
    log(`${total()} requests so far: another ${duration} s of /report.json -c50`);
    topUps.push(await wrk(pid, '/report.json', 50, duration));
  }
  await sleep(2_000);
  const final = memory(pid);
  const finalHeap = await heap();
  const finalSpaces = await heapSpaces(pid);
  const alive = (await curlStatus('/healthz')).status === 200;
  return {
    duration,
    reportBytes: report.bytes,
    metricsBytes: metrics.bytes,
    idle,
    warm,
    final,
    idleHeap,
    finalHeap,
    ...(idleSpaces ? { idleSpaces } : {}),
    ...(finalSpaces ? { finalSpaces } : {}),
    baseline,
    warmup,
    runs,
    topUps,
    alive,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { duration: { type: 'string', default: '10' } } });
  const duration = Number(values.duration);
  if (!Number.isInteger(duration) || duration < 1 || duration > 60) {
    throw new Error(`--duration: '${values.duration}' is not a whole number of seconds in 1..60`);
  }
  const uid = process.getuid?.() ?? 0;
  if (uid !== 0) throw new Error(`the lab needs root (network namespaces); running as uid ${uid}`);
  const wrkVersion = ensureWrk();
  ensureBuilt(log);
  const busy = await waitForFreeLab(log);
  if (busy) throw new Error(busy);

  const started = performance.now();
  const facts: Array<[string, string]> = [
    ...baseMachineFacts(),
    ['wrk', wrkVersion],
    ['load average at start (1/5/15 min)', loadAverage()],
  ];

  const previous = previousFigures(readPrevious());
  const nodeOptions = imageNodeOptions();
  const nodeBinary = spawnSync('bash', [join(ROOT, 'scripts/node22.sh')], { encoding: 'utf8' }).stdout.trim();
  if (!nodeBinary) throw new Error('scripts/node22.sh gave no Node 22 binary');
  facts.push(
    [
      'server runtime',
      `${spawnSync(nodeBinary, ['--version'], { encoding: 'utf8' }).stdout.trim()} (${nodeBinary})`,
    ],
    ["server NODE_OPTIONS (the Dockerfile's)", nodeOptions ? `\`${nodeOptions}\`` : '(none)'],
  );

  let server: ChildProcess | undefined;
  let logs = '';
  const stop = async () => {
    const running = server;
    if (running && running.exitCode === null && running.signalCode === null) {
      running.kill('SIGTERM');
      await Promise.race([new Promise((resolve) => running.once('exit', resolve)), sleep(8_000)]);
      if (running.exitCode === null && running.signalCode === null) running.kill('SIGKILL');
    }
    server = undefined;
  };
  try {
    log('lab up healthy');
    await labUp('healthy');
    const state = readState();
    if (!state) throw new Error('the lab came up without a state file');
    const serveWith = async (options: string): Promise<Run> => {
      const env = labEnv(state, { VPCE_DOCTOR_INTERVAL_SECONDS: '3600', LOG_LEVEL: 'warn' });
      delete env['VPCE_DOCTOR_TOKEN'];
      env['NODE_OPTIONS'] = `${options} --import=${HEAP_SPACES}`.trim();
      logs = '';
      serverStderr = '';
      server = spawn(
        'ip',
        ['netns', 'exec', NS, nodeBinary, 'bin/vpce-doctor.js', 'serve', '--port', '9077'],
        {
          cwd: ROOT,
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      const spawned = server;
      const keep = (chunk: Buffer) => {
        logs = (logs + chunk.toString()).slice(-4000);
      };
      spawned.stdout!.on('data', keep);
      spawned.stderr!.on('data', (chunk: Buffer) => {
        keep(chunk);
        serverStderr = (serverStderr + chunk.toString()).slice(-20_000);
      });
      const deadline = Date.now() + 60_000;
      while ((await curlStatus('/readyz')).status !== 200) {
        if (spawned.exitCode !== null || Date.now() > deadline) {
          throw new Error(`serve did not become ready (exit ${spawned.exitCode}):\n${logs}`);
        }
        await sleep(500);
      }
      const pid = serverPid(spawned.pid!);
      log(`serve ready (pid ${pid}, NODE_OPTIONS ${options || '(none)'})`);
      try {
        return await measure(duration, pid);
      } finally {
        await stop();
      }
    };
    const measured = await serveWith(nodeOptions);
    log("again with Node's defaults (no NODE_OPTIONS), side by side");
    const defaults = await serveWith('');
    const results: Results = {
      facts,
      loadAtEnd: loadAverage(),
      totalSeconds: (performance.now() - started) / 1000,
      nodeOptions,
      defaults,
      previous,
      ...measured,
    };
    writeFileSync(RESULTS, render(results));
    log(`wrote ${RESULTS}`);
  } finally {
    await stop();
    log('lab down');
    await labDown();
  }
}

// ---- the previous results file ----------------------------------------------------------

interface PreviousFigures {
  commit: string;
  maxRssMb: number;
  idleRssMb: number;
  reportRps: string;
}

function readPrevious(): string {
  try {
    return readFileSync(RESULTS, 'utf8');
  } catch {
    return '';
  }
}

/** The figures this run is compared with, read from the results file it replaces. */
function previousFigures(text: string): PreviousFigures {
  const num = (re: RegExp) => Number(re.exec(text)?.[1] ?? Number.NaN);
  return {
    commit: /^\| commit \| ([^|]+?) \|$/m.exec(text)?.[1] ?? '–',
    maxRssMb: num(/RSS < \d+ MB \(every sample\) \| max ([\d.]+) MB/),
    idleRssMb: num(/^\| idle: first report done, before any load \| 0 \| ([\d.]+) MB/m),
    reportRps:
      /cached `\/report\.json` ≥ [\d,]+ req\/s \(50 and 200 connections\) \| ([^|]+?) \|/.exec(text)?.[1] ??
      '–',
  };
}

// ---- SERVE-RESULTS.md -------------------------------------------------------------------

const verdict = (ok: boolean): string => (ok ? '**PASS**' : '**FAIL**');
const mb = (m: Memory): string => `${m.rssMb.toFixed(1)} MB`;
const hwm = (m: Memory): string => `${m.hwmMb.toFixed(1)} MB`;
const heapCells = (h: Heap): string[] => [`${h.heapUsedMb.toFixed(1)} MB`, `${h.externalMb.toFixed(1)} MB`];
const int = (n: number): string => Math.round(n).toLocaleString('en-US');

const requestsOf = (r: Run): WrkResult[] => [r.baseline, ...r.warmup, ...r.runs, ...r.topUps];
const maxRssOf = (r: Run): number =>
  Math.max(r.idle.rssMb, r.warm.rssMb, r.final.rssMb, ...requestsOf(r).map((w) => w.rssAfter.rssMb));
const rpsOf = (r: Run): string =>
  r.runs
    .filter((w) => w.route === '/report.json')
    .map((w) => `${int(w.rps)} at ${w.connections}`)
    .join(', ');
const mbOr = (n: number): string => (Number.isFinite(n) ? `${n.toFixed(1)} MB` : '–');

/** Image vs Node's defaults (this run) vs the previous results file. */
function sideBySide(r: Results): string {
  const cells = (run: Run) => [
    mb(run.idle),
    mb(run.warm),
    mb(run.final),
    `${maxRssOf(run).toFixed(1)} MB`,
    hwm(run.final),
    rpsOf(run),
  ];
  return table(
    [
      'server',
      'idle RSS',
      'warmed up',
      'final',
      'max RSS (every sample)',
      'peak VmHWM',
      '/report.json req/s',
    ],
    [
      [`this run, as the image runs it (\`NODE_OPTIONS="${r.nodeOptions}"\`)`, ...cells(r)],
      ["this run, same lab and load, Node's defaults (no NODE_OPTIONS)", ...cells(r.defaults)],
      [
        `the previous SERVE-RESULTS.md (commit ${r.previous.commit})`,
        mbOr(r.previous.idleRssMb),
        '–',
        '–',
        mbOr(r.previous.maxRssMb),
        '–',
        r.previous.reportRps,
      ],
    ],
  );
}

/** Where the memory is, from V8 and Node (bench/heap-spaces.mjs), idle and after the load. */
function spacesTable(r: Results): string {
  const keys = [
    ...new Set([
      ...Object.keys(r.idleSpaces ?? {}),
      ...Object.keys(r.finalSpaces ?? {}),
      ...Object.keys(r.defaults.finalSpaces ?? {}),
    ]),
  ];
  if (keys.length === 0) return '(the server did not answer SIGUSR2)';
  const cell = (spaces: HeapSpaces | undefined, key: string) =>
    spaces?.[key] === undefined ? '–' : spaces[key]!.toFixed(1);
  return table(
    [
      'MB',
      'image: idle',
      'image: after the load',
      "Node's defaults: idle",
      "Node's defaults: after the load",
    ],
    keys.map((key) => [
      key,
      cell(r.idleSpaces, key),
      cell(r.finalSpaces, key),
      cell(r.defaults.idleSpaces, key),
      cell(r.defaults.finalSpaces, key),
    ]),
  );
}

function render(r: Results): string {
  const all = requestsOf(r);
  const totalRequests = all.reduce((n, w) => n + w.requests, 0);
  const errors = all.reduce((n, w) => n + w.non2xx + w.socketErrors, 0);
  const reportRuns = r.runs.filter((w) => w.route === '/report.json');
  const at50 = r.runs.filter((w) => w.connections === 50);
  const maxRss = maxRssOf(r);
  const growth = r.final.rssMb - r.warm.rssMb;
  const warmupRequests = r.warmup.reduce((n, w) => n + w.requests, 0);
  const row = (w: WrkResult, label = ''): string[] => [
    `${w.route}${label}`,
    String(w.connections),
    `${w.seconds} s`,
    int(w.requests),
    int(w.rps),
    w.p50Ms.toFixed(2),
    w.p99Ms.toFixed(2),
    w.maxMs.toFixed(1),
    String(w.non2xx),
    w.socketErrors === 0 ? '0' : `${w.socketErrors} (${w.timeouts} timeouts)`,
    w.serverCores.toFixed(2),
    w.machineCores.toFixed(2),
    mb(w.rssAfter),
  ];
  const header = [
    'route',
    'connections',
    'duration',
    'requests',
    'req/s',
    'p50 ms',
    'p99 ms',
    'max ms',
    'non-2xx',
    'socket errors',
    'server CPU (cores)',
    'machine CPU (cores)',
    'RSS after',
  ];

  return [
    '# `vpce-doctor serve` load results',
    '',
    `Generated by \`node --import tsx bench/serve.ts --duration ${r.duration}\` (\`npm run bench:serve\`) in ${r.totalSeconds.toFixed(0)} s. ` +
      'Do not edit by hand: rerun the command. Every figure below comes from that one run. What each row means: bench/README.md.',
    '',
    '## Verdict against issue 4',
    '',
    table(
      ['target', 'measured', 'verdict'],
      [
        [
          `cached \`/report.json\` ≥ ${int(TARGET_RPS)} req/s (50 and 200 connections)`,
          reportRuns.map((w) => `${int(w.rps)} req/s at ${w.connections}`).join(', '),
          verdict(reportRuns.every((w) => w.rps >= TARGET_RPS)),
        ],
        [
          `p99 < ${TARGET_P99_MS} ms at 50 connections`,
          at50.map((w) => `${w.route} ${w.p99Ms.toFixed(2)} ms`).join(', '),
          verdict(at50.every((w) => w.p99Ms < TARGET_P99_MS)),
        ],
        [
          `RSS < ${TARGET_RSS_MB} MB (every sample)`,
          `max ${maxRss.toFixed(1)} MB (peak VmHWM ${r.final.hwmMb.toFixed(1)} MB)`,
          verdict(maxRss < TARGET_RSS_MB),
        ],
        [
          `no RSS growth over ≥ ${int(MIN_REQUESTS)} requests (final − warmed-up ≤ ${GROWTH_TOLERANCE_MB} MB)`,
          `${mb(r.warm)} → ${mb(r.final)} (${growth >= 0 ? '+' : ''}${growth.toFixed(1)} MB) over ${int(totalRequests - warmupRequests)} requests`,
          verdict(growth <= GROWTH_TOLERANCE_MB && totalRequests >= MIN_REQUESTS),
        ],
        [
          'every request answered 2xx, no socket errors; server alive at the end',
          `${errors} errors in ${int(totalRequests)} requests; /healthz ${r.alive ? '200' : 'not 200'}`,
          verdict(errors === 0 && r.alive),
        ],
      ],
    ),
    '',
    `**The machine has ${availableParallelism()} cores, shared by wrk (${THREADS} threads) and the server** (and by ` +
      "whatever else runs on it: see the load averages). The server's JavaScript runs on one thread; " +
      '"server CPU (cores)" is its user+system CPU time over the wall time of each wrk run (from /proc/PID/stat; ' +
      'above 1.0 means libuv and GC threads helped); "machine CPU (cores)" is every busy CPU of the machine over ' +
      'the same time (/proc/stat), so machine − server is wrk plus everything else running. The req/s figures ' +
      'are what one server process gets on about one core of this machine while wrk uses the other.',
    '',
    '## Machine',
    '',
    table(['fact', 'value'], [...r.facts, ['load average at end (1/5/15 min)', r.loadAtEnd]]),
    '',
    '## Throughput and latency',
    '',
    `Command, per row: \`ip netns exec vdl-agent-a wrk -t${THREADS} -cN -d${r.duration}s --latency ${BASE}ROUTE\`, against ` +
      `\`NODE_OPTIONS="${r.nodeOptions}" node bin/vpce-doctor.js serve --port 9077\` (Node 22, as the image) in the same namespace (\`healthy\` lab, ` +
      '`VPCE_DOCTOR_INTERVAL_SECONDS=3600` so no scheduled run overlaps the load, no token, `LOG_LEVEL=warn`). ' +
      `Body sizes: \`/report.json\` ${int(r.reportBytes)} bytes, \`/metrics\` ${int(r.metricsBytes)} bytes. ` +
      "Latencies are wrk's `--latency` distribution in ms; a socket timeout is a request unanswered after " +
      "wrk's default 2 s. The `/healthz` row (a 3-byte answer) is the same server's ceiling on this machine " +
      'without the body, for comparison.',
    '',
    table(header, [
      row(r.baseline, ' (baseline, not a target)'),
      ...r.runs.map((w) => row(w)),
      ...r.topUps.map((w) => row(w, ' (top-up to 100,000)')),
    ]),
    '',
    `Warm-up before the measured rows (counted in the request total, not in the table above): ${r.warmup
      .map((w) => `${w.route} -c${w.connections} ${w.seconds} s, ${int(w.requests)} requests`)
      .join('; ')}.`,
    '',
    "## Memory: as the image runs it, with Node's defaults, and the previous figure",
    '',
    'The same lab, load and Node binary, one server after the other; the previous figure is the results file this run replaced (its Node and flags are in its own Machine table).',
    '',
    sideBySide(r),
    '',
    '## Where the memory goes',
    '',
    "Each server's own accounting on SIGUSR2 (bench/heap-spaces.mjs, preloaded): RSS; V8's heap committed and used, per space; " +
      'bytecode, compiled code and script sources; what V8 mallocs outside the heap (now and its peak, the parse of the bundle); ' +
      "external and array buffers (Node's, outside V8's heap). RSS − heap committed is Node and V8 themselves, code, malloc and the bundle's text.",
    '',
    spacesTable(r),
    '',
    "## Memory of the image's server over the load (VmRSS of the serve process, /proc/PID/status)",
    '',
    "V8 heap used and external are the server's own `nodejs_heap_size_used_bytes` and " +
      '`nodejs_external_memory_bytes` from `/metrics`.',
    '',
    table(
      ['when', 'requests served so far', 'VmRSS', 'VmHWM (peak)', 'V8 heap used', 'external'],
      [
        ['idle: first report done, before any load', '0', mb(r.idle), hwm(r.idle), ...heapCells(r.idleHeap)],
        [
          'warmed up: after the warm-up at 200 connections',
          int(warmupRequests),
          mb(r.warm),
          hwm(r.warm),
          '–',
          '–',
        ],
        [
          'final: 2 s after the last run',
          int(totalRequests),
          mb(r.final),
          hwm(r.final),
          ...heapCells(r.finalHeap),
        ],
      ],
    ),
    '',
  ].join('\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:serve: ${(error as Error).message}\n`);
  process.exitCode = 1;
});
