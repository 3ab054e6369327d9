// The L7 canary over real sockets: loopback TLS servers with certificates made here by openssl
// (a CA and a leaf for the service name), answering as AWS does (query XML, S3 XML, JSON RPC),
// as a proxy does (an HTML page), or not at all (a reset after the handshake, silence, 10 MB).
// Each answer goes through probeHttps, then the pure classifier, then checkHttp and the verdict.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { RequestListener } from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { checkHttp } from '../../checks/http.js';
import { canaryRequest, classifyCanary, escapeBytes } from '../../src/eval/l7-canary.js';
import type { Finding, HttpObservation, Target, TargetObservations } from '../../src/model.js';
import { CANARY_MAX_BYTES, probeHttps } from '../../src/net/https-canary.js';
import { createTlsSessionCache, probeTls, tlsSessionKey } from '../../src/net/tls.js';
import { decideTarget } from '../../src/verdict.js';
import { makeCa, makeLeaf } from '../support/certificates.js';

const NAME = 'sts.us-east-1.amazonaws.com';
function makeCertificates(dir: string): { ca: string; key: string; cert: string } {
  const ca = makeCa(dir);
  return { ca, ...makeLeaf(dir, 'leaf', [NAME, '*.us-east-1.amazonaws.com']) };
}

// Bodies as AWS sends them for an unsigned request (shapes from @aws-sdk/core's protocol parsers).
const STS_XML =
  '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n  <Error>\n    <Type>Sender</Type>\n    <Code>MissingAuthenticationToken</Code>\n    <Message>Request is missing Authentication Token</Message>\n  </Error>\n  <RequestId>4d1a6c51-7f0e-4a4b-9a4e-0c2d5e8f1a11</RequestId>\n</ErrorResponse>\n';
const JSON_RPC =
  '{"__type":"com.amazon.coral.service#MissingAuthenticationTokenException","message":"Missing Authentication Token"}';
const LOGIN_PAGE =
  '<!DOCTYPE html>\n<html><head><title>Corporate Web Gateway</title></head><body>Please sign in to continue</body></html>';

type Behaviour = 'xml' | 'json' | 'html' | 'huge';

