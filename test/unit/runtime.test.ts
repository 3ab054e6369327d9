// A supported runtime: the image on Node 22 pinned by digest, no package manager at run time, the
// bundle built for node22, and the AWS SDK's warning about an old Node left for the user to see.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

function files(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    return statSync(join(ROOT, path)).isDirectory() ? files(path) : [path];
  });
}

describe('the runtime', () => {
  it('builds the image on node:22-bookworm-slim pinned by digest', () => {
    const dockerfile = read('Dockerfile');
    const base = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1] ?? '';
    assert.match(base, /^node:22-bookworm-slim@sha256:[0-9a-f]{64}$/);
  });

  it('keeps npm, npx, corepack and yarn out of the runtime stage', () => {
    const dockerfile = read('Dockerfile');
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    for (const path of [
      '/usr/local/lib/node_modules/npm',
      '/usr/local/lib/node_modules/corepack',
      '/usr/local/bin/npm',
      '/usr/local/bin/npx',
      '/usr/local/bin/corepack',
      '/usr/local/bin/yarn',
    ]) {
      assert.ok(runtime.includes(`'${path}'`), `the runtime stage removes ${path}`);
    }
    assert.doesNotMatch(runtime, /\bnpm (ci|install|run)\b/, 'no npm command runs in the runtime stage');
  });

  it('bundles for node22, the runtime of the image and of the Lambda', () => {
    assert.match(read('scripts/bundle.mjs'), /target: 'node22'/);
    assert.match(read('deploy/cloudformation/lambda.yaml'), /Default: nodejs22\.x/);
  });

  it('hides no runtime warning: nothing sets the SDK switch, NODE_NO_WARNINGS or swallows warnings', () => {
    const shipped = [
      ...files('src'),
      ...files('scripts'),
      ...files('deploy'),
      'Dockerfile',
      'bin/vpce-doctor.js',
    ];
    for (const path of shipped) {
      const text = read(path);
      for (const hiding of [
        /AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED/,
        /NODE_NO_WARNINGS/,
        /--no-warnings/,
        /removeAllListeners\(\s*['"]warning['"]/,
        /process\.emitWarning\s*=/,
      ]) {
        assert.doesNotMatch(text, hiding, `${path} hides warnings (${hiding.source})`);
      }
    }
  });

  it("lets the AWS SDK's Node version warning reach stderr when the Node running the CLI is older than 22", async () => {
    const script =
      "const { main } = await import('./src/cli.ts');" +
      "process.exitCode = await main(['report', '--format', 'json', '--timeout-ms', '3000']);";
    const { stderr } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '--eval', script],
      {
        cwd: ROOT,
        timeout: 30_000,
        // No AWS anywhere: every call goes to a closed loopback port and fails at once.
        env: {
          PATH: process.env['PATH'],
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'testing',
          AWS_SECRET_ACCESS_KEY: 'testing',
          AWS_EC2_METADATA_DISABLED: 'true',
          AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
          VPCE_DOCTOR_FLOW_LOGS: '0',
        },
      },
    ).catch((error: { stderr?: string }) => ({ stderr: error.stderr ?? '' }));
    const major = Number(process.versions.node.split('.')[0]);
    if (major < 22) assert.match(stderr, /NodeVersionSupportWarning/, stderr);
    else assert.doesNotMatch(stderr, /NodeVersionSupportWarning/, stderr);
  });
});
