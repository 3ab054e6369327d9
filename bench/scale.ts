// The agent at scale: generated labs of N interface endpoints (2 ENIs each), measured cold (fresh
// process), warm (same process, cached inventory), at the resolver (dnsmasq's query log) and in
// memory (peak RSS), beside a blackbox_exporter round over the same targets; then silently
// dropped ENIs. Used by bench/engine.ts.
import { readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabState } from '../test/lab/index.js';
import { labExec } from '../test/lab/index.js';
import { inNs, runScript } from '../test/lab/shell.js';
import { blackbox, type ColdSample, coldReport, scenarioFacts } from './baselines.js';
import type { WarmRun, WarmRunOutput } from './warm-run.js';

export const WARM = ['node', '--import', 'tsx', 'bench/warm-run.ts'];
export const WARM_RUNS_PER_PROCESS = 3;
export const TIME = '/usr/bin/time';
/** AmazonProvidedDNS's log in the lab (dnsmasq with log-queries). */
const RESOLVER_LOG = '/run/vpce-doctor-lab/dns-vpc.log';
const AGENT_ADDRESS = '10.0.1.10';
const ENDPOINTS_NS = 'vdl-endpoints';

export interface ResolverLoad {
  /** queries the resolver logged from the agent during the report */
  queries: number;
  /** the most in one wall-clock second, as dnsmasq stamps them */
  peakPerSecond: number;
}

export interface ScaleSample extends ColdSample {
  peakRssKb: number;
  resolver: ResolverLoad;
}

export interface ScalePoint {
  scenario: string;
  interfaceEndpoints: number;
  enis: number;
  cold: ScaleSample[];
  /** per process: run 1 cold, the rest warm */
  inProcess: WarmRun[][];
  /** the same with `--no-reuse`: the runner as before issue 17, measured in the same run */
  inProcessNoReuse: WarmRun[][];
  blackboxRoundMs: number[];
  blackboxProbes: number;
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** Counts the agent's queries in a stretch of dnsmasq's log (`Nov 25 15:01:02 dnsmasq[9]: query[A] NAME from IP`). */
export function resolverLoad(logText: string, from = AGENT_ADDRESS): ResolverLoad {
  const perSecond = new Map<string, number>();
  let queries = 0;
  const line = new RegExp(
    `^(\\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d) dnsmasq\\[\\d+\\]: query\\[\\w+\\] \\S+ from ${from.replaceAll('.', '\\.')}$`,
    'gm',
  );
  for (const m of logText.matchAll(line)) {
    queries += 1;
    perSecond.set(m[1]!, (perSecond.get(m[1]!) ?? 0) + 1);
  }
  return { queries, peakPerSecond: Math.max(0, ...perSecond.values()) };
}

/** A cold report under GNU time (peak RSS) with the resolver's log read around it. */
export async function measuredColdReport(): Promise<ScaleSample> {
  const rssFile = join(tmpdir(), `vdl-bench-rss-${process.pid}`);
  const offset = fileSize(RESOLVER_LOG);
  try {
    const sample = await coldReport([TIME, '-f', '%M', '-o', rssFile]);
    const peakRssKb = Number(readFileSync(rssFile, 'utf8').trim().split('\n').at(-1));
    const logged = readFileSync(RESOLVER_LOG).subarray(offset).toString();
    return { ...sample, peakRssKb, resolver: resolverLoad(logged) };
  } finally {
    rmSync(rssFile, { force: true });
  }
}

async function warmProcesses(processes: number, reuse: boolean): Promise<WarmRun[][]> {
  const out: WarmRun[][] = [];
  for (let i = 0; i < processes; i += 1) {
    const argv = [...WARM, String(WARM_RUNS_PER_PROCESS), ...(reuse ? [] : ['--no-reuse'])];
    const result = await labExec(argv, { timeoutMs: 120_000 });
    if (result.code !== 0) throw new Error(`warm-run failed (exit ${result.code}): ${result.stderr}`);
    out.push((JSON.parse(result.stdout) as WarmRunOutput).runs);
  }
  return out;
}

export async function measureScale(
  state: LabState,
  reps: number,
  log: (line: string) => void,
): Promise<ScalePoint> {
  const interfaces = Object.values(state.aws.endpoints).filter((e) => e.type === 'Interface');
  log(`${state.scenario}: one report to warm moto up, then ${reps} cold reports`);
  const first = await coldReport();
  const cold: ScaleSample[] = [];
  for (let i = 0; i < reps; i += 1) cold.push(await measuredColdReport());
  const processes = Math.max(2, Math.ceil(reps / 2));
  log(
    `${state.scenario}: ${processes} processes of ${WARM_RUNS_PER_PROCESS} runs, as many with --no-reuse (interleaved), then blackbox_exporter`,
  );
  // Interleaved, so a drift in the machine's load falls on both ways alike.
  const inProcess: WarmRun[][] = [];
  const inProcessNoReuse: WarmRun[][] = [];
  for (let i = 0; i < processes; i += 1) {
    inProcess.push(...(await warmProcesses(1, true)));
    inProcessNoReuse.push(...(await warmProcesses(1, false)));
  }
  const bb = await blackbox(scenarioFacts(state, first.report), state, reps);
  return {
    scenario: state.scenario,
    interfaceEndpoints: interfaces.length,
    enis: interfaces.reduce((n, e) => n + e.eniIps.length, 0),
    cold,
    inProcess,
    inProcessNoReuse,
    blackboxRoundMs: bb.rounds.map((r) => r.wallMs),
    blackboxProbes: bb.probes,
  };
}

export interface DropRow {
  dropped: number;
  samples: ColdSample[];
}

/**
 * Drops tcp/443 to `count` ENI IPs inside vdl-endpoints (as a host firewall would, silently),
 * measures, and removes exactly those rules. The ENIs are the first of the endpoints the agent
 * probes last (targets go in name order), so every row pays the whole DNS spread before its
 * TCP deadline: the rows differ only in the number of dropped ENIs.
 */
export async function dropRows(
  state: LabState,
  counts: number[],
  reps: number,
  log: (line: string) => void,
): Promise<DropRow[]> {
  const rows: DropRow[] = [];
  const lastFirst = Object.entries(state.eniIps)
    .sort(([a], [b]) => b.localeCompare(a))
    .map(([, ips]) => ips[0]!);
  for (const count of [0, ...counts]) {
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
      const samples: ColdSample[] = [];
      for (let i = 0; i < reps; i += 1) samples.push(await coldReport());
      rows.push({ dropped: count, samples });
    } finally {
      await runScript(ips.map((ip) => rule('-D', ip)));
    }
  }
  return rows;
}
