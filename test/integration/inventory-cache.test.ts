// The cache is pure (a loader and a clock); it lives with the inventory tests it serves.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createInventoryCache } from '../../src/aws/cache.js';
import type { Inventory } from '../../src/model.js';

function fakeInventory(n: number): Inventory {
  return { vpcId: `vpc-${n}` } as Inventory;
}

function countingLoader() {
  let calls = 0;
  let fail = false;
  let release: (() => void) | undefined;
  let gate: Promise<void> | undefined;
  return {
    get calls() {
      return calls;
    },
    failNext(v: boolean) {
      fail = v;
    },
    hold() {
      gate = new Promise((r) => {
        release = r;
      });
    },
    release() {
      release?.();
      gate = undefined;
    },
    load: async (_signal: AbortSignal) => {
      calls += 1;
      const n = calls;
      if (gate) await gate;
      if (fail) throw new Error('EC2 unreachable');
      return fakeInventory(n);
    },
  };
}

test('100 concurrent callers on an empty cache cause exactly one load and all get its snapshot', async () => {
  const loader = countingLoader();
  const cache = createInventoryCache({ load: loader.load, ttlMs: 60_000, clock: () => 1000 });
  loader.hold();
  const pending = Array.from({ length: 100 }, () => cache.get());
  loader.release();
  const results = await Promise.all(pending);
  assert.equal(loader.calls, 1);
  assert.ok(results.every((r) => r.inventory.vpcId === 'vpc-1' && r.ageMs === 0));
});

test('a snapshot younger than the TTL is served from the cache with its age; an older one is reloaded', async () => {
  const loader = countingLoader();
  let now = 0;
  const cache = createInventoryCache({ load: loader.load, ttlMs: 60_000, clock: () => now });
  await cache.get();
  now = 59_000;
  const cached = await cache.get();
  assert.deepEqual([loader.calls, cached.ageMs, cached.inventory.vpcId], [1, 59_000, 'vpc-1']);
  now = 60_001;
  const fresh = await cache.get();
  assert.deepEqual([loader.calls, fresh.ageMs, fresh.inventory.vpcId], [2, 0, 'vpc-2']);
});

test('maxAgeMs asks for a fresher snapshot than the TTL', async () => {
  const loader = countingLoader();
  let now = 0;
  const cache = createInventoryCache({ load: loader.load, clock: () => now });
  await cache.get();
  now = 5_000;
  await cache.get({ maxAgeMs: 1_000 });
  assert.equal(loader.calls, 2);
});

test('a failed refresh keeps the last good snapshot and the next call tries again', async () => {
  const loader = countingLoader();
  let now = 0;
  const cache = createInventoryCache({ load: loader.load, ttlMs: 1_000, clock: () => now });
  await cache.get();
  now = 5_000;
  loader.failNext(true);
  const stale = await cache.get();
  assert.deepEqual([stale.inventory.vpcId, stale.ageMs], ['vpc-1', 5_000]);
  loader.failNext(false);
  const fresh = await cache.get();
  assert.deepEqual([loader.calls, fresh.inventory.vpcId], [3, 'vpc-3']);
});

test('a failed first load rejects, and does not stick: the next get loads again', async () => {
  const loader = countingLoader();
  const cache = createInventoryCache({ load: loader.load, clock: () => 0 });
  loader.failNext(true);
  await assert.rejects(cache.get(), /EC2 unreachable/);
  loader.failNext(false);
  assert.equal((await cache.get()).inventory.vpcId, 'vpc-2');
});

test("one caller's abort does not cancel the refresh the others wait on", async () => {
  const loader = countingLoader();
  const cache = createInventoryCache({ load: loader.load, clock: () => 0 });
  loader.hold();
  const controller = new AbortController();
  const impatient = cache.get({ signal: controller.signal });
  const patient = cache.get();
  controller.abort(new Error('caller gave up'));
  await assert.rejects(impatient, /caller gave up/);
  loader.release();
  assert.equal((await patient).inventory.vpcId, 'vpc-1');
  assert.equal(loader.calls, 1);
});
