// The L7 canary: one unsigned HTTPS request to a service's API at one endpoint ENI, with SNI
// and Host set to the service hostname. It proves who answers behind the ENI; what the answer
// means is decided by src/eval/l7-canary.ts. Bounded: one deadline for the whole exchange, and
// the body read stops at `maxBytes` (a proxy's 10 MB page costs 16 KiB).
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type tls from 'node:tls';
import type { HttpObservation } from '../model.js';
import { armDeadline, elapsedMs } from './deadline.js';
import { classifyNetworkError } from './errors.js';
import { sharedDefaultContext } from './tls.js';

export interface CanaryRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface HttpsCanaryOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Trust only these roots. Default, as the TLS probe: Node's store plus NODE_EXTRA_CA_CERTS. */
  ca?: string | Buffer;
  /** Stop reading the body after this many bytes (default 16 KiB). */
  maxBytes?: number;
  /** A TLS session the TLS probe kept for this ENI and name (src/net/tls.ts): resumed, not re-verified. */
  session?: Buffer;
  /**
   * The TLS probe's own connection to this ENI, verified by it (src/net/tls.ts handshakeTls with
   * `keep`): the request goes over it instead of a new handshake. The canary closes it.
   */
  socket?: tls.TLSSocket;
}

export const CANARY_MAX_BYTES = 16 * 1024;

/** The headers the classifier and the evidence read; everything else is dropped. */
const KEPT_HEADERS = [
  'server',
  'content-type',
  'content-length',
  'x-amzn-requestid',
  'x-amzn-request-id',
  'x-amz-request-id',
  'x-amz-id-2',
  'x-amzn-errortype',
  'x-amz-cf-id',
  'docker-distribution-api-version',
  'www-authenticate',
  'via',
  'location',
];

function keptHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const value = raw[name];
    if (value !== undefined) kept[name] = (Array.isArray(value) ? value.join(', ') : value).slice(0, 512);
  }
  return kept;
}

export function probeHttps(
  address: string,
  port: number,
  hostname: string,
  request: CanaryRequest,
  options: HttpsCanaryOptions,
): Promise<HttpObservation> {
  if (net.isIP(address) === 0) throw new TypeError(`probeHttps needs an IP address, not "${address}"`);
  const maxBytes = options.maxBytes ?? CANARY_MAX_BYTES;
  const started = process.hrtime.bigint();
  const deadline = armDeadline(options.timeoutMs, options.signal);
  const base = { address, port, hostname, method: request.method, path: request.path };
  return new Promise((resolve) => {
    let done = false;
    let status: number | undefined;
    let headers: Record<string, string> = {};
    const chunks: Buffer[] = [];
    let bodyBytes = 0;
    let truncated = false;
    const finish = (
      outcome: HttpObservation['outcome'],
      extra: Pick<HttpObservation, 'errorCode' | 'detail'> = {},
    ) => {
      if (done) return;
      done = true;
      deadline.signal.removeEventListener('abort', onAbort);
      deadline.dispose();
      req.on('error', () => {});
      req.destroy();
      resolve({
        ...base,
        outcome,
        ...(status !== undefined ? { status } : {}),
        headers,
        body: Buffer.concat(chunks).subarray(0, maxBytes).toString('latin1'),
        bodyBytes,
        truncated,
        ...extra,
        durationMs: elapsedMs(started),
      });
    };
    const onAbort = () =>
      finish('timeout', {
        detail:
          deadline.cause === 'aborted'
            ? 'aborted by the caller'
            : status === undefined
              ? `no HTTP response within ${options.timeoutMs} ms`
              : `the body did not end within ${options.timeoutMs} ms`,
      });
    const message = {
      host: address,
      port,
      method: request.method,
      path: request.path,
      headers: { ...request.headers, host: hostname, 'user-agent': 'vpce-doctor-canary' },
    };
    const verified = options.socket;
    const req = verified
      ? // Plain HTTP framing over the TLS connection the probe verified (SNI, chain and name).
        http.request({ ...message, createConnection: () => verified })
      : https.request({
          ...message,
          // SNI and Host name the service, as the SDK sends them; the address is the ENI's.
          ...(net.isIP(hostname) ? {} : { servername: hostname }),
          // No pooling: each request is its own connection to its own ENI.
          agent: false,
          // Verified as the TLS probe trusts: the default store (NODE_EXTRA_CA_CERTS included) or `ca`.
          rejectUnauthorized: true,
          ...(options.ca !== undefined ? { ca: options.ca } : { secureContext: sharedDefaultContext() }),
          ...(options.session ? { session: options.session } : {}),
        });
    if (deadline.signal.aborted) {
      onAbort();
      return;
    }
    deadline.signal.addEventListener('abort', onAbort, { once: true });
    req.once('response', (res) => {
      status = res.statusCode;
      headers = keptHeaders(res.headers);
      res.on('data', (chunk: Buffer) => {
        bodyBytes += chunk.length;
        chunks.push(chunk);
        if (bodyBytes >= maxBytes) {
          truncated = bodyBytes > maxBytes || res.readableLength > 0 || !res.complete;
          finish('response');
        }
      });
      res.once('end', () => finish('response'));
      // A reset in the middle of the body still leaves what was read: the status and headers.
      res.once('error', () => finish('response', { detail: 'the connection ended during the body' }));
      res.once('aborted', () => finish('response', { detail: 'the connection ended during the body' }));
    });
    req.once('error', (err) => {
      const error = classifyNetworkError(err);
      // "socket hang up" is Node's name for a connection closed before any response.
      const outcome = error.kind === 'reset' || error.kind === 'timeout' ? error.kind : 'error';
      finish(outcome, { errorCode: error.code, detail: error.message });
    });
    req.end(request.body ?? '');
  });
}
