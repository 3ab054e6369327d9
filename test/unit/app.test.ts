// The serve API through app.inject(): health verdicts, report rendering and narrowing, fresh
// runs (single-flight, rate-limited), tokens and bad input. No port, no AWS: the runner is fake.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildApp } from '../../src/app.js';
import { explain } from '../../src/catalogue.js';
import { createMetrics } from '../../src/metrics.js';
import type { Report } from '../../src/model.js';
import {
  blind,
  econnrefusedEverywhere,
  FakeRunner,
  failing,
  healthy,
  manualClock,
  report,
  target,
} from './app-fixtures.js';

function appWith(runner: FakeRunner, extra: Partial<Parameters<typeof buildApp>[0]> = {}) {
  const clock = manualClock();
  const app = buildApp({ runner, version: '9.9.9', clock: clock.now, ...extra });
  return { app, clock };
}

describe('health routes', () => {
  it('/healthz answers 200 before any report and never starts a run', async () => {
    const runner = new FakeRunner([healthy()]);
    const { app } = appWith(runner);
    const res = await app.inject('/healthz');
    assert.equal(res.statusCode, 200);
    assert.equal(res.body, 'ok\n');
    assert.equal(runner.calls.length, 0);
  });

  it('/readyz is 503 before the first report and 200 after it', async () => {
    const { app } = appWith(new FakeRunner([healthy()]));
    assert.equal((await app.inject('/readyz')).statusCode, 503);
    await app.reports.tick();
    const res = await app.inject('/readyz');
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /^ready: report pass/);
  });

  it('/health flips 200 → 503 → 200 as the reports do, naming the failing service and cause, without running', async () => {
    const runner = new FakeRunner([healthy(), failing(), healthy()]);
    const { app } = appWith(runner);
    const before = await app.inject('/health');
    assert.equal(before.statusCode, 503);
    assert.equal(before.body, 'starting: no report yet\n');

    await app.reports.tick();
    const ok = await app.inject('/health');
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.body, 'ok: 2 pass\n');

    await app.reports.tick();
    const bad = await app.inject('/health');
    assert.equal(bad.statusCode, 503);
    assert.equal(bad.body, 'fail: SG_ENDPOINT_INGRESS_DENIED (ecr.dkr)\n');
    assert.equal(bad.headers['content-type'], 'text/plain; charset=utf-8');

    await app.reports.tick();
    assert.equal((await app.inject('/health')).statusCode, 200);
    assert.equal(runner.calls.length, 3, 'only the three ticks ran; /health never did');
  });

  it('a warning is healthy by default and unhealthy with unhealthyOn=warn', async () => {
    const warned = report([target('secretsmanager', 'pass'), target('logs', 'warn')]);
    const lenient = appWith(new FakeRunner([warned])).app;
    const strict = appWith(new FakeRunner([warned]), { unhealthyOn: 'warn' }).app;
    await lenient.reports.tick();
    await strict.reports.tick();
    const a = await lenient.inject('/health');
    assert.equal(a.statusCode, 200);
    assert.equal(a.body, 'ok: 1 pass, 1 warn; warn: ENDPOINT_NOT_IN_AZ (logs)\n');
    const b = await strict.inject('/health');
    assert.equal(b.statusCode, 503);
    assert.equal(b.body, 'warn: ENDPOINT_NOT_IN_AZ (logs)\n');
  });

  it('with healthRequiredOnly a failing discovered-only service does not fail /health, a required one does', async () => {
    const optional = report([target('secretsmanager', 'pass', { required: true }), target('sqs', 'fail')]);
    const required = report([target('secretsmanager', 'fail', { required: true }), target('sqs', 'pass')]);
    const { app } = appWith(new FakeRunner([optional, required]), { healthRequiredOnly: true });
    await app.reports.tick();
    const a = await app.inject('/health');
    assert.equal(a.statusCode, 200, a.body);
    assert.equal(a.body, 'ok: 1 pass\n');
    await app.reports.tick();
    const b = await app.inject('/health');
    assert.equal(b.statusCode, 503);
    assert.equal(b.body, 'fail: SG_ENDPOINT_INGRESS_DENIED (secretsmanager)\n');
  });

  it('an undecided target beside checked ones keeps /health at 200 but is named', async () => {
    const { app } = appWith(
      new FakeRunner([report([target('secretsmanager', 'pass'), target('sts', 'unknown')])]),
    );
    await app.reports.tick();
    const res = await app.inject('/health');
    assert.equal(res.statusCode, 200);
    assert.equal(res.body, 'ok: 1 pass, 1 unknown; unknown: AWS_PERMISSION_DENIED (sts)\n');
  });

  it('is 503 when every target is undecided: nothing was checked, and the line says why', async () => {
    const { app } = appWith(new FakeRunner([report([target('sts', 'unknown'), target('kms', 'unknown')])]));
    await app.reports.tick();
    const res = await app.inject('/health');
    assert.equal(res.statusCode, 503);
    assert.equal(res.body, 'unknown: nothing checked: AWS_PERMISSION_DENIED (sts, kms)\n');
  });

  it('is 503 for a blind agent (no context, no targets), naming each cause once', async () => {
    const { app } = appWith(new FakeRunner([blind()]));
    await app.reports.tick();
    const res = await app.inject('/health');
    assert.equal(res.statusCode, 503);
    assert.equal(
      res.body,
      'unknown: nothing checked: AWS_API_ERROR (ECONNREFUSED), CONTEXT_UNRESOLVED (missing vpcId, subnetId, privateIp)\n',
    );
  });

  it('is 503 with no targets and no finding at all: a VPC with nothing to check is not healthy', async () => {
    const { app } = appWith(new FakeRunner([report([])]));
    await app.reports.tick();
    const res = await app.inject('/health');
    assert.equal(res.statusCode, 503);
    assert.equal(res.body, 'unknown: nothing checked: no targets\n');
  });

  it('names a cause shared by several services once, with the services grouped', async () => {
    const shared = report([
      target('ecr.api', 'fail'),
      target('ecr.dkr', 'fail'),
      target('logs', 'warn'),
      target('sts', 'unknown'),
      target('secretsmanager', 'pass'),
    ]);
    const { app } = appWith(new FakeRunner([shared]));
    await app.reports.tick();
    const res = await app.inject('/health');
    assert.equal(res.statusCode, 503);
    assert.equal(
      res.body,
      'fail: SG_ENDPOINT_INGRESS_DENIED (ecr.api, ecr.dkr); warn: ENDPOINT_NOT_IN_AZ (logs); unknown: AWS_PERMISSION_DENIED (sts)\n',
    );
  });

  it('names one unreachable EC2 API once, however many calls met it', async () => {
    const { app } = appWith(new FakeRunner([report([], econnrefusedEverywhere())]));
    await app.reports.tick();
    const res = await app.inject('/health');
    assert.equal(res.statusCode, 503);
    assert.equal(res.body, 'unknown: nothing checked: AWS_API_ERROR (ECONNREFUSED)\n');
    const json = (await app.inject('/report.json')).json() as Report;
    assert.equal(json.findings.filter((f) => f.code === 'AWS_API_ERROR').length, 1);
  });

  it('with healthRequiredOnly: no required target beside checked ones is 200; required ones all undecided is 503', async () => {
    const none = report([target('sqs', 'pass')]);
    const undecided = report([
      target('sqs', 'pass'),
      target('secretsmanager', 'unknown', { required: true }),
    ]);
    const { app } = appWith(new FakeRunner([none, undecided]), { healthRequiredOnly: true });
    await app.reports.tick();
    const a = await app.inject('/health');
    assert.equal(a.statusCode, 200);
    assert.equal(a.body, 'ok: no required targets\n');
    await app.reports.tick();
    const b = await app.inject('/health');
    assert.equal(b.statusCode, 503);
    assert.equal(b.body, 'unknown: nothing checked: AWS_PERMISSION_DENIED (secretsmanager)\n');
  });
});

