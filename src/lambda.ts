// The one-shot Lambda in the VPC: one fresh run per invocation, wired once per execution
// environment so the inventory cache survives warm invocations. Writes EMF lines and a log
// line to stdout (synchronously: the runtime freezes the process after the handler returns),
// ships the report to VPCE_DOCTOR_LOG_GROUP, and throws per VPCE_DOCTOR_FAIL_ON so Lambda's
// own Errors metric fires. Bundled by scripts/bundle.mjs into dist/lambda.js.

import { randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import pino from 'pino';
import { createChainClientsFactory } from './aws/chain-clients.js';
import { createEc2ClientFactory } from './aws/ec2-client.js';
import { createLogsClientFactory, type Logs, shippingFinding, shipReport } from './aws/logs.js';
import { type Config, ConfigError, loadConfig } from './config.js';
import { validateContextEnv } from './context/index.js';
import { flowLogEvidenceFor } from './evidence.js';
import type { Report } from './model.js';
import { createProbes, type ProbeOptions } from './probes.js';
import { validProfileNames } from './profiles.js';
import { renderEmf, STATUS_VALUE } from './render/emf.js';
import { describePlace, nothingChecked } from './render/summary.js';
import { createRunner, type Runner } from './runner.js';
import { unmatchedServices } from './targets.js';
import { VERSION } from './version.js';

const EventSchema = Type.Object(
  {
    services: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { maxItems: 100 })),
    profiles: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 16 })),
  },
  { additionalProperties: false },
);

export interface LambdaEvent {
  services?: string[];
  profiles?: string[];
}

/** The parts of Lambda's context object the handler reads. */
export interface LambdaContext {
  awsRequestId?: string;
  functionName?: string;
  getRemainingTimeInMillis?: () => number;
}

/** What an invocation returns when it cannot run: a result, not a crash. */
export interface ErrorResult {
  ok: false;
  error: 'InvalidEvent' | 'ConfigError';
  message: string;
}

export type FailOn = 'fail' | 'warn' | 'never';

class EventError extends Error {
  override name = 'InvalidEvent';
}

/** Thrown after the report is written and shipped, so that Lambda counts the invocation as an error. */
export class ConnectivityError extends Error {
  override name = 'VpceDoctorStatus';
}

