// AWS error text names the role, the account and carries an encoded authorization message; the
// report (served over HTTP) keeps the action and the error code only. Real SDK clients read
// recorded error responses from a loopback server, as they would read AWS's.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeVpcEndpointsCommand } from '@aws-sdk/client-ec2';
import { checkHttp } from '../../checks/http.js';
import { createEc2Client } from '../../src/aws/ec2-client.js';
import { classifyAwsError, dependentGap, REDACTED, redactAwsText } from '../../src/aws/errors.js';
import { findingForGap } from '../../src/aws/gap-findings.js';
import { classifyAccessDenied } from '../../src/eval/access-denied.js';
import type { SignedCallObservation } from '../../src/model.js';
import { type LoopbackServer, listenOnLoopback } from '../support/loopback-server.js';

const ACCOUNT = '123456789012';
const ROLE_ARN = `arn:aws:sts::${ACCOUNT}:assumed-role/orders-task-role/8f2c1e4b9a7d4b1f9e3a`;
// The shape of a real one: base64url-ish, kilobytes long, decodable with sts:DecodeAuthorizationMessage.
const ENCODED =
  'vTq2xVn0Jmz7S4rW-Lk8hFYq1uPcaZ3dGxE9bKoN6iMtyH5jR_fQeAwC2lDsU0gO7pXvB4nI1mK8zT3rY6hJ9cWqLfE5aVdS2uGxN0bPoMi7tRkH4jZ1yQeC8wFsD3lA6gU9nBvX5mI2oKpT0rYzE7hJ4cWqL1fN8aVdS6uGxB3bPoMi9tRkH2jZ5yQeC0wFsD7lA4gU1nBvX8mI6oKpT3rYzE0hJ';
const EC2_DENIED = `You are not authorized to perform this operation. User: ${ROLE_ARN} is not authorized to perform: ec2:DescribeVpcEndpoints because no identity-based policy allows the ec2:DescribeVpcEndpoints action. Encoded authorization failure message: ${ENCODED}`;
const LOGS_DENIED = `User: ${ROLE_ARN} is not authorized to perform: logs:FilterLogEvents on resource: arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/vpc/flow-logs:log-stream: with an explicit deny in a service control policy`;

/** Nothing in `text` that names the account or the caller. */
function assertNoAccountData(text: string): void {
  assert.doesNotMatch(text, /\d{12}/, 'an account id');
  assert.doesNotMatch(text, /arn:aws/, 'an ARN');
  assert.doesNotMatch(text, /orders-task-role|8f2c1e4b/, 'the role or its session');
  assert.ok(!text.includes(ENCODED.slice(0, 24)), 'the encoded authorization message');
}

describe('redactAwsText', () => {
  const cases: Array<{ name: string; input: string; keeps: string[] }> = [
    {
      name: 'EC2 UnauthorizedOperation with the role ARN and an encoded message',
      input: EC2_DENIED,
      keeps: [
        'is not authorized to perform: ec2:DescribeVpcEndpoints',
        'no identity-based policy allows',
        `Encoded authorization failure message: ${REDACTED}`,
      ],
    },
    {
      name: 'CloudWatch Logs AccessDenied naming the log group ARN and an SCP',
      input: LOGS_DENIED,
      keeps: ['logs:FilterLogEvents on resource: <redacted>', 'explicit deny in a service control policy'],
    },
    {
      name: 'a GovCloud ARN, a role unique id with its session, an access key id and a bare account id',
      input: `User: arn:aws-us-gov:iam::${ACCOUNT}:user/ci (AROA3XFRBF535PLBIFPI4:session-1, key ASIAIOSFODNN7EXAMPLE) in account ${ACCOUNT} is not authorized`,
      keeps: ['User: <redacted> (<redacted>, key <redacted>) in account <redacted> is not authorized'],
    },
  ];
  for (const c of cases) {
    it(`cuts the account data out of ${c.name}, keeping what says which layer denied`, () => {
      const out = redactAwsText(c.input);
      assertNoAccountData(out);
      for (const kept of c.keeps) assert.ok(out.includes(kept), `keeps '${kept}' in: ${out}`);
      assert.equal(redactAwsText(out), out, 'idempotent');
    });
  }

  it('leaves resource ids, error codes and addresses alone: the report names them anyway', () => {
    const text = 'The vpc ID vpc-0a1b2c3d4e5f67890 does not exist (InvalidVpcID.NotFound) at 10.0.1.10:443';
    assert.equal(redactAwsText(text), text);
  });

  it('removes control characters and bounds the length', () => {
    const out = redactAwsText(`bad\u001b[31m red\u0007 ${'x'.repeat(2000)}`);
    assert.ok(![...out].some((c) => c.charCodeAt(0) < 0x20), JSON.stringify(out));
    assert.ok(out.length <= 500, `${out.length} characters`);
  });
});