describe('/report', () => {
  const twoS3 = () =>
    report([
      target('s3', 'pass', { type: 'Gateway' }),
      target('s3-interface', 'pass', { service: 'com.amazonaws.us-east-1.s3' }),
      target('ecr.dkr', 'fail'),
      target('secretsmanager', 'pass'),
    ]);

  it('serves JSON to a client that accepts it and the text table to a bare curl', async () => {
    const canned = failing();
    const { app, clock } = appWith(new FakeRunner([canned]));
    await app.reports.tick();
    clock.advance(12_400);
    const json = await app.inject({ url: '/report', headers: { accept: 'application/json' } });
    assert.equal(json.statusCode, 200);
    assert.equal(json.headers['content-type'], 'application/json; charset=utf-8');
    assert.deepEqual(json.json(), canned);
    assert.equal(json.headers['age'], '12');
    assert.equal(json.headers['x-vpce-doctor-report-age-seconds'], '12');
    assert.equal(json.headers['x-vpce-doctor-started-at'], canned.startedAt);
    assert.equal(json.headers['x-vpce-doctor-status'], 'fail');
    assert.equal(json.headers['vary'], 'Accept');
    assert.ok(json.headers['last-modified']);

    const text = await app.inject({ url: '/report', headers: { 'user-agent': 'curl/8.0', accept: '*/*' } });
    assert.equal(text.headers['content-type'], 'text/plain; charset=utf-8');
    assert.match(text.body, /^vpce-doctor 9\.9\.9 · vpc-0a1b/);
    assert.match(text.body, /✗\s+ecr\.dkr/);
    assert.ok(!text.body.includes('\u001b['), 'no colour');
  });

  it('serves .json, .txt and .md whatever the Accept header says', async () => {
    const { app } = appWith(new FakeRunner([healthy()]));
    await app.reports.tick();
    const accept = { accept: 'text/html' };
    const j = await app.inject({ url: '/report.json', headers: accept });
    assert.equal(j.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal((j.json() as Report).schemaVersion, 1);
    const t = await app.inject({ url: '/report.txt', headers: { accept: 'application/json' } });
    assert.equal(t.headers['content-type'], 'text/plain; charset=utf-8');
    assert.match(t.body, /^vpce-doctor /);
    const m = await app.inject({ url: '/report.md', headers: accept });
    assert.equal(m.headers['content-type'], 'text/markdown; charset=utf-8');
    assert.match(m.body, /^### vpce-doctor: ✅ pass/);
  });

  it('?service= narrows the report (s3 selects both S3 targets) and recomputes its status', async () => {
    const { app } = appWith(new FakeRunner([twoS3()]));
    await app.reports.tick();
    const res = await app.inject('/report.json?service=s3&service=secretsmanager');
    assert.equal(res.statusCode, 200);
    const body = res.json() as Report;
    assert.deepEqual(body.targets.map((t) => t.shortName).sort(), ['s3', 's3-interface', 'secretsmanager']);
    assert.equal(body.status, 'pass');
    assert.deepEqual(body.summary, { pass: 3, warn: 0, fail: 0, unknown: 0 });
    const comma = (await app.inject('/report.json?service=ecr.dkr,s3-interface')).json() as Report;
    assert.deepEqual(comma.targets.map((t) => t.shortName).sort(), ['ecr.dkr', 's3-interface']);
    assert.equal(comma.status, 'fail');
  });

  it("?service=s3-interface selects the S3 target when it is the gateway's and the interface endpoint is off the path, as --service does", async () => {
    const gateway = target('s3', 'pass', { type: 'Gateway' });
    gateway.findings.push({
      check: 'endpoint',
      code: 'ENDPOINT_NOT_ON_PATH',
      status: 'info',
      message: "vpce-s3i (Interface) also serves com.amazonaws.us-east-1.s3 but is not on this VPC's path",
      evidence: { endpointId: 'vpce-s3i', endpointType: 'Interface', reason: 'name-on-interface' },
    });
    const { app } = appWith(new FakeRunner([report([gateway, target('secretsmanager', 'pass')])]));
    await app.reports.tick();
    for (const url of ['/report.json?service=s3-interface', '/?service=s3-interface']) {
      const res = await app.inject({ url, headers: { accept: 'application/json' } });
      assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
      assert.deepEqual(
        (res.json() as Report).targets.map((t) => t.shortName),
        ['s3'],
        url,
      );
    }
    // Without an interface endpoint beside it, the name selects nothing.
    const { app: plain } = appWith(new FakeRunner([report([target('s3', 'pass', { type: 'Gateway' })])]));
    await plain.reports.tick();
    assert.equal((await plain.inject('/report.json?service=s3-interface')).statusCode, 400);
  });

  it('rejects a ?service= name that matches no target with a one-line 400, and runs nothing for it', async () => {
    const runner = new FakeRunner([twoS3()]);
    const { app } = appWith(runner);
    await app.reports.tick();
    const res = await app.inject('/report?service=sqs');
    assert.equal(res.statusCode, 400);
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
    assert.deepEqual(res.json(), {
      error: 'service: no target of this report matches com.amazonaws.us-east-1.sqs',
    });
    assert.equal(res.body.trim().split('\n').length, 1);
    assert.equal(runner.calls.length, 1);
  });

  it('rejects bad query strings naming the parameter: unknown ones, odd characters, a bad fresh value', async () => {
    const { app } = appWith(new FakeRunner([healthy()]));
    await app.reports.tick();
    const cases: Array<[string, RegExp]> = [
      ['/report?target=10.0.0.1', /unknown parameter 'target'/],
      ['/report?service=evil.example.com%3A443%2F', /parameter 'service'/],
      ['/report?service=', /parameter 'service'/],
      ['/report?fresh=yes', /parameter 'fresh' must be one of 1, 0, true, false/],
      ['/healthz?x=1', /unknown parameter 'x'/],
      [`/report?service=${'a'.repeat(300)}`, /parameter 'service'/],
    ];
    for (const [url, pattern] of cases) {
      const res = await app.inject(url);
      assert.equal(res.statusCode, 400, url);
      const { error } = res.json() as { error: string };
      assert.match(error, pattern, url);
      assert.ok(!res.body.includes('    at '), 'no stack trace');
    }
  });

  it('hands the runner nothing from a request but fresh', async () => {
    const runner = new FakeRunner([twoS3()]);
    const { app } = appWith(runner, { runTimeoutMs: 4_000 });
    await app.reports.tick();
    await app.inject('/report?service=s3&fresh=1');
    assert.equal(runner.calls.length, 2);
    for (const call of runner.calls) {
      assert.deepEqual(
        Object.keys(call)
          .filter((k) => k !== 'signal')
          .sort(),
        call.fresh ? ['fresh', 'timeoutMs'] : ['timeoutMs'],
      );
      assert.equal(call.timeoutMs, 4_000);
    }
  });

  it('waits for the first run when it is in flight, and answers 503 when there is none', async () => {
    const runner = new FakeRunner([healthy()]);
    runner.failWith = new Error('boom at /secret/path');
    const { app } = appWith(runner);
    await app.reports.tick();
    const none = await app.inject('/report');
    assert.equal(none.statusCode, 503);
    assert.equal(none.headers['retry-after'], '5');
    assert.ok(!none.body.includes('/secret/path'), 'the run error is not leaked');

    runner.failWith = undefined;
    runner.held = true;
    const tick = app.reports.tick();
    const waiting = app.inject('/report.json');
    runner.release();
    await tick;
    assert.equal((await waiting).statusCode, 200);
  });
});

describe('fresh runs', () => {
  it('100 concurrent ?fresh=1 cause one run and all get its report', async () => {
    const runner = new FakeRunner([healthy(), failing()]);
    const { app } = appWith(runner);
    await app.reports.tick();
    runner.held = true;
    const responses = Array.from({ length: 100 }, () => app.inject('/report.json?fresh=1'));
    await new Promise((resolve) => setImmediate(resolve));
    runner.release();
    const all = await Promise.all(responses);
    assert.equal(runner.calls.length, 2, 'the scheduled run and one fresh run');
    assert.equal(runner.calls[1]!.fresh, true);
    for (const res of all) {
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['x-vpce-doctor-fresh'], 'ran');
      assert.equal((res.json() as Report).status, 'fail');
    }
  });

  it('a second fresh request within the interval gets the cached report and says so; after it, a new run', async () => {
    const runner = new FakeRunner([healthy()]);
    const { app, clock } = appWith(runner, { freshMinIntervalMs: 10_000 });
    await app.reports.tick();
    assert.equal((await app.inject('/report?fresh=1')).headers['x-vpce-doctor-fresh'], 'ran');
    clock.advance(3_000);
    const limited = await app.inject('/report?fresh=true');
    assert.equal(limited.statusCode, 200);
    assert.equal(limited.headers['x-vpce-doctor-fresh'], 'cached (rate-limited: next fresh run in 7 s)');
    assert.equal(runner.calls.length, 2);
    clock.advance(7_001);
    assert.equal((await app.inject('/report?fresh=1')).headers['x-vpce-doctor-fresh'], 'ran');
    assert.equal(runner.calls.length, 3);
    const metrics = (await app.inject('/metrics')).body;
    assert.match(metrics, /^vpce_doctor_fresh_rate_limited_total 1$/m);
  });

  it('/metrics renders once for a burst of scrapes, and again once a second has passed', async () => {
    const metrics = createMetrics({ version: '9.9.9', processMetrics: false });
    let renders = 0;
    const render = metrics.registry.metrics.bind(metrics.registry);
    metrics.registry.metrics = async () => {
      renders += 1;
      return render();
    };
    const { app, clock } = appWith(new FakeRunner([healthy()]), { metrics });
    await app.reports.tick();
    const burst = await Promise.all(Array.from({ length: 20 }, () => app.inject('/metrics')));
    assert.deepEqual(new Set(burst.map((r) => r.statusCode)), new Set([200]));
    assert.equal(new Set(burst.map((r) => r.body)).size, 1);
    assert.match(burst[0]!.body, /^vpce_doctor_status\{/m);
    assert.equal(renders, 1);
    clock.advance(1_000);
    await app.inject('/metrics');
    assert.equal(renders, 2);
  });

  it('a fresh request during a scheduled run waits for it, then runs fresh once (no overlap)', async () => {
    const runner = new FakeRunner([healthy()]);
    const { app } = appWith(runner);
    await app.reports.tick();
    runner.held = true;
    const scheduled = app.reports.tick();
    let inFlight = 0;
    let maxInFlight = 0;
    const original = runner.run.bind(runner);
    runner.run = async (options) => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        return await original(options);
      } finally {
        inFlight -= 1;
      }
    };
    const fresh = [app.inject('/report?fresh=1'), app.inject('/report?fresh=1')];
    runner.release();
    await scheduled;
    await Promise.all(fresh);
    assert.equal(runner.calls.length, 3, 'first tick, the scheduled run, one fresh run');
    assert.equal(runner.calls[2]!.fresh, true);
    assert.ok(maxInFlight <= 1);
  });
});

