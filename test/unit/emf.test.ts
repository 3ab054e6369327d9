import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Report, TargetReport } from '../../src/model.js';
import { buildEmfDocuments, EMF_NAMESPACE, renderEmf, STATUS_VALUE } from '../../src/render/emf.js';

// The structure rules of the CloudWatch embedded metric format specification, checked as
// CloudWatch Logs would before extracting metrics.
const UNITS = new Set([
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
]);

function validateEmf(line: string): string[] {
  const problems: string[] = [];
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(line);
  } catch {
    return ['not a JSON object'];
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return ['root is not an object'];
  const aws = doc['_aws'] as Record<string, unknown> | undefined;
  if (!aws || typeof aws !== 'object') return ['no _aws metadata object'];
  if (typeof aws['Timestamp'] !== 'number' || !Number.isInteger(aws['Timestamp']))
    problems.push('_aws.Timestamp is not epoch milliseconds');
  const directives = aws['CloudWatchMetrics'];
  if (!Array.isArray(directives)) return [...problems, '_aws.CloudWatchMetrics is not an array'];
  for (const d of directives as Array<Record<string, unknown>>) {
    const ns = d['Namespace'];
    if (typeof ns !== 'string' || ns.length < 1 || ns.length > 1024) problems.push('bad Namespace');
    const sets = d['Dimensions'];
    if (!Array.isArray(sets)) problems.push('Dimensions is not an array');
    for (const set of (sets ?? []) as unknown[]) {
      if (!Array.isArray(set) || set.length > 30)
        problems.push('a DimensionSet is not an array of at most 30 keys');
      for (const key of (set ?? []) as unknown[]) {
        const value = doc[String(key)];
        if (typeof value !== 'string' || value.length === 0 || value.length > 1024)
          problems.push(`dimension ${String(key)} has no string target member`);
      }
    }
    const metrics = d['Metrics'];
    if (!Array.isArray(metrics) || metrics.length > 100)
      problems.push('Metrics is not an array of at most 100');
    for (const m of (metrics ?? []) as Array<Record<string, unknown>>) {
      const name = m['Name'];
      if (typeof name !== 'string' || name.length < 1 || name.length > 255) problems.push('bad metric Name');
      if (m['Unit'] !== undefined && !UNITS.has(String(m['Unit']))) problems.push(`bad Unit ${m['Unit']}`);
      const value = doc[String(name)];
      const numbers = Array.isArray(value) ? value : [value];
      if (numbers.length > 100 || !numbers.every((n) => typeof n === 'number' && Number.isFinite(n)))
        problems.push(`metric ${String(name)} has no numeric target member`);
      for (const key of Object.keys(m)) {
        if (!['Name', 'Unit', 'StorageResolution'].includes(key))
          problems.push(`unknown MetricDefinition member ${key}`);
      }
    }
  }
  return problems;
}

function target(over: Partial<TargetReport>): TargetReport {
  return {
    service: 'com.amazonaws.us-east-1.secretsmanager',
    shortName: 'secretsmanager',
    hostname: 'secretsmanager.us-east-1.amazonaws.com',
    endpointId: 'vpce-0a1',
    endpointType: 'Interface',
    status: 'pass',
    required: false,
    findings: [],
    probe: {
      dns: 'private',
      dnsMs: 1.2,
      tcp: 'ok',
      tcpMs: 2.5,
      tls: 'ok',
      tlsMs: 7.1,
      addresses: ['10.0.11.5'],
    },
    ...over,
  };
}

function report(targets: TargetReport[], status: Report['status']): Report {
  return {
    schemaVersion: 1,
    tool: { name: 'vpce-doctor', version: '0.1.0' },
    status,
    startedAt: '2025-01-02T03:04:05.000Z',
    durationMs: 812,
    context: {
      region: 'us-east-1',
      vpcId: 'vpc-0abc',
      subnetId: 'subnet-0def',
      availabilityZone: 'us-east-1a',
      privateIp: '10.0.1.10',
      securityGroupIds: ['sg-0app'],
      resolvers: [],
      sources: {},
    },
    inventory: { fetchedAt: '', ageMs: 0, calls: 0, gaps: [] },
    phases: {},
    findings: [],
    targets,
    summary: {
      pass: targets.filter((t) => t.status === 'pass').length,
      warn: 0,
      fail: targets.filter((t) => t.status === 'fail').length,
      unknown: 0,
    },
  };
}

