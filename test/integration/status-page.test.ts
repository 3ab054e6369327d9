// The status page in a real browser: Debian's Chromium, headless, driven by playwright-core,
// loads `/` from the app served on 127.0.0.1 (its runner hands out canned reports), and the test
// reads the rendered DOM — a healthy run, then a broken one — and saves a screenshot of each.
// Chromium may reach 127.0.0.1 only (test/support/chromium.ts).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { BrowserContext } from 'playwright-core';
import { buildApp } from '../../src/app.js';
import type { Report, TargetReport } from '../../src/model.js';
import { attributes, launchChromium } from '../support/chromium.js';
import { FakeRunner, report, target } from '../unit/app-fixtures.js';

const TOKEN = 'status-page-token-0123456789abcdef';

function healthyReport(): Report {
  return report([
    target('secretsmanager', 'pass'),
    target('ecr.dkr', 'pass'),
    target('s3', 'pass', { type: 'Gateway' }),
  ]);
}

/** ecr.dkr's endpoint security group drops the agent: TCP times out, no TLS, the SG named as the cause. */
function brokenReport(): Report {
  const ecr: TargetReport = {
    ...target('ecr.dkr', 'fail'),
    probe: { dns: 'private', dnsMs: 1.1, tcp: 'timeout', tls: 'skipped', addresses: ['10.0.11.5'] },
  };
  return report([target('secretsmanager', 'pass'), ecr, target('s3', 'pass', { type: 'Gateway' })]);
}

async function serve(reports: Report[], token?: string): Promise<{ app: FastifyInstance; base: string }> {
  const app = buildApp({ runner: new FakeRunner(reports), version: '9.9.9', ...(token ? { token } : {}) });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, base };
}

