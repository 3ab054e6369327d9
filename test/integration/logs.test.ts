// Report shipping to CloudWatch Logs against moto, through a proxy that enforces PutLogEvents'
// limits as AWS does and injects throttling and refusals.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  GetLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  batchEvents,
  buildReportEvents,
  createLogsClient,
  EVENT_KIND,
  LOGS_LIMITS,
  shippingFinding,
  shipReport,
  streamNameFor,
} from '../../src/aws/logs.js';
import type { Report, TargetReport } from '../../src/model.js';
import { AWS_PUT_LIMITS, type LogsFaultProxy, startLogsFaultProxy } from '../support/logs-fault-proxy.js';
import { freePort, type Moto, motoEnv, startMoto } from '../support/moto.js';

const REGION = 'us-east-1';
const GROUP = '/vpce-doctor/reports';
let moto: Moto;
let proxy: LogsFaultProxy;

before(async () => {
  moto = await startMoto();
  Object.assign(process.env, motoEnv(moto.url, REGION));
  proxy = await startLogsFaultProxy(moto.url);
});
after(async () => {
  await proxy?.stop();
  await moto?.stop();
});
beforeEach(async () => {
  await moto.reset();
  proxy.setFaults({});
});

function client(url = proxy.url, maxAttempts = 3): CloudWatchLogsClient {
  return new CloudWatchLogsClient({
    region: REGION,
    endpoint: url,
    maxAttempts,
    retryMode: 'standard',
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000 },
  });
}

function target(i: number, evidenceBytes = 0): TargetReport {
  return {
    service: `com.amazonaws.us-east-1.svc${i}`,
    shortName: `svc${i}`,
    hostname: `svc${i}.us-east-1.amazonaws.com`,
    endpointId: `vpce-0${i}`,
    endpointType: 'Interface',
    status: i === 0 ? 'fail' : 'pass',
    required: false,
    ...(i === 0
      ? { rootCause: { code: 'SG_ENDPOINT_INGRESS_DENIED', message: 'sg-0ep denies 10.0.1.10' } }
      : {}),
    findings: [
      {
        check: 'sg',
        code: i === 0 ? 'SG_ENDPOINT_INGRESS_DENIED' : 'SG_OK',
        status: i === 0 ? 'fail' : 'pass',
        message: `svc${i} ✓ ünïcode`,
        evidence: { blob: 'e'.repeat(evidenceBytes) },
      },
    ],
  };
}

