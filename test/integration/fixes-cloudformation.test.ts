// The fixes as code, checked by the tools people run them through: every CloudFormation
// fragment the checks produce over the recorded fixtures, wrapped in a minimal template, linted
// by cfn-lint (no error, no warning); every Terraform snippet through `terraform fmt -check`
// when the terraform binary is on this machine (the unit test checks the same rules without it).
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { fixedScenarios } from '../unit/fixes-scenarios.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'vpce-doctor-fixes-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const fixed = fixedScenarios().filter((j) => j.fixed.fixes);
const fragments = fixed.flatMap((j) =>
  j.fixed.fixes!.cloudformation
    ? [{ name: `${j.scenario}: ${j.fixed.code}`, text: j.fixed.fixes!.cloudformation }]
    : [],
);
const snippets = fixed.flatMap((j) => (j.fixed.fixes!.terraform ? [j.fixed.fixes!.terraform] : []));

/**
 * The fixtures' ids are short names (sg-0app); cfn-lint checks ids against AWS's shapes
 * (sg- and 8 or 17 hex digits). Each becomes a real-shaped id, the same one every time it occurs.
 */
function realShapedIds(text: string): string {
  return text.replace(/\b(vpce|vpc|sg|subnet|acl|rtb|pl|dopt)-[a-z0-9-]+/g, (id, prefix: string) =>
    id.startsWith('vpce-svc-') || id.startsWith('vpce-doctor')
      ? id
      : `${prefix}-${createHash('sha256').update(id).digest('hex').slice(0, 17)}`,
  );
}

/** A template around a fragment: a String parameter for every Ref the fragment does not define. */
function template(fragment: string): string {
  const resources = parse(fragment) as Record<string, unknown>;
  const refs = [...fragment.matchAll(/\bRef: ([A-Za-z0-9]+)/g)].map((m) => m[1]!);
  const parameters = [...new Set(refs.filter((r) => !(r in resources)))];
  const indented = realShapedIds(fragment)
    .trimEnd()
    .split('\n')
    .map((line) => (line ? `  ${line}` : line));
  return [
    'AWSTemplateFormatVersion: "2010-09-09"',
    ...(parameters.length > 0
      ? [
          'Parameters:',
          ...parameters.flatMap((p) => [`  ${p}:`, '    Type: String', `    Description: ${p} for the fix`]),
        ]
      : []),
    'Resources:',
    ...indented,
    '',
  ].join('\n');
}

async function cfnLint(files: string[]): Promise<string> {
  return run('cfn-lint', files).then(
    ({ stdout }) => stdout,
    (err: { stdout?: string; stderr?: string }) => `${err.stdout ?? ''}${err.stderr ?? ''}` || 'failed',
  );
}

function hasTerraform(): boolean {
  try {
    execFileSync('terraform', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('CloudFormation fragments of the fixes', () => {
  test('there are fragments for every resource family', () => {
    const types = new Set(fragments.flatMap((f) => [...f.text.matchAll(/Type: (\S+)/g)].map((m) => m[1])));
    for (const type of [
      'AWS::EC2::SecurityGroupIngress',
      'AWS::EC2::SecurityGroupEgress',
      'AWS::EC2::VPCEndpoint',
      'AWS::EC2::NetworkAclEntry',
      'AWS::EC2::VPC',
      'AWS::IAM::RolePolicy',
      'AWS::EC2::DHCPOptions',
    ]) {
      assert.ok(types.has(type), `a fragment declares ${type}`);
    }
  });

  test('cfn-lint finds no error or warning in any fragment, wrapped in a minimal template', async () => {
    const files = fragments.map((f, i) => {
      const file = join(dir, `fragment-${String(i).padStart(3, '0')}.yaml`);
      writeFileSync(file, template(f.text));
      return file;
    });
    assert.ok(files.length > 20, 'the scenarios produced fragments');
    const out = await cfnLint(files);
    assert.equal(out, '', out);
  });

  test('cfn-lint reports a fragment with a wrong property: the lint can fail', async () => {
    const good = fragments.find((f) => f.text.includes('AWS::EC2::NetworkAclEntry'))!;
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, template(good.text.replace(/RuleAction: allow/, 'RuleAction: permit')));
    assert.match(await cfnLint([file]), /E\d{4}/);
  });
});

describe('Terraform snippets of the fixes', () => {
  const terraform = hasTerraform();
  test('terraform fmt -check changes none of them', {
    skip: terraform ? false : 'no terraform binary here',
  }, async () => {
    snippets.forEach((snippet, i) => {
      writeFileSync(join(dir, `fix-${String(i).padStart(3, '0')}.tf`), snippet);
    });
    const out = await run('terraform', ['fmt', '-check', '-list=true', dir]).then(
      () => '',
      (err: { stdout?: string; code?: number }) => `${err.stdout ?? ''} (exit ${err.code})`,
    );
    assert.equal(out, '', `files terraform fmt would change: ${out}`);
  });
});