const failing = target({
  shortName: 'ecr.dkr',
  service: 'com.amazonaws.us-east-1.ecr.dkr',
  endpointId: 'vpce-0b2',
  status: 'fail',
  rootCause: { code: 'SG_ENDPOINT_INGRESS_DENIED', message: 'sg-0ep denies' },
  findings: [
    {
      check: 'sg',
      code: 'SG_ENDPOINT_INGRESS_DENIED',
      status: 'fail',
      message: 'sg-0ep denies',
      evidence: {},
    },
  ],
  probe: { dns: 'private', dnsMs: 0.9, tcp: 'timeout', tls: 'skipped', addresses: ['10.0.11.6'] },
});

describe('renderEmf', () => {
  const sample = report([target({}), failing], 'fail');

  it('writes one valid EMF document per line: one per target and one for the run', () => {
    const lines = renderEmf(sample).trimEnd().split('\n');
    assert.equal(lines.length, 3);
    for (const line of lines) assert.deepEqual(validateEmf(line), [], line);
  });

  it('puts each target under namespace VpceDoctor with dimensions Service and Service+Check', () => {
    const [ok, bad] = buildEmfDocuments(sample);
    const directive = ok!._aws.CloudWatchMetrics[0]!;
    assert.equal(directive.Namespace, EMF_NAMESPACE);
    assert.deepEqual(directive.Dimensions, [['Service'], ['Service', 'Check']]);
    assert.equal(ok!['Service'], 'secretsmanager');
    assert.equal(ok!['Check'], 'none');
    assert.equal(bad!['Service'], 'ecr.dkr');
    assert.equal(bad!['Check'], 'sg', 'the check of the root cause');
    assert.equal(bad!['Status'], STATUS_VALUE.fail);
    assert.equal(ok!['Status'], STATUS_VALUE.pass);
    assert.equal(ok!['TlsMs'], 7.1);
  });

  it('declares only the timings that were measured (a timed-out TCP probe has no TcpMs)', () => {
    const bad = buildEmfDocuments(sample)[1]!;
    const names = bad._aws.CloudWatchMetrics[0]!.Metrics.map((m) => m.Name);
    assert.deepEqual(names, ['Status', 'DnsMs']);
    assert.equal('TcpMs' in bad, false);
    assert.deepEqual(validateEmf(JSON.stringify(bad)), []);
  });

  it('gives the run line ReportMs, the overall Status and the failing count by Subnet', () => {
    const run = buildEmfDocuments(sample).at(-1)!;
    assert.deepEqual(run._aws.CloudWatchMetrics[0]!.Dimensions, [['Subnet']]);
    assert.equal(run['Subnet'], 'subnet-0def');
    assert.equal(run['ReportMs'], 812);
    assert.equal(run['Status'], STATUS_VALUE.fail);
    assert.equal(run['Failing'], 1);
    assert.equal(run._aws.Timestamp, Date.parse('2025-01-02T03:04:05.000Z'));
  });

  it('still names a dimension value when discovery found no subnet (an empty dimension is invalid)', () => {
    const lost = report([], 'unknown');
    lost.context.subnetId = '';
    const lines = renderEmf(lost).trimEnd().split('\n');
    assert.equal(lines.length, 1);
    assert.deepEqual(validateEmf(lines[0]!), []);
  });

  it('the validator itself rejects a directive whose metric has no value', () => {
    const broken = buildEmfDocuments(sample)[0]!;
    delete broken['DnsMs'];
    assert.deepEqual(validateEmf(JSON.stringify(broken)), ['metric DnsMs has no numeric target member']);
  });
});
