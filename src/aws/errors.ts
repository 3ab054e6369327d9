// The one place that reads AWS SDK error fields: every failed call becomes a Gap.
import type { Gap } from '../model.js';

const PERMISSION_CODES = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'AuthFailure',
  'Blocked',
  'OptInRequired',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
]);
const THROTTLE_CODES = new Set([
  'Throttling',
  'ThrottlingException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'SlowDown',
]);

/** Why a call ended early: our own deadline, or the caller gave up. */
export interface AbortState {
  deadline: AbortSignal;
  caller?: AbortSignal;
}

/** Raised by our own code for a response that parsed but cannot be trusted. */
export class MalformedResponseError extends Error {
  override readonly name = 'MalformedResponse';
}

function readName(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { name?: unknown; code?: unknown; Code?: unknown };
    for (const value of [e.Code, e.name, e.code]) {
      if (typeof value === 'string' && value && value !== 'Error') return value;
    }
  }
  return 'UnknownError';
}

function readMessage(err: unknown): string {
  if (err instanceof Error && err.message) return err.message.split('\n')[0] ?? err.message;
  return String(err);
}

export function classifyAwsError(err: unknown, call: string, abort?: AbortState): Gap {
  const action = `ec2:${call}`;
  const message = readMessage(err);
  const name = readName(err);
  // The SDK raises a plain Error when a body does not parse: name that for what it is.
  const errorCode = name === 'UnknownError' && /parse|deserializ/i.test(message) ? 'MalformedResponse' : name;
  if (abort?.deadline.aborted) {
    return {
      call,
      action,
      kind: 'timeout',
      errorCode: 'DeadlineExceeded',
      message: `${call} did not finish before the inventory deadline`,
    };
  }
  if (abort?.caller?.aborted) {
    return {
      call,
      action,
      kind: 'timeout',
      errorCode: 'Aborted',
      message: `${call} was cancelled before it finished`,
    };
  }
  if (PERMISSION_CODES.has(errorCode)) return { call, action, kind: 'permission', errorCode, message };
  if (THROTTLE_CODES.has(errorCode)) {
    const attempts = (err as { $metadata?: { attempts?: number } }).$metadata?.attempts;
    const tries = attempts ? ` after ${attempts} attempts` : '';
    return { call, action, kind: 'throttled', errorCode, message: `${message}${tries}` };
  }
  if (errorCode === 'TimeoutError' || errorCode === 'RequestTimeout' || errorCode === 'ETIMEDOUT') {
    return { call, action, kind: 'timeout', errorCode, message };
  }
  return { call, action, kind: 'error', errorCode, message };
}

/** A part that could not load because the part it depends on did not. */
export function dependentGap(cause: Gap, call: string): Gap {
  return {
    ...cause,
    message: `${call} not made: ${cause.call} failed (${cause.errorCode}: ${cause.message})`,
  };
}
