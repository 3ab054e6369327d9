// Every scenario, brought up and proven from inside vdl-agent-a with real clients (dig, nc,
// openssl s_client, the AWS CLI against moto), then brought down. Needs root; runs one at a time.
// Split over test/lab/scenarios-N.test.ts: the runner gives each file ten minutes.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { labDown, labExec, withLab } from './lab.js';
import { proveScenario, renderProof } from './prove.js';
import { SCENARIOS } from './scenarios.js';

/** Proves shard `shard` (1-based) of `shards` of the scenarios, round robin. */
export function describeProofs(shard: number, shards: number): void {
  describe(`every lab scenario shows what it claims to real clients in vdl-agent-a (${shard} of ${shards})`, () => {
    after(() => labDown());

    for (const scenario of SCENARIOS.filter((_, i) => i % shards === shard - 1)) {
      test(`${scenario.name}: ${scenario.description}`, async () => {
        await withLab(scenario.name, async (state) => {
          const lines = await proveScenario(state, scenario);
          const bad = lines.filter((l) => !l.ok);
          assert.deepEqual(bad, [], `observations differ from the proof:\n${renderProof(bad)}`);
          assert.ok(
            lines.some((l) => l.check === 'aws'),
            'the moto configuration was read back',
          );
          assert.ok(
            lines.some((l) => l.check === 'dns'),
            'names were resolved',
          );

          assert.doesNotMatch(JSON.stringify(state.expect), /\{\{/, 'expect has no unresolved placeholder');
          if (scenario.agentConfig) {
            const shown = await labExec(['sh', '-c', 'cat "$VPCE_DOCTOR_CONFIG"']);
            assert.equal(shown.code, 0, shown.stderr);
            assert.deepEqual(JSON.parse(shown.stdout), state.agentConfig);
            assert.doesNotMatch(shown.stdout, /\{\{/);
          }
        });
      });
    }
  });
}
