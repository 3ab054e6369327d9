// /metrics: a fleet-sized Prometheus set built from each report as it arrives (docs/metrics.md).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildApp } from '../../src/app.js';
import { createMetrics, dnsPrivate, STATUSES } from '../../src/metrics.js';
import type { CheckName, Finding, Report, TargetReport } from '../../src/model.js';
import { FakeRunner, failing, healthy, manualClock, report, target } from './app-fixtures.js';

const ok = (check: CheckName, code: string): Finding => ({
  check,
  code,
  status: 'pass',
  message: 'ok',
  evidence: {},
});

/** A target with a finding from every check kind a real interface target gets, as a real run has. */
function checkedTarget(shortName: string, status: 'pass' | 'fail' | 'warn' | 'unknown'): TargetReport {
  const base = target(shortName, status);
  return {
    ...base,
    findings: [
      ...base.findings,
      ok('endpoint', 'ENDPOINT_OK'),
      ok('tcp', 'TCP_CONNECT_OK'),
      ok('tls', 'TLS_OK'),
      ok('sdk', 'STS_SIGNED_CALL_OK'),
      ok('route', 'ROUTE_LOCAL_OK'),
      ok('nacl', 'NACL_OK'),
      ok('policy', 'ENDPOINT_POLICY_OK'),
      ok('profile', 'PROFILE_OK'),
      ok('flowlog', 'FLOWLOG_NO_REJECT_SEEN'),
    ],
  };
}

async function scrape(r: Report): Promise<string> {
  const app = buildApp({ runner: new FakeRunner([r]), version: '9.9.9' });
  await app.reports.tick();
  const body = (await app.inject('/metrics')).body;
  await app.close();
  return body;
}

const samples = (text: string): string[] => text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));

const SERVICES = ['secretsmanager', 'ecr.dkr', 'ecr.api', 'logs'];

