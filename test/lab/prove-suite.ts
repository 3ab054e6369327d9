// What a scenario claims, shown to real clients inside vdl-agent-a (dig, nc, openssl s_client,
// the AWS CLI against moto). The e2e scenario suite calls it on the lab it already brought up for
// the agent's report, so each scenario comes up once (test/e2e/support/scenario-suite.ts).
import assert from 'node:assert/strict';
import { labExec } from './lab.js';
import { proveScenario, renderProof } from './prove.js';
import type { Scenario } from './scenarios.js';
import type { LabState } from './state.js';

export async function assertProven(state: LabState, scenario: Scenario): Promise<void> {
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
}
