// A TLS handshake to one address with SNI = the service hostname. Verification is switched off
// in the handshake and done here, so a bad certificate becomes a named outcome with the
// certificate's names as evidence instead of an opaque socket error.
//
// Warm runs resume sessions (TLS session resumption): a resumed handshake still proves the ENI
// answers on the port and completes TLS with our SNI, at a fraction of the CPU, but the server
// sends no certificate: the chain and names are those the session's full handshake verified
// (kept beside the session, as the certificate is not sent again).
// So a session is kept only after a handshake that passed every check, forgotten after any
// other outcome, and never older than the cache's TTL (the inventory's): a certificate replaced
// behind a server that still accepts our ticket is seen at the next full handshake, at most one
// TTL later. A server with new ticket keys (another host, an inspecting proxy) refuses the ticket
// and gets a full, fully checked handshake at once.
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
  /** Sessions to resume and to keep (see the top of this file); none: every handshake is full. */
  sessions?: TlsSessionCache;
  /**
   * A socket already connected to `address`:`port` (src/net/tcp.ts connectTcp with `keep`): the
   * handshake runs over it instead of a new connection, and the probe owns and closes it.
   */
  socket?: net.Socket;
}

/** A session of a handshake that passed, with the certificate names that handshake verified. */
export interface TlsSession {
  session: Buffer;
  certNames: string[];
}

/** Sessions of verified handshakes, per address, port and SNI name, each for at most `ttlMs`. */
export interface TlsSessionCache {
  get(key: string): TlsSession | undefined;
  keep(key: string, session: TlsSession): void;
  forget(key: string): void;
  clear(): void;
  readonly size: number;
}

export interface TlsSessionCacheOptions {
  /** How long a full handshake's verification stands in for the resumed ones after it. */
  ttlMs: number;
  clock?: () => number;
  /** At most this many sessions (about 2 KB each, the peer certificate included); the oldest go first. */
  maxEntries?: number;
}

export const TLS_SESSIONS_MAX = 4096;

export function tlsSessionKey(address: string, port: number, servername: string): string {
  return `${address}:${port}/${servername}`;
}

export function createTlsSessionCache(options: TlsSessionCacheOptions): TlsSessionCache {
  const clock = options.clock ?? Date.now;
  const maxEntries = options.maxEntries ?? TLS_SESSIONS_MAX;
  // Insertion order is age order: keep() re-inserts, so the first key is the oldest.
  const kept = new Map<string, TlsSession & { at: number }>();
  return {
    get(key) {
      const entry = kept.get(key);
      if (!entry) return undefined;
      if (clock() - entry.at > options.ttlMs) {
        kept.delete(key);
        return undefined;
      }
      return { session: entry.session, certNames: entry.certNames };
    },
    keep(key, session) {
      kept.delete(key);
      kept.set(key, { ...session, at: clock() });
      while (kept.size > maxEntries) kept.delete(kept.keys().next().value as string);
    },
    forget: (key) => {
      kept.delete(key);
    },
    clear: () => kept.clear(),
    get size() {
      return kept.size;
    },
  };
}

/**
 * How long, at least, a passed handshake's socket stays open for the session ticket: TLS 1.3
 * servers send it after the handshake, about one round trip later, but a busy server (hundreds of
 * handshakes at once) much later: the wait is the handshake's own deadline when that is longer.
 * The observation does not wait for it, and the socket does not keep the process alive.
 */
const SESSION_TICKET_WAIT_MS = 1000;

let defaultContext: tls.SecureContext | undefined;

/**
 * One context with the default roots (NODE_EXTRA_CA_CERTS included) for every probe and canary
 * request: tls.connect would build the same one per connection, a tenth of a warm handshake's CPU.
 */
export function sharedDefaultContext(): tls.SecureContext {
  defaultContext ??= tls.createSecureContext();
  return defaultContext;
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
  return handshakeTls(address, port, servername, options).then((handshake) => handshake.observation);
}

/** A handshake's observation and, when it passed and the caller asked, the open TLS socket. */
export interface TlsHandshake {
  observation: TlsObservation;
  /** The verified connection, handed over (`keep`): the caller owns it and must destroy it. */
  socket?: tls.TLSSocket;
}