describe('a denied call read by the real SDK becomes a Gap and a finding without account data', () => {
  let server: LoopbackServer;

  before(async () => {
    server = await listenOnLoopback((req, res) => {
      if (String(req.headers['x-amz-target'] ?? '').endsWith('FilterLogEvents')) {
        // CloudWatch Logs: JSON 1.1 protocol, the error type in the body and the header.
        res.writeHead(400, {
          'content-type': 'application/x-amz-json-1.1',
          'x-amzn-errortype': 'AccessDeniedException',
          'x-amzn-requestid': 'b5c7e9d1-0000-4000-8000-000000000001',
        });
        res.end(JSON.stringify({ __type: 'AccessDeniedException', message: LOGS_DENIED }));
        return;
      }
      // EC2: the query protocol's XML error document, as EC2 sends it with HTTP 403.
      res.writeHead(403, { 'content-type': 'text/xml;charset=UTF-8' });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>${EC2_DENIED}</Message></Error></Errors><RequestID>5f4e3d2c-0000-4000-8000-000000000002</RequestID></Response>`,
      );
    });
  });
  after(async () => {
    await server?.stop();
  });

  const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

  it('EC2 UnauthorizedOperation: the action and the code stay, the ARN and the encoded message go', async () => {
    const ec2 = createEc2Client({ region: 'us-east-1', endpoint: server.url, maxAttempts: 1 });
    ec2.config.credentials = async () => credentials;
    const error = await ec2.send(new DescribeVpcEndpointsCommand({})).then(
      () => assert.fail('the call succeeded'),
      (err: unknown) => err,
    );
    assert.match(
      String((error as Error).message),
      /arn:aws:sts::123456789012/,
      'the SDK error holds the ARN',
    );
    const gap = classifyAwsError(error, 'DescribeVpcEndpoints');
    assert.equal(gap.kind, 'permission');
    assert.equal(gap.errorCode, 'UnauthorizedOperation');
    assert.equal(gap.action, 'ec2:DescribeVpcEndpoints');
    const finding = findingForGap(gap, ['endpoints'], ['endpoint'], 'vpc-0a1b in us-east-1');
    const served = JSON.stringify({
      finding,
      gap,
      dependent: dependentGap(gap, 'DescribeVpcEndpointServices'),
    });
    assertNoAccountData(served);
    assert.match(finding.message, /ec2:DescribeVpcEndpoints/);
    assert.match(finding.message, /UnauthorizedOperation/);
    assert.match(String(finding.evidence['detail']), /no identity-based policy allows/);
    ec2.destroy();
  });

  it('CloudWatch Logs AccessDeniedException: likewise', async () => {
    const logs = new CloudWatchLogsClient({
      region: 'us-east-1',
      endpoint: server.url,
      maxAttempts: 1,
      credentials,
    });
    const error = await logs.send(new FilterLogEventsCommand({ logGroupName: '/vpc/flow-logs' })).then(
      () => assert.fail('the call succeeded'),
      (err: unknown) => err,
    );
    const gap = { ...classifyAwsError(error, 'FilterLogEvents'), action: 'logs:FilterLogEvents' };
    assert.equal(gap.kind, 'permission');
    assert.equal(gap.errorCode, 'AccessDeniedException');
    assertNoAccountData(JSON.stringify(gap));
    assert.match(gap.message, /service control policy/);
    logs.destroy();
  });
});

describe("the signed canary's findings carry no account data", () => {
  const STS_TARGET = {
    service: 'com.amazonaws.us-east-1.sts',
    shortName: 'sts',
    hostname: 'sts.us-east-1.amazonaws.com',
    endpointId: 'vpce-0sts',
  };
  const check = (signed: SignedCallObservation) =>
    checkHttp({
      target: STS_TARGET,
      observations: { dns: [], tcp: [], tls: [], signed },
    } as unknown as Parameters<typeof checkHttp>[0]);
  const base = { call: 'sts:GetCallerIdentity' as const, region: 'us-east-1', durationMs: 12 };

  it('a success does not print the caller ARN or the account', () => {
    const findings = check({ ...base, outcome: 'ok', arn: ROLE_ARN, account: ACCOUNT });
    assert.equal(findings[0]?.code, 'STS_SIGNED_CALL_OK');
    assertNoAccountData(JSON.stringify(findings));
  });

  for (const layer of ['a VPC endpoint policy', 'a service control policy']) {
    it(`a refusal naming ${layer} keeps the layer and drops the principal and the encoded message`, () => {
      const message = `User: ${ROLE_ARN} is not authorized to perform: sts:GetCallerIdentity with an explicit deny in ${layer}. Encoded authorization failure message: ${ENCODED}`;
      const findings = check({
        ...base,
        outcome: 'denied',
        errorCode: 'AccessDenied',
        httpStatus: 403,
        message,
        denied: classifyAccessDenied(message),
      });
      assert.equal(findings[0]?.code, 'STS_SIGNED_CALL_DENIED');
      assertNoAccountData(JSON.stringify(findings));
      assert.match(JSON.stringify(findings), new RegExp(layer.replace('a ', '').split(' ')[0]!, 'i'));
    });
  }

  it('a failure keeps the error code, not the account data in its text', () => {
    const findings = check({
      ...base,
      outcome: 'error',
      errorCode: 'InvalidClientTokenId',
      message: `key ASIAIOSFODNN7EXAMPLE of ${ACCOUNT} is invalid`,
    });
    assert.equal(findings[0]?.code, 'STS_SIGNED_CALL_FAILED');
    assertNoAccountData(JSON.stringify(findings));
    assert.match(findings[0]!.message, /InvalidClientTokenId/);
  });
});
