// The ways README.md's "Install" says to get vpce-doctor, proved here. The package: `npm pack`
// output installed with `npm install -g --offline` (into a temporary prefix: the bundle carries
// its dependencies, so a host in a private subnet with no registry installs it) runs from anywhere. The image: no Docker engine runs here, so the
// Dockerfile is read (the labels and the build arguments they come from, the command on PATH)
// and its PATH link is made in a scratch root and run; test/e2e/image.test.ts checks the same on
// a built image where podman can build one.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
const BUILT = join(REPO, 'dist/cli/cli.js');

function requireBuild(): void {
  assert.ok(existsSync(BUILT), `${BUILT} is missing: npm run build first (test/run.sh does)`);
}

describe('the npm package', () => {
  let dir = '';
  let bin = '';
  /** Only what a user's shell would have: no repository on the way. */
  let env: NodeJS.ProcessEnv = {};

  before(async () => {
    requireBuild();
    dir = await mkdtemp(join(tmpdir(), 'vpce-doctor-install-'));
    // The build is the suite's (test/run.sh builds first): `prepare` would build it again.
    const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
      cwd: REPO,
      maxBuffer: 16 * 1024 * 1024,
    });
    const [{ filename, files }] = JSON.parse(packed.stdout) as [
      { filename: string; files: Array<{ path: string }> },
    ];
    const paths = files.map((f) => f.path);
    for (const needed of ['bin/vpce-doctor.js', 'dist/cli/cli.js', 'docs/findings.md', 'package.json']) {
      assert.ok(paths.includes(needed), `${needed} is not in the package`);
    }
    // Only what the command runs: not tsc's output beside the bundle, nor the Lambda's bundle.
    const extra = paths.filter((p) => p.startsWith('dist/') && !p.startsWith('dist/cli/'));
    assert.deepEqual(extra, [], 'files outside dist/cli in the package');
    await run(
      'npm',
      [
        'install',
        '-g',
        '--prefix',
        join(dir, 'prefix'),
        '--offline',
        '--no-audit',
        '--no-fund',
        join(dir, filename),
      ],
      { cwd: dir, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 },
    );
    bin = join(dir, 'prefix', 'bin', 'vpce-doctor');
    env = {
      PATH: `${dirname(process.execPath)}:/usr/bin:/bin`,
      HOME: dir,
      AWS_EC2_METADATA_DISABLED: 'true',
    };
  });

  it('installs a vpce-doctor command that prints its version', async () => {
    const { stdout } = await run(bin, ['--version'], { cwd: dir, env });
    assert.equal(stdout, `${version}\n`);
  });

  it("prints its help and each command's, from outside the repository", async () => {
    const overview = await run(bin, ['--help'], { cwd: dir, env });
    assert.match(overview.stdout, /^vpce-doctor — /);
    assert.match(overview.stdout, /\n {2}report +/);
    const report = await run(bin, ['report', '--help'], { cwd: dir, env });
    assert.match(report.stdout, /--format FORMAT/);
    assert.match(report.stdout, /\nexit codes:\n/);
  });

  it('finds its catalogue where it was installed (explain) and prints completion', async () => {
    const explained = await run(bin, ['explain', 'SG_ENDPOINT_INGRESS_DENIED'], { cwd: dir, env });
    assert.match(explained.stdout, /^SG_ENDPOINT_INGRESS_DENIED\n/);
    const completion = await run(bin, ['completion', 'bash'], { cwd: dir, env });
    assert.match(completion.stdout, /complete -F _vpce_doctor vpce-doctor/);
  });
});

/** The Dockerfile's instructions, continuation lines joined, comments dropped, per stage. */
function readStages(text: string): Array<Array<{ op: string; args: string }>> {
  const stages: Array<Array<{ op: string; args: string }>> = [[]];
  const joined = text.replace(/\\\n/g, ' ');
  for (const line of joined.split('\n')) {
    const m = /^\s*([A-Z]+)\s+(.*)$/.exec(line);
    if (!m || line.trimStart().startsWith('#')) continue;
    if (m[1] === 'FROM') stages.push([]);
    stages[stages.length - 1]!.push({ op: m[1]!, args: m[2]!.trim() });
  }
  return stages.slice(1);
}