describe('the L7 canary over loopback TLS', () => {
  let dir: string;
  let pem: ReturnType<typeof makeCertificates>;
  const servers: net.Server[] = [];
  const sockets = new Set<net.Socket>();
  const ports: Record<Behaviour | 'reset' | 'silent', number> = {
    xml: 0,
    json: 0,
    html: 0,
    huge: 0,
    reset: 0,
    silent: 0,
  };
  let hugeBytesWritten = 0;
  /** Per request, whether the server resumed the TLS session (the canary's own view has no such field). */
  const resumedOnServer: boolean[] = [];

  const track = (server: net.Server) => {
    server.on('connection', (socket: net.Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    servers.push(server);
    return server;
  };
  const listen = async (server: net.Server): Promise<number> => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    return (server.address() as net.AddressInfo).port;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vpce-canary-'));
    pem = makeCertificates(dir);
    const answer = (behaviour: Behaviour): RequestListener => {
      return (req, res) => {
        req.resume();
        resumedOnServer.push((req.socket as tls.TLSSocket).isSessionReused());
        if (behaviour === 'xml') {
          res.writeHead(403, {
            'content-type': 'text/xml',
            'x-amzn-requestid': '4d1a6c51-7f0e-4a4b-9a4e-0c2d5e8f1a11',
          });
          res.end(STS_XML);
        } else if (behaviour === 'json') {
          res.writeHead(400, {
            'content-type': 'application/x-amz-json-1.1',
            'x-amzn-requestid': 'b7c1f0a2-0000-4000-8000-000000000001',
          });
          res.end(JSON_RPC);
        } else if (behaviour === 'html') {
          res.writeHead(200, { 'content-type': 'text/html', server: 'CorpGateway/9.1' });
          res.end(LOGIN_PAGE);
        } else {
          // 10 MB of a proxy's page, written as fast as the client reads it.
          res.writeHead(200, { 'content-type': 'text/html', server: 'Flood' });
          const chunk = Buffer.alloc(64 * 1024, 0x41);
          let left = 160;
          const write = () => {
            while (left > 0) {
              left -= 1;
              hugeBytesWritten += chunk.length;
              if (!res.write(chunk)) {
                res.once('drain', write);
                return;
              }
            }
            res.end();
          };
          res.on('close', () => {
            left = 0;
          });
          write();
        }
      };
    };
    for (const behaviour of ['xml', 'json', 'html', 'huge'] as const) {
      ports[behaviour] = await listen(
        track(https.createServer({ key: pem.key, cert: pem.cert }, answer(behaviour))),
      );
    }
    // The handshake completes, then the connection is reset before any HTTP answer.
    ports.reset = await listen(
      track(
        net.createServer((raw) => {
          const secure = new tls.TLSSocket(raw, { isServer: true, key: pem.key, cert: pem.cert });
          secure.on('error', () => {});
          secure.once('data', () => raw.resetAndDestroy());
        }),
      ),
    );
    // The handshake completes, then nothing: the request is swallowed.
    ports.silent = await listen(
      track(
        tls.createServer({ key: pem.key, cert: pem.cert }, (socket) => {
          socket.on('data', () => {});
          socket.on('error', () => {});
        }),
      ),
    );
  });

  after(async () => {
    for (const socket of sockets) socket.destroy();
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    rmSync(dir, { recursive: true, force: true });
  });

  const probe = (behaviour: keyof typeof ports, timeoutMs = 2000) => {
    const { protocol: _p, ...request } = canaryRequest('sts');
    return probeHttps('127.0.0.1', ports[behaviour], NAME, request, { timeoutMs, ca: pem.ca });
  };

  it('recognises an AWS query error (XML) as AWS answering: L7_AWS_OK', async () => {
    const o = await probe('xml');
    assert.equal(o.outcome, 'response');
    assert.equal(o.status, 403);
    assert.deepEqual(classifyCanary(o, 'query'), {
      verdict: 'aws',
      shape: 'xml-error-response',
      code: 'MissingAuthenticationToken',
      requestId: '4d1a6c51-7f0e-4a4b-9a4e-0c2d5e8f1a11',
    });
    const [finding] = checkHttp(input([o]));
    assert.equal(finding?.code, 'L7_AWS_OK');
    assert.equal(finding?.status, 'pass');
  });

  it("resumes the TLS probe's session for the same ENI and name, and still gets the answer", async () => {
    const sessions = createTlsSessionCache({ ttlMs: 60_000 });
    const key = tlsSessionKey('127.0.0.1', ports.xml, NAME);
    const full = await probeTls('127.0.0.1', ports.xml, NAME, { timeoutMs: 2000, ca: pem.ca, sessions });
    assert.equal(full.outcome, 'ok');
    for (let i = 0; i < 100 && !sessions.get(key); i += 1) await new Promise((r) => setTimeout(r, 10));
    const session = sessions.get(key)?.session;
    assert.ok(session, 'the TLS probe kept a session');
    const { protocol: _p, ...request } = canaryRequest('sts');
    const o = await probeHttps('127.0.0.1', ports.xml, NAME, request, {
      timeoutMs: 2000,
      ca: pem.ca,
      session,
    });
    assert.equal(o.outcome, 'response');
    assert.equal(o.status, 403);
    assert.equal(resumedOnServer.at(-1), true, 'the server resumed the session');
  });

  it('recognises a JSON RPC error (__type) as AWS answering', async () => {
    const o = await probe('json');
    assert.deepEqual(classifyCanary(o, 'json1.1'), {
      verdict: 'aws',
      shape: 'json-type',
      code: 'MissingAuthenticationTokenException',
      requestId: 'b7c1f0a2-0000-4000-8000-000000000001',
    });
  });

  it('sends SNI and Host = the service name and verifies the certificate against the given CA', async () => {
    // A CA the server's certificate does not chain to: the request fails, it is not answered.
    const { protocol: _p, ...request } = canaryRequest('sts');
    const o = await probeHttps('127.0.0.1', ports.xml, NAME, request, { timeoutMs: 2000 });
    assert.equal(o.outcome, 'error');
    assert.match(o.errorCode ?? '', /UNABLE_TO_VERIFY|SELF_SIGNED|UNABLE_TO_GET_ISSUER/);
  });

  it('names an HTML page from a gateway L7_NOT_AWS, with status, server and first bytes', async () => {
    const o = await probe('html');
    assert.equal(classifyCanary(o).verdict, 'not-aws');
    const [finding] = checkHttp(input([o]));
    assert.equal(finding?.code, 'L7_NOT_AWS');
    assert.equal(finding?.status, 'fail');
    assert.match(finding!.message, /HTTP 200 from server "CorpGateway\/9\.1"/);
    assert.match(finding!.message, /<!DOCTYPE html>\\n<html>/);
    const [evidence] = (finding!.evidence as { requests: Array<Record<string, unknown>> }).requests;
    assert.equal(evidence?.['server'], 'CorpGateway/9.1');
    assert.equal(evidence?.['status'], 200);
    assert.match(finding!.fix ?? '', /NO_PROXY/);
  });

  it('names a reset after the handshake L7_NO_RESPONSE', async () => {
    const o = await probe('reset');
    assert.equal(o.outcome, 'reset');
    assert.equal(o.status, undefined);
    const [finding] = checkHttp(input([o]));
    assert.equal(finding?.code, 'L7_NO_RESPONSE');
    assert.equal(finding?.status, 'fail');
  });

  it('gives up on a server that never answers at its own deadline', async () => {
    const started = Date.now();
    const o = await probe('silent', 300);
    const elapsed = Date.now() - started;
    assert.equal(o.outcome, 'timeout');
    assert.match(o.detail ?? '', /no HTTP response within 300 ms/);
    assert.ok(elapsed < 1500, `took ${elapsed} ms`);
    assert.equal(checkHttp(input([o]))[0]?.code, 'L7_NO_RESPONSE');
  });

  it('reads at most 16 KiB of a 10 MB answer and stops the transfer', async () => {
    const o = await probe('huge', 5000);
    assert.equal(o.outcome, 'response');
    assert.ok(o.truncated);
    assert.ok(o.body.length <= CANARY_MAX_BYTES, `kept ${o.body.length} bytes`);
    assert.ok(o.bodyBytes < 256 * 1024, `read ${o.bodyBytes} bytes`);
    // The server stopped well short of 10 MB: the connection was closed, not drained.
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(hugeBytesWritten < 10 * 1024 * 1024, `server wrote ${hugeBytesWritten} bytes`);
    assert.equal(checkHttp(input([o]))[0]?.code, 'L7_NOT_AWS');
  });
});

