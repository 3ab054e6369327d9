import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type Io, main } from '../../src/cli.js';

async function run(
  argv: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    env: { AWS_EC2_METADATA_DISABLED: 'true', ...env },
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

const firstLine = (text: string) => text.split('\n')[0]!;

describe('the CLI contract', () => {
  const usage: Array<[string, string[], RegExp]> = [
    ['no command', [], /missing command/],
    ['an unknown command', ['diagnose'], /unknown command 'diagnose'/],
    ['an unknown flag', ['report', '--colour'], /Unknown option '--colour'/],
    [
      'an unknown format',
      ['report', '--format', 'xml'],
      /--format: 'xml' is not one of text, json, markdown/,
    ],
    [
      'a timeout that is not a number',
      ['report', '--timeout-ms', '5s'],
      /--timeout-ms: '5s' is not a whole number/,
    ],
    ['a timeout out of range', ['report', '--timeout-ms', '5'], /--timeout-ms: 5 is outside/],
    ['a stray argument', ['report', 'now'], /unexpected argument 'now'/],
    ['explain without a code', ['explain'], /exactly one finding code/],
    ['explain with an unknown code', ['explain', 'SG_NOPE'], /unknown finding code 'SG_NOPE'/],
  ];
  for (const [what, argv, message] of usage) {
    it(`exits 2 with one clear line for ${what}`, async () => {
      const result = await run(argv);
      assert.equal(result.code, 2);
      assert.match(firstLine(result.stderr), message);
      assert.match(firstLine(result.stderr), /^vpce-doctor: /);
      assert.equal(result.stdout, '');
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    });
  }

  it('exits 2 naming the file and field of an invalid configuration, before touching AWS', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vpce-doctor-cli-'));
    const path = join(dir, 'c.yaml');
    await writeFile(path, 'services:\n  - name: s3\n    port: 443\n');
    const result = await run(['report', '--config', path]);
    assert.equal(result.code, 2);
    assert.equal(result.stderr, `vpce-doctor: ${path}: services.0.port: unknown field\n`);
  });

  it('exits 2 for an unknown workload profile, naming the known ones', async () => {
    const result = await run(['report'], { VPCE_DOCTOR_PROFILES: 'ecs-fargat' });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /unknown profile 'ecs-fargat' \(known: .*ecs-fargate/);
  });

  it('prints a catalogue entry for explain', async () => {
    const result = await run(['explain', 'SG_ENDPOINT_INGRESS_DENIED']);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^SG_ENDPOINT_INGRESS_DENIED\n/);
    assert.match(result.stdout, /\*\*Fix:\*\*/);
  });

  it('prints its version', async () => {
    const result = await run(['--version']);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^\d+\.\d+\.\d+\n$/);
  });
});