describe('token', () => {
  const token = 's3cr3t-token';

  it('requires the bearer token on the report, metrics and findings, not on the health routes', async () => {
    const { app } = appWith(new FakeRunner([healthy()]), { token });
    await app.reports.tick();
    for (const url of ['/healthz', '/readyz', '/health']) {
      assert.equal((await app.inject(url)).statusCode, 200, url);
    }
    for (const url of ['/', '/report', '/report.json', '/metrics', '/findings/SG_OK', '/nope']) {
      const missing = await app.inject(url);
      assert.equal(missing.statusCode, 401, url);
      assert.equal(missing.headers['www-authenticate'], 'Bearer realm="vpce-doctor"');
      assert.deepEqual(missing.json(), { error: 'missing bearer token' });
      const wrong = await app.inject({ url, headers: { authorization: 'Bearer s3cr3t-tokeN' } });
      assert.equal(wrong.statusCode, 401, url);
      assert.match(String(wrong.headers['www-authenticate']), /error="invalid_token"/);
      const basic = await app.inject({ url, headers: { authorization: `Basic ${token}` } });
      assert.equal(basic.statusCode, 401, url);
    }
    const right = await app.inject({ url: '/report.json', headers: { authorization: `Bearer ${token}` } });
    assert.equal(right.statusCode, 200);
    const lower = await app.inject({ url: '/metrics', headers: { authorization: `bearer ${token}` } });
    assert.equal(lower.statusCode, 200);
  });
});