const TARGET: Target = {
  service: 'com.amazonaws.us-east-1.sts',
  shortName: 'sts',
  hostname: NAME,
  endpointId: 'vpce-0sts',
  endpointType: 'Interface',
  ports: [443],
  tls: true,
  required: true,
  origin: ['profile'],
  profiles: ['ecs-fargate'],
};

function input(http: HttpObservation[]) {
  return { target: TARGET, observations: observations(http) } as Parameters<typeof checkHttp>[0];
}

function observations(http?: HttpObservation[]): TargetObservations {
  return {
    dns: [],
    tcp: [{ address: '10.0.1.10', port: 443, outcome: 'connected', durationMs: 1 }],
    tls: [
      {
        address: '10.0.1.10',
        port: 443,
        servername: NAME,
        outcome: 'ok',
        certNames: [NAME],
        durationMs: 2,
      },
    ],
    ...(http ? { http } : {}),
  };
}

function response(status: number, headers: Record<string, string>, body: string): HttpObservation {
  return {
    address: '10.0.1.10',
    port: 443,
    hostname: NAME,
    method: 'GET',
    path: '/',
    outcome: 'response',
    status,
    headers,
    body,
    bodyBytes: body.length,
    truncated: false,
    durationMs: 3,
  };
}

describe('classifyCanary over the shapes AWS returns for unsigned requests', () => {
  const cases: Array<[string, HttpObservation, string, string | undefined]> = [
    [
      'EC2 query: <Response><Errors><Error>',
      response(
        401,
        {},
        '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>AuthFailure</Code><Message>AWS was not able to validate the provided access credentials</Message></Error></Errors><RequestID>0c4e7f7e-1111-2222-3333-444455556666</RequestID></Response>',
      ),
      'aws',
      'AuthFailure',
    ],
    [
      'S3 REST-XML: <Error><Code>AccessDenied',
      response(
        403,
        { 'x-amz-request-id': 'B2C3D4E5F6A7B8C9', 'x-amz-id-2': 'aGVsbG8=' },
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>B2C3D4E5F6A7B8C9</RequestId><HostId>aGVsbG8=</HostId></Error>',
      ),
      'aws',
      'AccessDenied',
    ],
    [
      'query InvalidAction',
      response(
        400,
        {},
        '<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>Could not find operation</Message></Error><RequestId>x</RequestId></ErrorResponse>',
      ),
      'aws',
      'InvalidAction',
    ],
    [
      'JSON message with x-amzn-ErrorType (API Gateway, Lambda)',
      response(
        403,
        { 'x-amzn-errortype': 'MissingAuthenticationTokenException', 'x-amzn-requestid': 'r-1' },
        '{"message":"Missing Authentication Token"}',
      ),
      'aws',
      'MissingAuthenticationTokenException',
    ],
    [
      'JSON message alone: the front end text',
      response(403, {}, '{"message": "Missing Authentication Token"}'),
      'aws',
      undefined,
    ],
    [
      'JSON code field (SignatureDoesNotMatch)',
      response(
        403,
        {},
        '{"code":"SignatureDoesNotMatch","message":"The request signature we calculated does not match"}',
      ),
      'aws',
      'SignatureDoesNotMatch',
    ],
    [
      'an empty 403 with an AWS request id',
      response(403, { 'x-amzn-requestid': 'r-2' }, ''),
      'aws',
      undefined,
    ],
    ['an empty 200 from an appliance', response(200, {}, ''), 'not-aws', undefined],
    [
      "a proxy's JSON 403",
      response(403, { server: 'squid/5.7' }, '{"error":"blocked by policy"}'),
      'not-aws',
      undefined,
    ],
    [
      'an HTML page even with a request-id-like header',
      response(403, { 'x-amz-request-id': 'fake' }, '<html><body>Access denied by proxy</body></html>'),
      'not-aws',
      undefined,
    ],
    [
      'XML that is not an AWS error',
      response(200, {}, '<?xml version="1.0"?><html><body/></html>'),
      'not-aws',
      undefined,
    ],
  ];
  for (const [name, o, verdict, code] of cases) {
    it(name, () => {
      const c = classifyCanary(o, 'unknown');
      assert.equal(c.verdict, verdict);
      assert.equal(c.code, code);
    });
  }

  it('reads the Docker registry error only for ecr.dkr', () => {
    const o = response(401, {}, '{"errors":[{"code":"DENIED","message":"Not Authorized"}]}');
    assert.deepEqual(classifyCanary(o, 'docker-registry'), {
      verdict: 'aws',
      shape: 'docker-registry-errors',
      code: 'DENIED',
    });
    assert.equal(classifyCanary(o, 'json1.1').verdict, 'not-aws');
  });

  it('treats a canary cut off by the caller as skipped, not as a failure', () => {
    const o: HttpObservation = {
      ...response(0, {}, ''),
      outcome: 'timeout',
      detail: 'aborted by the caller',
    };
    delete o.status;
    assert.equal(classifyCanary(o).verdict, 'skipped');
    assert.equal(checkHttp(input([o]))[0]?.code, 'L7_SKIPPED');
  });

  it('escapes what is not printable ASCII in the evidence', () => {
    assert.equal(escapeBytes('a\u0000b\n\u00ff"'), 'a\\x00b\\n\\xff"');
    assert.equal(escapeBytes('x'.repeat(200), 4), 'xxxx…');
  });
});

