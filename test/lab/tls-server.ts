// The endpoint ENIs' TLS listeners: one server per address, the certificate chosen by the local
// address. Runs inside vdl-endpoints: `node --import tsx tls-server.ts CONFIG.json`. On SIGHUP it
// rereads the file and opens, closes or re-certifies listeners to match, so a test can stop a
// listener, swap in a wrong-name certificate or have something other than AWS answer while the
// lab runs.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:tls';
import { pathToFileURL } from 'node:url';

export interface TlsListener {
  address: string;
  port: number;
  cert: string;
  key: string;
  /**
   * What answers an HTTP request once TLS is up: AWS's front end (an error document for an
   * unsigned request, the default), a corporate gateway's login page (`not-aws`), or nothing at
   * all until the client gives up (`silent`).
   */
  answer?: 'aws' | 'not-aws' | 'silent';
}

export interface TlsServerConfig {
  listeners: TlsListener[];
}

function httpResponse(status: string, headers: Record<string, string>, body: string): string {
  const lines = Object.entries({ ...headers, 'content-length': String(body.length), connection: 'close' });
  return `HTTP/1.1 ${status}\r\n${lines.map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n${body}`;
}

/** An unsigned request answered as AWS's front end does (the agent's L7 canary reads it). */
const AWS_MISSING_TOKEN = httpResponse(
  '400 Bad Request',
  {
    'x-amzn-RequestId': '00000000-0000-4000-8000-00000000c0de',
    'content-type': 'application/x-amz-json-1.1',
  },
  '{"__type":"com.amazon.coral.service#MissingAuthenticationTokenException","message":"Missing Authentication Token"}',
);

/** What a TLS-inspecting web gateway serves in AWS's place: a 200 with its login page. */
const GATEWAY_LOGIN_PAGE = httpResponse(
  '200 OK',
  { server: 'CorpGateway/9.1', 'content-type': 'text/html; charset=utf-8' },
  '<!doctype html><html><head><title>Sign in to continue</title></head><body><form action="/login" method="post"><input name="user"><input name="password" type="password"></form></body></html>',
);

const servers = new Map<string, { server: Server; spec: string }>();
const keyOf = (l: TlsListener): string => `${l.address}:${l.port}`;

function open(listener: TlsListener): Promise<void> {
  const server = createServer(
    { cert: readFileSync(listener.cert), key: readFileSync(listener.key) },
    (socket) => {
      socket.setTimeout(5000, () => socket.destroy());
      socket.on('error', () => socket.destroy());
      socket.once('data', () => {
        if (listener.answer === 'silent') return;
        socket.end(listener.answer === 'not-aws' ? GATEWAY_LOGIN_PAGE : AWS_MISSING_TOKEN);
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