/** Validates an invocation event; a scheduled EventBridge event (no input set) counts as `{}`. */
export function parseEvent(event: unknown): LambdaEvent {
  if (event === null || event === undefined) return {};
  if (
    typeof event === 'object' &&
    (event as Record<string, unknown>)['source'] === 'aws.events' &&
    (event as Record<string, unknown>)['detail-type'] === 'Scheduled Event'
  ) {
    return {};
  }
  if (!Value.Check(EventSchema, event)) {
    const first = Value.Errors(EventSchema, event).First();
    const field = first?.path ? first.path.replace(/^\//, '').replaceAll('/', '.') : '(top level)';
    const detail = first?.message === 'Unexpected property' ? 'unknown field' : (first?.message ?? 'invalid');
    throw new EventError(
      `event: ${field}: ${detail} (expected {"services"?: [names], "profiles"?: [${validProfileNames().join(', ')}]})`,
    );
  }
  const parsed = event as LambdaEvent;
  const known = validProfileNames();
  const unknown = (parsed.profiles ?? []).filter((p) => !known.includes(p));
  if (unknown.length > 0)
    throw new EventError(`event: profiles: unknown profile '${unknown[0]}' (known: ${known.join(', ')})`);
  return parsed;
}

export function parseFailOn(value: string | undefined): FailOn {
  const v = (value ?? '').trim() || 'fail';
  if (v === 'fail' || v === 'warn' || v === 'never') return v;
  throw new ConfigError(`VPCE_DOCTOR_FAIL_ON: '${value}' is not one of fail, warn, never`);
}

/** fail: only a failing report throws; warn: anything short of pass (warn, unknown, fail) does. */
export function shouldThrow(status: Report['status'], failOn: FailOn): boolean {
  if (failOn === 'never') return false;
  const threshold = failOn === 'fail' ? STATUS_VALUE.fail : STATUS_VALUE.warn;
  return STATUS_VALUE[status] >= threshold;
}

/** One line for the error message, the log and a pager. */
export function summaryLine(report: Report): string {
  const { summary } = report;
  const where = ` · ${describePlace(report).text}`;
  const causes = report.targets
    .filter((t) => t.status !== 'pass' && t.rootCause)
    .sort(
      (a, b) =>
        STATUS_VALUE[b.status as keyof typeof STATUS_VALUE] -
        STATUS_VALUE[a.status as keyof typeof STATUS_VALUE],
    )
    .slice(0, 3)
    .map((t) => `${t.shortName}: ${t.rootCause!.code}`);
  const general = report.findings
    .filter((f) => f.status === 'fail' || f.status === 'unknown')
    .map((f) => f.code);
  const why = [...causes, ...new Set(general)].slice(0, 4);
  const nothing = nothingChecked(report);
  const counts = nothing
    ? `nothing checked: ${nothing}`
    : `${summary.fail} failing, ${summary.warn} warning, ${summary.unknown} unknown, ${summary.pass} passing`;
  return `vpce-doctor ${report.status}: ${counts}${where}${why.length ? ` · ${why.join('; ')}` : ''}`;
}

export interface HandlerDeps {
  env?: NodeJS.ProcessEnv;
  /** Where EMF and log lines go (synchronous writes); stdout by default. */
  out?: { write(line: string): unknown };
  probes?: ProbeOptions;
}

interface Wiring {
  runner: Runner;
  config: Config;
  failOn: FailOn;
  logGroup?: string;
  emf: boolean;
  logsFor: (region: string) => Logs;
  logger: pino.Logger;
}

async function wire(
  env: NodeJS.ProcessEnv,
  out: { write(line: string): unknown },
  probes: ProbeOptions,
): Promise<Wiring> {
  const config = await loadConfig(env);
  validateContextEnv(env);
  const failOn = parseFailOn(env['VPCE_DOCTOR_FAIL_ON']);
  const logsFor = createLogsClientFactory({ env });
  const logger = pino(
    {
      level: env['LOG_LEVEL'] ?? 'info',
      base: { tool: 'vpce-doctor', version: VERSION, fn: env['AWS_LAMBDA_FUNCTION_NAME'] },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    out as pino.DestinationStream,
  );
  const runner = createRunner({
    ec2For: createEc2ClientFactory({ env, requestTimeoutMs: config.timeouts.inventoryMs }),
    chainFor: createChainClientsFactory({
      env: env,
      requestTimeoutMs: config.timeouts.inventoryMs,
      ...(config.hub ? { hub: config.hub } : {}),
    }),
    env,
    config,
    probes: createProbes({ queriesPerSecond: config.dnsQueriesPerSecond, ...probes }),
    version: VERSION,
    ...flowLogEvidenceFor(env, logsFor),
  });
  const logGroup = env['VPCE_DOCTOR_LOG_GROUP']?.trim();
  return {
    runner,
    config,
    failOn,
    ...(logGroup ? { logGroup } : {}),
    emf: env['VPCE_DOCTOR_EMF'] !== '0',
    logsFor,
    logger,
  };
}

/** Time kept back from Lambda's deadline for shipping the report and returning. */
const SHIPPING_RESERVE_MS = 3_000;

export function createHandler(deps: HandlerDeps = {}) {
  const env = deps.env ?? process.env;
  const out = deps.out ?? pino.destination({ dest: 1, sync: true });
  // Module scope in the bundle: one wiring per execution environment, so the runner's
  // inventory cache (and the SDK clients' connections) survive warm invocations.
  let wiring: Promise<Wiring> | undefined;

  return async function handler(event: unknown, context: LambdaContext = {}): Promise<Report | ErrorResult> {
    const requestId = context.awsRequestId ?? randomUUID();
    let parsed: LambdaEvent;
    let w: Wiring;
    try {
      parsed = parseEvent(event);
      wiring ??= wire(env, out, deps.probes ?? {});
      w = await wiring.catch((error: unknown) => {
        wiring = undefined;
        throw error;
      });
    } catch (error) {
      if (!(error instanceof EventError || error instanceof ConfigError)) throw error;
      const result: ErrorResult = {
        ok: false,
        error: error instanceof EventError ? 'InvalidEvent' : 'ConfigError',
        message: error.message,
      };
      out.write(`${JSON.stringify({ level: 50, msg: 'invalid invocation', requestId, ...result })}\n`);
      return result;
    }

    const remaining = context.getRemainingTimeInMillis?.();
    const timeoutMs =
      remaining === undefined
        ? w.config.timeouts.reportMs
        : Math.max(1_000, Math.min(w.config.timeouts.reportMs, remaining - SHIPPING_RESERVE_MS));
    const only = parsed.services?.map((s) => s.trim()).filter(Boolean);
    const report = await w.runner.run({
      timeoutMs,
      ...(only && only.length > 0 ? { only } : {}),
      ...(parsed.profiles && parsed.profiles.length > 0 ? { profiles: parsed.profiles } : {}),
    });
    if (only && only.length > 0 && report.context.region) {
      const missing = unmatchedServices(w.runner.lastTargets(), only, report.context.region);
      if (missing.length > 0) {
        const result: ErrorResult = {
          ok: false,
          error: 'InvalidEvent',
          message: `event: services: no endpoint, profile or configured service matches ${missing.join(', ')}`,
        };
        w.logger.error({ requestId, ...result }, 'invalid invocation');
        return result;
      }
    }

    if (w.emf) out.write(renderEmf(report));

    if (w.logGroup) {
      const left = context.getRemainingTimeInMillis?.();
      const shipped = await shipReport(
        w.logsFor(report.context.region || env['AWS_REGION'] || 'us-east-1'),
        report,
        {
          logGroup: w.logGroup,
          runId: requestId,
          timeoutMs: left === undefined ? 5_000 : Math.max(500, Math.min(5_000, left - 500)),
        },
      );
      const finding = shippingFinding(shipped, report.context.region);
      if (finding) {
        report.findings.push(finding);
        if (report.status === 'pass') report.status = 'warn';
      }
      w.logger.info(
        {
          requestId,
          logGroup: shipped.logGroup,
          stream: shipped.stream,
          ok: shipped.ok,
          events: shipped.events,
          delivered: shipped.delivered,
          calls: shipped.calls,
          trimmed: shipped.trimmed,
          parts: shipped.parts,
          ...(shipped.gap ? { gap: shipped.gap } : {}),
        },
        'report shipped',
      );
    }

    const line = summaryLine(report);
    w.logger.info(
      {
        requestId,
        status: report.status,
        durationMs: report.durationMs,
        phases: report.phases,
        summary: report.summary,
      },
      line,
    );
    if (shouldThrow(report.status, w.failOn)) throw new ConnectivityError(line);
    return report;
  };
}

export const handler = createHandler();
