// `report --format junit` read by a real XML parser: Python's expat (python3 is on every machine
// that runs moto), which rejects what is not well-formed, then checked against the JUnit shape
// CI systems read (testsuites > testsuite > testcase with failure | error | system-out).
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { renderJunit } from '../../src/render/junit.js';
import type { FixFormat } from '../../src/render/text.js';
import { blind, report, target } from '../unit/app-fixtures.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

interface XmlNode {
  tag: string;
  attrib: Record<string, string>;
  text: string;
  children: XmlNode[];
}

const TO_JSON = `
import json, sys, xml.etree.ElementTree as ET
def node(e):
    return {"tag": e.tag, "attrib": dict(e.attrib), "text": e.text or "", "children": [node(c) for c in e]}
json.dump(node(ET.fromstring(sys.stdin.buffer.read())), sys.stdout)
`;

/** Parses with expat; throws (with the parser's message) on anything that is not well-formed XML. */
function parseXml(xml: string): XmlNode {
  const parsed = spawnSync('python3', ['-c', TO_JSON], { input: xml, encoding: 'utf8' });
  if (parsed.status !== 0) throw new Error(`not well-formed XML: ${parsed.stderr}`);
  return JSON.parse(parsed.stdout) as XmlNode;
}

/** What every JUnit consumer relies on; returns the test cases. */
function assertJunitShape(root: XmlNode): XmlNode[] {
  assert.equal(root.tag, 'testsuites');
  assert.equal(root.children.length, 1);
  const suite = root.children[0]!;
  assert.equal(suite.tag, 'testsuite');
  const cases = suite.children.filter((c) => c.tag === 'testcase');
  assert.deepEqual(
    suite.children.map((c) => c.tag),
    ['properties', ...cases.map(() => 'testcase')],
  );
  const count = (tag: string) => cases.filter((c) => c.children.some((x) => x.tag === tag)).length;
  for (const node of [root, suite]) {
    assert.equal(node.attrib['tests'], String(cases.length));
    assert.equal(node.attrib['failures'], String(count('failure')));
    assert.equal(node.attrib['errors'], String(count('error')));
    assert.equal(node.attrib['skipped'], '0');
    assert.match(node.attrib['time'] ?? '', /^\d+\.\d{3}$/);
  }
  for (const c of cases) {
    assert.ok(c.attrib['classname'] && c.attrib['name'], JSON.stringify(c.attrib));
    assert.match(c.attrib['time'] ?? '', /^\d+\.\d{3}$/);
    assert.ok(c.children.length <= 1, 'at most one outcome element per case');
    for (const outcome of c.children) {
      assert.ok(['failure', 'error', 'system-out'].includes(outcome.tag), outcome.tag);
      if (outcome.tag !== 'system-out') assert.ok(outcome.attrib['type'] && outcome.attrib['message']);
    }
  }
  return cases;
}

const byName = (cases: XmlNode[], name: string) => cases.find((c) => c.attrib['name'] === name)!;

