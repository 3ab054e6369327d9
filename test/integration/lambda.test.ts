// The bundle (dist/lambda.js) invoked as Lambda's Node runtime invokes it: loaded fresh in a child
// process, called with an event and a context object, against moto on loopback for EC2 and Logs.
// The moto VPC has no endpoints and no profile is asked for, so the run has no targets and the
// agent sends no probe at all: on loopback nothing here may reach an address we do not own.
// Real probes run in the lab (test/e2e/lambda-lab.test.ts).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { after, before, beforeEach, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  GetLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { CreateSubnetCommand, CreateVpcCommand } from '@aws-sdk/client-ec2';
import { createEc2Client } from '../../src/aws/ec2-client.js';
import type { Report } from '../../src/model.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { freePort, type Moto, motoEnv, startMoto } from '../support/moto.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BUNDLE = fileURLToPath(new URL('../../dist/lambda.js', import.meta.url));
const REGION = 'us-east-1';
const GROUP = '/vpce-doctor/reports';

let moto: Moto;
let ec2Proxy: FaultProxy;

before(async () => {
  execFileSync('node', ['scripts/bundle.mjs'], { cwd: ROOT, stdio: 'ignore' });
  moto = await startMoto();
  Object.assign(process.env, motoEnv(moto.url, REGION));
  ec2Proxy = await startFaultProxy(moto.url);
});
after(async () => {
  await ec2Proxy?.stop();
  await moto?.stop();
});
beforeEach(async () => {
  await moto.reset();
  ec2Proxy.setFaults({});
});

// Loads the bundle as the runtime does (a dynamic import of the handler's file), then calls the
// handler once per event; each outcome goes to fd 3 so stdout holds only what the agent wrote.
const INVOKE = `
import { writeSync } from 'node:fs';
const { handler } = await import(process.env.BUNDLE_URL);
for (const [i, event] of JSON.parse(process.env.EVENTS).entries()) {
  const context = { awsRequestId: 'req-' + (i + 1), functionName: 'vpce-doctor', getRemainingTimeInMillis: () => 30000 };
  let outcome;
  try { outcome = { ok: true, result: await handler(event, context) }; }
  catch (e) { outcome = { ok: false, errorType: e.name, errorMessage: e.message }; }
  writeSync(3, JSON.stringify(outcome) + '\\n');
}`;

interface Outcome {
  ok: boolean;
  result?: Report & { error?: string; message?: string };
  errorType?: string;
  errorMessage?: string;
}

interface Invocation {
  outcomes: Outcome[];
  stdout: string[];
  stderr: string;
  code: number | null;
}

function invoke(events: unknown[], env: Record<string, string>): Promise<Invocation> {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('VPCE_DOCTOR_') && !k.startsWith('AWS_')) base[k] = v;
  }
  return new Promise((resolve, reject) => {
    const child = spawn('node', ['--input-type=module', '-e', INVOKE], {
      cwd: ROOT,
      env: {
        ...base,
        ...env,
        BUNDLE_URL: new URL(`file://${BUNDLE}`).href,
        EVENTS: JSON.stringify(events),
      },
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let results = '';
    child.stdout!.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr!.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (c: Buffer) => {
      results += c.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        outcomes: results
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Outcome),
        stdout: stdout.trim().split('\n').filter(Boolean),
        stderr,
        code,
      });
    });
  });
}

interface Vpc {
  vpcId: string;
  subnetId: string;
}

async function buildVpc(): Promise<Vpc> {
  const ec2 = createEc2Client({ region: REGION });
  const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.40.0.0/16' }))).Vpc!.VpcId!;
  const subnetId = (
    await ec2.send(
      new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.40.1.0/24', AvailabilityZone: 'us-east-1a' }),
    )
  ).Subnet!.SubnetId!;
  return { vpcId, subnetId };
}

