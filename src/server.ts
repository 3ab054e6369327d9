// `vpce-doctor serve`: the only place that listens. Wires the runner, the schedule, the logger
// and the signals to the app of app.ts; ECS stops sidecars with SIGTERM, so that path is short.
import type { EC2Client } from '@aws-sdk/client-ec2';
import pino, { type Logger } from 'pino';
import { buildApp, MAX_CONNECTIONS, type UnhealthyOn } from './app.js';
import { createChainClientsFactory } from './aws/chain-clients.js';
import { createEc2ClientFactory } from './aws/ec2-client.js';
import { type Config, ConfigError } from './config.js';
import { flowLogEvidenceFor, withEmf } from './evidence.js';
import { createMetrics, type Metrics } from './metrics.js';
import { createProbes } from './probes.js';
import { createRunner } from './runner.js';
import { startSchedule } from './schedule.js';
import { VERSION } from './version.js';

export interface ServeSettings {
  host: string;
  port: number;
  intervalMs: number;
  freshMinIntervalMs: number;
  unhealthyOn: UnhealthyOn;
  healthRequiredOnly: boolean;
  token?: string;
  maxConnections: number;
  logLevel: string;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
/** After SIGTERM: what ECS waits (stopTimeout) is 30 s by default; we are done well before. */
const SHUTDOWN_DEADLINE_MS = 5_000;
/** A bearer token shorter than this can be guessed; 32 hex characters are 128 bits. */
export const MIN_TOKEN_LENGTH = 32;
const MAX_TOKEN_LENGTH = 4096;

/**
 * Why a token can never work, or is too weak, or undefined when it is fine. The header parser
 * takes one run of visible ASCII after `Bearer `: whitespace (a secret saved with its trailing
 * newline) or other characters would never match, so the API would stay closed without saying why.
 */
export function tokenProblem(token: string): string | undefined {
  if (/\s/.test(token))
    return 'contains whitespace (a trailing newline from the secret?), which no Authorization header can carry';
  if (!/^[\x21-\x7e]+$/.test(token)) return 'contains characters other than visible ASCII';
  if (token.length < MIN_TOKEN_LENGTH)
    return `is ${token.length} characters long; at least ${MIN_TOKEN_LENGTH} are required`;
  if (token.length > MAX_TOKEN_LENGTH) return `is longer than ${MAX_TOKEN_LENGTH} characters`;
  return undefined;
}

function seconds(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback * 1000;
  const value = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || value < min || value > max) {
    throw new ConfigError(`${name}: '${raw}' is not a number of seconds in ${min}..${max}`);
  }
  return Math.round(value * 1000);
}

function port(raw: string, name: string): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > 65_535) {
    throw new ConfigError(`${name}: '${raw}' is not a TCP port (1..65535)`);
  }
  return value;
}

