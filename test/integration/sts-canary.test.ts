// The signed canary with the real STS client: against moto's STS (GetCallerIdentity answers),
// and against a loopback STS that refuses as AWS does — the query protocol's XML error with the
// IAM access-denied text — so the SDK's own error parsing feeds the classifier and the check.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { checkHttp } from '../../checks/http.js';
import { callCallerIdentity } from '../../src/aws/sts-canary.js';
import type { Target } from '../../src/model.js';
import { type LoopbackServer, listenOnLoopback } from '../support/loopback-server.js';
import { type Moto, motoEnv, startMoto } from '../support/moto.js';

const REGION = 'us-east-1';
const STS: Target = {
  service: 'com.amazonaws.us-east-1.sts',
  shortName: 'sts',
  hostname: 'sts.us-east-1.amazonaws.com',
  endpointId: 'vpce-0sts',
  endpointType: 'Interface',
  ports: [443],
  tls: true,
  required: true,
  origin: ['discovered'],
  profiles: [],
};
const ROLE = 'arn:aws:sts::111122223333:assumed-role/vpce-doctor/agent';

/** An STS that refuses GetCallerIdentity with `message`, as AWS's query protocol does. */
function refusing(message: string, code = 'AccessDenied'): Parameters<typeof listenOnLoopback>[0] {
  return (req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(403, {
        'content-type': 'text/xml',
        'x-amzn-requestid': 'c0ffee00-0000-4000-8000-000000000000',
      });
      res.end(
        `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n  <Error>\n    <Type>Sender</Type>\n    <Code>${code}</Code>\n    <Message>${message}</Message>\n  </Error>\n  <RequestId>c0ffee00-0000-4000-8000-000000000000</RequestId>\n</ErrorResponse>\n`,
      );
    });
  };
}

const checked = (signed: Awaited<ReturnType<typeof callCallerIdentity>>) =>
  checkHttp({ target: STS, observations: { dns: [], tcp: [], tls: [], signed } } as unknown as Parameters<
    typeof checkHttp
  >[0]);

describe('the signed canary (sts:GetCallerIdentity)', () => {
  let moto: Moto;
  const saved = { ...process.env };
  const servers: LoopbackServer[] = [];

  before(async () => {
    moto = await startMoto();
    Object.assign(process.env, motoEnv(moto.url, REGION));
  });
  after(async () => {
    for (const server of servers) await server.stop();
    await moto?.stop();
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  });

  const withEndpoint = async <T>(url: string, fn: () => Promise<T>): Promise<T> => {
    const before = process.env.AWS_ENDPOINT_URL;
    process.env.AWS_ENDPOINT_URL = url;
    try {
      return await fn();
    } finally {
      process.env.AWS_ENDPOINT_URL = before;
    }
  };

  test("moto's STS answers: STS_SIGNED_CALL_OK with the caller's ARN", async () => {
    const o = await callCallerIdentity(REGION, { timeoutMs: 5000 });
    assert.equal(o.outcome, 'ok', o.message);
    assert.match(o.arn ?? '', /^arn:aws:(iam|sts)::\d{12}:/);
    const [finding] = checked(o);
    assert.equal(finding?.code, 'STS_SIGNED_CALL_OK');
    assert.equal(finding?.status, 'pass');
  });

  test('a refusal that names the VPC endpoint policy fails, naming the layer and the principal', async () => {
    const server = await listenOnLoopback(
      refusing(
        `User: ${ROLE} is not authorized to perform: sts:GetCallerIdentity with an explicit deny in a VPC endpoint policy`,
      ),
    );
    servers.push(server);
    const o = await withEndpoint(server.url, () => callCallerIdentity(REGION, { timeoutMs: 5000 }));
    assert.equal(o.outcome, 'denied');
    assert.equal(o.errorCode, 'AccessDenied');
    assert.equal(o.httpStatus, 403);
    assert.deepEqual(o.denied, {
      layer: 'vpc-endpoint-policy',
      deny: 'explicit',
      principal: ROLE,
      action: 'sts:GetCallerIdentity',
    });
    const [finding] = checked(o);
    assert.equal(finding?.code, 'STS_SIGNED_CALL_DENIED');
    assert.equal(finding?.status, 'fail');
    assert.match(finding!.message, /the VPC endpoint policy \(explicit deny\)/);
    assert.match(finding!.fix ?? '', /vpce-0sts/);
  });

  test("a refusal naming a service control policy is a warning about the agent's own role", async () => {
    const server = await listenOnLoopback(
      refusing(
        `User: ${ROLE} is not authorized to perform: sts:GetCallerIdentity with an explicit deny in a service control policy`,
      ),
    );
    servers.push(server);
    const o = await withEndpoint(server.url, () => callCallerIdentity(REGION, { timeoutMs: 5000 }));
    assert.equal(o.denied?.layer, 'service-control-policy');
    const [finding] = checked(o);
    assert.equal(finding?.status, 'warn');
    assert.match(finding!.message, /a service control policy/);
  });

  test('no answer within the deadline is unknown, never a cause', async () => {
    const server = await listenOnLoopback(() => {});
    servers.push(server);
    const started = Date.now();
    const o = await withEndpoint(server.url, () => callCallerIdentity(REGION, { timeoutMs: 400 }));
    assert.ok(Date.now() - started < 3000);
    assert.equal(o.outcome, 'error');
    const [finding] = checked(o);
    assert.equal(finding?.code, 'STS_SIGNED_CALL_FAILED');
    assert.equal(finding?.status, 'unknown');
  });
});
