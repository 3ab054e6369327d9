// The HTTP API's bounds, on a real listening socket on loopback where sockets matter: a cap on
// connections, a shutdown that half-sent requests cannot hold, framework errors in the one-line
// shape, and who may read what with and without a token.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp, isLoopback } from '../../src/app.js';
import { FakeRunner, healthy } from './app-fixtures.js';

const TOKEN = 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00';
/** Generous: far past what each step needs, far before the request deadlines set below (60 s). */
const DEADLINE_MS = 15_000;

async function listen(app: FastifyInstance): Promise<number> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

/** Resolves when `socket` closes; rejects at the generous deadline. */
function closed(socket: Socket, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.destroyed) return resolve();
    const guard = setTimeout(() => reject(new Error(`${what} was never closed`)), DEADLINE_MS);
    socket.on('close', () => {
      clearTimeout(guard);
      resolve();
    });
  });
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.on('error', () => {});
    socket.once('error', reject);
  });
}

async function connections(app: FastifyInstance): Promise<number> {
  return new Promise((resolve, reject) => app.server.getConnections((e, n) => (e ? reject(e) : resolve(n))));
}

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  const stop = Date.now() + DEADLINE_MS;
  while (!(await condition())) {
    if (Date.now() > stop) throw new Error(`never: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** One raw request on its own socket; the whole answer as text. */
async function raw(port: number, request: string): Promise<string> {
  const socket = await open(port);
  let received = '';
  socket.on('data', (chunk) => {
    received += chunk.toString();
  });
  socket.write(request);
  await closed(socket, 'the connection of a malformed request');
  return received;
}

describe('a connection cap', () => {
  const CAP = 8;
  let app: FastifyInstance;
  let port: number;
  const idle: Socket[] = [];

  before(async () => {
    app = buildApp({
      runner: new FakeRunner([healthy()]),
      version: '9.9.9',
      maxConnections: CAP,
      connectionTimeoutMs: 60_000,
      requestTimeoutMs: 60_000,
    });
    port = await listen(app);
  });
  after(async () => {
    for (const socket of idle) socket.destroy();
    await app.close();
  });

  it(`holds ${CAP} idle sockets, closes the next one at once, and serves again once one goes`, async () => {
    for (let i = 0; i < CAP; i++) idle.push(await open(port));
    await until(async () => (await connections(app)) === CAP, `${CAP} connections counted`);

    const extra = await open(port);
    let answered = '';
    extra.on('data', (chunk) => {
      answered += chunk.toString();
    });
    extra.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await closed(extra, 'the connection past the cap');
    assert.equal(answered, '', 'nothing is served past the cap');
    assert.equal(await connections(app), CAP, 'the held sockets are untouched');
    assert.ok(idle.every((s) => !s.destroyed));

    idle.pop()!.destroy();
    await until(async () => (await connections(app)) < CAP, 'a place freed');
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(res.status, 200);
  });
});

describe('shutdown with half-sent requests', () => {
  it('app.close() returns and every socket is closed, long before the request deadline', async () => {
    const runner = new FakeRunner([healthy()]);
    const app = buildApp({ runner, version: '9.9.9', connectionTimeoutMs: 60_000, requestTimeoutMs: 60_000 });
    const port = await listen(app);
    await app.reports.tick();
    const partial = [
      'GET /rep', // a request line cut in the middle
      'GET /report HTTP/1.1\r\nHost: x\r\nX-Slow: ', // headers never finished
      'GET /healthz HTTP/1.1\r\n', // the line, no header yet
      '', // connected, nothing sent
    ];
    const sockets = await Promise.all(partial.map(() => open(port)));
    sockets.forEach((socket, i) => {
      if (partial[i]) socket.write(partial[i]!);
    });
    await until(async () => (await connections(app)) === partial.length, 'the sockets are accepted');

    const done = Promise.all(sockets.map((s, i) => closed(s, `socket ${i} (${JSON.stringify(partial[i])})`)));
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      app.close().then(() => 'closed'),
      new Promise((resolve) => {
        timer = setTimeout(() => resolve('still open'), DEADLINE_MS);
      }),
    ]);
    clearTimeout(timer);
    assert.equal(outcome, 'closed', 'app.close() returned before the deadline');
    await done;
    assert.ok(sockets.every((s) => s.destroyed));
  });
});

describe('framework errors in the one-line shape', () => {
  let app: FastifyInstance;
  let port: number;

  before(async () => {
    app = buildApp({ runner: new FakeRunner([healthy()]), version: '9.9.9' });
    port = await listen(app);
  });
  after(async () => {
    await app.close();
  });

  const oneLine = (status: number, body: string, pattern: RegExp) => {
    assert.equal(body.endsWith('\n') && body.trim().split('\n').length, 1, body);
    const parsed = JSON.parse(body) as Record<string, unknown>;
    assert.deepEqual(Object.keys(parsed), ['error'], body);
    assert.match(String(parsed['error']), pattern, `${status}: ${body}`);
  };

  const cases: Array<[string, number, RegExp]> = [
    ['/%E0%A4%A', 400, /not valid percent-encoding/],
    ['/findings/%E0%A4%A', 400, /not valid percent-encoding/],
    [`/findings/${'A'.repeat(200)}`, 414, /longer than 64 characters/],
    ['/report?service=%E0%A4%A', 400, /parameter 'service'/],
    ['/nowhere', 404, /no route GET \/nowhere/],
  ];
  for (const [url, status, pattern] of cases) {
    it(`${url.slice(0, 40)} → ${status}, one line of JSON`, async () => {
      const res = await fetch(`http://127.0.0.1:${port}${url}`);
      assert.equal(res.status, status);
      assert.match(String(res.headers.get('content-type')), /^application\/json/);
      oneLine(status, await res.text(), pattern);
    });
  }

  it('a request Node cannot parse → 400, one line of JSON, connection closed', async () => {
    const answer = await raw(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n');
    assert.match(answer, /^HTTP\/1\.1 400 Bad Request\r\n/);
    const body = answer.slice(answer.indexOf('\r\n\r\n') + 4);
    oneLine(400, body, /malformed HTTP request/);
  });

  it('headers over 16 KiB → 431, one line of JSON', async () => {
    const answer = await raw(
      port,
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    assert.match(answer, /^HTTP\/1\.1 431 /);
    oneLine(431, answer.slice(answer.indexOf('\r\n\r\n') + 4), /larger than 16 KiB/);
  });
});

