// Bad clients against a real listening socket on loopback: huge headers, a request that never
// finishes, 1,000 concurrent requests, 200 concurrent ?fresh=1. Each answered, nothing crashes.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { FakeRunner, failing, healthy } from './app-fixtures.js';

describe('a listening app under bad input', () => {
  let app: FastifyInstance;
  let base: string;
  let port: number;
  const runner = new FakeRunner([healthy(), failing()]);

  before(async () => {
    app = buildApp({ runner, version: '9.9.9', requestTimeoutMs: 1_500, connectionTimeoutMs: 1_000 });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    port = typeof address === 'object' && address ? address.port : 0;
    base = `http://127.0.0.1:${port}`;
    await app.reports.tick();
  });

  after(async () => {
    await app.close();
  });

  it('answers headers over 16 KiB with 431 and keeps serving', async () => {
    const res = await fetch(`${base}/report.json`, { headers: { 'x-padding': 'a'.repeat(32 * 1024) } });
    assert.equal(res.status, 431);
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
  });

  it('cuts off a client that never finishes its request', async () => {
    const socket = connect(port, '127.0.0.1');
    socket.write('GET /report HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk.toString();
    });
    await new Promise<void>((resolve, reject) => {
      const guard = setTimeout(() => reject(new Error('the slow connection was never closed')), 15_000);
      socket.on('close', () => {
        clearTimeout(guard);
        resolve();
      });
      socket.on('error', () => {});
    });
    assert.ok(received === '' || /^HTTP\/1\.1 408/.test(received), received);
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
  });

  it('answers 1,000 concurrent requests for the cached report without running', async () => {
    const runs = runner.calls.length;
    const responses = await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        fetch(`${base}/report${i % 2 ? '.json' : '.txt'}`).then(async (r) => ({
          status: r.status,
          body: await r.text(),
        })),
      ),
    );
    assert.ok(responses.every((r) => r.status === 200));
    assert.equal(runner.calls.length, runs);
  });

  it('turns 200 concurrent ?fresh=1 into one run', async () => {
    const runs = runner.calls.length;
    const responses = await Promise.all(
      Array.from({ length: 200 }, () => fetch(`${base}/report.json?fresh=1`)),
    );
    assert.ok(responses.every((r) => r.status === 200));
    // Requests that arrive after the run finished get its report from cache (rate-limited).
    const said = new Set(responses.map((r) => r.headers.get('x-vpce-doctor-fresh')?.split(' (')[0]));
    assert.ok(said.has('ran'));
    assert.deepEqual(
      [...said].filter((s) => s !== 'ran' && s !== 'cached'),
      [],
    );
    assert.equal(runner.calls.length, runs + 1);
  });
});
