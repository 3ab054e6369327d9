// The runs serve keeps for the status page: bounded, oldest dropped first, each condensed to a
// status and a connect latency per service.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { condenseRun, connectLatency, createHistory, HISTORY_RUNS } from '../../src/history.js';
import { blind, report, target } from './app-fixtures.js';

const START = Date.parse('2026-01-01T00:00:00Z');

describe('history', () => {
  it(`keeps the last ${HISTORY_RUNS} runs by default, dropping the oldest`, () => {
    const history = createHistory();
    for (let i = 0; i < HISTORY_RUNS + 10; i++)
      history.record(report([target('sts', 'pass')]), START + i * 60_000);
    const runs = history.runs();
    assert.equal(runs.length, HISTORY_RUNS);
    assert.equal(runs[0]!.finishedAt, START + 10 * 60_000);
    assert.equal(runs.at(-1)!.finishedAt, START + (HISTORY_RUNS + 9) * 60_000);
  });

  it('hands out a copy: a caller holding the runs does not see later ones appear', () => {
    const history = createHistory(2);
    history.record(report([target('sts', 'pass')]), START);
    const held = history.runs();
    history.record(report([target('sts', 'fail')]), START + 1);
    history.record(report([target('sts', 'fail')]), START + 2);
    assert.equal(held.length, 1);
    assert.deepEqual(
      history.runs().map((r) => r.finishedAt),
      [START + 1, START + 2],
    );
  });

  it('refuses a capacity below one', () => {
    assert.throws(() => createHistory(0), RangeError);
  });

  it('condenses a run to each service status, root cause and connect latency', () => {
    const run = condenseRun(
      report([target('secretsmanager', 'pass'), target('ecr.dkr', 'fail'), target('sts', 'unknown')]),
      START,
    );
    assert.equal(run.status, 'fail');
    assert.deepEqual(run.services['secretsmanager'], { status: 'pass', latencyMs: 13.5 });
    assert.equal(run.services['ecr.dkr']!.code, 'SG_ENDPOINT_INGRESS_DENIED');
    assert.equal(run.services['sts']!.code, 'AWS_PERMISSION_DENIED');
    assert.deepEqual(condenseRun(blind(), START).services, {});
  });

  it('has a connect latency only when the connection completed', () => {
    const probe = target('sts', 'pass').probe!;
    assert.equal(connectLatency(probe), 13.5);
    assert.equal(connectLatency({ ...probe, tcp: 'timeout', tcpMs: undefined } as never), undefined);
    const { tlsMs: _, ...noTls } = probe;
    assert.equal(connectLatency({ ...noTls, tls: 'name_mismatch' }), undefined);
    assert.equal(connectLatency({ ...noTls, tls: 'n/a' }), 4.6);
    assert.equal(connectLatency(undefined), undefined);
  });
});