/** Flags win over the environment; every value is checked once, here. */
export function readServeSettings(
  env: NodeJS.ProcessEnv,
  flags: { host?: string; port?: string } = {},
): ServeSettings {
  const unhealthyOn = env['VPCE_DOCTOR_UNHEALTHY_ON'] || 'fail';
  if (unhealthyOn !== 'fail' && unhealthyOn !== 'warn') {
    throw new ConfigError(`VPCE_DOCTOR_UNHEALTHY_ON: '${unhealthyOn}' is not one of fail, warn`);
  }
  const requiredOnly = env['VPCE_DOCTOR_HEALTH_REQUIRED_ONLY'] || '0';
  if (!['0', '1', 'true', 'false'].includes(requiredOnly)) {
    throw new ConfigError(
      `VPCE_DOCTOR_HEALTH_REQUIRED_ONLY: '${requiredOnly}' is not one of 0, 1, true, false`,
    );
  }
  const logLevel = (env['LOG_LEVEL'] || 'info').toLowerCase();
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL: '${env['LOG_LEVEL']}' is not one of ${LOG_LEVELS.join(', ')}`);
  }
  const host = flags.host ?? (env['VPCE_DOCTOR_HOST'] || '0.0.0.0');
  if (host === '') throw new ConfigError('--host: empty');
  const token = env['VPCE_DOCTOR_TOKEN'];
  if (token) {
    const problem = tokenProblem(token);
    if (problem) {
      throw new ConfigError(
        `VPCE_DOCTOR_TOKEN ${problem}: use ${MIN_TOKEN_LENGTH} or more visible ASCII characters, e.g. from openssl rand -hex 32`,
      );
    }
  }
  const maxConnections = env['VPCE_DOCTOR_MAX_CONNECTIONS'] || String(MAX_CONNECTIONS);
  if (!/^\d+$/.test(maxConnections) || Number(maxConnections) < 16 || Number(maxConnections) > 65_535) {
    throw new ConfigError(`VPCE_DOCTOR_MAX_CONNECTIONS: '${maxConnections}' is not a number in 16..65535`);
  }
  return {
    host,
    port:
      flags.port !== undefined
        ? port(flags.port, '--port')
        : env['VPCE_DOCTOR_PORT']
          ? port(env['VPCE_DOCTOR_PORT'], 'VPCE_DOCTOR_PORT')
          : 9077,
    intervalMs: seconds(env, 'VPCE_DOCTOR_INTERVAL_SECONDS', 60, 1, 86_400),
    freshMinIntervalMs: seconds(env, 'VPCE_DOCTOR_FRESH_MIN_INTERVAL_SECONDS', 10, 0, 3_600),
    unhealthyOn,
    healthRequiredOnly: requiredOnly === '1' || requiredOnly === 'true',
    ...(token ? { token } : {}),
    maxConnections: Number(maxConnections),
    logLevel,
  };
}

/** JSON logs; on a terminal, one short readable line per record instead (no pino-pretty needed). */
export function createLogger(level: string, stream: NodeJS.WriteStream = process.stdout): Logger {
  if (!stream.isTTY) return pino({ level, base: { pid: process.pid } });
  const names: Record<number, string> = {
    10: 'TRACE',
    20: 'DEBUG',
    30: 'INFO',
    40: 'WARN',
    50: 'ERROR',
    60: 'FATAL',
  };
  return pino(
    { level },
    {
      write(line: string) {
        const { time, level: n, msg, pid: _pid, hostname: _host, ...rest } = JSON.parse(line);
        const extra = Object.entries(rest)
          .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
          .join(' ');
        stream.write(
          `${new Date(time).toISOString().slice(11, 23)} ${names[n] ?? n} ${msg ?? ''}${extra ? ` ${extra}` : ''}\n`,
        );
      },
    },
  );
}

/**
 * Counts every EC2 call by action once it settles (after the SDK's retries). A failed call's
 * full error text (role ARN, encoded authorization message) is logged at debug: the report
 * holds it redacted (src/aws/errors.ts), an operator with the logs can still decode it.
 */
function countCalls(client: EC2Client, metrics: Metrics, logger: Logger): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const action = String(context.commandName ?? 'unknown').replace(/Command$/, '');
      try {
        const result = await next(args);
        metrics.observeEc2Call(action);
        return result;
      } catch (error) {
        const { name, code } = (error ?? {}) as { name?: string; code?: string };
        // Service errors carry their AWS code as the name; network errors only an errno code.
        metrics.observeEc2Call(action, name && name !== 'Error' ? name : (code ?? 'Error'));
        logger.debug({ action: `ec2:${action}`, err: error }, 'EC2 call failed');
        throw error;
      }
    },
    { step: 'initialize', name: 'vpceDoctorCallCounter' },
  );
}

export interface ServeOptions {
  config: Config;
  env: NodeJS.ProcessEnv;
  settings: ServeSettings;
  logger?: Logger;
  /** Resolves when serve should stop; defaults to the first SIGTERM or SIGINT. */
  stopSignal?: Promise<string>;
}

function firstSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      // A second signal while shutting down means "now".
      process.once(signal, () => process.exit(0));
      resolve(signal);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
}

/** Serves until SIGTERM/SIGINT, then stops the schedule and drains requests. Returns the exit code. */
export async function serve(options: ServeOptions): Promise<number> {
  const { config, env, settings } = options;
  const logger = options.logger ?? createLogger(settings.logLevel);
  const stopSignal = options.stopSignal ?? firstSignal();
  const metrics = createMetrics({ version: VERSION, scheduleIntervalSeconds: settings.intervalMs / 1000 });
  const ec2Factory = createEc2ClientFactory({ env, requestTimeoutMs: config.timeouts.inventoryMs });
  const clients = new Set<EC2Client>();
  const base = createRunner({
    ...flowLogEvidenceFor(env),
    ec2For: (region) => {
      const client = ec2Factory(region);
      if (!clients.has(client)) {
        countCalls(client, metrics, logger);
        clients.add(client);
      }
      return client;
    },
    env,
    config,
    probes: createProbes({ queriesPerSecond: config.dnsQueriesPerSecond }),
    chainFor: createChainClientsFactory({
      env: env,
      requestTimeoutMs: config.timeouts.inventoryMs,
      ...(config.hub ? { hub: config.hub } : {}),
    }),
    version: VERSION,
  });
  // The sidecar's stdout goes to CloudWatch Logs (awslogs): EMF lines there become metrics.
  const runner = env['VPCE_DOCTOR_EMF'] === '1' ? withEmf(base) : base;
  const app = buildApp({
    runner,
    version: VERSION,
    metrics,
    logger,
    runTimeoutMs: config.timeouts.reportMs,
    freshMinIntervalMs: settings.freshMinIntervalMs,
    unhealthyOn: settings.unhealthyOn,
    healthRequiredOnly: settings.healthRequiredOnly,
    maxConnections: settings.maxConnections,
    ...(settings.token ? { token: settings.token } : {}),
  });

  try {
    await app.listen({ host: settings.host, port: settings.port });
  } catch (error) {
    await app.close();
    throw new ConfigError(
      `cannot listen on ${settings.host}:${settings.port}: ${(error as Error).message.split('\n')[0]}`,
    );
  }
  logger.info(
    {
      host: settings.host,
      port: settings.port,
      intervalSeconds: settings.intervalMs / 1000,
      access: settings.token ? 'token' : 'loopback clients only (no token)',
      maxConnections: settings.maxConnections,
      unhealthyOn: settings.unhealthyOn,
      healthRequiredOnly: settings.healthRequiredOnly,
    },
    `vpce-doctor ${VERSION} serving`,
  );
  const schedule = startSchedule({ intervalMs: settings.intervalMs, tick: () => app.reports.tick() });

  const signal = await stopSignal;
  logger.info({ signal }, 'shutting down');
  const deadline = setTimeout(() => {
    logger.warn('shutdown took too long; exiting');
    process.exit(0);
  }, SHUTDOWN_DEADLINE_MS);
  deadline.unref();
  app.reports.stop();
  await schedule.stop();
  await app.close();
  for (const client of clients) client.destroy();
  clearTimeout(deadline);
  logger.info('stopped');
  logger.flush?.();
  return 0;
}
