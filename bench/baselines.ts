// One lab scenario, three ways to answer "can this subnet reach its services, and if not why":
// the agent (a cold `vpce-doctor report`), the incident shell (bench/incident-shell.sh) and
// blackbox_exporter (bench/blackbox.ts), all run in vdl-agent-a against the same lab, each
// `reps` times, each judged by bench/evidence.ts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Report } from '../src/model.js';
import type { LabState } from '../test/lab/index.js';
import { labExec } from '../test/lab/index.js';
import type { BlackboxInput, BlackboxOutput } from './blackbox.js';
import type { Judgement, ScenarioFacts } from './evidence.js';
import { judgeAgent, judgeBlackbox, judgeShell, parseShellOutput } from './evidence.js';

export const REPORT = ['node', 'bin/vpce-doctor.js', 'report', '--format', 'json'];
export const SHELL = ['bash', 'bench/incident-shell.sh'];
export const BLACKBOX = ['node', '--import', 'tsx', 'bench/blackbox.ts'];

export interface ColdSample {
  /** the process, from spawn to exit, `ip netns exec` included */
  wallMs: number;
  report: Report;
}

/** A fresh agent process: an empty inventory cache. `wrapper` runs it (GNU time, for one). */
export async function coldReport(wrapper: string[] = []): Promise<ColdSample> {
  const started = performance.now();
  const result = await labExec([...wrapper, ...REPORT], { timeoutMs: 60_000 });
  const wallMs = performance.now() - started;
  try {
    return { wallMs, report: JSON.parse(result.stdout) as Report };
  } catch {
    throw new Error(`no JSON report (exit ${result.code}): ${result.stderr || result.stdout}`);
  }
}

/** The services the agent examined, with what the lab knows of each: the baselines get the same list. */
export function scenarioFacts(state: LabState, report: Report): ScenarioFacts {
  return {
    targets: report.targets.map((t) => ({
      shortName: t.shortName,
      service: t.service,
      hostname: t.hostname,
      interface: t.endpointType === 'Interface',
      eniIps: state.eniIps[t.shortName] ?? [],
    })),
    expected: Object.fromEntries(
      // A scenario may accept several causes (test/lab/scenarios.ts): the first is the one to name.
      Object.entries(state.expect.targets).map(([name, e]) => [
        name,
        Array.isArray(e.rootCause) ? e.rootCause[0] : e.rootCause,
      ]),
    ),
    subnetId: state.aws.subnets['agent-a'] ?? '',
    agentEniId: state.aws.agentEnis['a'] ?? '',
    vpcResolvers: [state.resolvers.vpc, state.resolvers.linkLocal],
  };
}

export interface ShellRun {
  wallMs: number;
  commands: number;
  awsCliMs: number;
  output: string;
}

export async function incidentShell(facts: ScenarioFacts, state: LabState): Promise<ShellRun> {
  const started = performance.now();
  const result = await labExec(SHELL, {
    timeoutMs: 300_000,
    env: {
      VPC_ID: state.aws.vpcId,
      SUBNET_ID: facts.subnetId,
      HOSTS: facts.targets.map((t) => t.hostname).join(' '),
    },
  });
  const wallMs = performance.now() - started;
  if (result.code !== 0) throw new Error(`incident-shell.sh exited ${result.code}: ${result.stderr}`);
  const steps = parseShellOutput(result.stdout);
  return {
    wallMs,
    commands: steps.length,
    awsCliMs: steps.filter((s) => s.what.startsWith('describe-')).reduce((sum, s) => sum + s.ms, 0),
    output: result.stdout,
  };
}

export async function blackbox(facts: ScenarioFacts, state: LabState, reps: number): Promise<BlackboxOutput> {
  const input: BlackboxInput = {
    targets: facts.targets.map((t) => ({
      shortName: t.shortName,
      hostname: t.hostname,
      private: t.interface,
      eniIps: t.eniIps,
    })),
    resolver: state.resolvers.agent,
    caPath: state.caPath,
    reps,
  };
  const dir = mkdtempSync(join(tmpdir(), 'vdl-bench-'));
  try {
    const file = join(dir, 'blackbox-input.json');
    writeFileSync(file, JSON.stringify(input));
    const result = await labExec([...BLACKBOX, file], { timeoutMs: 300_000 });
    if (result.code !== 0) throw new Error(`blackbox.ts exited ${result.code}: ${result.stderr}`);
    return JSON.parse(result.stdout) as BlackboxOutput;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface ScenarioComparison {
  scenario: string;
  facts: ScenarioFacts;
  agent: { samples: ColdSample[]; judgement: Judgement };
  shell: { runs: ShellRun[]; judgement: Judgement };
  blackbox: { output: BlackboxOutput; judgement: Judgement };
}

export async function compareScenario(
  state: LabState,
  reps: number,
  log: (line: string) => void,
): Promise<ScenarioComparison> {
  // The first report after `lab up` also pays moto's lazy start-up: it only lists the targets.
  const first = await coldReport();
  const facts = scenarioFacts(state, first.report);
  log(`${state.scenario}: ${reps}× agent, incident shell and blackbox_exporter`);
  const samples: ColdSample[] = [];
  for (let i = 0; i < reps; i += 1) samples.push(await coldReport());
  const runs: ShellRun[] = [];
  for (let i = 0; i < reps; i += 1) runs.push(await incidentShell(facts, state));
  const bb = await blackbox(facts, state, reps);
  const last = bb.rounds.at(-1)?.results ?? [];
  return {
    scenario: state.scenario,
    facts,
    agent: { samples, judgement: judgeAgent(samples.at(-1)!.report, facts) },
    shell: { runs, judgement: judgeShell(parseShellOutput(runs.at(-1)!.output), facts) },
    blackbox: { output: bb, judgement: judgeBlackbox(last, facts) },
  };
}
