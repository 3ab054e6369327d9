// /metrics: Prometheus text built from each report as it arrives, following the report's changes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildApp } from '../../src/app.js';
import { createMetrics } from '../../src/metrics.js';
import { FakeRunner, failing, healthy, manualClock, report, target } from './app-fixtures.js';

describe('/metrics', () => {
  it('exposes per-target and per-check status that follows the latest report', async () => {
    const clock = manualClock();
    const app = buildApp({
      runner: new FakeRunner([failing(), healthy()]),
      version: '9.9.9',
      clock: clock.now,
    });
    await app.reports.tick();
    const first = await app.inject('/metrics');
    assert.equal(first.statusCode, 200);
    assert.match(String(first.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    const m1 = first.body;
    assert.match(
      m1,
      /^vpce_doctor_target_status\{service="ecr.dkr",endpoint_type="Interface",status="fail"\} 1$/m,
    );
    assert.match(
      m1,
      /^vpce_doctor_target_status\{service="ecr.dkr",endpoint_type="Interface",status="pass"\} 0$/m,
    );
    assert.match(m1, /^vpce_doctor_check_status\{service="ecr.dkr",check="sg",status="fail"\} 1$/m);
    assert.match(m1, /^vpce_doctor_check_status\{service="ecr.dkr",check="dns",status="pass"\} 1$/m);
    assert.match(
      m1,
      /^vpce_doctor_target_root_cause\{service="ecr.dkr",code="SG_ENDPOINT_INGRESS_DENIED",status="fail"\} 1$/m,
    );
    assert.match(m1, /^vpce_doctor_report_status\{status="fail"\} 1$/m);
    assert.match(m1, /^vpce_doctor_build_info\{version="9.9.9"\} 1$/m);

    await app.reports.tick();
    const m2 = (await app.inject('/metrics')).body;
    assert.match(
      m2,
      /^vpce_doctor_target_status\{service="ecr.dkr",endpoint_type="Interface",status="pass"\} 1$/m,
    );
    assert.ok(!m2.includes('check="sg",status="fail"'), 'the old check status is gone');
    assert.ok(!m2.includes('vpce_doctor_target_root_cause{'), 'no root cause when all pass');
    assert.match(m2, /^vpce_doctor_runs_total\{trigger="schedule"\} 2$/m);
  });

  it('has probe-duration histograms in seconds, the run duration and the ages at scrape time', async () => {
    const clock = manualClock(Date.parse('2026-01-01T00:00:10Z'));
    const app = buildApp({ runner: new FakeRunner([healthy()]), version: '9.9.9', clock: clock.now });
    await app.reports.tick();
    clock.advance(30_000);
    const text = (await app.inject('/metrics')).body;
    // tcpMs 3.4 → 0.0034 s: in the 0.005 bucket, not in 0.0025.
    assert.match(
      text,
      /^vpce_doctor_tcp_connect_duration_seconds_bucket\{le="0.0025",service="ecr.dkr"\} 0$/m,
    );
    assert.match(
      text,
      /^vpce_doctor_tcp_connect_duration_seconds_bucket\{le="0.005",service="ecr.dkr"\} 1$/m,
    );
    assert.match(text, /^vpce_doctor_dns_probe_duration_seconds_count\{service="secretsmanager"\} 1$/m);
    assert.match(
      text,
      /^vpce_doctor_tls_handshake_duration_seconds_sum\{service="secretsmanager"\} 0.0089$/m,
    );
    assert.match(text, /^vpce_doctor_report_duration_seconds_sum\{trigger="schedule"\} 0.8$/m);
    assert.match(text, /^vpce_doctor_report_phase_duration_seconds\{phase="probes"\} 0.6$/m);
    assert.match(text, /^vpce_doctor_report_age_seconds 30$/m);
    // The canned inventory has no fetchedAt: no age rather than a made-up one.
    assert.match(text, /^# TYPE vpce_doctor_inventory_age_seconds gauge$/m);
  });

  it('counts EC2 calls and errors by action, and lists inventory gaps', async () => {
    const metrics = createMetrics({ version: '9.9.9', processMetrics: false });
    metrics.observeEc2Call('DescribeVpcs');
    metrics.observeEc2Call('DescribeVpcs');
    metrics.observeEc2Call('DescribeFlowLogs', 'UnauthorizedOperation');
    const withGap = report([target('s3', 'pass', { type: 'Gateway' })]);
    withGap.inventory.gaps.push({
      call: 'DescribeFlowLogs',
      action: 'ec2:DescribeFlowLogs',
      kind: 'permission',
      errorCode: 'UnauthorizedOperation',
      message: 'denied',
    });
    metrics.observeReport(withGap, 'fresh');
    const text = await metrics.registry.metrics();
    assert.match(text, /^vpce_doctor_ec2_api_calls_total\{action="DescribeVpcs"\} 2$/m);
    assert.match(text, /^vpce_doctor_ec2_api_calls_total\{action="DescribeFlowLogs"\} 1$/m);
    assert.match(
      text,
      /^vpce_doctor_ec2_api_errors_total\{action="DescribeFlowLogs",error_code="UnauthorizedOperation"\} 1$/m,
    );
    assert.ok(!text.includes('vpce_doctor_ec2_api_errors_total{action="DescribeVpcs"'));
    assert.match(
      text,
      /^vpce_doctor_inventory_gaps\{action="ec2:DescribeFlowLogs",kind="permission",error_code="UnauthorizedOperation"\} 1$/m,
    );
    assert.match(text, /^vpce_doctor_runs_total\{trigger="fresh"\} 1$/m);
  });

  it('includes process metrics when asked', async () => {
    const metrics = createMetrics({ version: '9.9.9', processMetrics: true });
    const text = await metrics.registry.metrics();
    assert.match(text, /^process_resident_memory_bytes \d+/m);
    assert.match(text, /^nodejs_eventloop_lag_seconds /m);
  });
});