/**
 * The TLS probe. With `keep`, a connection whose handshake passed is handed over instead of
 * closed, so the L7 canary's request rides the connection this probe verified (issue 17); its
 * session is still kept when the ticket arrives.
 */
export function handshakeTls(
  address: string,
  port: number,
  servername: string,
  options: TlsProbeOptions & { keep?: boolean },
): Promise<TlsHandshake> {
  const family = net.isIP(address);
  if (family === 0) throw new TypeError(`probeTls needs an IP address, not "${address}"`);
  const started = process.hrtime.bigint();
  const deadline = armDeadline(options.timeoutMs, options.signal);
  const sessions = options.sessions;
  const key = tlsSessionKey(address, port, servername);
  const resumable = sessions?.get(key);
  return new Promise<TlsHandshake>((resolve) => {
    let socket: tls.TLSSocket | undefined;
    let done = false;
    let ticket: Buffer | undefined;
    const finish = (observation: Omit<TlsObservation, 'address' | 'port' | 'servername' | 'durationMs'>) => {
      if (done) return;
      done = true;
      deadline.signal.removeEventListener('abort', onAbort);
      deadline.dispose();
      const passed = observation.outcome === 'ok';
      if (!passed) sessions?.forget(key);
      const resumed = socket?.isSessionReused() === true;
      const seen: TlsObservation = {
        address,
        port,
        servername,
        durationMs: elapsedMs(started),
        ...observation,
        ...(resumed ? { resumed } : {}),
      };
      const open = socket;
      // A handed-over socket the handshake never started on (an early abort) is still ours to close.
      if (!open) options.socket?.destroy();
      open?.on('error', () => {});
      const certNames = observation.certNames;
      if (passed && open && options.keep === true) {
        // Handed over: the new owner closes it. A full handshake's ticket is kept when it comes.
        if (sessions && !resumed) {
          if (ticket) sessions.keep(key, { session: ticket, certNames });
          else open.once('session', (late: Buffer) => sessions.keep(key, { session: late, certNames }));
        }
        resolve({ observation: seen, socket: open });
        return;
      }
      resolve({ observation: seen });
      if (!passed || !sessions || !open) {
        open?.destroy();
        return;
      }
      // A resumed session stays as it was kept: its age is still that of its full handshake.
      if (resumed) {
        open.destroy();
        return;
      }
      if (ticket) {
        sessions.keep(key, { session: ticket, certNames });
        open.destroy();
        return;
      }
      const wait = setTimeout(() => open.destroy(), Math.max(SESSION_TICKET_WAIT_MS, options.timeoutMs));
      wait.unref();
      open.unref();
      open.once('session', (late: Buffer) => {
        clearTimeout(wait);
        sessions.keep(key, { session: late, certNames });
        open.destroy();
      });
      open.once('close', () => clearTimeout(wait));
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
      ...(options.socket ? { socket: options.socket } : { host: address, port }),
      // SNI carries names only; Node refuses an IP address here.
      ...(net.isIP(servername) ? {} : { servername }),
      rejectUnauthorized: false,
      // Name checking is ours (below), so `authorized` speaks for the chain alone.
      checkServerIdentity: () => undefined,
      ...(options.ca !== undefined ? { ca: options.ca } : { secureContext: sharedDefaultContext() }),
      ...(resumable ? { session: resumable.session } : {}),
    });
    socket = connecting;
    deadline.signal.addEventListener('abort', onAbort, { once: true });
    // TLS 1.2 sends the ticket before the handshake ends; TLS 1.3 after (handled in finish).
    if (sessions) connecting.once('session', (s: Buffer) => (ticket ??= s));
    connecting.once('secureConnect', () => {
      if (resumable && connecting.isSessionReused() && connecting.authorized) {
        // No certificate on the wire: the names are the full handshake's, checked then for this
        // same name (the key holds it).
        finish({ outcome: 'ok', certNames: [...resumable.certNames] });
        return;
      }
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
