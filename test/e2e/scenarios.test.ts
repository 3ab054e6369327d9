// For every lab scenario: `vpce-doctor report --format json` inside the agent's namespace gives
// the right overall status, target statuses, root causes and exit code. Real packets in the
// lab's closed network, real moto, real dnsmasq.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import Ajv2020 from 'ajv/dist/2020.js';
import type { Report } from '../../src/model.js';
import { labDown, labExec, labUp, scenarios } from '../lab/index.js';

const schema = JSON.parse(readFileSync(new URL('../../docs/report.schema.json', import.meta.url), 'utf8'));
const validate = new Ajv2020.default({ allErrors: true, strict: false }).compile(schema);

const AGENT = ['node', 'bin/vpce-doctor.js'];

async function report(args: string[] = []): Promise<{ code: number; report: Report; stderr: string }> {
  const result = await labExec([...AGENT, 'report', '--format', 'json', ...args], { timeoutMs: 60_000 });
  let parsed: Report;
  try {
    parsed = JSON.parse(result.stdout) as Report;
  } catch {
    throw new Error(`no JSON report (exit ${result.code}): ${result.stderr || result.stdout}`);
  }
  return { code: result.code, report: parsed, stderr: result.stderr };
}

function summary(r: Report): string {
  return r.targets
    .map((t) => `${t.shortName}=${t.status}${t.rootCause ? `(${t.rootCause.code})` : ''}`)
    .concat(r.findings.filter((f) => f.status !== 'pass').map((f) => `[${f.code}]`))
    .join(' ');
}

for (const scenario of scenarios) {
  describe(`scenario ${scenario.name}: ${scenario.description}`, () => {
    let state: Awaited<ReturnType<typeof labUp>>;
    before(async () => {
      state = await labUp(scenario.name);
    });
    after(async () => {
      await labDown();
    });

    it(`reports ${scenario.expect.status} with exit ${scenario.expect.exitCode} and the expected root causes`, async () => {
      const expect = state.expect;
      const { code, report: r, stderr } = await report();
      const seen = summary(r);
      assert.ok(
        validate(r),
        `report matches docs/report.schema.json: ${JSON.stringify(validate.errors?.slice(0, 3))}`,
      );
      assert.equal(r.status, expect.status, seen);
      assert.equal(code, expect.exitCode, `exit code; stderr: ${stderr}`);
      assert.equal(stderr, '', 'nothing on stderr');
      assert.equal(r.context.privateIp, '10.0.1.10');
      assert.equal(r.context.availabilityZone, 'us-east-1a');
      for (const [name, want] of Object.entries(expect.targets)) {
        const target = r.targets.find((t) => t.shortName === name);
        assert.ok(target, `target ${name} in the report: ${seen}`);
        assert.equal(target.status, want.status, `${name}: ${seen}`);
        if (want.rootCause) assert.equal(target.rootCause?.code, want.rootCause, `${name}: ${seen}`);
      }
      for (const target of r.targets.filter((t) => !(t.shortName in expect.targets))) {
        assert.equal(
          target.status,
          'pass',
          `${target.shortName} is not named by the scenario so must pass: ${seen}`,
        );
      }
      for (const finding of [...r.findings, ...r.targets.flatMap((t) => t.findings)]) {
        if (finding.status === 'fail' || finding.status === 'warn')
          assert.ok(finding.fix, `${finding.code} has a fix`);
      }
    });

    if (scenario.name === 'healthy') {
      it('prints a readable table with one line per service and no false alarm', async () => {
        const result = await labExec([...AGENT, 'report'], { timeoutMs: 60_000 });
        assert.equal(result.code, 0, result.stderr);
        const lines = result.stdout.split('\n');
        assert.match(
          lines[0]!,
          /^vpce-doctor \d+\.\d+\.\d+ · vpc-\w+ subnet-\w+ \(us-east-1a\) 10\.0\.1\.10/,
        );
        for (const service of [
          'secretsmanager',
          'logs',
          'sts',
          'ecr.api',
          'ecr.dkr',
          'ssm',
          's3',
          'dynamodb',
        ]) {
          assert.ok(
            lines.some((l) => l.startsWith('✓') && l.split(/\s+/)[1] === service),
            `a passing line for ${service}:\n${result.stdout}`,
          );
        }
        assert.ok(!result.stdout.includes('✗'), 'no failure');
        assert.ok(!result.stdout.includes('\u001b['), 'no colour when not a TTY');
        assert.match(result.stdout, /0 failing|\d+ passing/);
      });

      it('narrows to the services named with --service and rejects a name that matches nothing', async () => {
        const narrowed = await report(['--service', 's3', '--service', 'secretsmanager']);
        assert.deepEqual(narrowed.report.targets.map((t) => t.shortName).sort(), ['s3', 'secretsmanager']);
        const wrong = await labExec([...AGENT, 'report', '--service', 'sqs'], { timeoutMs: 60_000 });
        assert.equal(wrong.code, 2);
        assert.match(wrong.stderr, /^vpce-doctor: --service: .*com\.amazonaws\.us-east-1\.sqs/);
      });

      it('renders markdown for the incident channel', async () => {
        const result = await labExec([...AGENT, 'report', '--format', 'markdown'], { timeoutMs: 60_000 });
        assert.equal(result.code, 0, result.stderr);
        assert.match(result.stdout, /^### vpce-doctor: ✅ pass/);
        assert.match(result.stdout, /\| ✅ \| secretsmanager \| vpce-/);
      });
    }
  });
}
