// The Lambda bundle's numbers, every figure from this run, written to bench/LAMBDA-RESULTS.md:
// bundle size, time from a fresh `node` to the handler ready, and invocation durations in the
// lab's healthy scenario (the bundle run in vdl-agent-a as the Lambda runtime would call it).
//
//   node --import tsx bench/lambda.ts [--reps N] [--no-lab]      (root for the lab part)
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import type { Report } from '../src/model.js';
import { labDown, labExec, labUp, preflightProblem, waitForFreeLab } from '../test/lab/index.js';
import { spread } from './stats.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const BUNDLE = join(ROOT, 'dist/lambda.js');
const RESULTS = join(ROOT, 'bench/LAMBDA-RESULTS.md');
const { values } = parseArgs({
  options: { reps: { type: 'string', default: '7' }, 'no-lab': { type: 'boolean' } },
});
const REPS = Math.max(3, Number(values.reps));
const log = (msg: string) => process.stderr.write(`bench: ${msg}\n`);

const fmt = (xs: number[]) =>
  `${spread(xs).median.toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)}, n=${xs.length})`;

/** Wall time from spawning `node` until the bundle's handler is a function (what a cold start pays). */
function timeToReady(): Promise<number> {
  const script = `const m = await import(${JSON.stringify(new URL(`file://${BUNDLE}`).href)}); if (typeof m.handler !== 'function') process.exit(1); process.stdout.write('ready\\n');`;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.stdout.on('data', (c: Buffer) => {
      if (c.toString().includes('ready')) resolve(performance.now() - started);
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`node exited ${code}`));
    });
  });
}

// Runs in vdl-agent-a: creates the report log group, then invokes the handler `n` times in one
// process (the first is a cold invocation of a fresh environment, the rest warm).
const INVOKE = `
import { CloudWatchLogsClient, CreateLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
try { await new CloudWatchLogsClient({}).send(new CreateLogGroupCommand({ logGroupName: process.env.VPCE_DOCTOR_LOG_GROUP })); } catch {}
const { handler } = await import(process.env.BUNDLE_URL);
const out = [];
for (let i = 0; i < Number(process.env.INVOCATIONS); i++) {
  const t = performance.now();
  const r = await handler({}, { awsRequestId: 'bench-' + i, getRemainingTimeInMillis: () => 60000 });
  out.push({ wallMs: performance.now() - t, status: r.status, durationMs: r.durationMs, phases: r.phases, shipping: r.findings?.some((f) => f.code === 'LOGS_SHIPPING_FAILED') });
}
process.stderr.write('RESULT ' + JSON.stringify(out) + '\\n');`;

interface Invocation {
  wallMs: number;
  status: Report['status'];
  durationMs: number;
  phases: Record<string, number>;
  shipping: boolean;
}

async function labInvocations(): Promise<{ cold: Invocation[]; warm: Invocation[]; processMs: number[] }> {
  const state = await labUp('healthy');
  const cold: Invocation[] = [];
  const warm: Invocation[] = [];
  const processMs: number[] = [];
  try {
    const env = {
      AWS_LAMBDA_FUNCTION_NAME: 'vpce-doctor-bench',
      VPCE_DOCTOR_VPC_ID: state.aws.vpcId,
      VPCE_DOCTOR_SUBNET_ID: state.aws.subnets['agent-a']!,
      VPCE_DOCTOR_AZ: 'us-east-1a',
      VPCE_DOCTOR_PRIVATE_IP: '10.0.1.10',
      VPCE_DOCTOR_SECURITY_GROUP_IDS: state.aws.securityGroups['vdl-agent']!,
      VPCE_DOCTOR_LOG_GROUP: '/vpce-doctor/reports',
      VPCE_DOCTOR_FAIL_ON: 'never',
      BUNDLE_URL: new URL(`file://${BUNDLE}`).href,
      INVOCATIONS: '3',
    };
    // One discarded run: moto's lazy start-up is not the agent's cost.
    await labExec(['node', '--input-type=module', '-e', INVOKE], { env: { ...env, INVOCATIONS: '1' } });
    for (let i = 0; i < REPS; i++) {
      const started = performance.now();
      const result = await labExec(['node', '--input-type=module', '-e', INVOKE], {
        env,
        timeoutMs: 120_000,
      });
      processMs.push(performance.now() - started);
      const line = result.stderr.split('\n').find((l) => l.startsWith('RESULT '));
      if (!line) throw new Error(`no result (exit ${result.code}): ${result.stderr.slice(-500)}`);
      const runs = JSON.parse(line.slice(7)) as Invocation[];
      for (const r of runs)
        if (r.status !== 'pass' || r.shipping) throw new Error(`healthy run was ${r.status}`);
      cold.push(runs[0]!);
      warm.push(...runs.slice(1));
      log(
        `lab rep ${i + 1}/${REPS}: cold ${runs[0]!.wallMs.toFixed(0)} ms, warm ${runs
          .slice(1)
          .map((r) => r.wallMs.toFixed(0))
          .join(', ')} ms`,
      );
    }
  } finally {
    await labDown();
  }
  return { cold, warm, processMs };
}

