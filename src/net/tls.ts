// A TLS handshake to one address with SNI = the service hostname. Verification is switched off
// in the handshake and done here, so a bad certificate becomes a named outcome with the
// certificate's names as evidence instead of an opaque socket error.
import net from 'node:net';
import tls from 'node:tls';
import type { TlsObservation } from '../model.js';
import { armDeadline, elapsedMs } from './deadline.js';
import { classifyNetworkError } from './errors.js';

export interface TlsProbeOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Trust only these roots. Default: Node's store plus NODE_EXTRA_CA_CERTS. */
  ca?: string | Buffer;
}

/** The DNS names a certificate answers for: its SAN DNS entries, else its subject CN. Pure. */
export function certificateNames(
  cert: Pick<tls.PeerCertificate, 'subject' | 'subjectaltname'> | undefined,
): string[] {
  if (!cert) return [];
  const sans = (cert.subjectaltname ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice(4));
  if (sans.length > 0) return sans;
  const cn = cert.subject?.CN;
  if (Array.isArray(cn)) return cn;
  return typeof cn === 'string' && cn.length > 0 ? [cn] : [];
}

function messageOf(value: unknown): string {
  if (value instanceof Error) return (value as Error & { code?: string }).code ?? value.message;
  return String(value);
}

export function probeTls(
  address: string,
  port: number,
  servername: string,
  options: TlsProbeOptions,
): Promise<TlsObservation> {
  const family = net.isIP(address);
  if (family === 0) throw new TypeError(`probeTls needs an IP address, not "${address}"`);
  const started = process.hrtime.bigint();
  const deadline = armDeadline(options.timeoutMs, options.signal);
  return new Promise((resolve) => {
    let socket: tls.TLSSocket | undefined;
    let done = false;
    const finish = (observation: Omit<TlsObservation, 'address' | 'port' | 'servername' | 'durationMs'>) => {
      if (done) return;
      done = true;
      deadline.signal.removeEventListener('abort', onAbort);
      deadline.dispose();
      socket?.on('error', () => {});
      socket?.destroy();
      resolve({ address, port, servername, durationMs: elapsedMs(started), ...observation });
    };
    const onAbort = () =>
      finish({
        outcome: 'timeout',
        certNames: [],
        detail:
          deadline.cause === 'aborted'
            ? 'aborted by the caller'
            : `no handshake within ${options.timeoutMs} ms`,
      });
    if (deadline.signal.aborted) {
      onAbort();
      return;
    }
    const connecting = tls.connect({
      host: address,
      port,
      // SNI carries names only; Node refuses an IP address here.
      ...(net.isIP(servername) ? {} : { servername }),
      rejectUnauthorized: false,
      // Name checking is ours (below), so `authorized` speaks for the chain alone.
      checkServerIdentity: () => undefined,
      ...(options.ca !== undefined ? { ca: options.ca } : {}),
    });
    socket = connecting;
    deadline.signal.addEventListener('abort', onAbort, { once: true });
    connecting.once('secureConnect', () => {
      const cert = connecting.getPeerCertificate();
      const certNames = certificateNames(cert && Object.keys(cert).length > 0 ? cert : undefined);
      if (!connecting.authorized) {
        finish({
          outcome: 'untrusted',
          certNames,
          authorizationError: messageOf(connecting.authorizationError),
        });
        return;
      }
      const mismatch = tls.checkServerIdentity(servername, cert);
      if (mismatch) {
        finish({
          outcome: 'name_mismatch',
          certNames,
          authorizationError: messageOf(mismatch),
          detail: mismatch.message,
        });
        return;
      }
      finish({ outcome: 'ok', certNames });
    });
    connecting.once('error', (err) => {
      const error = classifyNetworkError(err);
      finish({ outcome: 'handshake_failed', certNames: [], detail: `${error.code}: ${error.message}` });
    });
    connecting.once('close', () =>
      finish({
        outcome: 'handshake_failed',
        certNames: [],
        detail: 'connection closed during the handshake',
      }),
    );
  });
}
