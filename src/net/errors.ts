// The one place that reads `err.code`: raw Node socket, DNS and TLS errors become a small set
// of outcome kinds, so the probes report results instead of throwing.

export type NetErrorKind =
  | 'refused'
  | 'timeout'
  | 'unreachable'
  | 'reset'
  | 'aborted'
  | 'lookup'
  | 'tls'
  | 'other';

export interface ClassifiedError {
  kind: NetErrorKind;
  /** The error's code (ECONNREFUSED, ERR_SSL_…) or its name when it has none. */
  code: string;
  message: string;
}

const KIND_BY_CODE: Record<string, NetErrorKind> = {
  ECONNREFUSED: 'refused',
  ETIMEDOUT: 'timeout',
  ESOCKETTIMEDOUT: 'timeout',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  EHOSTDOWN: 'unreachable',
  ENETDOWN: 'unreachable',
  EADDRNOTAVAIL: 'unreachable',
  // A local firewall (netfilter OUTPUT) refusing the packet shows as EPERM/EACCES on send.
  EPERM: 'unreachable',
  EACCES: 'unreachable',
  ECONNRESET: 'reset',
  ECONNABORTED: 'reset',
  EPIPE: 'reset',
  ABORT_ERR: 'aborted',
  ENOTFOUND: 'lookup',
  ENODATA: 'lookup',
  EPROTO: 'tls',
};

function codeOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

function nameOf(err: unknown): string {
  if (err instanceof Error) return err.name;
  return typeof err;
}

/** Maps any thrown value from a socket, resolver or TLS layer to an outcome kind. Pure. */
export function classifyNetworkError(err: unknown): ClassifiedError {
  const code = codeOf(err);
  const message = err instanceof Error ? err.message : String(err);
  if (code !== undefined) {
    const known = KIND_BY_CODE[code];
    if (known) return { kind: known, code, message };
    if (code.startsWith('EAI_')) return { kind: 'lookup', code, message };
    if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) return { kind: 'tls', code, message };
    return { kind: 'other', code, message };
  }
  if (nameOf(err) === 'AbortError' || nameOf(err) === 'TimeoutError') {
    return { kind: nameOf(err) === 'TimeoutError' ? 'timeout' : 'aborted', code: nameOf(err), message };
  }
  return { kind: 'other', code: nameOf(err), message };
}
