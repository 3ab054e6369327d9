// Fixes follow the verdict: the root cause carries its finding's fixes even when the verdict
// rewords it (an optional service), and a reading the probes contradict carries none (applying
// it could break a path that works).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderText } from '../../src/render/text.js';
import { buildReport } from '../../src/report.js';
import { SCENARIOS, scenarioReport } from './fixes-scenarios.js';

describe('fixes follow the verdict', () => {
  it("an optional service's root cause keeps its fixes though the verdict rewords its message", () => {
    const report = scenarioReport(
      'no EC2 endpoint in an isolated subnet',
      [{ address: '54.239.28.85', port: 443, outcome: 'timeout', durationMs: 1000 }],
      { required: false },
    );
    const t = report.targets[0]!;
    assert.equal(t.endpointType, 'none');
    assert.equal(t.status, 'warn');
    assert.match(t.rootCause?.message ?? '', /is optional here/);
    const finding = t.findings.find((f) => f.code === t.rootCause?.code);
    assert.ok(finding?.fixes?.terraform, `${t.rootCause?.code} carries Terraform`);
    assert.deepEqual(t.rootCause?.fixes, finding.fixes);
    const text = renderText(report, { color: false, fixFormat: 'terraform' });
    assert.doesNotMatch(text, /no Terraform for this fix/);
    assert.match(text, /resource "aws_vpc_endpoint"/);
  });

  it('a reading the passing probes contradict (CONFIG_CONTRADICTS_PROBE) carries no fixes', () => {
    const report = scenarioReport('endpoint SG admits only another CIDR', [
      { address: '10.0.11.30', port: 443, outcome: 'connected', durationMs: 3 },
    ]);
    const t = report.targets[0]!;
    assert.equal(t.rootCause?.code, 'CONFIG_CONTRADICTS_PROBE');
    const sg = t.findings.find((f) => f.code === 'SG_ENDPOINT_INGRESS_DENIED');
    assert.equal(sg?.status, 'fail');
    assert.equal(sg.fixes, undefined, 'no change to apply on a contradicted reading');
    assert.equal(t.rootCause?.fixes, undefined);
  });

  it('a finding whose evidence says it does not explain what was observed carries no fixes', () => {
    const report = scenarioReport('part of the ephemeral range dropped', []);
    const partial = report.targets[0]!.findings.find((f) => f.code === 'NACL_EPHEMERAL_PARTIAL');
    assert.ok(partial?.fixes, 'the partial ACL carries fixes when nothing rules it out');
    const { fixes: _attached, ...bare } = partial;
    // Rebuilt through the report's own path: buildReport attaches the fixes.
    const rebuilt = buildReport({
      version: '9.9.9',
      startedAt: 0,
      finishedAt: 1,
      context: report.context,
      inventory: SCENARIOS.find((x) => x.name === 'part of the ephemeral range dropped')!.input.inventory,
      phases: {},
      findings: [{ ...bare, evidence: { ...bare.evidence, explainsObserved: false } }],
      targets: [],
    });
    const again = rebuilt.findings.find((f) => f.code === 'NACL_EPHEMERAL_PARTIAL');
    assert.ok(again);
    assert.equal(again.fixes, undefined);
  });
});
