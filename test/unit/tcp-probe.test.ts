// probeTcp against real loopback sockets. A silent drop is made without touching anyone's
// firewall: a listener with a full accept queue (backlog 0, never accepting) makes Linux drop
// further SYNs, so the connect really hangs until our deadline. Unreachable outcomes need a
// missing route or an ICMP error from a router, which only the lab's namespaces can stage: here
// the error mapping is tested as a table, and the lab's e2e tests cover the real thing.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { probeTcp, tcpOutcomeOf } from '../../src/net/tcp.js';

// Node's net.Server always accepts, so the never-accepting listener is a few lines of Python.
const NEVER_ACCEPT = `
import socket, sys
s = socket.socket()
s.bind(('127.0.0.1', 0))
s.listen(0)
print(s.getsockname()[1], flush=True)
sys.stdin.read()
`;

async function startNeverAccepting(): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn('python3', ['-c', NEVER_ACCEPT], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.stdout!.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
  });
  return { port, child };
}

function connectAndHold(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

describe('probeTcp', () => {
  let server: net.Server;
  let openPort: number;
  let closedPort: number;

  before(async () => {
    server = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    openPort = (server.address() as net.AddressInfo).port;
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
    closedPort = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  });
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('connects to a loopback listener and records the local port and a timing', async () => {
    const observation = await probeTcp('127.0.0.1', openPort, { timeoutMs: 2000 });
    assert.equal(observation.outcome, 'connected');
    assert.equal(observation.address, '127.0.0.1');
    assert.equal(observation.port, openPort);
    assert.ok(typeof observation.localPort === 'number' && observation.localPort > 0);
    assert.ok(observation.durationMs >= 0);
    assert.equal(observation.errorCode, undefined);
  });

  it('reports refused when the port answers with a reset (nothing listens)', async () => {
    const observation = await probeTcp('127.0.0.1', closedPort, { timeoutMs: 2000 });
    assert.equal(observation.outcome, 'refused');
    assert.equal(observation.errorCode, 'ECONNREFUSED');
  });

  describe('against a listener whose accept queue is full (SYNs silently dropped)', () => {
    let listener: { port: number; child: ChildProcess };
    let holder: net.Socket;
    before(async () => {
      listener = await startNeverAccepting();
      holder = await connectAndHold(listener.port);
    });
    after(() => {
      holder.destroy();
      listener.child.stdin!.end();
      listener.child.kill();
    });

    it('reports timeout at its own deadline instead of waiting for the kernel', async () => {
      const observation = await probeTcp('127.0.0.1', listener.port, { timeoutMs: 250 });
      assert.equal(observation.outcome, 'timeout');
      assert.equal(observation.errorCode, 'DEADLINE');
      assert.ok(observation.durationMs < 10_000, `took ${observation.durationMs} ms`);
    });

    it('keeps the local port its SYN went out from: the port a return-path ACL must admit', async () => {
      const observation = await probeTcp('127.0.0.1', listener.port, { timeoutMs: 250 });
      assert.equal(observation.outcome, 'timeout');
      assert.ok(
        observation.localPort !== undefined && observation.localPort > 0,
        JSON.stringify(observation),
      );
    });

    it('reports timeout (aborted) when the caller aborts mid-connect', async () => {
      const controller = new AbortController();
      const pending = probeTcp('127.0.0.1', listener.port, { timeoutMs: 30_000, signal: controller.signal });
      setTimeout(() => controller.abort(), 50);
      const observation = await pending;
      assert.equal(observation.outcome, 'timeout');
      assert.equal(observation.errorCode, 'ABORTED');
    });
  });

  it('returns at once, without connecting, when the signal is already aborted', async () => {
    let connections = 0;
    server.on('connection', () => connections++);
    const observation = await probeTcp('127.0.0.1', openPort, {
      timeoutMs: 2000,
      signal: AbortSignal.abort(),
    });
    assert.equal(observation.outcome, 'timeout');
    assert.equal(connections, 0);
  });

  it('refuses a hostname: only IP literals are probed', () => {
    assert.throws(() => probeTcp('localhost', openPort, { timeoutMs: 100 }), TypeError);
  });
});

describe('tcpOutcomeOf', () => {
  const cases: Array<[string, string]> = [
    ['ECONNREFUSED', 'refused'],
    ['ETIMEDOUT', 'timeout'],
    ['EHOSTUNREACH', 'unreachable'],
    ['ENETUNREACH', 'unreachable'],
    ['EPERM', 'unreachable'],
    ['ECONNRESET', 'error'],
    ['EAI_AGAIN', 'error'],
    ['EWHATEVER', 'error'],
  ];
  for (const [code, outcome] of cases) {
    it(`maps ${code} to ${outcome}`, () => {
      const err = Object.assign(new Error(code), { code });
      assert.deepEqual(tcpOutcomeOf(err), { outcome, errorCode: code });
    });
  }

  it('maps an AbortError to timeout and a non-error value to error', () => {
    assert.equal(tcpOutcomeOf(new DOMException('stop', 'AbortError')).outcome, 'timeout');
    assert.equal(tcpOutcomeOf('boom').outcome, 'error');
  });
});
