// CloudWatch Logs at the edge: the client, and shipping a report to a log group with
// PutLogEvents. Shipping never fails or blocks a run: it has its own deadline, and whatever
// goes wrong comes back as a Gap that the caller turns into a LOGS_SHIPPING_FAILED finding.
import {
  CloudWatchLogsClient,
  CreateLogStreamCommand,
  type InputLogEvent,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import type { AgentContext, Finding, Gap, Report } from '../model.js';
import { classifyAwsError } from './errors.js';

/** The CloudWatch Logs client, or anything with its `send` (a test may hand in another). */
export type Logs = Pick<CloudWatchLogsClient, 'send'>;

export interface LogsClientOptions {
  region?: string;
  maxAttempts?: number;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  env?: Record<string, string | undefined>;
}

/** Endpoint resolution stays the SDK's own (AWS_ENDPOINT_URL_CLOUDWATCH_LOGS, AWS_ENDPOINT_URL). */
export function createLogsClient(options: LogsClientOptions = {}): CloudWatchLogsClient {
  const env = options.env ?? process.env;
  const region = options.region ?? env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'];
  return new CloudWatchLogsClient({
    ...(region ? { region } : {}),
    // Standard mode retries ThrottlingException with backoff; adaptive would slow the whole client.
    retryMode: 'standard',
    maxAttempts: options.maxAttempts ?? 3,
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? 1_000,
      requestTimeout: options.requestTimeoutMs ?? 3_000,
    },
  });
}

/** One client per Region, made when first asked for (the Region is learned by discovery). */
export function createLogsClientFactory(
  options: Omit<LogsClientOptions, 'region'> = {},
): (region: string) => CloudWatchLogsClient {
  const clients = new Map<string, CloudWatchLogsClient>();
  return (region: string) => {
    let client = clients.get(region);
    if (!client) {
      client = createLogsClient({ ...options, region });
      clients.set(region, client);
    }
    return client;
  };
}

/** PutLogEvents quotas (CloudWatch Logs API reference): bytes count UTF-8 plus 26 per event. */
export interface LogsLimits {
  batchBytes: number;
  batchEvents: number;
  eventBytes: number;
  eventOverhead: number;
}

// AWS has raised the event limit to 1 MB in some partitions; 256 KiB holds everywhere.
export const LOGS_LIMITS: LogsLimits = {
  batchBytes: 1_048_576,
  batchEvents: 10_000,
  eventBytes: 262_144,
  eventOverhead: 26,
};

export const EVENT_KIND = {
  target: 'vpce-doctor/target',
  report: 'vpce-doctor/report',
  part: 'vpce-doctor/report-part',
} as const;

export function eventBytes(message: string, limits: LogsLimits = LOGS_LIMITS): number {
  return Buffer.byteLength(message, 'utf8') + limits.eventOverhead;
}

/** One stream per agent: its subnet and AZ (':' and '*' are not allowed in stream names). */
export function streamNameFor(context: Pick<AgentContext, 'subnetId' | 'availabilityZone'>): string {
  const name = `${context.subnetId || 'no-subnet'}/${context.availabilityZone || 'no-az'}`;
  return name.replace(/[:*]/g, '_');
}

/** The report without the evidence of its findings: what is left when the whole is too big. */
function withoutEvidence(report: Report): Report {
  const strip = <T extends { evidence: Record<string, unknown> }>(f: T): T => ({ ...f, evidence: {} });
  return {
    ...report,
    findings: report.findings.map(strip),
    targets: report.targets.map((t) => ({ ...t, findings: t.findings.map(strip) })),
  };
}

/** The largest prefix of `text` (in UTF-16 units, never halving a surrogate pair) whose event fits. */
function fittingPrefix(text: string, wrap: (slice: string) => string, limits: LogsLimits): number {
  let length = Math.min(text.length, limits.eventBytes);
  for (;;) {
    if (length > 0 && /[\uD800-\uDBFF]/.test(text.charAt(length - 1))) length -= 1;
    const bytes = eventBytes(wrap(text.slice(0, length)), limits);
    if (bytes <= limits.eventBytes || length <= 1) return length;
    length = Math.max(1, Math.floor((length * limits.eventBytes) / bytes) - 16);
  }
}

export interface ReportEvents {
  events: InputLogEvent[];
  /** The report event lost its findings' evidence to fit one event. */
  trimmed: boolean;
  /** The report went out as this many report-part events (0: as one event). */
  parts: number;
}

/**
 * The log events of one run: one compact event per target (what fleet queries read), then the
 * report as one event — without its evidence when too big, marked `trimmed` — or, when even
 * that does not fit, its JSON text in numbered `report-part` events to concatenate.
 */
