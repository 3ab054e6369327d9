// The status page of `vpce-doctor serve` inside the lab's agent namespace, read by Chromium in the
// same namespace (playwright-core drives it through `ip netns exec`): the healthy lab, then a TLS
// fault injected while serving, as serve.test.ts does. Every packet stays in the lab.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { BrowserContext } from 'playwright-core';
import { labDown, labUp, readState, setTlsFaults, waitForFreeLab } from '../lab/index.js';
import { labEnv } from '../lab/lab.js';
import { attributes, CHROMIUM, launchChromium } from '../support/chromium.js';
import { waitFor } from '../support/wait.js';

const run = promisify(execFile);
const NS = 'vdl-agent-a';
const BASE = 'http://10.0.1.10:9077';
/** At least 32 characters: serve refuses a shorter token at start. */
const TOKEN = 'e2e-status-page-token-0123456789abcdef';

async function status(path: string): Promise<number> {
  const { stdout } = await run('ip', [
    'netns',
    'exec',
    NS,
    'curl',
    '-s',
    '-o',
    '/dev/null',
    '-w',
    '%{http_code}',
    '--max-time',
    '10',
    `${BASE}${path}`,
  ]);
  return Number(stdout);
}

/** Chromium started inside the agent's namespace: it reaches the lab's addresses and nothing else. */
function launchInLab(dir: string): Promise<BrowserContext> {
  const wrapper = join(dir, 'chromium-in-lab');
  writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${NS} ${CHROMIUM} "$@"\n`, { mode: 0o755 });
  return launchChromium({
    dir,
    address: '10.0.1.10',
    executablePath: wrapper,
    extraHTTPHeaders: { Authorization: `Bearer ${TOKEN}` },
  });
}

describe('the status page of vpce-doctor serve in the lab, in Chromium', () => {
  let server: ChildProcess;
  let browser: BrowserContext;
  let dir: string;
  let logs = '';

  before(async () => {
    const busy = await waitForFreeLab();
    if (busy) throw new Error(busy);
    await labUp('healthy');
    const state = readState()!;
    server = spawn('ip', ['netns', 'exec', NS, 'node', 'bin/vpce-doctor.js', 'serve', '--port', '9077'], {
      cwd: new URL('../..', import.meta.url).pathname,
      env: labEnv(state, { VPCE_DOCTOR_INTERVAL_SECONDS: '2', VPCE_DOCTOR_TOKEN: TOKEN, LOG_LEVEL: 'info' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout!.on('data', (chunk: Buffer) => {
      logs += chunk.toString();
    });
    server.stderr!.on('data', (chunk: Buffer) => {
      logs += chunk.toString();
    });
    await waitFor(
      'the first report',
      async () => ((await status('/readyz')) === 200 ? true : undefined),
      60_000,
      500,
    );
    dir = mkdtempSync(join(tmpdir(), 'vpce-status-page-lab-'));
    browser = await launchInLab(dir);
  });

  after(async () => {
    await browser?.close();
    if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
    if (dir) rmSync(join(dir, 'profile'), { recursive: true, force: true });
    await labDown();
  });

  it('shows the healthy lab: PASS, every service passing, one plotted series per service', async () => {
    const page = await browser.newPage();
    // Two runs at least, so the plots have a history.
    await waitFor(
      'two runs in the history',
      async () => {
        await page.goto(`${BASE}/`);
        return /The last ([2-9]|\d\d+) runs/.test((await page.textContent('#history')) ?? '')
          ? true
          : undefined;
      },
      30_000,
      1_000,
    );
    assert.equal(await page.getAttribute('#overall', 'data-status'), 'pass', logs.slice(-2000));
    assert.equal(await page.$('#attention'), null);
    const services = await attributes(page, '#services tbody tr', 'data-service');
    assert.ok(services.includes('secretsmanager'), services.join(', '));
    assert.ok((await attributes(page, '#services tbody tr', 'data-status')).every((s) => s === 'pass'));
    assert.deepEqual(await attributes(page, '#history svg.plot g.series', 'data-service'), services);
    const where = (await page.textContent('#context')) ?? '';
    assert.match(where, /10\.0\.1\.10/);
    assert.match(where, /us-east-1a/);
    await page.screenshot({ path: join(dir, 'healthy.png'), fullPage: true });
    assert.ok(statSync(join(dir, 'healthy.png')).size > 20_000);
    await page.close();
  });

  it('shows a TLS fault injected while serving: secretsmanager first, with its root cause and fix', async () => {
    await setTlsFaults({ wrongName: ['secretsmanager'] });
    try {
      const page = await browser.newPage();
      await waitFor(
        'the page to turn FAIL',
        async () => {
          await page.goto(`${BASE}/`);
          return (await page.getAttribute('#overall', 'data-status')) === 'fail' ? true : undefined;
        },
        30_000,
        1_000,
      );
      const first = page.locator('#attention article.service').first();
      assert.equal(await first.getAttribute('data-service'), 'secretsmanager');
      assert.equal((await first.locator('.cause .code').textContent())?.trim(), 'TLS_NAME_MISMATCH');
      assert.match(
        (await first.locator('pre.fix').textContent()) ?? '',
        /secretsmanager\.us-east-1\.amazonaws\.com/,
      );
      assert.equal((await attributes(page, '#services tbody tr', 'data-service'))[0], 'secretsmanager');
      const strip = await attributes(page, '#history svg.plot[data-service="secretsmanager"] rect', 'class');
      assert.equal(strip.at(-1), 'st fail');
      assert.ok(strip.includes('st pass'), 'the runs before the fault passed');
      await page.screenshot({ path: join(dir, 'broken.png'), fullPage: true });
      assert.ok(statSync(join(dir, 'broken.png')).size > 20_000);
      await page.close();
    } finally {
      await setTlsFaults({});
    }
  });
});