describe('/metrics', () => {
  it('adds at most ten series per service, whatever the number of checks', async () => {
    // Every status present: a failing, an unknown and a warning service carry a root cause each.
    const statuses = ['pass', 'fail', 'unknown', 'warn'] as const;
    const one = samples(await scrape(report([checkedTarget(SERVICES[0]!, 'fail')])));
    const four = samples(
      await scrape(report(SERVICES.map((s, i) => checkedTarget(s, i === 0 ? 'fail' : statuses[i]!)))),
    );
    const perService = (four.length - one.length) / 3;
    assert.ok(
      perService <= 10,
      `${perService} series per service (1 service: ${one.length}, 4: ${four.length})`,
    );
    for (const service of SERVICES) {
      const own = four.filter((l) => l.includes(`service="${service}"`));
      assert.ok(own.length <= 10, `${service}: ${own.length} series\n${own.join('\n')}`);
      assert.ok(own.length >= 9, `${service}: status, info, root cause, dns and three phases expected`);
    }
  });

  it('initialises every status label value of every service, exactly one of them 1', async () => {
    const text = await scrape(
      report([
        target('secretsmanager', 'pass'),
        target('ecr.dkr', 'fail'),
        target('logs', 'warn'),
        target('sts', 'unknown'),
      ]),
    );
    const expected = { secretsmanager: 'pass', 'ecr.dkr': 'fail', logs: 'warn', sts: 'unknown' };
    for (const [service, current] of Object.entries(expected)) {
      for (const status of STATUSES) {
        const line = new RegExp(
          `^vpce_doctor_status\\{service="${service.replace('.', '\\.')}",status="${status}"\\} (\\d)$`,
          'm',
        ).exec(text);
        assert.ok(line, `vpce_doctor_status{service="${service}",status="${status}"} present`);
        assert.equal(line[1], status === current ? '1' : '0', `${service} ${status}`);
      }
    }
    for (const status of STATUSES) {
      assert.match(text, new RegExp(`^vpce_doctor_report_status\\{status="${status}"\\} [01]$`, 'm'));
    }
  });

  it('follows the latest report: status, root cause, context and services that went away', async () => {
    const clock = manualClock();
    const app = buildApp({
      runner: new FakeRunner([failing(), report([target('secretsmanager', 'pass')])]),
      version: '9.9.9',
      clock: clock.now,
    });
    await app.reports.tick();
    const first = await app.inject('/metrics');
    assert.equal(first.statusCode, 200);
    assert.match(String(first.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    const m1 = first.body;
    assert.match(m1, /^vpce_doctor_status\{service="ecr.dkr",status="fail"\} 1$/m);
    assert.match(m1, /^vpce_doctor_status\{service="ecr.dkr",status="pass"\} 0$/m);
    assert.match(
      m1,
      /^vpce_doctor_target_root_cause\{service="ecr.dkr",code="SG_ENDPOINT_INGRESS_DENIED",status="fail"\} 1$/m,
    );
    assert.match(
      m1,
      /^vpce_doctor_target_info\{service="ecr.dkr",endpoint_type="Interface",endpoint_id="vpce-ecrdkr",required="false"\} 1$/m,
    );
    assert.match(
      m1,
      /^vpce_doctor_context_info\{vpc_id="vpc-0a1b",subnet_id="subnet-0c2d",availability_zone="us-east-1a"\} 1$/m,
    );
    assert.match(m1, /^vpce_doctor_report_status\{status="fail"\} 1$/m);
    assert.match(m1, /^vpce_doctor_build_info\{version="9.9.9"\} 1$/m);

    await app.reports.tick();
    const m2 = (await app.inject('/metrics')).body;
    assert.match(m2, /^vpce_doctor_status\{service="secretsmanager",status="pass"\} 1$/m);
    assert.ok(!m2.includes('service="ecr.dkr"'), 'a service no longer checked leaves no series');
    assert.ok(!m2.includes('vpce_doctor_target_root_cause{'), 'no root cause when all pass');
    assert.match(m2, /^vpce_doctor_runs_total\{trigger="schedule"\} 2$/m);
    await app.close();
  });

  it('has the last run per probe phase in seconds, one run-duration histogram and the report time', async () => {
    const clock = manualClock(Date.parse('2026-01-01T00:00:10Z'));
    const app = buildApp({ runner: new FakeRunner([healthy()]), version: '9.9.9', clock: clock.now });
    await app.reports.tick();
    clock.advance(30_000);
    const text = (await app.inject('/metrics')).body;
    // dnsMs 1.2, tcpMs 3.4, tlsMs 8.9 in the canned probe summary.
    assert.match(text, /^vpce_doctor_probe_phase_duration_seconds\{service="ecr.dkr",phase="dns"\} 0.0012$/m);
    assert.match(text, /^vpce_doctor_probe_phase_duration_seconds\{service="ecr.dkr",phase="tcp"\} 0.0034$/m);
    assert.match(text, /^vpce_doctor_probe_phase_duration_seconds\{service="ecr.dkr",phase="tls"\} 0.0089$/m);
    assert.match(text, /^vpce_doctor_report_duration_seconds_bucket\{le="0.5"\} 0$/m);
    assert.match(text, /^vpce_doctor_report_duration_seconds_bucket\{le="1"\} 1$/m);
    assert.match(text, /^vpce_doctor_report_duration_seconds_sum 0.8$/m);
    assert.match(text, /^vpce_doctor_report_phase_duration_seconds\{phase="probes"\} 0.6$/m);
    assert.match(text, /^vpce_doctor_last_report_timestamp_seconds 1767225610$/m);
    // The canned inventory has no fetchedAt: no age rather than a made-up one.
    assert.match(text, /^vpce_doctor_inventory_age_seconds nan$/im);
    await app.close();
  });

  it('leaves out a probe phase that did not succeed', async () => {
    const timedOut = target('ecr.dkr', 'fail');
    timedOut.probe = { dns: 'private', dnsMs: 1.2, tcp: 'timeout', tls: 'skipped', addresses: ['10.0.11.5'] };
    const text = await scrape(report([timedOut]));
    assert.match(text, /^vpce_doctor_probe_phase_duration_seconds\{service="ecr.dkr",phase="dns"\} 0.0012$/m);
    assert.ok(!text.includes('phase="tcp"'), 'no connect time for a connect that timed out');
    assert.ok(!text.includes('phase="tls"'));
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
    // A gateway endpoint is reached by routing, not DNS: no dns_private series for it.
    assert.ok(!text.includes('vpce_doctor_dns_private{'));
  });

  it('includes process metrics when asked', async () => {
    const metrics = createMetrics({ version: '9.9.9', processMetrics: true });
    const text = await metrics.registry.metrics();
    assert.match(text, /^process_resident_memory_bytes \d+/m);
    assert.match(text, /^nodejs_eventloop_lag_seconds /m);
  });
});

describe('vpce_doctor_dns_private', () => {
  const dns = (code: string, status: Finding['status'] = 'fail'): Finding => ({
    check: 'dns',
    code,
    status,
    message: '',
    evidence: {},
  });
  const withDns = (findings: Finding[], type: 'Interface' | 'Gateway' = 'Interface'): TargetReport => ({
    ...target('ecr.dkr', 'pass', { type }),
    findings,
  });
  const cases: Array<[string, TargetReport, 0 | 1 | undefined]> = [
    ['the endpoint ENIs answered', withDns([dns('DNS_PRIVATE_OK', 'pass')]), 1],
    ['a public answer', withDns([dns('DNS_RESOLVES_PUBLIC')]), 0],
    ['private addresses that are not the ENIs', withDns([dns('DNS_RESOLVES_UNEXPECTED_PRIVATE')]), 0],
    ['no answer', withDns([dns('DNS_TIMEOUT')]), 0],
    ['NXDOMAIN', withDns([dns('DNS_NXDOMAIN')]), 0],
    [
      'one of two workload resolvers public',
      withDns([dns('DNS_PRIVATE_OK', 'pass'), dns('DNS_RESOLVES_PUBLIC')]),
      0,
    ],
    [
      'AmazonProvidedDNS disagrees, the workload resolver is private',
      withDns([dns('DNS_PRIVATE_OK', 'pass'), dns('DNS_RESOLVERS_DISAGREE', 'warn')]),
      1,
    ],
    ['ENI IPs unread: cannot tell', withDns([dns('DNS_ANSWER_UNVERIFIED', 'unknown')]), undefined],
    ['public by design (inbound-only private DNS)', withDns([dns('DNS_PUBLIC_OK', 'pass')]), undefined],
    ['no DNS probe ran', withDns([ok('sg', 'SG_OK')]), undefined],
    ['a gateway endpoint', withDns([dns('DNS_PUBLIC_OK', 'pass')], 'Gateway'), undefined],
  ];
  for (const [name, t, expected] of cases) {
    it(`${name} → ${expected ?? 'absent'}`, () => assert.equal(dnsPrivate(t), expected));
  }

  it('is exposed per interface service from the report', async () => {
    const publicDns = withDns([dns('DNS_RESOLVES_PUBLIC')]);
    const text = await scrape(report([target('secretsmanager', 'pass'), { ...publicDns, status: 'fail' }]));
    assert.match(text, /^vpce_doctor_dns_private\{service="secretsmanager"\} 1$/m);
    assert.match(text, /^vpce_doctor_dns_private\{service="ecr.dkr"\} 0$/m);
  });
});
