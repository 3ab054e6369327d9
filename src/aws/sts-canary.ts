// The optional signed canary (configuration `canary: { signed: true }`): one
// sts:GetCallerIdentity with the agent's own credentials through the regional STS endpoint,
// the name a VPC endpoint's private DNS serves. GetCallerIdentity changes nothing and needs no
// IAM permission (an identity policy cannot deny it, STS API Reference), so an AccessDenied
// here comes from a layer the call passes through — typically the STS endpoint's policy — and
// AWS's message names it (src/eval/access-denied.ts).
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { classifyAccessDenied } from '../eval/access-denied.js';
import type { SignedCallObservation } from '../model.js';
import { elapsedMs } from '../net/deadline.js';

export interface SignedCallOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

const DENIED_CODES = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation']);

/**
 * One attempt, no retries, within the deadline. Endpoint resolution is the SDK's own: regional
 * by default in v3 (sts.REGION.amazonaws.com), AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL honoured.
 */
export async function callCallerIdentity(
  region: string,
  options: SignedCallOptions,
): Promise<SignedCallObservation> {
  const started = process.hrtime.bigint();
  const client = new STSClient({
    region,
    maxAttempts: 1,
    requestHandler: { connectionTimeout: options.timeoutMs, requestTimeout: options.timeoutMs },
  });
  const signal = options.signal
    ? AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)])
    : AbortSignal.timeout(options.timeoutMs);
  const base = { call: 'sts:GetCallerIdentity' as const, region };
  try {
    const out = await client.send(new GetCallerIdentityCommand({}), { abortSignal: signal });
    return {
      ...base,
      outcome: 'ok',
      ...(out.Arn ? { arn: out.Arn } : {}),
      ...(out.Account ? { account: out.Account } : {}),
      durationMs: elapsedMs(started),
    };
  } catch (error) {
    const err = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    const errorCode = err.name ?? 'Error';
    const message = String(err.message ?? error).slice(0, 2048);
    const httpStatus = err.$metadata?.httpStatusCode;
    const denied = DENIED_CODES.has(errorCode);
    return {
      ...base,
      outcome: denied ? 'denied' : 'error',
      errorCode,
      message,
      ...(httpStatus !== undefined ? { httpStatus } : {}),
      ...(denied ? { denied: classifyAccessDenied(message) } : {}),
      durationMs: elapsedMs(started),
    };
  } finally {
    client.destroy();
  }
}