describe('the request per protocol', () => {
  it('posts an empty JSON RPC request with the service content type', () => {
    assert.deepEqual(canaryRequest('secretsmanager'), {
      protocol: 'json1.1',
      method: 'POST',
      path: '/',
      headers: { 'content-type': 'application/x-amz-json-1.1' },
      body: '',
    });
    assert.equal(canaryRequest('dynamodb').headers['content-type'], 'application/x-amz-json-1.0');
  });
  it('asks STS for GetCallerIdentity, EC2 for DescribeRegions, ecr.dkr for /v2/, others for /', () => {
    assert.equal(canaryRequest('sts').path, '/?Action=GetCallerIdentity&Version=2011-06-15');
    assert.equal(canaryRequest('ec2').path, '/?Action=DescribeRegions&Version=2016-11-15');
    assert.equal(canaryRequest('ecr.dkr').path, '/v2/');
    assert.deepEqual(canaryRequest('s3'), { protocol: 'rest-xml', method: 'GET', path: '/', headers: {} });
    assert.equal(canaryRequest('ssmmessages').protocol, 'unknown');
  });
});

describe('the verdict over the canary', () => {
  const notAws = checkHttp(input([response(200, { server: 'CorpGateway' }, '<html>sign in</html>')]));

  it('makes L7_NOT_AWS the root cause of a target whose DNS, TCP and TLS passed', () => {
    const report = decideTarget(TARGET, observations(), notAws);
    assert.equal(report.status, 'fail');
    assert.equal(report.rootCause?.code, 'L7_NOT_AWS');
  });

  it('keeps L7_NOT_AWS the root cause beside a configuration warning no table row joins to it', () => {
    const warning: Finding = {
      check: 'nacl',
      code: 'NACL_EPHEMERAL_PARTIAL',
      status: 'warn',
      message: 'part of the return ports',
      evidence: {},
    };
    const report = decideTarget(TARGET, observations(), [...notAws, warning]);
    assert.equal(report.rootCause?.code, 'L7_NOT_AWS');
  });

  it('lets an AWS answer leave the target passing', () => {
    const ok = checkHttp(input([response(403, { 'x-amzn-requestid': 'r' }, STS_XML)]));
    assert.equal(ok[0]?.code, 'L7_AWS_OK');
    assert.equal(decideTarget(TARGET, observations(), ok).status, 'pass');
  });
});