describe('report --format junit', () => {
  it('one test case per service: failure with the root cause and its fix, error for unknown, warn passes with system-out', async () => {
    const cases = assertJunitShape(
      parseXml(
        renderJunit(
          report([
            target('secretsmanager', 'pass'),
            target('ecr.dkr', 'fail'),
            target('logs', 'warn'),
            target('sts', 'unknown'),
          ]),
        ),
      ),
    );
    assert.deepEqual(
      cases.map((c) => [c.attrib['classname'], c.attrib['name'], c.children[0]?.tag ?? 'pass']),
      [
        ['vpce-doctor', 'context', 'pass'],
        ['com.amazonaws.us-east-1.secretsmanager', 'secretsmanager', 'pass'],
        ['com.amazonaws.us-east-1.ecr.dkr', 'ecr.dkr', 'failure'],
        ['com.amazonaws.us-east-1.logs', 'logs', 'system-out'],
        ['com.amazonaws.us-east-1.sts', 'sts', 'error'],
      ],
    );
    const failure = byName(cases, 'ecr.dkr').children[0]!;
    assert.equal(failure.attrib['type'], 'SG_ENDPOINT_INGRESS_DENIED');
    assert.match(
      failure.attrib['message']!,
      /^SG_ENDPOINT_INGRESS_DENIED: sg-0ep on vpce-02 allows tcp\/443/,
    );
    assert.match(
      failure.text,
      /\nfix: aws ec2 authorize-security-group-ingress --group-id sg-0ep --protocol tcp --port 443 --source-group sg-0app$/,
    );
    assert.match(
      byName(cases, 'logs').children[0]!.text,
      /ENDPOINT_NOT_IN_AZ: vpce-04 has no ENI in us-east-1a\nfix: /,
    );
    assert.equal(byName(cases, 'sts').children[0]!.attrib['type'], 'AWS_PERMISSION_DENIED');
  });

  it('a run that checked nothing is an error naming why, never an empty green suite', async () => {
    const cases = assertJunitShape(parseXml(renderJunit(blind())));
    assert.equal(cases.length, 1);
    const error = byName(cases, 'context').children[0]!;
    assert.equal(error.tag, 'error');
    assert.match(error.text, /CONTEXT_UNRESOLVED: could not find vpcId/);
    assert.match(error.text, /no services were checked/);
  });

  it('escapes what AWS and configuration text can hold: markup, quotes, line breaks, control characters', async () => {
    const hostile = `<b>"it's" & 'that'</b> ]]> \u0001\u0008 line\nbreak 🙂`;
    const failing = target('ecr.dkr', 'fail');
    failing.shortName = `ecr.dkr"><x a='`;
    failing.service = 'com.amazonaws.us-east-1.ecr.dkr & <more>';
    failing.rootCause = { code: 'SG_ENDPOINT_INGRESS_DENIED', message: hostile, fix: `echo "${hostile}"` };
    const cases = assertJunitShape(parseXml(renderJunit(report([failing]))));
    const c = cases[1]!;
    assert.equal(c.attrib['name'], failing.shortName);
    assert.equal(c.attrib['classname'], failing.service);
    const expected = hostile.replaceAll('\u0001', '\uFFFD').replaceAll('\u0008', '\uFFFD');
    assert.equal(c.children[0]!.attrib['message'], `SG_ENDPOINT_INGRESS_DENIED: ${expected}`);
    assert.ok(c.children[0]!.text.includes(`fix: echo "${expected}"`));
  });

  it('prints the fix in the form --fix-format asks for, the CLI line when the finding has no such form', async () => {
    const failing = target('ecr.dkr', 'fail');
    const terraform =
      'resource "aws_vpc_security_group_ingress_rule" "vpce_doctor" {\n  security_group_id = "sg-0ep"\n}';
    failing.rootCause!.fixes = { cli: failing.rootCause!.fix!, terraform };
    const render = (fixFormat: FixFormat) =>
      byName(assertJunitShape(parseXml(renderJunit(report([failing]), { fixFormat }))), 'ecr.dkr')
        .children[0]!.text;
    assert.match(
      render('terraform'),
      /\nfix \(Terraform\):\n {2}resource "aws_vpc_security_group_ingress_rule" "vpce_doctor" \{\n {4}security_group_id = "sg-0ep"\n {2}\}$/,
    );
    assert.match(
      render('cloudformation'),
      /\nfix: aws ec2 authorize-security-group-ingress .*\n\(no CloudFormation for this fix/,
    );
    assert.match(render('cli'), /\nfix: aws ec2 authorize-security-group-ingress [^\n]*$/);
  });

  it('the CLI writes it and exits 3 when it cannot decide (no EC2 API): a pipeline sees the error', async () => {
    const run = promisify(execFile);
    const result = await run(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        "import { main } from './src/cli.ts'; process.exitCode = await main(process.argv.slice(1));",
        'report',
        '--format',
        'junit',
      ],
      {
        cwd: REPO,
        env: {
          PATH: process.env['PATH'] ?? '',
          AWS_REGION: 'us-east-1',
          AWS_EC2_METADATA_DISABLED: 'true',
          AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
          AWS_ACCESS_KEY_ID: 'testing',
          AWS_SECRET_ACCESS_KEY: 'testing',
          VPCE_DOCTOR_FLOW_LOGS: '0',
        },
        timeout: 60_000,
      },
    ).catch((error: { code: number; stdout: string; stderr: string }) => error);
    assert.equal((result as { code?: number }).code, 3, result.stderr);
    const cases = assertJunitShape(parseXml(result.stdout));
    const error = byName(cases, 'context').children[0]!;
    assert.equal(error.tag, 'error');
    assert.match(error.text, /CONTEXT_UNRESOLVED/);
  });
});
