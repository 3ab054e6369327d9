// The background schedule: first run at once, runs never overlap, delays jittered ±10 %.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createReportKeeper, jitteredDelay, startSchedule } from '../../src/schedule.js';
import { FakeRunner, healthy } from './app-fixtures.js';

describe('schedule', () => {
  it('jitters the interval by at most ±10 %', () => {
    assert.equal(
      jitteredDelay(60_000, 0.1, () => 0),
      54_000,
    );
    assert.equal(
      jitteredDelay(60_000, 0.1, () => 0.5),
      60_000,
    );
    assert.equal(
      jitteredDelay(60_000, 0.1, () => 0.999999),
      66_000,
    );
  });

  it('runs the first tick at once and never starts a tick while one is running', async () => {
    let running = 0;
    let maxRunning = 0;
    let ticks = 0;
    let resolveFifth: () => void = () => {};
    const fifth = new Promise<void>((resolve) => {
      resolveFifth = resolve;
    });
    const schedule = startSchedule({
      intervalMs: 1,
      tick: async () => {
        ticks += 1;
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running -= 1;
        if (ticks === 5) resolveFifth();
      },
    });
    assert.equal(ticks, 1, 'the first tick starts synchronously');
    await fifth;
    await schedule.stop();
    const after = ticks;
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(ticks, after, 'no tick after stop');
    assert.equal(maxRunning, 1);
  });

  it('a keeper stopped mid-run aborts the run and starts no more', async () => {
    const runner = new FakeRunner([healthy()]);
    runner.held = true;
    const keeper = createReportKeeper({ runner });
    const tick = keeper.tick();
    keeper.stop();
    assert.equal(runner.calls[0]!.signal?.aborted, true, 'the run in flight sees the abort');
    runner.release();
    await tick;
    await keeper.tick();
    assert.equal(runner.calls.length, 1);
    assert.equal((await keeper.fresh()).kind, 'failed');
  });
});
