// dist/lambda.js in the lab: loaded as the Lambda runtime loads it, inside the agent's
// namespace, against moto as EC2 and CloudWatch Logs. The VPC's flow log holds REJECT records
// between the agent and secretsmanager's ENIs: a failing secretsmanager gets them as
// FLOWLOG_REJECT_SEEN evidence, a healthy run gathers none, and the report lands in the log group.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Report } from '../../src/model.js';
import { labDown, labExec, labUp } from '../lab/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SUPPORT = 'test/e2e/support/lambda-in-lab.ts';
const OUT = '/run/vpce-doctor-lambda-outcome.json';
/** The report log group support/lambda-in-lab.ts creates (it is a script: importing it would run it). */
const REPORT_GROUP = 'vpce-doctor-reports';

before(() => {
  execFileSync('node', ['scripts/bundle.mjs'], { cwd: ROOT, stdio: 'ignore' });
});

interface Outcome {
  ok: boolean;
  result?: Report;
  errorType?: string;
  errorMessage?: string;
}

async function invokeInLab(
  scenario: string,
): Promise<{ outcome: Outcome; shipped: Array<{ stream: string; message: string }> }> {
  const state = await labUp(scenario);
  const ips = state.eniIps['secretsmanager'] ?? [];
  assert.ok(ips.length > 0, 'secretsmanager has ENIs in the lab');
  const setup = await labExec([
    'node',
    '--import',
    'tsx',
    SUPPORT,
    'setup',
    state.aws.vpcId,
    '10.0.1.10',
    ips.join(','),
  ]);
  assert.equal(setup.code, 0, setup.stderr);
  rmSync(OUT, { force: true });
  const env = {
    OUT,
    AWS_LAMBDA_FUNCTION_NAME: 'vpce-doctor',
    VPCE_DOCTOR_VPC_ID: state.aws.vpcId,
    VPCE_DOCTOR_SUBNET_ID: state.aws.subnets['agent-a'] ?? '',
    VPCE_DOCTOR_SECURITY_GROUP_IDS: state.aws.securityGroups['vdl-agent'] ?? '',
    VPCE_DOCTOR_PRIVATE_IP: '10.0.1.10',
    VPCE_DOCTOR_LOG_GROUP: REPORT_GROUP,
    VPCE_DOCTOR_FAIL_ON: 'never',
  };
  const run = await labExec(['node', '--import', 'tsx', SUPPORT, 'invoke'], { env, timeoutMs: 60_000 });
  assert.equal(run.code, 0, run.stderr);
  const outcome = JSON.parse(readFileSync(OUT, 'utf8')) as Outcome;
  const reports = await labExec(['node', '--import', 'tsx', SUPPORT, 'reports']);
  assert.equal(reports.code, 0, reports.stderr);
  return { outcome, shipped: JSON.parse(reports.stdout) as Array<{ stream: string; message: string }> };
}

describe('the Lambda handler in the lab', () => {
  after(async () => {
    await labDown();
    rmSync(OUT, { force: true });
  });

  it('finds the REJECT records for a failing endpoint and ships the report', async () => {
    try {
      const { outcome, shipped } = await invokeInLab('endpoint-sg-no-443');
      assert.equal(outcome.ok, true, outcome.errorMessage);
      const report = outcome.result!;
      assert.equal(report.status, 'fail');
      const sm = report.targets.find((t) => t.shortName === 'secretsmanager')!;
      assert.equal(sm.rootCause?.code, 'SG_ENDPOINT_INGRESS_DENIED');
      const evidence = sm.findings.find((f) => f.code === 'FLOWLOG_REJECT_SEEN');
      assert.ok(
        evidence,
        `FLOWLOG_REJECT_SEEN on secretsmanager: ${sm.findings.map((f) => f.code).join(',')}`,
      );
      assert.match(evidence.message, /10\.0\.1\.10/);
      for (const t of report.targets.filter((x) => x.status === 'pass')) {
        assert.ok(
          !t.findings.some((f) => f.check === 'flowlog'),
          `${t.shortName} passes: no flow-log search`,
        );
      }
      assert.ok(shipped.length > 0, 'the report reached the log group');
      assert.ok(
        shipped.every((e) => e.stream.includes('us-east-1a')),
        'stream per subnet and AZ',
      );
    } finally {
      await labDown();
    }
  });

  it('gathers no flow-log evidence when everything works, whatever the flow log holds', async () => {
    const { outcome } = await invokeInLab('healthy');
    assert.equal(outcome.ok, true, outcome.errorMessage);
    assert.equal(outcome.result!.status, 'pass');
    const flow = outcome.result!.targets.flatMap((t) => t.findings).filter((f) => f.check === 'flowlog');
    assert.deepEqual(flow, []);
  });
});
