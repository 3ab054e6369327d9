// A TCP connect to one address and port, timed, then closed. Only IP literals: the address
// under test is an ENI or an address DNS already gave, never a name to look up again.
import net from 'node:net';
import type { TcpObservation, TcpOutcome } from '../model.js';
import { armDeadline, elapsedMs } from './deadline.js';
import { classifyNetworkError, type NetErrorKind } from './errors.js';

export interface TcpProbeOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

const OUTCOME_BY_KIND: Record<NetErrorKind, TcpOutcome> = {
  refused: 'refused',
  timeout: 'timeout',
  aborted: 'timeout',
  unreachable: 'unreachable',
  reset: 'error',
  lookup: 'error',
  tls: 'error',
  other: 'error',
};

/** The TCP outcome a raw connect error stands for. Pure. */
export function tcpOutcomeOf(err: unknown): { outcome: TcpOutcome; errorCode: string } {
  const error = classifyNetworkError(err);
  return { outcome: OUTCOME_BY_KIND[error.kind], errorCode: error.code };
}

/** A connect's observation and, when it connected and the caller asked, the open socket. */
export interface TcpConnection {
  observation: TcpObservation;
  /** The connected socket, handed over (`keep`): the caller owns it and must destroy it. */
  socket?: net.Socket;
}

/** Connects to `address`:`port`, then closes. */
export function probeTcp(address: string, port: number, options: TcpProbeOptions): Promise<TcpObservation> {
  return connectTcp(address, port, options).then((connection) => connection.observation);
}

/**
 * Connects to `address`:`port`. net has no connect timeout, so the deadline destroys the socket.
 * With `keep`, a connected socket is handed over instead of closed: the TLS probe speaks over
 * it, so one connection per ENI shows both the connect and the handshake (issue 17).
 */
export function connectTcp(
  address: string,
  port: number,
  options: TcpProbeOptions & { keep?: boolean },
): Promise<TcpConnection> {
  const family = net.isIP(address);
  if (family === 0) throw new TypeError(`probeTcp needs an IP address, not "${address}"`);
  const started = process.hrtime.bigint();
  const deadline = armDeadline(options.timeoutMs, options.signal);
  return new Promise((resolve) => {
    let socket: net.Socket | undefined;
    let done = false;
    const finish = (observation: Omit<TcpObservation, 'address' | 'port' | 'durationMs'>) => {
      if (done) return;
      done = true;
      deadline.signal.removeEventListener('abort', onAbort);
      deadline.dispose();
      // A late error from a socket we are closing is of no interest; it must not become unhandled.
      socket?.on('error', () => {});
      const kept = options.keep === true && observation.outcome === 'connected' ? socket : undefined;
      if (!kept) socket?.destroy();
      resolve({
        observation: { address, port, durationMs: elapsedMs(started), ...observation },
        ...(kept ? { socket: kept } : {}),
      });
    };
    // A SYN already sent has its local port: the one a stateless ACL's return rule must admit.
    const onAbort = () => {
      const localPort = socket?.localPort;
      finish({
        outcome: 'timeout',
        errorCode: deadline.cause === 'aborted' ? 'ABORTED' : 'DEADLINE',
        ...(localPort !== undefined ? { localPort } : {}),
      });
    };
    if (deadline.signal.aborted) {
      onAbort();
      return;
    }
    const connecting = net.connect({ host: address, port, family });
    socket = connecting;
    deadline.signal.addEventListener('abort', onAbort, { once: true });
    connecting.once('connect', () => {
      const localPort = connecting.localPort;
      finish({ outcome: 'connected', ...(localPort !== undefined ? { localPort } : {}) });
    });
    connecting.once('error', (err) => {
      const { outcome, errorCode } = tcpOutcomeOf(err);
      const localPort = connecting.localPort;
      finish({ outcome, errorCode, ...(localPort !== undefined ? { localPort } : {}) });
    });
  });
}
