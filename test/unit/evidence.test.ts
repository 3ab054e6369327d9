import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flowLogEvidenceFor, withEmf } from '../../src/evidence.js';
import { buildReport } from '../../src/report.js';

const report = buildReport({
  version: '1',
  startedAt: 0,
  finishedAt: 5,
  phases: {},
  findings: [],
  targets: [],
});

describe('the sidecar extras', () => {
  it('write every report as EMF lines after the run, and return the report unchanged', async () => {
    const written: string[] = [];
    let runs = 0;
    const runner = withEmf(
      {
        run: async () => {
          runs += 1;
          return report;
        },
        lastTargets: () => [],
      },
      (t) => written.push(t),
    );
    assert.equal(await runner.run(), report);
    assert.equal(runs, 1);
    assert.equal(written.length, 1);
    const line = JSON.parse(written[0]!.trim().split('\n').at(-1)!) as {
      _aws: { CloudWatchMetrics: Array<{ Namespace: string }> };
    };
    assert.equal(line._aws.CloudWatchMetrics[0]!.Namespace, 'VpceDoctor');
    assert.equal(typeof runner.lastTargets, 'function');
  });

  it('turn flow-log evidence off with VPCE_DOCTOR_FLOW_LOGS=0 and on by default', () => {
    assert.deepEqual(flowLogEvidenceFor({ VPCE_DOCTOR_FLOW_LOGS: '0' }), {});
    assert.equal(typeof flowLogEvidenceFor({}).flowLogEvidence, 'function');
  });
});