function logsClient(): CloudWatchLogsClient {
  return new CloudWatchLogsClient({
    region: REGION,
    endpoint: moto.url,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
}

function lambdaEnv(vpc: Vpc, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...motoEnv(moto.url, REGION),
    AWS_ENDPOINT_URL_EC2: ec2Proxy.url,
    AWS_LAMBDA_FUNCTION_NAME: 'vpce-doctor',
    VPCE_DOCTOR_VPC_ID: vpc.vpcId,
    VPCE_DOCTOR_SUBNET_ID: vpc.subnetId,
    VPCE_DOCTOR_AZ: 'us-east-1a',
    VPCE_DOCTOR_PRIVATE_IP: '10.40.1.10',
    VPCE_DOCTOR_SECURITY_GROUP_IDS: 'sg-0a1b2c3d',
    ...extra,
  };
}

function jsonLines(lines: string[]): Array<Record<string, unknown>> {
  const parsed: Array<Record<string, unknown>> = [];
  for (const line of lines) {
    try {
      parsed.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      assert.fail(`a stdout line is not JSON (EMF and pino need whole JSON lines): ${line}`);
    }
  }
  return parsed;
}

describe('dist/lambda.js invoked like the Lambda runtime (moto on loopback)', () => {
  test('returns the report, writes EMF and a pino line to stdout, and the report reads back from the log group', async () => {
    const vpc = await buildVpc();
    await logsClient().send(new CreateLogGroupCommand({ logGroupName: GROUP }));
    const run = await invoke([{}], lambdaEnv(vpc, { VPCE_DOCTOR_LOG_GROUP: GROUP }));
    assert.equal(run.code, 0, run.stderr);
    const [outcome] = run.outcomes;
    assert.equal(outcome?.ok, true, JSON.stringify(outcome));
    const report = outcome.result!;
    assert.equal(report.schemaVersion, 1);
    assert.equal(report.context.vpcId, vpc.vpcId);
    assert.equal(report.context.sources['subnetId'], 'env');
    assert.deepEqual(report.targets, [], 'no endpoint in this VPC: nothing probed');
    assert.equal(
      report.findings.find((f) => f.code === 'LOGS_SHIPPING_FAILED'),
      undefined,
    );

    const lines = jsonLines(run.stdout);
    const emf = lines.filter((l) => l['_aws']);
    assert.equal(emf.length, 1, 'the run line (no targets)');
    assert.equal(
      (emf[0]!['_aws'] as { CloudWatchMetrics: Array<{ Namespace: string }> }).CloudWatchMetrics[0]!
        .Namespace,
      'VpceDoctor',
    );
    assert.equal(emf[0]!['Subnet'], vpc.subnetId);
    const summary = lines.find(
      (l) => typeof l['msg'] === 'string' && String(l['msg']).startsWith('vpce-doctor '),
    );
    assert.ok(summary, 'a pino summary line');
    assert.equal(summary['requestId'], 'req-1');

    const out = await logsClient().send(
      new GetLogEventsCommand({
        logGroupName: GROUP,
        logStreamName: `${vpc.subnetId}/us-east-1a`,
        startFromHead: true,
      }),
    );
    const shipped = (out.events ?? []).map((e) => JSON.parse(e.message!) as Record<string, unknown>);
    const reportEvent = shipped.find((e) => e['kind'] === 'vpce-doctor/report')!;
    assert.equal(reportEvent['runId'], 'req-1');
    assert.equal(reportEvent['status'], report.status);
    assert.deepEqual((reportEvent['context'] as Report['context']).vpcId, vpc.vpcId);
  });

  test('the inventory cache survives warm invocations: the second loads no inventory from EC2', async () => {
    const vpc = await buildVpc();
    const run = await invoke([{}, {}], lambdaEnv(vpc));
    assert.equal(run.outcomes.length, 2, run.stderr);
    assert.ok(run.outcomes.every((o) => o.ok));
    // Discovery reads the VPC on every run; only the inventory reads route tables.
    assert.equal(ec2Proxy.counts.get('DescribeRouteTables'), 1);
    assert.ok(run.outcomes[1]!.result!.inventory.ageMs > 0, 'the second report says its inventory is cached');
  });

  test('VPCE_DOCTOR_FAIL_ON=warn throws an Error whose message is the one-line summary, after shipping', async () => {
    const vpc = await buildVpc();
    await logsClient().send(new CreateLogGroupCommand({ logGroupName: GROUP }));
    const run = await invoke(
      [{}],
      lambdaEnv(vpc, { VPCE_DOCTOR_FAIL_ON: 'warn', VPCE_DOCTOR_LOG_GROUP: GROUP }),
    );
    const [outcome] = run.outcomes;
    assert.equal(outcome?.ok, false);
    assert.equal(outcome.errorType, 'VpceDoctorStatus');
    assert.match(
      outcome.errorMessage!,
      new RegExp(`^vpce-doctor unknown: nothing checked: .* ${vpc.vpcId} ${vpc.subnetId}`),
    );
    assert.doesNotMatch(outcome.errorMessage!, /\n/);
    const out = await logsClient().send(
      new GetLogEventsCommand({
        logGroupName: GROUP,
        logStreamName: `${vpc.subnetId}/us-east-1a`,
        startFromHead: true,
      }),
    );
    assert.ok((out.events ?? []).length > 0, 'shipped before throwing');
  });

  test('VPCE_DOCTOR_FAIL_ON=never and fail (default) return the undecided report', async () => {
    const vpc = await buildVpc();
    for (const failOn of ['never', '']) {
      const run = await invoke([{}], lambdaEnv(vpc, failOn ? { VPCE_DOCTOR_FAIL_ON: failOn } : {}));
      assert.equal(run.outcomes[0]?.ok, true, failOn);
      assert.equal(run.outcomes[0]?.result?.status, 'unknown');
    }
  });

  test('bad events are clear error results, not crashes; a scheduled EventBridge event counts as {}', async () => {
    const vpc = await buildVpc();
    const run = await invoke(
      [
        { foo: 1 },
        { services: 'secretsmanager' },
        { profiles: ['nope'] },
        { services: ['secretsmanager'] },
        { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} },
      ],
      lambdaEnv(vpc),
    );
    const [unknownField, notArray, badProfile, unmatched, scheduled] = run.outcomes;
    assert.equal(unknownField?.ok, true);
    assert.deepEqual(
      { error: unknownField.result?.error, ok: (unknownField.result as { ok?: boolean }).ok },
      { error: 'InvalidEvent', ok: false },
    );
    assert.match(unknownField.result!.message!, /^event: foo: unknown field/);
    assert.match(notArray!.result!.message!, /^event: services: /);
    assert.match(badProfile!.result!.message!, /unknown profile 'nope'/);
    assert.match(
      unmatched!.result!.message!,
      /no endpoint, profile or configured service matches secretsmanager/,
    );
    assert.equal(scheduled?.result?.schemaVersion, 1);
  });

  test('a log group that does not exist: the report still returns, with LOGS_SHIPPING_FAILED', async () => {
    const vpc = await buildVpc();
    const run = await invoke([{}], lambdaEnv(vpc, { VPCE_DOCTOR_LOG_GROUP: '/nope' }));
    const report = run.outcomes[0]!.result!;
    const finding = report.findings.find((f) => f.code === 'LOGS_SHIPPING_FAILED');
    assert.ok(finding, JSON.stringify(report.findings.map((f) => f.code)));
    assert.match(finding.message, /log group \/nope .*does not exist/);
  });

  test('CloudWatch Logs unreachable: the report returns with LOGS_SHIPPING_FAILED', async () => {
    const vpc = await buildVpc();
    const closed = `http://127.0.0.1:${await freePort()}`;
    const run = await invoke(
      [{}],
      lambdaEnv(vpc, { VPCE_DOCTOR_LOG_GROUP: GROUP, AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: closed }),
    );
    const report = run.outcomes[0]!.result!;
    assert.equal(report.findings.find((f) => f.code === 'LOGS_SHIPPING_FAILED')?.status, 'warn');
  });

  test('an invalid VPCE_DOCTOR_FAIL_ON or context variable is a ConfigError result naming it', async () => {
    const vpc = await buildVpc();
    const run = await invoke([{}], lambdaEnv(vpc, { VPCE_DOCTOR_FAIL_ON: 'sometimes' }));
    assert.equal(run.outcomes[0]?.result?.error, 'ConfigError');
    assert.match(run.outcomes[0]!.result!.message!, /VPCE_DOCTOR_FAIL_ON: 'sometimes'/);
    const bad = await invoke([{}], lambdaEnv(vpc, { VPCE_DOCTOR_SUBNET_ID: 'subnet-XYZ' }));
    assert.match(bad.outcomes[0]!.result!.message!, /VPCE_DOCTOR_SUBNET_ID/);
  });
});