async function labFree(): Promise<string | undefined> {
  const problem = preflightProblem({ uid: process.getuid?.() ?? 0, ipNetns: true });
  return problem ?? (await waitForFreeLab(log));
}

async function main(): Promise<void> {
  const build = execFileSync(process.execPath, ['scripts/bundle.mjs'], {
    cwd: ROOT,
    encoding: 'utf8',
  }).trim();
  log(build);
  const bytes = statSync(BUNDLE).size;
  const gz = gzipSync(readFileSync(BUNDLE)).length;
  const ready: number[] = [];
  await timeToReady(); // warm the page cache
  for (let i = 0; i < Math.max(REPS, 10); i++) ready.push(await timeToReady());
  log(`ready ${fmt(ready)}`);

  let lab: Awaited<ReturnType<typeof labInvocations>> | undefined;
  let labNote = '';
  if (!values['no-lab']) {
    const problem = await labFree();
    if (problem) labNote = `lab part skipped: ${problem}`;
    else lab = await labInvocations();
  } else labNote = 'lab part skipped (--no-lab)';

  const rows = [
    `| bundle size (dist/lambda.js, minified ESM, AWS SDK included) | ${(bytes / 1024 / 1024).toFixed(2)} MiB (${bytes} bytes; ${(gz / 1024).toFixed(0)} KiB gzipped) | < 1.5 MB |`,
    `| fresh \`node\` to handler ready (spawn → import → typeof handler) | ${fmt(ready)} | < 250 ms |`,
  ];
  if (lab) {
    rows.push(
      `| lab healthy, first invocation of a fresh process (handler wall time) | ${fmt(lab.cold.map((r) => r.wallMs))} | |`,
      `| lab healthy, first invocation: report durationMs | ${fmt(lab.cold.map((r) => r.durationMs))} | |`,
      `| lab healthy, warm invocation (handler wall time, inventory cached) | ${fmt(lab.warm.map((r) => r.wallMs))} | |`,
      `| lab healthy, warm invocation: report durationMs | ${fmt(lab.warm.map((r) => r.durationMs))} | |`,
      `| lab healthy, whole process (ip netns exec + node + 3 invocations + shipping) | ${fmt(lab.processMs)} | |`,
    );
  }
  const text = `# Lambda bundle benchmarks

Generated by \`node --import tsx bench/lambda.ts\` on ${new Date().toISOString()} — do not edit, rerun.
Machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Linux ${release()}, Node ${process.version}.

| what | measured | target |
|---|---|---|
${rows.join('\n')}

${labNote ? `${labNote}\n\n` : ''}How: the bundle is rebuilt by scripts/bundle.mjs. "Ready" spawns \`node\` ${ready.length} times, each
importing dist/lambda.js and printing once \`handler\` is a function; the parent times spawn to that
line. The lab rows run the bundle inside vdl-agent-a (scenario \`healthy\`: 8 interface endpoints
× 2 ENIs + 2 gateway endpoints, moto as EC2 and CloudWatch Logs) as the Lambda runtime would call
it: ${REPS} fresh processes, each invoking the handler 3 times (the first is a cold environment, the
other two warm, reusing the inventory cache), every invocation shipping its report to
\`/vpce-doctor/reports\` and writing EMF lines. One discarded process first (moto's lazy start-up).
`;
  writeFileSync(RESULTS, text);
  log(`wrote ${RESULTS}`);
}

await main();
