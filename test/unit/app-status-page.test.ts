// `/` through app.inject(): the page to a browser, the text table to curl, the report to a JSON
// client; the history the page plots is fed by every run the app makes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildApp, pageFormat } from '../../src/app.js';
import { createHistory } from '../../src/history.js';
import { STATUS_PAGE_CSP } from '../../src/render/html.js';
import { FakeRunner, failing, healthy, manualClock, report, target } from './app-fixtures.js';

/** What Chromium sends for a page load. */
const BROWSER =
  'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7';

function appWith(runner: FakeRunner, extra: Partial<Parameters<typeof buildApp>[0]> = {}) {
  const clock = manualClock();
  const app = buildApp({ runner, version: '9.9.9', clock: clock.now, ...extra });
  return { app, clock };
}

describe('the status page at /', () => {
  it('chooses the page, JSON or text from Accept as a browser, a JSON client and curl send it', () => {
    const cases: Array<[string | undefined, string]> = [
      [BROWSER, 'html'],
      ['text/html', 'html'],
      ['*/*', 'text'],
      [undefined, 'text'],
      ['text/plain', 'text'],
      ['application/json', 'json'],
      ['application/json, text/plain, */*', 'json'],
      ['text/html;q=0.5, application/json', 'json'],
      ['text/html;q=0, */*', 'text'],
      ['TEXT/HTML', 'html'],
    ];
    for (const [accept, want] of cases) assert.equal(pageFormat(accept), want, String(accept));
  });

  it('serves a browser the page with a CSP and no-sniff, failing service first', async () => {
    const { app, clock } = appWith(new FakeRunner([failing()]));
    await app.reports.tick();
    clock.advance(3_000);
    const res = await app.inject({ url: '/', headers: { accept: BROWSER } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(res.headers['content-security-policy'], STATUS_PAGE_CSP);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['vary'], 'Accept');
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.equal(res.headers['age'], '3');
    assert.equal(res.headers['x-vpce-doctor-status'], 'fail');
    assert.match(res.body, /^<!doctype html>/);
    assert.match(res.body, /<tbody><tr class="fail" data-service="ecr\.dkr"/);
    assert.match(res.body, /<meta http-equiv="refresh" content="30; url=\/">/);
  });

  it('serves curl the same text table as /report, and a JSON client the same report', async () => {
    const { app } = appWith(new FakeRunner([failing()]));
    await app.reports.tick();
    const text = await app.inject({ url: '/', headers: { accept: '*/*' } });
    assert.equal(text.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(text.body, (await app.inject('/report.txt')).body);
    assert.equal(text.headers['vary'], 'Accept');
    assert.equal(text.headers['content-security-policy'], undefined);
    const json = await app.inject({ url: '/', headers: { accept: 'application/json' } });
    assert.equal(json.headers['content-type'], 'application/json; charset=utf-8');
    assert.deepEqual(json.json(), (await app.inject('/report.json')).json());
  });

  it('plots every run the app made, fresh ones included, and narrows with ?service=', async () => {
    const runner = new FakeRunner([healthy(), failing(), healthy()]);
    const { app, clock } = appWith(runner, { freshMinIntervalMs: 0 });
    await app.reports.tick();
    clock.advance(60_000);
    await app.reports.tick();
    clock.advance(1_000);
    assert.equal((await app.inject('/report.json?fresh=1')).statusCode, 200);
    assert.equal(app.history.runs().length, 3);
    assert.deepEqual(
      app.history.runs().map((r) => r.status),
      ['pass', 'fail', 'pass'],
    );
    const page = (await app.inject({ url: '/?service=ecr.dkr', headers: { accept: BROWSER } })).body;
    assert.match(page, /The last 3 runs/);
    assert.deepEqual(
      [...page.matchAll(/<svg class="plot" data-service="([^"]+)"/g)].map((m) => m[1]),
      ['ecr.dkr'],
    );
    assert.match(page, /content="30; url=\/\?service=ecr\.dkr"/, 'a reload keeps the filter');
    assert.equal((page.match(/<rect class="st fail"/g) ?? []).length, 1);
  });

  it('a reload never asks for a fresh run again', async () => {
    const runner = new FakeRunner([healthy()]);
    const { app } = appWith(runner, { freshMinIntervalMs: 0 });
    await app.reports.tick();
    const res = await app.inject({ url: '/?fresh=1&service=secretsmanager', headers: { accept: BROWSER } });
    assert.equal(res.headers['x-vpce-doctor-fresh'], 'ran');
    assert.match(res.body, /content="30; url=\/\?service=secretsmanager"/);
  });

  it('records into the history it is given, bounded by it', async () => {
    const history = createHistory(2);
    const { app } = appWith(new FakeRunner([healthy(), failing(), healthy()]), { history });
    for (let i = 0; i < 3; i++) await app.reports.tick();
    assert.deepEqual(
      history.runs().map((r) => r.status),
      ['fail', 'pass'],
    );
  });

  it('before the first report: a page that says so and reloads to a browser, the JSON error to others', async () => {
    const runner = new FakeRunner([healthy()]);
    const { app } = appWith(runner);
    const page = await app.inject({ url: '/', headers: { accept: BROWSER } });
    assert.equal(page.statusCode, 503);
    assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(page.headers['retry-after'], '5');
    assert.match(page.body, /starting: no report yet/);
    assert.match(page.body, /<meta http-equiv="refresh" content="5">/);
    const curl = await app.inject({ url: '/', headers: { accept: '*/*' } });
    assert.equal(curl.statusCode, 503);
    assert.deepEqual(curl.json(), { error: 'no report yet: the first run has not finished' });
    assert.equal(runner.calls.length, 0, 'the page never starts a run by itself');
  });

  it('rejects unknown parameters and unmatched services as /report does', async () => {
    const { app } = appWith(new FakeRunner([healthy()]));
    await app.reports.tick();
    const extra = await app.inject({ url: '/?host=10.0.0.1', headers: { accept: BROWSER } });
    assert.equal(extra.statusCode, 400);
    assert.match(extra.json().error, /unknown parameter 'host'/);
    const sqs = await app.inject({ url: '/?service=sqs', headers: { accept: BROWSER } });
    assert.equal(sqs.statusCode, 400);
    assert.equal(
      (sqs.json() as { error: string }).error,
      'service: no target of this report matches com.amazonaws.us-east-1.sqs',
    );
  });

  it('HEAD / answers with the page headers and no body', async () => {
    const { app } = appWith(new FakeRunner([healthy()]));
    await app.reports.tick();
    const res = await app.inject({ method: 'HEAD', url: '/', headers: { accept: BROWSER } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(res.body, '');
  });

  it('renders a page of 120 runs of 30 services in well under a request deadline', async () => {
    const many = report(
      Array.from({ length: 30 }, (_, i) => target(`svc${i}`, i % 7 === 0 ? 'fail' : 'pass')),
    );
    const { app } = appWith(new FakeRunner([many]));
    for (let i = 0; i < 120; i++) await app.reports.tick();
    const started = performance.now();
    const res = await app.inject({ url: '/', headers: { accept: BROWSER } });
    const ms = performance.now() - started;
    assert.equal(res.statusCode, 200);
    assert.ok(ms < 500, `${ms.toFixed(0)} ms`);
    assert.equal((res.body.match(/<svg class="plot"/g) ?? []).length, 30);
  });
});