describe('the status page in Chromium', () => {
  let dir: string;
  let browser: BrowserContext;
  let app: FastifyInstance;
  let base: string;
  const refused: string[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vpce-status-page-'));
    browser = await launchChromium({ dir, address: '127.0.0.1' });
    browser.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) refused.push(message.text());
    });
    ({ app, base } = await serve([healthyReport(), healthyReport(), healthyReport(), brokenReport()]));
  });

  after(async () => {
    await browser?.close();
    await app?.close();
    rmSync(join(dir, 'profile'), { recursive: true, force: true });
  });

  let healthyShot: Buffer;

  it('shows a healthy run: PASS in large type, every service, one plotted series per service', async () => {
    for (let i = 0; i < 3; i++) await app.reports.tick();
    const page = await browser.newPage();
    const response = await page.goto(`${base}/`);
    assert.equal(response?.status(), 200);
    assert.equal(response?.headers()['content-type'], 'text/html; charset=utf-8');
    assert.match(await page.title(), /^✓ PASS · vpce-doctor · vpc-0a1b/);
    assert.equal(await page.getAttribute('#overall', 'data-status'), 'pass');
    assert.equal((await page.textContent('#overall .verdict'))?.trim(), '✓ PASS');
    assert.equal(await page.$('#attention'), null, 'nothing needs attention');
    assert.deepEqual(await attributes(page, '#services tbody tr', 'data-status'), ['pass', 'pass', 'pass']);
    assert.deepEqual(await attributes(page, '#history svg.plot g.series', 'data-service'), [
      'ecr.dkr',
      's3',
      'secretsmanager',
    ]);
    assert.deepEqual(
      await page.$$eval('#history svg.plot g.series', (series) =>
        series.map((g) =>
          [...g.querySelectorAll('rect title')].map((t) => /\((\d+) runs?\)/.exec(t.textContent ?? '')?.[1]),
        ),
      ),
      [['3'], ['3'], ['3']],
    );
    // The style block ran under the CSP: large verdict, dark background for a dark system.
    const style = await page.$eval('#overall .verdict', (node) => {
      const body = getComputedStyle(document.body);
      return { size: getComputedStyle(node).fontSize, background: body.backgroundColor };
    });
    assert.ok(Number.parseFloat(style.size) >= 40, `verdict in ${style.size}`);
    assert.equal(style.background, 'rgb(15, 18, 22)');
    assert.match(
      (await page.textContent('#context')) ?? '',
      /vpc-0a1b[\s\S]*subnet-0c2d[\s\S]*us-east-1a[\s\S]*10\.0\.0\.2 \(resolv\.conf\)/,
    );
    healthyShot = await page.screenshot({ path: join(dir, 'healthy.png'), fullPage: true });
    await page.close();
  });

  it('shows a broken run: the failing service first with its root cause and fix, its plot turning red', async () => {
    await app.reports.tick();
    const page = await browser.newPage();
    await page.goto(`${base}/`);
    assert.equal(await page.getAttribute('#overall', 'data-status'), 'fail');
    assert.match((await page.textContent('#overall .counts')) ?? '', /^1 failing, 2 passing$/);
    const first = page.locator('#attention article.service').first();
    assert.equal(await first.getAttribute('data-service'), 'ecr.dkr');
    assert.equal(await first.getAttribute('data-status'), 'fail');
    assert.equal((await first.locator('.cause .code').textContent())?.trim(), 'SG_ENDPOINT_INGRESS_DENIED');
    assert.match(
      (await first.locator('.cause .message').textContent()) ?? '',
      /sg-0ep on vpce-02 allows tcp\/443 only from 10\.9\.0\.0\/16/,
    );
    assert.equal(
      await first.locator('pre.fix').textContent(),
      'aws ec2 authorize-security-group-ingress --group-id sg-0ep --protocol tcp --port 443 --source-group sg-0app',
    );
    assert.match(
      (await first.locator('dl.phases').textContent()) ?? '',
      /dns\s*private 1\.1 ms\s*tcp\s*timeout/,
    );
    assert.deepEqual(await attributes(page, '#services tbody tr', 'data-service'), [
      'ecr.dkr',
      's3',
      'secretsmanager',
    ]);
    assert.deepEqual(await attributes(page, '#history svg.plot g.series', 'data-service'), [
      'ecr.dkr',
      's3',
      'secretsmanager',
    ]);
    assert.deepEqual(await attributes(page, '#history svg.plot[data-service="ecr.dkr"] rect', 'class'), [
      'st pass',
      'st fail',
    ]);
    assert.match(
      (await page.textContent('#history svg.plot[data-service="ecr.dkr"] rect.fail title')) ?? '',
      /UTC: FAIL SG_ENDPOINT_INGRESS_DENIED \(1 run\)$/,
    );
    // The red the strip is drawn in is the page's fail colour: the SVG is styled by the page.
    assert.equal(
      await page.$eval(
        '#history svg.plot[data-service="ecr.dkr"] rect.fail',
        (r) => getComputedStyle(r).fill,
      ),
      'rgb(255, 107, 107)',
    );
    const brokenShot = await page.screenshot({ path: join(dir, 'broken.png'), fullPage: true });
    await page.close();

    for (const name of ['healthy.png', 'broken.png']) {
      const file = join(dir, name);
      assert.ok(existsSync(file), file);
      assert.ok(statSync(file).size > 20_000, `${file}: ${statSync(file).size} bytes`);
      assert.deepEqual(readFileSync(file).subarray(0, 8), Buffer.from('89504e470d0a1a0a', 'hex'), 'a PNG');
    }
    assert.ok(!healthyShot.equals(brokenShot), 'the two reports look different');
  });

  it('ran no script and had nothing refused by its CSP', () => {
    assert.deepEqual(refused, []);
  });

  it('holds the page behind the token as /report: 401 without it, the page with it', async () => {
    const guarded = await serve([healthyReport()], TOKEN);
    try {
      await guarded.app.reports.tick();
      const page = await browser.newPage();
      assert.equal((await page.goto(`${guarded.base}/`))?.status(), 401);
      await page.setExtraHTTPHeaders({ Authorization: `Bearer ${TOKEN}` });
      assert.equal((await page.goto(`${guarded.base}/`))?.status(), 200);
      assert.equal(await page.getAttribute('#overall', 'data-status'), 'pass');
      await page.close();
    } finally {
      await guarded.app.close();
    }
  });
});
