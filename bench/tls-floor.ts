// The CPU floor of a warm report: what one TLS handshake costs the agent's process, as the
// agent makes it (src/net/tls.ts: the shared context, rejectUnauthorized off, session resumed).
// A loopback TLS server runs in one child process and the measuring client in another, so the
// CPU measured (process.cpuUsage: every thread of the client) is the client's alone. The client
// trusts the server's certificate through NODE_EXTRA_CA_CERTS, as the agent trusts the lab CA,
// so its handshakes use the agent's one shared context: a `ca` option would build a context per
// connection, which the agent never does. Each round opens ROUND connections at once, as a report
// does for 50 two-ENI endpoints; it prints one JSON line per round and a summary. Loopback only.
//
//   node --import tsx bench/tls-floor.ts [--rounds N]      (npm run bench:tls-floor)
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createTlsSessionCache, probeTls } from '../src/net/tls.js';
import { createProbes } from '../src/probes.js';
import { makeLeaf } from '../test/support/certificates.js';
import { ms, spread } from './stats.js';

const ROUND = 100;
const NAME = 'sts.us-east-1.amazonaws.com';

/** The server: TLS on a loopback port, in its own process; resolves with the process and the port. */
function startServer(dir: string): Promise<{ child: ChildProcess; port: number }> {
  const code = `
    const tls = require('node:tls'); const fs = require('node:fs');
    const server = tls.createServer({ key: fs.readFileSync(${JSON.stringify(join(dir, 'server.key'))}), cert: fs.readFileSync(${JSON.stringify(join(dir, 'server.pem'))}) }, (s) => { s.on('error', () => {}); s.resume(); });
    server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout?.once('data', (data: Buffer) => resolve({ child, port: Number(String(data).trim()) }));
  });
}

function connectOnly(port: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve();
    });
    socket.on('error', () => resolve());
  });
}

interface Round {
  kind: string;
  connections: number;
  wallMs: number;
  cpuMs: number;
  cpuPerConnectionMs: number;
  resumed: number;
}

async function round(kind: string, run: () => Promise<boolean>[]): Promise<Round> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const outcomes = await Promise.all(run());
  const used = process.cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000;
  return {
    kind,
    connections: outcomes.length,
    wallMs: Math.round(performance.now() - started),
    cpuMs: Math.round(cpuMs),
    cpuPerConnectionMs: Math.round((cpuMs / outcomes.length) * 100) / 100,
    resumed: outcomes.filter(Boolean).length,
  };
}

/** Certificates and the server here; the measuring client in a child that trusts them as the agent does. */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' } } });
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 100) {
    throw new Error(`--rounds: '${values.rounds}' is not a whole number in 1..100`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'vpce-tls-floor-'));
  // Self-signed, and trusted as its own root: the probe verifies the chain as it does an ENI's.
  makeLeaf(dir, 'server', [NAME], { selfSigned: true });
  const { child, port } = await startServer(dir);
  try {
    const client = spawn(process.execPath, [...process.execArgv, process.argv[1]!], {
      env: {
        ...process.env,
        NODE_EXTRA_CA_CERTS: join(dir, 'server.pem'),
        TLS_FLOOR_PORT: String(port),
        TLS_FLOOR_ROUNDS: String(rounds),
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const code = await new Promise<number | null>((resolve) => client.once('exit', resolve));
    if (code !== 0) throw new Error(`the measuring client exited with ${code}`);
  } finally {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The rounds, in the child: TCP connects, resumed and full handshakes, and the agent's one connection per ENI. */
async function measure(port: number, rounds: number): Promise<void> {
  const sessions = createTlsSessionCache({ ttlMs: 600_000 });
  const handshake = (i: number) =>
    // One session key per simulated ENI (distinct SNI-less keys would collide): the port is shared.
    probeTls('127.0.0.1', port, NAME, { timeoutMs: 5000, sessions: keyed(sessions, i) }).then(
      (o) => o.resumed === true,
    );
  // A warm run's work per ENI (src/probes.ts probeTcpTls): connect, then resume over that connection.
  const probes = createProbes();
  const pairSessions = createTlsSessionCache({ ttlMs: 600_000 });
  const pair = (i: number) =>
    probes.probeTcpTls!('127.0.0.1', port, NAME, {
      tcpTimeoutMs: 5000,
      tlsTimeoutMs: 5000,
      sessions: keyed(pairSessions, i),
    }).then((o) => o.tls?.resumed === true);
  const all: Round[] = [];
  // Unmeasured: JIT and the server's first handshakes; it also fills the session caches.
  await round('warm-up', () => Array.from({ length: ROUND }, (_, i) => handshake(i)));
  await round('warm-up', () => Array.from({ length: ROUND }, (_, i) => pair(i)));
  await new Promise((resolve) => setTimeout(resolve, 300));
  for (let r = 0; r < rounds; r += 1) {
    all.push(
      await round('tcp connect', () =>
        Array.from({ length: ROUND }, () => connectOnly(port).then(() => false)),
      ),
    );
    all.push(await round('tls resumed', () => Array.from({ length: ROUND }, (_, i) => handshake(i))));
    all.push(
      await round('tcp + tls resumed, one connection', () =>
        Array.from({ length: ROUND }, (_, i) => pair(i)),
      ),
    );
    all.push(
      await round('tls full', () =>
        Array.from({ length: ROUND }, () =>
          probeTls('127.0.0.1', port, NAME, { timeoutMs: 5000 }).then((o) => o.resumed === true),
        ),
      ),
    );
  }
  for (const r of all) process.stdout.write(`${JSON.stringify(r)}\n`);
  const kinds = ['tcp connect', 'tls resumed', 'tcp + tls resumed, one connection', 'tls full'];
  const perKind = (kind: string) =>
    spread(all.filter((r) => r.kind === kind).map((r) => r.cpuPerConnectionMs));
  const summary: TlsFloorSummary = {
    node: process.version,
    openssl: process.versions.openssl,
    cpuMsPerConnection: Object.fromEntries(kinds.map((kind) => [kind, ms(perKind(kind), 2)])),
    medianCpuMsPerConnection: Object.fromEntries(kinds.map((kind) => [kind, perKind(kind).median])),
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

/** The last line tls-floor prints (npm run bench reads it for its headline). */
export interface TlsFloorSummary {
  node: string;
  openssl: string;
  /** Per round kind: median (min–max) of the rounds' CPU per connection, in ms. */
  cpuMsPerConnection: Record<string, string>;
  medianCpuMsPerConnection: Record<string, number>;
}

/** The cache under a per-connection key: each of the round's connections resumes its own session. */
function keyed(sessions: ReturnType<typeof createTlsSessionCache>, i: number) {
  const key = (k: string) => `${k}#${i}`;
  return {
    get: (k: string) => sessions.get(key(k)),
    keep: (k: string, s: Parameters<typeof sessions.keep>[1]) => sessions.keep(key(k), s),
    forget: (k: string) => sessions.forget(key(k)),
    clear: () => sessions.clear(),
    get size() {
      return sessions.size;
    },
  };
}

// Imported by the bench engine for its types only: run only as a script.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const clientPort = process.env['TLS_FLOOR_PORT'];
  await (clientPort ? measure(Number(clientPort), Number(process.env['TLS_FLOOR_ROUNDS'])) : main());
}
