// `vpce-doctor report | explain`: wires the runner to a terminal. Exit codes (DESIGN.md):
// 0 pass or warn, 1 fail, 2 usage or configuration error (one line on stderr), 3 unknown.
import { parseArgs } from 'node:util';
import { createEc2ClientFactory } from './aws/ec2-client.js';
import { explain, loadCatalogue } from './catalogue.js';
import { type Config, ConfigError, loadConfig } from './config.js';
import { validateContextEnv } from './context/index.js';
import { flowLogEvidenceFor } from './evidence.js';
import type { Report } from './model.js';
import { createProbes } from './probes.js';
import { validProfileNames } from './profiles.js';
import { renderMarkdown } from './render/markdown.js';
import { renderText, shouldColor } from './render/text.js';
import { exitCodeFor } from './report.js';
import { createRunner } from './runner.js';
import { fullServiceName, unmatchedServices } from './targets.js';
import { VERSION } from './version.js';

export const EXIT = { ok: 0, fail: 1, usage: 2, unknown: 3 } as const;

const USAGE = `usage: vpce-doctor report [--format text|json|markdown] [--config FILE] [--service NAME]... [--timeout-ms N]
       vpce-doctor serve [--host H] [--port P] [--config FILE]
       vpce-doctor explain CODE
       vpce-doctor --version | --help`;

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface Io {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown };
  env: NodeJS.ProcessEnv;
}

const FORMATS = ['text', 'json', 'markdown'] as const;
type Format = (typeof FORMATS)[number];

export async function main(
  argv: string[],
  io: Io = { stdout: process.stdout, stderr: process.stderr, env: process.env },
): Promise<number> {
  try {
    const [command, ...rest] = argv;
    switch (command) {
      case 'report':
        return await reportCommand(rest, io);
      case 'serve':
        return await serveCommand(rest, io);
      case 'explain':
        return explainCommand(rest, io);
      case '--version':
      case 'version':
        io.stdout.write(`${VERSION}\n`);
        return EXIT.ok;
      case '--help':
      case '-h':
      case 'help':
        io.stdout.write(`${USAGE}\n`);
        return EXIT.ok;
      case undefined:
        throw new UsageError('missing command (report, serve or explain)');
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError) {
      io.stderr.write(`vpce-doctor: ${error.message}\n${error instanceof UsageError ? `${USAGE}\n` : ''}`);
      return EXIT.usage;
    }
    io.stderr.write(`vpce-doctor: internal error: ${(error as Error)?.message ?? String(error)}\n`);
    return EXIT.unknown;
  }
}

function parse(args: string[], options: NonNullable<Parameters<typeof parseArgs>[0]>['options']) {
  try {
    return parseArgs({ args, options: options ?? {}, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0]!);
  }
}

function parseTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value))
    throw new UsageError(`--timeout-ms: '${value}' is not a whole number of milliseconds`);
  const ms = Number(value);
  if (ms < 100 || ms > 600_000) throw new UsageError(`--timeout-ms: ${ms} is outside 100..600000`);
  return ms;
}

function validateProfiles(config: Config): void {
  const known = validProfileNames();
  for (const profile of config.profiles) {
    if (!known.includes(profile)) {
      throw new ConfigError(
        `${config.source ?? 'config'}: profiles: unknown profile '${profile}' (known: ${known.join(', ')})`,
      );
    }
  }
}

async function reportCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, {
    format: { type: 'string', short: 'f' },
    config: { type: 'string', short: 'c' },
    service: { type: 'string', short: 's', multiple: true },
    'timeout-ms': { type: 'string' },
    fresh: { type: 'boolean' },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const format = (values.format ?? 'text') as Format;
  if (!FORMATS.includes(format))
    throw new UsageError(`--format: '${values.format}' is not one of ${FORMATS.join(', ')}`);
  const timeoutMs = parseTimeout(values['timeout-ms'] as string | undefined);
  const config = await loadConfig(io.env, values.config as string | undefined);
  validateContextEnv(io.env);
  validateProfiles(config);
  if (timeoutMs !== undefined) config.timeouts.reportMs = timeoutMs;
  const only = ((values.service as string[] | undefined) ?? [])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean);

  const runner = createRunner({
    ...flowLogEvidenceFor(io.env),
    ec2For: createEc2ClientFactory({ env: io.env, requestTimeoutMs: config.timeouts.inventoryMs }),
    env: io.env,
    config,
    probes: createProbes({ queriesPerSecond: config.dnsQueriesPerSecond }),
    version: VERSION,
  });
  const report = await runner.run({
    ...(only.length > 0 ? { only } : {}),
    timeoutMs: config.timeouts.reportMs,
  });
  if (only.length > 0 && report.context.region) {
    const missing = unmatchedServices(runner.lastTargets(), only, report.context.region);
    if (missing.length > 0) {
      const names = missing.map((m) => fullServiceName(m, report.context.region)).join(', ');
      throw new UsageError(`--service: no endpoint, profile or configured service matches ${names}`);
    }
  }
  io.stdout.write(render(report, format, io));
  return exitCodeFor(report);
}

async function serveCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, {
    host: { type: 'string' },
    port: { type: 'string', short: 'p' },
    config: { type: 'string', short: 'c' },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const flags = {
    ...(values.host !== undefined ? { host: values.host as string } : {}),
    ...(values.port !== undefined ? { port: values.port as string } : {}),
  };
  if (flags.port !== undefined && !/^\d+$/.test(flags.port))
    throw new UsageError(`--port: '${flags.port}' is not a TCP port (1..65535)`);
  // The HTTP stack (fastify, prom-client) loads only for `serve`: a one-shot report starts faster.
  const { readServeSettings, serve } = await import('./server.js');
  const settings = readServeSettings(io.env, flags);
  const config = await loadConfig(io.env, values.config as string | undefined);
  validateContextEnv(io.env);
  validateProfiles(config);
  return serve({ config, env: io.env, settings });
}

function render(report: Report, format: Format, io: Io): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'markdown':
      return renderMarkdown(report);
    default:
      return renderText(report, { color: shouldColor(io.stdout, io.env) });
  }
}

function explainCommand(args: string[], io: Io): number {
  const { positionals } = parse(args, {});
  if (positionals.length !== 1) throw new UsageError('explain takes exactly one finding code');
  const text = explain(positionals[0]!);
  if (!text) {
    const codes = [...loadCatalogue().keys()];
    const near = codes.filter((c) => c.includes(positionals[0]!.toUpperCase())).slice(0, 5);
    throw new UsageError(
      `unknown finding code '${positionals[0]}'${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}`,
    );
  }
  io.stdout.write(text);
  return EXIT.ok;
}
