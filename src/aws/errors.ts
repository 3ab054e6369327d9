// The one place that reads AWS SDK error fields: every failed call becomes a Gap. A Gap's text
// reaches the report, which `serve` hands to anyone with the token: it is redacted here, once.
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

/** What stands in for what was cut; the agent's logs (LOG_LEVEL=debug in `serve`) keep the original. */
export const REDACTED = '<redacted>';

// AWS error text names the caller and the account: `User: arn:aws:sts::123456789012:assumed-role/
// app/i-0abc is not authorized…`, `…on resource: arn:aws:logs:…:123456789012:log-group:x`, and an
// `Encoded authorization failure message: <kilobytes>` that decodes (sts:DecodeAuthorizationMessage)
// to the whole request context. The report keeps the action, the error code and the sentence
// around them, which names the layer that denied (identity policy, SCP, endpoint policy).
const ENCODED_MESSAGE = /(encoded authorization failure message:?)\s*\S+/gi;
const ARN = /\barn:[a-z0-9-]+:[^\s"',;)]+/gi;
// IAM unique ids (AIDA user, AROA role, ASIA/AKIA access keys…), with a role session after ':'.
const UNIQUE_ID = /\b(?:AKIA|ASIA|AIDA|AROA|AGPA|ANPA|ANVA|APKA|ABIA|ACCA)[A-Z0-9]{12,}(?::[^\s"',;)]+)?/g;
const ACCOUNT_ID = /(?<![\w-])\d{12}(?![\w-])/g;
const MAX_MESSAGE_CHARS = 500;

/**
 * AWS error text without what identifies the account or the caller: ARNs, account ids, IAM
 * unique ids and access key ids, encoded authorization messages; also control characters, and
 * at most 500 characters. Pure, and idempotent.
 */
export function redactAwsText(text: string): string {
  const redacted = text
    .replace(ENCODED_MESSAGE, `$1 ${REDACTED}`)
    .replace(ARN, REDACTED)
    .replace(UNIQUE_ID, REDACTED)
    .replace(ACCOUNT_ID, REDACTED)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
    .replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ');
  return redacted.length > MAX_MESSAGE_CHARS ? `${redacted.slice(0, MAX_MESSAGE_CHARS - 1)}…` : redacted;
}

/** An error code is a token (`AccessDenied`, `ECONNREFUSED`); anything else is not one. */
function readCode(err: unknown): string {
  const name = readName(err);
  return /^[A-Za-z][A-Za-z0-9._-]{0,63}$/.test(name) ? name : 'UnknownError';
}

export function classifyAwsError(err: unknown, call: string, abort?: AbortState): Gap {
  const action = `ec2:${call}`;
  const message = redactAwsText(readMessage(err));
  const name = readCode(err);
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