export function buildReportEvents(
  report: Report,
  options: { runId: string; timestamp?: number; limits?: LogsLimits },
): ReportEvents {
  const limits = options.limits ?? LOGS_LIMITS;
  const timestamp = options.timestamp ?? Date.now();
  const { runId } = options;
  const { context } = report;
  const place = {
    runId,
    version: report.tool.version,
    region: context.region,
    vpcId: context.vpcId,
    subnetId: context.subnetId,
    availabilityZone: context.availabilityZone,
    privateIp: context.privateIp,
  };
  const events: InputLogEvent[] = report.targets.map((t) => ({
    timestamp,
    message: JSON.stringify({
      kind: EVENT_KIND.target,
      ...place,
      reportStatus: report.status,
      service: t.service,
      shortName: t.shortName,
      endpointId: t.endpointId ?? null,
      endpointType: t.endpointType,
      status: t.status,
      required: t.required,
      rootCause: t.rootCause?.code ?? null,
      rootCauseMessage: t.rootCause?.message ?? null,
      fix: t.rootCause?.fix ?? null,
      probe: t.probe ?? null,
    }),
  }));

  const whole = JSON.stringify({ kind: EVENT_KIND.report, runId, ...report });
  if (eventBytes(whole, limits) <= limits.eventBytes) {
    events.push({ timestamp, message: whole });
    return { events, trimmed: false, parts: 0 };
  }
  const trimmed = JSON.stringify({
    kind: EVENT_KIND.report,
    runId,
    trimmed: {
      reason: `the report was ${Buffer.byteLength(whole)} bytes, over the ${limits.eventBytes}-byte event limit: findings' evidence removed`,
      originalBytes: Buffer.byteLength(whole),
    },
    ...withoutEvidence(report),
  });
  if (eventBytes(trimmed, limits) <= limits.eventBytes) {
    events.push({ timestamp, message: trimmed });
    return { events, trimmed: true, parts: 0 };
  }

  // Even without evidence it does not fit: the full text, in parts. `parts` is written as a
  // fixed-width placeholder first so that every part's size is known before the count is.
  const text = JSON.stringify(report);
  const slices: string[] = [];
  const wrap = (slice: string) =>
    JSON.stringify({ kind: EVENT_KIND.part, runId, part: 999_999, parts: 999_999, text: slice });
  for (let offset = 0; offset < text.length; ) {
    const length = fittingPrefix(text.slice(offset), wrap, limits);
    slices.push(text.slice(offset, offset + length));
    offset += length;
  }
  slices.forEach((slice, i) => {
    events.push({
      timestamp,
      message: JSON.stringify({
        kind: EVENT_KIND.part,
        runId,
        part: i + 1,
        parts: slices.length,
        text: slice,
      }),
    });
  });
  return { events, trimmed: false, parts: slices.length };
}