describe('the image, read from its Dockerfile', () => {
  const stages = readStages(readFileSync(join(REPO, 'Dockerfile'), 'utf8'));
  const runtime = stages.at(-1)!;
  const buildLocal = readFileSync(join(REPO, 'deploy/image/build-local.sh'), 'utf8');

  it('labels the runtime image with OCI source, version and revision, each from a build argument of that stage', () => {
    const args = new Map(
      runtime
        .filter((i) => i.op === 'ARG')
        .map((i) => {
          const [name, value] = i.args.split('=');
          return [name!, value];
        }),
    );
    const labels = new Map(
      runtime
        .filter((i) => i.op === 'LABEL')
        .flatMap((i) => [...i.args.matchAll(/([\w.-]+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!] as const)),
    );
    for (const key of ['source', 'version', 'revision']) {
      const value = labels.get(`org.opencontainers.image.${key}`);
      const arg = /^\$\{(\w+)\}$/.exec(value ?? '')?.[1];
      assert.ok(arg, `org.opencontainers.image.${key} is ${value}, not a build argument`);
      assert.ok(
        args.has(arg),
        `${arg} is not declared in the runtime stage (an ARG before FROM is not seen there)`,
      );
    }
    assert.match(args.get('SOURCE') ?? '', /^https:\/\//);
  });

  it('build-local.sh passes VERSION from package.json, REVISION from git and SOURCE from the remote or package.json', async () => {
    assert.match(buildLocal, /--build-arg "VERSION=\$version"/);
    assert.match(buildLocal, /--build-arg "REVISION=\$revision"/);
    assert.match(buildLocal, /--build-arg "SOURCE=\$source_url"/);
    assert.match(buildLocal, /podman build [^\n]*\\\n[^\n]*"\$\{label_args\[@\]\}" -t "\$tag"/);
    // Run the script's own lines that compute them.
    const lines = buildLocal.split('\n').filter((l) => /^(version|revision)=/.test(l));
    assert.equal(lines.length, 2);
    const { stdout } = await run('bash', [
      '-c',
      `set -euo pipefail; repo='${REPO}'; node_bin='${process.execPath}'\n${lines.join('\n')}\necho "$version $revision"`,
    ]);
    const head = (await run('git', ['-C', REPO, 'rev-parse', 'HEAD'])).stdout.trim();
    assert.equal(stdout.trim(), `${version} ${head}`);
  });

  it('puts vpce-doctor on PATH: the link the Dockerfile makes runs the agent (here, in a scratch root)', async () => {
    requireBuild();
    const link = runtime
      .filter((i) => i.op === 'RUN')
      .map((i) => /symlinkSync\('([^']+)', '([^']+)'\)/.exec(i.args))
      .find(Boolean);
    assert.ok(link, 'no RUN in the runtime stage links vpce-doctor onto PATH');
    const [, target, path] = link;
    assert.equal(path, '/usr/local/bin/vpce-doctor');
    // /usr/local/bin is on the Node images' PATH and on build-local.sh's base.
    assert.match(buildLocal, /ENV PATH=\/usr\/local\/bin:/);
    const copies = runtime.filter((i) => i.op === 'COPY').map((i) => i.args);
    assert.ok(copies.includes('bin ./bin') && copies.some((c) => c.endsWith('./dist/cli')));
    assert.ok(runtime.some((i) => i.op === 'WORKDIR' && i.args === '/app'));

    const root = await mkdtemp(join(tmpdir(), 'vpce-doctor-image-root-'));
    for (const part of ['bin', 'dist/cli', 'docs'])
      cpSync(join(REPO, part), join(root, 'app', part), { recursive: true });
    mkdirSync(join(root, 'usr/local/bin'), { recursive: true });
    symlinkSync(join(root, target!), join(root, path));
    const { stdout } = await run('vpce-doctor', ['--version'], {
      cwd: root,
      env: { PATH: `${join(root, 'usr/local/bin')}:${dirname(process.execPath)}:/usr/bin:/bin` },
    });
    assert.equal(stdout, `${version}\n`);
  });
});
