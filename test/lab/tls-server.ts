// The endpoint ENIs' TLS listeners: one server per address, the certificate chosen by the local
// address. Runs inside vdl-endpoints: `node --import tsx tls-server.ts CONFIG.json`. On SIGHUP it
// rereads the file and opens, closes or re-certifies listeners to match, so a test can stop a
// listener or swap in a wrong-name certificate while the lab runs.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:tls';
import { pathToFileURL } from 'node:url';

export interface TlsListener {
  address: string;
  port: number;
  cert: string;
  key: string;
}

export interface TlsServerConfig {
  listeners: TlsListener[];
}

const servers = new Map<string, { server: Server; spec: string }>();
const keyOf = (l: TlsListener): string => `${l.address}:${l.port}`;

function open(listener: TlsListener): Promise<void> {
  const server = createServer(
    { cert: readFileSync(listener.cert), key: readFileSync(listener.key) },
    (socket) => {
      socket.setTimeout(5000, () => socket.destroy());
      socket.on('error', () => socket.destroy());
      socket.once('data', () => {
        // An unsigned request answered as AWS's front end does (the agent's L7 canary reads it).
        const body =
          '{"__type":"com.amazon.coral.service#MissingAuthenticationTokenException","message":"Missing Authentication Token"}';
        socket.end(
          `HTTP/1.1 400 Bad Request\r\nx-amzn-RequestId: 00000000-0000-4000-8000-00000000c0de\r\ncontent-type: application/x-amz-json-1.1\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
        );
      });
    },
  );
  server.on('tlsClientError', () => {});
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(listener.port, listener.address, () => {
      server.off('error', reject);
      servers.set(keyOf(listener), { server, spec: JSON.stringify(listener) });
      resolve();
    });
  });
}

function close(key: string): Promise<void> {
  const entry = servers.get(key);
  servers.delete(key);
  if (!entry) return Promise.resolve();
  return new Promise((resolve) => entry.server.close(() => resolve()));
}

/** The marker the server writes to `CONFIG.applied` once it follows a configuration. */
export function configDigest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

async function reconcile(path: string): Promise<void> {
  const text = readFileSync(path, 'utf8');
  const config = JSON.parse(text) as TlsServerConfig;
  const wanted = new Map(config.listeners.map((l) => [keyOf(l), l]));
  await Promise.all(
    [...servers.entries()]
      .filter(
        ([key, entry]) => wanted.get(key) === undefined || JSON.stringify(wanted.get(key)) !== entry.spec,
      )
      .map(([key]) => close(key)),
  );
  await Promise.all([...wanted.entries()].filter(([key]) => !servers.has(key)).map(([, l]) => open(l)));
  process.stdout.write(`listening on ${[...servers.keys()].sort().join(' ') || 'nothing'}\n`);
  writeFileSync(`${path}.applied`, configDigest(text));
}

function main(configPath: string | undefined): void {
  if (!configPath) {
    process.stderr.write('usage: tls-server.ts CONFIG.json\n');
    process.exit(2);
  }
  reconcile(configPath).catch((err: unknown) => {
    process.stderr.write(`tls-server: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
  process.on('SIGHUP', () => {
    reconcile(configPath).catch((err: unknown) => {
      process.stderr.write(`tls-server reload: ${err instanceof Error ? err.message : String(err)}\n`);
    });
  });
  process.on('SIGTERM', () => process.exit(0));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main(process.argv[2]);
