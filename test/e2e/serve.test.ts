// `vpce-doctor serve` inside the lab's agent namespace, asked with curl from the same namespace:
// every route, content type and token case; a TLS fault injected while serving shows up in the
// next scheduled report; SIGTERM ends it with exit 0. Every packet stays in the lab.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import Ajv2020 from 'ajv/dist/2020.js';
import type { Report } from '../../src/model.js';
import { labDown, labUp, readState, setTlsFaults, waitForFreeLab } from '../lab/index.js';
import { labEnv } from '../lab/lab.js';
import { waitFor } from '../support/wait.js';

const run = promisify(execFile);
const NS = 'vdl-agent-a';
const BASE = 'http://10.0.1.10:9077';
/** At least 32 characters: serve refuses a shorter token at start. */
const TOKEN = 'e2e-serve-token-0123456789abcdef0123';
const AUTH = ['-H', `Authorization: Bearer ${TOKEN}`];

const schema = JSON.parse(readFileSync(new URL('../../docs/report.schema.json', import.meta.url), 'utf8'));
const validate = new Ajv2020.default({ allErrors: true, strict: false }).compile(schema);

interface Response {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** curl inside the agent's namespace; `-i` so the headers come back with the body. */
async function curl(path: string, args: string[] = []): Promise<Response> {
  const { stdout } = await run(
    'ip',
    ['netns', 'exec', NS, 'curl', '-sS', '-i', '--max-time', '30', ...args, `${BASE}${path}`],
    {
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const split = stdout.indexOf('\r\n\r\n');
  const [statusLine, ...headerLines] = stdout.slice(0, split).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const i = line.indexOf(':');
    headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  return { status: Number(statusLine!.split(' ')[1]), headers, body: stdout.slice(split + 4) };
}

describe('vpce-doctor serve in the lab', () => {
  let server: ChildProcess;
  let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  let logs = '';

  before(async () => {
    const busy = await waitForFreeLab();
    if (busy) throw new Error(busy);
    await labUp('healthy');
    const state = readState()!;
    server = spawn('ip', ['netns', 'exec', NS, 'node', 'bin/vpce-doctor.js', 'serve', '--port', '9077'], {
      cwd: new URL('../..', import.meta.url).pathname,
      env: labEnv(state, {
        VPCE_DOCTOR_INTERVAL_SECONDS: '2',
        VPCE_DOCTOR_TOKEN: TOKEN,
        LOG_LEVEL: 'info',
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout!.on('data', (chunk: Buffer) => {
      logs += chunk.toString();
    });
    server.stderr!.on('data', (chunk: Buffer) => {
      logs += chunk.toString();
    });
    exited = new Promise((resolve) => server.on('exit', (code, signal) => resolve({ code, signal })));
    await waitFor(
      'the first report',
      async () => ((await curl('/readyz')).status === 200 ? true : undefined),
      60_000,
      500,
    );
  });

  after(async () => {
    if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
    await labDown();
  });

  it('answers the health routes without a token: alive, ready, and healthy with every service passing', async () => {
    const healthz = await curl('/healthz');
    assert.equal(healthz.status, 200);
    assert.equal(healthz.body, 'ok\n');
    assert.equal((await curl('/readyz')).status, 200);
    const health = await curl('/health');
    assert.equal(health.status, 200, health.body);
    assert.match(health.body, /^ok: \d+ pass\n$/);
    assert.match(health.headers['age'] ?? '', /^\d+$/);
  });

  it('serves the report as a table to a bare curl, JSON by Accept, and .json/.txt/.md', async () => {
    const text = await curl('/report', AUTH);
    assert.equal(text.status, 200);
    assert.equal(text.headers['content-type'], 'text/plain; charset=utf-8');
    assert.match(text.body, /^vpce-doctor \d+\.\d+\.\d+ · vpc-\w+ subnet-\w+ \(us-east-1a\) 10\.0\.1\.10/);
    assert.match(text.body, /✓\s+secretsmanager/);

    const json = await curl('/report', [...AUTH, '-H', 'Accept: application/json']);
    assert.equal(json.headers['content-type'], 'application/json; charset=utf-8');
    const report = JSON.parse(json.body) as Report;
    assert.ok(validate(report), JSON.stringify(validate.errors?.slice(0, 3)));
    assert.equal(report.status, 'pass');
    assert.equal(report.context.privateIp, '10.0.1.10');
    assert.match(json.headers['x-vpce-doctor-report-age-seconds'] ?? '', /^\d+$/);
    assert.equal(json.headers['x-vpce-doctor-started-at'], report.startedAt);

    const explicit = await curl('/report.json', AUTH);
    assert.equal(explicit.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(
      (await curl('/report.txt', [...AUTH, '-H', 'Accept: application/json'])).headers['content-type'],
      'text/plain; charset=utf-8',
    );
    const md = await curl('/report.md', AUTH);
    assert.equal(md.headers['content-type'], 'text/markdown; charset=utf-8');
    assert.match(md.body, /^### vpce-doctor: ✅ pass/);
  });

  it('narrows with ?service= and rejects names that match nothing or are not names', async () => {
    const narrowed = JSON.parse(
      (await curl('/report.json?service=s3&service=secretsmanager', AUTH)).body,
    ) as Report;
    assert.deepEqual(narrowed.targets.map((t) => t.shortName).sort(), ['s3', 'secretsmanager']);
    const sqs = await curl('/report?service=sqs', AUTH);
    assert.equal(sqs.status, 400);
    assert.equal(
      sqs.body,
      '{"error":"service: no target of this report matches com.amazonaws.us-east-1.sqs"}\n',
    );
    const url = await curl('/report?service=10.0.0.250:5000/', AUTH);
    assert.equal(url.status, 400);
    const extra = await curl('/report?host=10.0.0.250', AUTH);
    assert.equal(extra.status, 400);
    assert.match(extra.body, /unknown parameter 'host'/);
  });

  it('requires the token everywhere else: missing and wrong tokens get 401 with WWW-Authenticate', async () => {
    for (const path of ['/report', '/report.json', '/metrics', '/findings/SG_OK']) {
      const missing = await curl(path);
      assert.equal(missing.status, 401, path);
      assert.equal(missing.headers['www-authenticate'], 'Bearer realm="vpce-doctor"');
      const wrong = await curl(path, ['-H', 'Authorization: Bearer not-the-token']);
      assert.equal(wrong.status, 401, path);
    }
  });

  it('serves Prometheus metrics and catalogue entries', async () => {
    const metrics = await curl('/metrics', AUTH);
    assert.equal(metrics.status, 200);
    assert.match(metrics.body, /^vpce_doctor_status\{service="secretsmanager",status="pass"\} 1$/m);
    assert.match(
      metrics.body,
      /^vpce_doctor_probe_phase_duration_seconds\{service="secretsmanager",phase="tls"\} [\d.e-]+$/m,
    );
    assert.match(metrics.body, /^vpce_doctor_ec2_api_calls_total\{action="DescribeVpcEndpoints"\} \d+$/m);
    assert.match(metrics.body, /^process_resident_memory_bytes \d+/m);
    assert.match(metrics.body, /^vpce_doctor_schedule_interval_seconds 2$/m);
    const finding = await curl('/findings/SG_ENDPOINT_INGRESS_DENIED', AUTH);
    assert.equal(finding.status, 200);
    assert.match(finding.body, /^# SG_ENDPOINT_INGRESS_DENIED\n/);
    assert.equal((await curl('/findings/NOPE_NOT_A_CODE', AUTH)).status, 404);
  });

  it('runs once for 20 concurrent ?fresh=1 and serves the next one from cache, saying so', async () => {
    const runsBefore = await freshRuns();
    const { stdout } = await run('ip', [
      'netns',
      'exec',
      NS,
      'sh',
      '-c',
      `for i in $(seq 20); do curl -s -o /dev/null -w '%{http_code}\\n' -H 'Authorization: Bearer ${TOKEN}' '${BASE}/report.json?fresh=1' & done; wait`,
    ]);
    assert.deepEqual(stdout.trim().split('\n'), Array(20).fill('200'));
    assert.equal(await freshRuns(), runsBefore + 1);
    const limited = await curl('/report.json?fresh=1', AUTH);
    assert.match(limited.headers['x-vpce-doctor-fresh'] ?? '', /^cached \(rate-limited/);
  });

  it('shows a TLS fault injected while serving in the next scheduled report: /health 503 naming the service, then 200 again', async () => {
    await setTlsFaults({ wrongName: ['secretsmanager'] });
    try {
      const bad = await waitFor(
        '/health to turn 503',
        async () => {
          const res = await curl('/health');
          return res.status === 503 ? res : undefined;
        },
        30_000,
        500,
      );
      assert.match(bad.body, /^fail: .*TLS_NAME_MISMATCH \([^)]*secretsmanager/);
      assert.equal(bad.body.trim().split('\n').length, 1);
    } finally {
      await setTlsFaults({});
    }
    await waitFor(
      '/health to recover',
      async () => ((await curl('/health')).status === 200 ? true : undefined),
      30_000,
      500,
    );
  });

  it('logs one JSON line per run with its summary', () => {
    const runs = logs
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { msg: string; trigger?: string; summary?: object })
      .filter((line) => line.msg.startsWith('report '));
    assert.ok(runs.length >= 2, logs);
    assert.ok(runs.every((r) => r.summary && r.trigger));
  });

  it('exits 0 soon after SIGTERM', async () => {
    server.kill('SIGTERM');
    const result = await Promise.race([
      exited,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no exit within 10 s')), 10_000)),
    ]);
    assert.deepEqual(result, { code: 0, signal: null }, logs.slice(-2000));
  });
});

async function freshRuns(): Promise<number> {
  const { body } = await curl('/metrics', AUTH);
  return Number(/^vpce_doctor_runs_total\{trigger="fresh"\} (\d+)$/m.exec(body)?.[1] ?? 0);
}