describe('everything else', () => {
  it('answers unknown routes and methods with a one-line 404', async () => {
    const { app } = appWith(new FakeRunner([healthy()]));
    const res = await app.inject('/admin');
    assert.equal(res.statusCode, 404);
    assert.deepEqual(res.json(), { error: 'no route GET /admin' });
    const post = await app.inject({ method: 'POST', url: '/report', payload: 'x'.repeat(4096) });
    assert.ok(post.statusCode === 404 || post.statusCode === 413, String(post.statusCode));
    assert.equal(post.body.trim().split('\n').length, 1);
  });

  it('/findings/:code prints the same text as `vpce-doctor explain`, 404 for an unknown code', async () => {
    const { app } = appWith(new FakeRunner([healthy()]));
    const res = await app.inject('/findings/SG_ENDPOINT_INGRESS_DENIED');
    assert.equal(res.statusCode, 200);
    assert.equal(res.body, explain('SG_ENDPOINT_INGRESS_DENIED'));
    assert.equal((await app.inject('/findings/sg_ok')).body, explain('SG_OK'));
    const unknown = await app.inject('/findings/NO_SUCH_CODE');
    assert.equal(unknown.statusCode, 404);
    assert.deepEqual(unknown.json(), { error: "unknown finding code 'NO_SUCH_CODE'" });
    assert.equal((await app.inject('/findings/..%2Fetc%2Fpasswd')).statusCode, 400);
  });

  it('HEAD works on the read routes', async () => {
    const { app } = appWith(new FakeRunner([healthy()]));
    await app.reports.tick();
    const res = await app.inject({ method: 'HEAD', url: '/health' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.body, '');
  });
});
