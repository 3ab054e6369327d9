// The shipped bundle (dist/cli, built by test/run.sh) loads what it always needs at start and the
// rest on first use (issue 17): CloudWatch Logs, Route 53 and the YAML parser are in chunks that
// only a dynamic import reaches, and each of those chunks works when it is reached. The YAML case
// runs the real CLI: a dynamic import('yaml') once bundled to an undefined `parse`, which the
// source-level tests (tsx) could not see.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli', 'cli.js');

/** Files reached from `entry` by static imports, and those only a dynamic import() reaches. */
function importGraph(entry: string): { static: Set<string>; dynamic: Set<string> } {
  const reached = new Set<string>();
  const dynamic = new Set<string>();
  const walk = (file: string) => {
    if (reached.has(file)) return;
    reached.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*"(\.[^"]+)"/g)) walk(join(dirname(file), m[1]!));
    for (const m of text.matchAll(/import\("(\.[^"]+)"\)/g)) dynamic.add(join(dirname(file), m[1]!));
  };
  walk(entry);
  return { static: reached, dynamic };
}

/** Every file reached from the entry, dynamic imports followed too. */
function everyChunk(entry: string): Set<string> {
  const all = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (all.has(file)) continue;
    all.add(file);
    const graph = importGraph(file);
    queue.push(...graph.static, ...graph.dynamic);
  }
  return all;
}

// Strings only the libraries themselves hold: the CloudWatch Logs JSON protocol's target prefix,
// Route 53's XML namespace, and one of the YAML parser's own error messages.
const LAZY = {
  'CloudWatch Logs client': 'Logs_20140328',
  'Route 53 client': 'route53.amazonaws.com/doc/2013-04-01',
  'YAML parser': 'must be sufficiently indented',
};

function run(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin', 'vpce-doctor.js'), ...args],
      { env, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error ? ((error as { code?: number }).code ?? 1) : 0;
        resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
      },
    );
  });
}

describe('the bundle loads the rarely used parts on first use', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'vpce-bundle-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the CloudWatch Logs and Route 53 clients and the YAML parser out of what the CLI loads at start', () => {
    const graph = importGraph(CLI);
    const loaded = [...graph.static].map((f) => readFileSync(f, 'utf8')).join('\n');
    const lazy = [...everyChunk(CLI)].filter((f) => !graph.static.has(f)).map((f) => readFileSync(f, 'utf8'));
    for (const [what, marker] of Object.entries(LAZY)) {
      assert.ok(!loaded.includes(marker), `${what} is loaded at start`);
      assert.ok(
        lazy.some((text) => text.includes(marker)),
        `${what} is in no chunk a dynamic import reaches`,
      );
    }
  });

  it('parses a YAML configuration file with the lazily loaded parser: its errors keep their line', async () => {
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'services:\n  - name: s3\n resolvers: [\n');
    const env = {
      PATH: process.env['PATH'] ?? '',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    };
    const bad = await run(['report', '--config', broken], env);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /broken\.yaml:\d+: not valid YAML or JSON: /);
    assert.doesNotMatch(bad.stderr, /is not a function/);

    const good = join(dir, 'good.yaml');
    writeFileSync(good, '# the services an ECS task on Fargate needs\nprofiles: [ecs-fargate]\n');
    const ok = await run(['report', '--config', good, '--format', 'json', '--timeout-ms', '2000'], env);
    // Past the configuration: a report (no context without IMDS, so nothing is checked).
    assert.doesNotMatch(ok.stderr, /not valid YAML|configuration/i, ok.stderr);
    const report = JSON.parse(ok.stdout) as { status: string; targets: unknown[] };
    assert.deepEqual(report.targets, []);
  });
});
