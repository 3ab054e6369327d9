// The token bucket that keeps the agent's DNS queries far below the resolver's per-ENI limit.
// Counts, not timings: the assertions bound how many acquisitions a measured window allows.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Resolver } from '../../src/model.js';
import { queryA } from '../../src/net/dns.js';
import { RateLimiter } from '../../src/net/rate-limit.js';
import { answerMessage, startDnsResponder } from '../support/dns-responder.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('RateLimiter', () => {
  it('grants no more than the burst plus the rate times the elapsed time, and eventually grants all', async () => {
    const limiter = new RateLimiter({ ratePerSecond: 50, burst: 5 });
    const started = performance.now();
    let granted = 0;
    const all = Array.from({ length: 20 }, () => limiter.acquire().then(() => granted++));
    await sleep(100);
    const elapsedSeconds = (performance.now() - started) / 1000;
    // The upper bound holds however slow the machine is; a limiter that does not limit breaks it.
    assert.ok(granted <= 5 + Math.ceil(50 * elapsedSeconds) + 1, `granted ${granted} in ${elapsedSeconds}s`);
    assert.ok(granted >= 5, `the burst is granted at once (granted ${granted})`);
    await Promise.all(all);
    assert.equal(granted, 20);
  });

  it('rejects a waiting acquisition when its signal aborts, and the others still proceed', async () => {
    const limiter = new RateLimiter({ ratePerSecond: 20, burst: 1 });
    await limiter.acquire();
    const controller = new AbortController();
    const aborted = limiter.acquire(controller.signal);
    const next = limiter.acquire();
    controller.abort(new Error('run cancelled'));
    await assert.rejects(aborted, /run cancelled/);
    await next;
  });

  it('paces queries sent through queryA: the responder sees at most the allowed count in a window', async () => {
    const responder = await startDnsResponder((q) => [answerMessage(q, ['10.0.0.9'])]);
    try {
      const limiter = new RateLimiter({ ratePerSecond: 40, burst: 2 });
      const resolver: Resolver = { address: '127.0.0.1', source: 'resolv.conf' };
      const started = performance.now();
      const queries = Array.from({ length: 12 }, () =>
        queryA(resolver, 'sts.us-east-1.amazonaws.com', { timeoutMs: 5000, port: responder.port, limiter }),
      );
      await sleep(100);
      const seen = responder.queries.length;
      const elapsedSeconds = (performance.now() - started) / 1000;
      assert.ok(seen <= 2 + Math.ceil(40 * elapsedSeconds) + 1, `${seen} queries in ${elapsedSeconds}s`);
      const observations = await Promise.all(queries);
      assert.ok(observations.every((o) => o.outcome === 'answer'));
      assert.equal(responder.queries.length, 12);
    } finally {
      await responder.close();
    }
  });
});