describe('closed unless opened', () => {
  const NETWORK = '10.0.1.20';
  const PROTECTED = [
    '/',
    '/report',
    '/report.json',
    '/report.txt',
    '/report.md',
    '/metrics',
    '/findings/SG_OK',
  ];
  const HEALTH = ['/healthz', '/readyz', '/health'];

  async function ready(token?: string) {
    const runner = new FakeRunner([healthy(), healthy()]);
    const app = buildApp({ runner, version: '9.9.9', ...(token ? { token } : {}) });
    await app.reports.tick();
    return { app, runner };
  }

  it('without a token: the health routes answer anyone, the rest loopback clients only (403 naming how to open it)', async () => {
    const { app } = await ready();
    for (const url of HEALTH) {
      assert.equal((await app.inject({ url, remoteAddress: NETWORK })).statusCode, 200, url);
    }
    for (const url of PROTECTED) {
      const refused = await app.inject({ url, remoteAddress: NETWORK });
      assert.equal(refused.statusCode, 403, url);
      assert.match(refused.json().error, /loopback clients only .* set VPCE_DOCTOR_TOKEN/);
      for (const local of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
        assert.equal(
          (await app.inject({ url, remoteAddress: local })).statusCode,
          200,
          `${url} from ${local}`,
        );
      }
    }
  });

  it('without a token, ?fresh=1 from the network runs nothing: it spends the account’s EC2 request budget', async () => {
    const { app, runner } = await ready();
    const runs = runner.calls.length;
    const res = await app.inject({ url: '/report.json?fresh=1', remoteAddress: NETWORK });
    assert.equal(res.statusCode, 403);
    assert.equal(runner.calls.length, runs);
    const local = await app.inject({ url: '/report.json?fresh=1', remoteAddress: '127.0.0.1' });
    assert.equal(local.headers['x-vpce-doctor-fresh'], 'ran');
    assert.equal(runner.calls.length, runs + 1);
  });

  it('with a token: every protected route needs it from anywhere, loopback included; health routes never', async () => {
    const { app, runner } = await ready(TOKEN);
    for (const from of [NETWORK, '127.0.0.1']) {
      for (const url of PROTECTED) {
        assert.equal((await app.inject({ url, remoteAddress: from })).statusCode, 401, `${url} from ${from}`);
        const ok = await app.inject({
          url,
          remoteAddress: from,
          headers: { authorization: `Bearer ${TOKEN}` },
        });
        assert.equal(ok.statusCode, 200, `${url} from ${from} with the token`);
      }
      for (const url of HEALTH)
        assert.equal((await app.inject({ url, remoteAddress: from })).statusCode, 200);
    }
    const runs = runner.calls.length;
    const fresh = await app.inject({ url: '/report.json?fresh=1', remoteAddress: '127.0.0.1' });
    assert.equal(fresh.statusCode, 401);
    assert.equal(runner.calls.length, runs, 'fresh without the token runs nothing');
  });

  it('reads loopback from the socket address only', () => {
    const table: Array<[string | undefined, boolean]> = [
      ['127.0.0.1', true],
      ['127.8.9.10', true],
      ['::1', true],
      ['::ffff:127.0.0.1', true],
      ['10.0.1.20', false],
      ['::ffff:10.0.1.20', false],
      ['fd00:ec2::253', false],
      ['1270.0.0.1', false],
      [undefined, false],
    ];
    for (const [address, loopback] of table) assert.equal(isLoopback(address), loopback, String(address));
  });
});