/** Consecutive batches within the call's limits, in order (each event already fits alone). */
export function batchEvents(events: InputLogEvent[], limits: LogsLimits = LOGS_LIMITS): InputLogEvent[][] {
  const batches: InputLogEvent[][] = [];
  let current: InputLogEvent[] = [];
  let bytes = 0;
  for (const event of events) {
    const size = eventBytes(event.message ?? '', limits);
    if (current.length > 0 && (bytes + size > limits.batchBytes || current.length >= limits.batchEvents)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(event);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

export interface ShipOptions {
  logGroup: string;
  stream: string;
  signal?: AbortSignal;
  /** The whole shipping's deadline, retries included. */
  timeoutMs?: number;
  limits?: LogsLimits;
}

export interface ShipResult {
  ok: boolean;
  logGroup: string;
  stream: string;
  events: number;
  /** Events CloudWatch Logs accepted. */
  delivered: number;
  calls: number;
  createdStream: boolean;
  gap?: Gap;
}

function logsGap(err: unknown, call: string, aborted: boolean): Gap {
  if (aborted) {
    return {
      call,
      action: `logs:${call}`,
      kind: 'timeout',
      errorCode: 'DeadlineExceeded',
      message: `${call} did not finish before the shipping deadline`,
    };
  }
  return { ...classifyAwsError(err, call), action: `logs:${call}` };
}

function errorName(err: unknown): string | undefined {
  return (err as { name?: string } | undefined)?.name;
}

/** Sends events to the stream, creating it when missing. Never throws. */
export async function shipEvents(
  logs: Logs,
  events: InputLogEvent[],
  options: ShipOptions,
): Promise<ShipResult> {
  const limits = options.limits ?? LOGS_LIMITS;
  const deadline = AbortSignal.timeout(options.timeoutMs ?? 5_000);
  const abortSignal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
  const result: ShipResult = {
    ok: true,
    logGroup: options.logGroup,
    stream: options.stream,
    events: events.length,
    delivered: 0,
    calls: 0,
    createdStream: false,
  };
  const fail = (err: unknown, call: string): ShipResult => ({
    ...result,
    ok: false,
    gap: logsGap(err, call, abortSignal.aborted),
  });
  const put = async (batch: InputLogEvent[]) => {
    result.calls += 1;
    const out = await logs.send(
      new PutLogEventsCommand({
        logGroupName: options.logGroup,
        logStreamName: options.stream,
        logEvents: batch,
      }),
      { abortSignal },
    );
    const rejected = out.rejectedLogEventsInfo;
    if (rejected && Object.values(rejected).some((v) => typeof v === 'number')) {
      throw Object.assign(new Error(`PutLogEvents rejected events: ${JSON.stringify(rejected)}`), {
        name: 'RejectedLogEvents',
      });
    }
  };

  for (const batch of batchEvents(events, limits)) {
    try {
      await put(batch);
    } catch (err) {
      if (errorName(err) !== 'ResourceNotFoundException' || result.createdStream)
        return fail(err, 'PutLogEvents');
      try {
        result.calls += 1;
        await logs.send(
          new CreateLogStreamCommand({ logGroupName: options.logGroup, logStreamName: options.stream }),
          { abortSignal },
        );
      } catch (createErr) {
        if (errorName(createErr) === 'ResourceNotFoundException') {
          return {
            ...result,
            ok: false,
            gap: {
              call: 'CreateLogStream',
              action: 'logs:CreateLogStream',
              kind: 'error',
              errorCode: 'ResourceNotFoundException',
              message: `the log group ${options.logGroup} does not exist`,
            },
          };
        }
        // Another agent of the same subnet and AZ may have made it a moment ago.
        if (errorName(createErr) !== 'ResourceAlreadyExistsException')
          return fail(createErr, 'CreateLogStream');
      }
      result.createdStream = true;
      try {
        await put(batch);
      } catch (retryErr) {
        return fail(retryErr, 'PutLogEvents');
      }
    }
    result.delivered += batch.length;
  }
  return result;
}

/** Ships one report (see buildReportEvents) to its agent's stream. Never throws. */
export async function shipReport(
  logs: Logs,
  report: Report,
  options: Omit<ShipOptions, 'stream'> & { stream?: string; runId: string; timestamp?: number },
): Promise<ShipResult & Pick<ReportEvents, 'trimmed' | 'parts'>> {
  const limits = options.limits ?? LOGS_LIMITS;
  const built = buildReportEvents(report, {
    runId: options.runId,
    limits,
    ...(options.timestamp !== undefined ? { timestamp: options.timestamp } : {}),
  });
  const stream = options.stream ?? streamNameFor(report.context);
  const result = await shipEvents(logs, built.events, { ...options, stream, limits });
  return { ...result, trimmed: built.trimmed, parts: built.parts };
}

/** The finding for a shipping that did not complete; undefined when it did. */
export function shippingFinding(result: ShipResult, region: string): Finding | undefined {
  if (result.ok || !result.gap) return undefined;
  const { gap } = result;
  const where = `log group ${result.logGroup} (stream ${result.stream})`;
  const missingGroup = gap.call === 'CreateLogStream' && gap.errorCode === 'ResourceNotFoundException';
  let why: string;
  let fix: string;
  if (missingGroup) {
    why = `the log group does not exist`;
    fix = `Create it (the deploy template should): aws logs create-log-group --log-group-name ${result.logGroup} && aws logs put-retention-policy --log-group-name ${result.logGroup} --retention-in-days 30; or correct VPCE_DOCTOR_LOG_GROUP`;
  } else if (gap.kind === 'permission') {
    why = `${gap.call} denied (${gap.errorCode}): the agent's role lacks ${gap.action}`;
    fix = `Allow logs:CreateLogStream and logs:PutLogEvents on arn:aws:logs:${region || 'REGION'}:ACCOUNT:log-group:${result.logGroup}:* in the agent's role (see deploy/)`;
  } else if (gap.kind === 'throttled') {
    why = `${gap.call} throttled (${gap.errorCode}) after the SDK's retries`;
    fix = `Lower the PutLogEvents rate in this account and Region (fewer agents per subnet, a longer schedule) or request a higher quota`;
  } else {
    why = `${gap.call} failed (${gap.kind} ${gap.errorCode}: ${gap.message})`;
    fix = `Check that this subnet reaches CloudWatch Logs: a logs interface endpoint (com.amazonaws.${region || 'REGION'}.logs) with private DNS, or NAT; the report's logs target says which`;
  }
  return {
    check: 'context',
    code: 'LOGS_SHIPPING_FAILED',
    status: 'warn',
    message: `the report was not shipped to ${where}: ${why}; ${result.delivered} of ${result.events} events delivered`,
    fix,
    evidence: {
      logGroup: result.logGroup,
      stream: result.stream,
      events: result.events,
      delivered: result.delivered,
      calls: result.calls,
      gap,
    },
  };
}
