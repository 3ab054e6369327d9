// The one-connection probe (issue 17) over real loopback sockets: TCP, then TLS, then the
// canary's request, on a single connection per ENI. Each server counts the connections it
// accepts and records what each request carried, so a second connection, a request sent over a
// connection that failed verification, or a lost SNI or Host shows.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type tls from 'node:tls';
import { canaryRequest } from '../../src/eval/l7-canary.js';
import { probeTcp } from '../../src/net/tcp.js';
import { createTlsSessionCache, probeTls } from '../../src/net/tls.js';
import type { Probes } from '../../src/probe-plan.js';
import { createProbes } from '../../src/probes.js';
import { makeCa, makeLeaf } from '../support/certificates.js';

const NAME = 'sts.us-east-1.amazonaws.com';
const STS_XML =
  '<ErrorResponse><Error><Type>Sender</Type><Code>MissingAuthenticationToken</Code><Message>Request is missing Authentication Token</Message></Error><RequestId>r-1</RequestId></ErrorResponse>';

interface Seen {
  connections: number;
  requests: Array<{ host: string | undefined; servername: string | false | null; resumed: boolean }>;
}

describe('probeTcpTls: TCP, TLS and the canary over one connection', () => {
  let dir: string;
  let ca: string;
  const servers: net.Server[] = [];
  const open = new Set<net.Socket>();
  const ports = { right: 0, wrong: 0 };
  const seen: Record<keyof typeof ports, Seen> = {
    right: { connections: 0, requests: [] },
    wrong: { connections: 0, requests: [] },
  };
  let probes: Probes;
  let refused: number;

  const serve = async (which: keyof typeof ports, pem: { key: string; cert: string }) => {
    const server = https.createServer(pem, (req, res) => {
      req.resume();
      const socket = req.socket as tls.TLSSocket;
      seen[which].requests.push({
        host: req.headers.host,
        servername: socket.servername,
        resumed: socket.isSessionReused(),
      });
      res.writeHead(403, { 'content-type': 'text/xml', 'x-amzn-requestid': 'r-1' });
      res.end(STS_XML);
    });
    server.on('connection', (socket: net.Socket) => {
      seen[which].connections += 1;
      open.add(socket);
      socket.on('close', () => open.delete(socket));
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    ports[which] = (server.address() as net.AddressInfo).port;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vpce-tcp-tls-'));
    ca = makeCa(dir);
    await serve('right', makeLeaf(dir, 'right', [NAME]));
    await serve('wrong', makeLeaf(dir, 'wrong', ['corp-gateway.example.com']));
    // A port nobody listens on: bound, closed, so a connect is refused.
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
    refused = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    probes = createProbes({ ca });
  });

  after(async () => {
    for (const socket of open) socket.destroy();
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    rmSync(dir, { recursive: true, force: true });
  });

  const reset = () => {
    for (const s of Object.values(seen)) {
      s.connections = 0;
      s.requests = [];
    }
  };
  const { protocol: _protocol, ...request } = canaryRequest('sts');
  const canary = { request, timeoutMs: 2000 };
  const run = (
    port: number,
    options: { canary?: typeof canary; sessions?: ReturnType<typeof createTlsSessionCache> } = {},
  ) => probes.probeTcpTls!('127.0.0.1', port, NAME, { tcpTimeoutMs: 1000, tlsTimeoutMs: 1000, ...options });

  it('makes one connection for the connect, the verified handshake and the canary request', async () => {
    reset();
    const { tcp, tls, http } = await run(ports.right, { canary });
    assert.equal(tcp.outcome, 'connected');
    assert.equal(typeof tcp.localPort, 'number');
    assert.equal(tls?.outcome, 'ok');
    assert.deepEqual(tls?.certNames, [NAME]);
    assert.equal(http?.outcome, 'response');
    assert.equal(http?.status, 403);
    assert.equal(http?.headers['x-amzn-requestid'], 'r-1');
    assert.equal(http?.address, '127.0.0.1');
    assert.equal(seen.right.connections, 1);
    // SNI from the handshake, Host from the request: both name the service, as the SDK sends them.
    assert.deepEqual(seen.right.requests, [{ host: NAME, servername: NAME, resumed: false }]);
  });

  it('sends no request over a connection whose certificate does not name the service', async () => {
    reset();
    const { tcp, tls, http } = await run(ports.wrong, { canary });
    assert.equal(tcp.outcome, 'connected');
    assert.equal(tls?.outcome, 'name_mismatch');
    assert.deepEqual(tls?.certNames, ['corp-gateway.example.com']);
    assert.equal(http, undefined);
    assert.equal(seen.wrong.connections, 1);
    assert.deepEqual(seen.wrong.requests, []);
  });

  it('without a canary, verifies and closes: no request', async () => {
    reset();
    const { tls, http } = await run(ports.right);
    assert.equal(tls?.outcome, 'ok');
    assert.equal(http, undefined);
    assert.equal(seen.right.connections, 1);
    assert.deepEqual(seen.right.requests, []);
  });

  it('reports a refused connect as TCP alone, with no handshake', async () => {
    const { tcp, tls, http } = await run(refused, { canary });
    assert.equal(tcp.outcome, 'refused');
    assert.equal(tls, undefined);
    assert.equal(http, undefined);
  });

  it('resumes the session a full handshake kept, and carries the canary over the resumed connection', async () => {
    reset();
    const sessions = createTlsSessionCache({ ttlMs: 60_000 });
    const first = await run(ports.right, { canary, sessions });
    assert.equal(first.tls?.resumed, undefined);
    // TLS 1.3 sends the ticket after the handshake: kept when it arrives, during the request.
    for (let i = 0; i < 50 && sessions.size === 0; i += 1) await new Promise((r) => setTimeout(r, 20));
    assert.equal(sessions.size, 1);
    const second = await run(ports.right, { canary, sessions });
    assert.equal(second.tls?.outcome, 'ok');
    assert.equal(second.tls?.resumed, true);
    assert.deepEqual(second.tls?.certNames, [NAME]);
    assert.equal(second.http?.status, 403);
    assert.equal(seen.right.connections, 2);
    assert.deepEqual(
      seen.right.requests.map((r) => r.resumed),
      [false, true],
    );
  });

  it('observes what the separate probes observe, from half the connections', async () => {
    reset();
    const apart = {
      tcp: await probeTcp('127.0.0.1', ports.right, { timeoutMs: 1000 }),
      tls: await probeTls('127.0.0.1', ports.right, NAME, { timeoutMs: 1000, ca }),
    };
    const together = await run(ports.right);
    const shape = (o: { tcp: { outcome: string }; tls?: { outcome: string; certNames: string[] } }) => ({
      tcp: o.tcp.outcome,
      tls: o.tls?.outcome,
      names: o.tls?.certNames,
    });
    assert.deepEqual(shape(together), shape(apart));
    assert.equal(seen.right.connections, 3);
  });
});