function sampleReport(targets: TargetReport[]): Report {
  return {
    schemaVersion: 1,
    tool: { name: 'vpce-doctor', version: '0.1.0' },
    status: 'fail',
    startedAt: new Date().toISOString(),
    durationMs: 900,
    context: {
      region: REGION,
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
    summary: { pass: targets.length - 1, warn: 0, fail: 1, unknown: 0 },
  };
}

async function readBack(logs: CloudWatchLogsClient, stream: string): Promise<Array<Record<string, unknown>>> {
  const out = await logs.send(
    new GetLogEventsCommand({ logGroupName: GROUP, logStreamName: stream, startFromHead: true }),
  );
  return (out.events ?? []).map((e) => JSON.parse(e.message!) as Record<string, unknown>);
}

function assertWithinLimits(): void {
  const puts = proxy.requests.filter((r) => r.action === 'PutLogEvents');
  assert.ok(puts.length > 0, 'PutLogEvents was called');
  for (const put of puts) {
    assert.ok(put.batchBytes! <= AWS_PUT_LIMITS.batchBytes, `batch of ${put.batchBytes} bytes`);
    assert.ok((put.body['logEvents'] as unknown[]).length <= AWS_PUT_LIMITS.batchEvents);
  }
}

describe('shipReport against moto', () => {
  test('the client made at the edge follows AWS_ENDPOINT_URL_CLOUDWATCH_LOGS (the SDK honours it)', async () => {
    process.env['AWS_ENDPOINT_URL_CLOUDWATCH_LOGS'] = proxy.url;
    try {
      const logs = createLogsClient({ region: REGION });
      await logs.send(new CreateLogGroupCommand({ logGroupName: GROUP }));
      assert.equal(proxy.count('CreateLogGroup'), 1);
    } finally {
      delete process.env['AWS_ENDPOINT_URL_CLOUDWATCH_LOGS'];
    }
  });

  test('creates the agent stream (subnet/AZ) when missing, and the report reads back whole', async () => {
    const logs = client();
    await logs.send(new CreateLogGroupCommand({ logGroupName: GROUP }));
    const report = sampleReport([target(0), target(1)]);
    const result = await shipReport(logs, report, { logGroup: GROUP, runId: 'run-1' });
    assert.equal(result.ok, true, JSON.stringify(result.gap));
    assert.equal(result.stream, 'subnet-0def/us-east-1a');
    assert.equal(result.createdStream, true);
    assert.deepEqual(
      proxy.requests.map((r) => r.action),
      ['CreateLogGroup', 'PutLogEvents', 'CreateLogStream', 'PutLogEvents'],
    );

    const events = await readBack(logs, result.stream);
    assert.deepEqual(
      events.map((e) => e['kind']),
      [EVENT_KIND.target, EVENT_KIND.target, EVENT_KIND.report],
    );
    assert.equal(events[0]!['shortName'], 'svc0');
    assert.equal(events[0]!['rootCause'], 'SG_ENDPOINT_INGRESS_DENIED');
    assert.equal(events[0]!['subnetId'], 'subnet-0def');
    const { kind, runId, ...shipped } = events[2]!;
    assert.equal(runId, 'run-1');
    assert.deepEqual(shipped, JSON.parse(JSON.stringify(report)));
    assert.equal(shippingFinding(result, REGION), undefined);
  });

  test('a second run to the same stream makes one call, no CreateLogStream', async () => {
    const logs = client();
    await logs.send(new CreateLogGroupCommand({ logGroupName: GROUP }));
    await shipReport(logs, sampleReport([target(0)]), { logGroup: GROUP, runId: 'a' });
    proxy.setFaults({});
    const result = await shipReport(logs, sampleReport([target(0)]), { logGroup: GROUP, runId: 'b' });
    assert.equal(result.ok, true);
    assert.deepEqual(
      proxy.requests.map((r) => r.action),
      ['PutLogEvents'],
    );
  });

  test('a report over the event limit because of its evidence is trimmed, marked, and fits one event', async () => {
    const logs = client();
    await logs.send(new CreateLogGroupCommand({ logGroupName: GROUP }));
    const report = sampleReport([target(0, 200_000), target(1, 200_000)]);
    const result = await shipReport(logs, report, { logGroup: GROUP, runId: 'big' });
    assert.equal(result.ok, true, JSON.stringify(result.gap));
    assert.equal(result.trimmed, true);
    assertWithinLimits();
    const events = await readBack(logs, result.stream);
    const shipped = events.find((e) => e['kind'] === EVENT_KIND.report)!;
    assert.match(String((shipped['trimmed'] as { reason: string }).reason), /evidence removed/);
    assert.equal((shipped['targets'] as TargetReport[])[0]!.rootCause?.code, 'SG_ENDPOINT_INGRESS_DENIED');
  });

  test('a report too big even without evidence goes out in parts that concatenate to the report, every call within limits', async () => {
    const logs = client();
    await logs.send(new CreateLogGroupCommand({ logGroupName: GROUP }));
    // 600 targets with 5 KB messages each (multi-byte characters included): about 3 MB of JSON.
    const targets = Array.from({ length: 600 }, (_, i) => {
      const t = target(i);
      t.findings[0]!.message = `ü"\\${'m'.repeat(5_000)}`;
      return t;
    });
    const report = sampleReport(targets);
    const result = await shipReport(logs, report, { logGroup: GROUP, runId: 'huge' });
    assert.equal(result.ok, true, JSON.stringify(result.gap));
    assert.ok(result.parts >= 12, `${result.parts} parts`);
    assert.ok(proxy.count('PutLogEvents') >= 4, `${proxy.count('PutLogEvents')} calls`);
    assertWithinLimits();
    const out = await logs.send(
      new GetLogEventsCommand({
        logGroupName: GROUP,
        logStreamName: result.stream,
        startFromHead: true,
        limit: 10_000,
      }),
    );
    const parts = (out.events ?? [])
      .map((e) => JSON.parse(e.message!) as { kind: string; part: number; parts: number; text: string })
      .filter((e) => e.kind === EVENT_KIND.part)
      .sort((a, b) => a.part - b.part);
    assert.equal(parts.length, result.parts);
    assert.ok(parts.every((p) => p.parts === result.parts));
    assert.deepEqual(JSON.parse(parts.map((p) => p.text).join('')), JSON.parse(JSON.stringify(report)));
  });

  test('throttling is retried: two ThrottlingExceptions, then delivered', async () => {
    const logs = client();
    await logs.send(new CreateLogGroupCommand({ logGroupName: GROUP }));
    proxy.setFaults({ PutLogEvents: { kind: 'throttle', times: 2 } });
    const result = await shipReport(logs, sampleReport([target(0)]), { logGroup: GROUP, runId: 't' });
    assert.equal(result.ok, true, JSON.stringify(result.gap));
    assert.ok(proxy.count('PutLogEvents') >= 3);
  });

  test('throttled past the retries: no throw, a LOGS_SHIPPING_FAILED finding naming the throttling', async () => {
    const logs = client();
    proxy.setFaults({ PutLogEvents: { kind: 'throttle', times: 100 } });
    const result = await shipReport(logs, sampleReport([target(0)]), { logGroup: GROUP, runId: 't' });
    assert.equal(result.ok, false);
    assert.equal(result.gap?.kind, 'throttled');
    const finding = shippingFinding(result, REGION)!;
    assert.equal(finding.code, 'LOGS_SHIPPING_FAILED');
    assert.equal(finding.status, 'warn');
    assert.match(finding.message, /throttled \(ThrottlingException\)/);
  });

  test('refused (AccessDenied): the finding names logs:PutLogEvents and the fix the log group ARN', async () => {
    const logs = client();
    proxy.setFaults({ PutLogEvents: { kind: 'deny' } });
    const result = await shipReport(logs, sampleReport([target(0)]), { logGroup: GROUP, runId: 'd' });
    assert.equal(result.gap?.kind, 'permission');
    const finding = shippingFinding(result, REGION)!;
    assert.match(finding.message, /lacks logs:PutLogEvents/);
    assert.match(finding.fix!, /arn:aws:logs:us-east-1:ACCOUNT:log-group:\/vpce-doctor\/reports:\*/);
  });

  test('a missing log group is said in words, with the create-log-group command', async () => {
    const logs = client();
    const result = await shipReport(logs, sampleReport([target(0)]), { logGroup: GROUP, runId: 'm' });
    assert.equal(result.ok, false);
    const finding = shippingFinding(result, REGION)!;
    assert.match(finding.message, /log group does not exist/);
    assert.match(finding.fix!, /aws logs create-log-group --log-group-name \/vpce-doctor\/reports/);
  });

  test('CloudWatch Logs unreachable (nothing listens): an error result within the deadline, never a throw', async () => {
    const logs = client(`http://127.0.0.1:${await freePort()}`, 2);
    const started = Date.now();
    const result = await shipReport(logs, sampleReport([target(0)]), {
      logGroup: GROUP,
      runId: 'u',
      timeoutMs: 3_000,
    });
    assert.equal(result.ok, false);
    assert.ok(Date.now() - started < 10_000);
    assert.match(shippingFinding(result, REGION)!.fix!, /com\.amazonaws\.us-east-1\.logs/);
  });

  test('a stalled endpoint is cut at the shipping deadline as a timeout', async () => {
    const logs = client();
    proxy.setFaults({ PutLogEvents: { kind: 'stall' } });
    const result = await shipReport(logs, sampleReport([target(0)]), {
      logGroup: GROUP,
      runId: 's',
      timeoutMs: 500,
    });
    assert.equal(result.ok, false);
    assert.equal(result.gap?.kind, 'timeout');
  });
});

describe('batching and event building (pure)', () => {
  test('25,000 small events make three calls of at most 10,000', () => {
    const events = Array.from({ length: 25_000 }, (_, i) => ({ timestamp: 1, message: `e${i}` }));
    assert.deepEqual(
      batchEvents(events).map((b) => b.length),
      [10_000, 10_000, 5_000],
    );
  });

  test('batches close before 1 MiB counting 26 bytes per event', () => {
    const message = 'x'.repeat(100_000 - LOGS_LIMITS.eventOverhead);
    const batches = batchEvents(Array.from({ length: 25 }, () => ({ timestamp: 1, message })));
    assert.deepEqual(
      batches.map((b) => b.length),
      [10, 10, 5],
    );
  });

  test('the stream name never holds the characters CloudWatch Logs refuses', () => {
    assert.equal(streamNameFor({ subnetId: '', availabilityZone: '' }), 'no-subnet/no-az');
    assert.equal(streamNameFor({ subnetId: 'subnet-1', availabilityZone: 'a:b*' }), 'subnet-1/a_b_');
  });

  test('a small report is one report event after one event per target', () => {
    const built = buildReportEvents(sampleReport([target(0), target(1), target(2)]), { runId: 'r' });
    assert.equal(built.events.length, 4);
    assert.equal(built.parts, 0);
    assert.equal(built.trimmed, false);
  });
});
