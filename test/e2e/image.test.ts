// The container image: built with podman from a local base (deploy/image/build-local.sh), then
// its entrypoint run under chroot as the image's own user, since these machines have no Docker
// engine and `podman run` cannot start containers here. The agent gets no AWS credentials, IMDS
// is off and the SDK points at a closed loopback port: it must still start, answer /healthz, and
// report `unknown` with the reason. Every packet stays on loopback.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Report } from '../../src/model.js';
import { waitFor } from '../support/wait.js';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const IMAGE = 'localhost/vpce-doctor:dev';
const notRoot = process.getuid?.() !== 0;

interface ImageConfig {
  User: string;
  Env: string[];
  Entrypoint: string[];
  Cmd: string[];
  Labels?: Record<string, string>;
}
interface ImageInspect {
  Config: ImageConfig;
  Healthcheck?: { Test: string[] };
}

async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('the container image', {
  skip: notRoot ? 'needs root: podman builds and chroot run as root' : false,
}, () => {
  let storageEnv: NodeJS.ProcessEnv;
  let inspect: ImageInspect;
  let container = '';
  let rootfs = '';
  let agent: ChildProcess | undefined;
  let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  let logs = '';
  let port = 0;
  let agentEnv: Record<string, string>;
  let chroot = 'chroot';

  const podman = async (...args: string[]): Promise<string> =>
    (await run('podman', args, { env: storageEnv, maxBuffer: 16 * 1024 * 1024 })).stdout.trim();

  before(async () => {
    const built = await run('bash', [`${REPO}/deploy/image/build-local.sh`, IMAGE], {
      maxBuffer: 64 * 1024 * 1024,
      timeout: 10 * 60_000,
    });
    const conf = /^CONTAINERS_STORAGE_CONF=(.+)$/m.exec(built.stdout)?.[1];
    assert.ok(conf, `build-local.sh did not say where its storage is:\n${built.stdout}`);
    storageEnv = { ...process.env, CONTAINERS_STORAGE_CONF: conf };
    inspect = (JSON.parse(await podman('image', 'inspect', IMAGE)) as ImageInspect[])[0]!;

    // A container (never started) gives a writable root of its own, so the image stays as built.
    container = await podman(
      'create',
      '--no-healthcheck',
      '--name',
      `vpce-doctor-image-test-${process.pid}`,
      IMAGE,
    );
    rootfs = await podman('mount', container);

    // The agent's environment replaces ours, PATH included: find chroot (in /usr/sbin) first.
    chroot = (await run('sh', ['-c', 'command -v chroot'])).stdout.trim();
    // Only what the image sets, plus where to listen and the safety net: no credentials at all.
    port = await freeLoopbackPort();
    agentEnv = {
      ...Object.fromEntries(
        inspect.Config.Env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]),
      ),
      HOME: '/home/node',
      VPCE_DOCTOR_HOST: '127.0.0.1',
      VPCE_DOCTOR_PORT: String(port),
      AWS_REGION: 'us-east-1',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    };
    agent = spawn(
      chroot,
      [`--userspec=${inspect.Config.User}`, rootfs, ...inspect.Config.Entrypoint, ...inspect.Config.Cmd],
      { env: agentEnv, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    agent.stdout?.on('data', (chunk: Buffer) => {
      logs += chunk.toString();
    });
    agent.stderr?.on('data', (chunk: Buffer) => {
      logs += chunk.toString();
    });
    const child = agent;
    exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  });

  after(async () => {
    if (agent && agent.exitCode === null && agent.signalCode === null) {
      agent.kill('SIGKILL');
      await exited;
    }
    if (container) {
      await podman('umount', container).catch(() => '');
      await podman('rm', '--force', container).catch(() => '');
    }
  });

  it('runs as a non-root user that the image itself defines', () => {
    const [user, group] = inspect.Config.User.split(':');
    assert.match(user ?? '', /^\d+$/, 'the user is numeric, so runAsNonRoot can verify it');
    assert.notEqual(Number(user), 0);
    assert.notEqual(Number(group ?? user), 0);
    const passwd = readFileSync(`${rootfs}/etc/passwd`, 'utf8');
    assert.match(passwd, new RegExp(`^node:x:${user}:`, 'm'));
  });

  it('starts `vpce-doctor serve` and declares a HEALTHCHECK on /healthz', () => {
    assert.deepEqual(inspect.Config.Entrypoint, ['node', '/app/bin/vpce-doctor.js']);
    assert.deepEqual(inspect.Config.Cmd, ['serve']);
    assert.equal(inspect.Healthcheck?.Test[0], 'CMD');
    assert.match(inspect.Healthcheck?.Test.join(' ') ?? '', /\/healthz/);
  });

  it('holds the bundle and the catalogue, and no node_modules: the serving tests below need nothing else', () => {
    assert.ok(existsSync(`${rootfs}/app/dist/cli/cli.js`), 'dist/cli/cli.js, the bundled agent');
    assert.ok(existsSync(`${rootfs}/app/docs/findings.md`), 'the catalogue `explain` reads');
    assert.equal(existsSync(`${rootfs}/app/node_modules`), false, 'no dependency tree beside the bundle');
    assert.equal(existsSync(`${rootfs}/app/dist/src`), false, 'no unbundled compiler output');
  });

  it('runs Node 22 and holds no package manager (npm, npx, corepack, yarn)', async () => {
    const { stdout } = await run(chroot, [
      `--userspec=${inspect.Config.User}`,
      rootfs,
      '/usr/local/bin/node',
      '-p',
      'process.versions.node',
    ]);
    assert.match(stdout.trim(), /^22\./, `the image's node is ${stdout.trim()}`);
    for (const path of [
      '/usr/local/lib/node_modules/npm',
      '/usr/local/lib/node_modules/corepack',
      '/usr/local/bin/npm',
      '/usr/local/bin/npx',
      '/usr/local/bin/corepack',
    ]) {
      assert.equal(existsSync(`${rootfs}${path}`), false, `${path} is in the image`);
    }
  });

  it('has `vpce-doctor` on PATH for ECS Exec, run as the image user', async () => {
    const { stdout } = await run(
      chroot,
      [`--userspec=${inspect.Config.User}`, rootfs, 'vpce-doctor', '--version'],
      {
        env: agentEnv,
      },
    );
    const { version } = JSON.parse(readFileSync(`${REPO}/package.json`, 'utf8')) as { version: string };
    assert.equal(stdout.trim(), version);
  });

  it('carries the OCI labels: source, version from package.json, revision the commit built', async () => {
    const labels = inspect.Config.Labels ?? {};
    const { version } = JSON.parse(readFileSync(`${REPO}/package.json`, 'utf8')) as { version: string };
    const head = (await run('git', ['-C', REPO, 'rev-parse', 'HEAD'])).stdout.trim();
    assert.equal(labels['org.opencontainers.image.version'], version);
    assert.equal(labels['org.opencontainers.image.revision'], head);
    assert.match(labels['org.opencontainers.image.source'] ?? '', /^https:\/\//);
  });

  it('answers /healthz with 200 without any AWS credentials', async () => {
    const response = await waitFor(
      'GET /healthz',
      async () => {
        if (agent?.exitCode !== null) throw new Error(`the agent exited (${agent?.exitCode}):\n${logs}`);
        return await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) });
      },
      60_000,
      250,
    );
    assert.equal(response.status, 200, logs);
  });

  it("passes the image's own HEALTHCHECK command, run inside the image as its user", async () => {
    const test = inspect.Healthcheck?.Test ?? [];
    const { stdout, stderr } = await run(
      chroot,
      [`--userspec=${inspect.Config.User}`, rootfs, ...test.slice(1)],
      {
        env: agentEnv,
        timeout: 10_000,
      },
    );
    assert.equal(stdout + stderr, '');
  });

  it('reports `unknown` with the reason when it cannot find its context', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/report`, {
      headers: { Accept: 'application/json' },
      signal: AbortSignal.timeout(60_000),
    });
    assert.equal(response.status, 200, logs);
    const report = (await response.json()) as Report;
    assert.equal(report.status, 'unknown');
    const unresolved = report.findings.find((f) => f.code === 'CONTEXT_UNRESOLVED');
    assert.ok(unresolved, `no CONTEXT_UNRESOLVED in ${JSON.stringify(report.findings)}`);
    assert.equal(unresolved.status, 'unknown');
    assert.match(unresolved.message, /could not find .*subnetId/);
    assert.ok(unresolved.fix?.includes('VPCE_DOCTOR_SUBNET_ID'));
  });

  it('has no socket open to anything but loopback', async () => {
    const { stdout } = await run('ss', ['-Htanup']);
    const pid = String(agent?.pid);
    const own = stdout.split('\n').filter((line) => line.includes(`pid=${pid},`));
    assert.ok(own.length > 0, `ss shows no socket of pid ${pid}`);
    for (const line of own) {
      const peer = line.trim().split(/\s+/)[5] ?? '';
      assert.match(
        peer,
        /^(127\.\d+\.\d+\.\d+|\[::1\]|\[::ffff:127\.\d+\.\d+\.\d+\]|0\.0\.0\.0|\*|\[::\]):(\d+|\*)$/,
        line,
      );
    }
  });

  it('ends with exit code 0 on SIGTERM', async () => {
    agent?.kill('SIGTERM');
    const { code, signal } = await exited;
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, logs);
  });
});
