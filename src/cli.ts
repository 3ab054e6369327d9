// `vpce-doctor report | serve | explain | completion | help`: wires the runner to a terminal.
// Exit codes (DESIGN.md): 0 pass or warn, 1 fail, 2 usage or configuration error (one line on
// stderr), 3 unknown. Options, help and completion come from one table (cli-options.ts).

import { createChainClientsFactory } from './aws/chain-clients.js';
import { createEc2ClientFactory } from './aws/ec2-client.js';
import { explain, loadCatalogue } from './catalogue.js';
import {
  COMMANDS,
  type FixFormat,
  type Format,
  type HelpDefaults,
  nearest,
  parseCommandArgs,
  renderCommandHelp,
  renderOverview,
  requireCommand,
  UsageError,
} from './cli-options.js';
import { completionScript } from './completion.js';
import { type Config, ConfigError, loadConfig } from './config.js';
import { validateContextEnv } from './context/index.js';
import { flowLogEvidenceFor } from './evidence.js';
import type { Report } from './model.js';
import { createProbes } from './probes.js';
import { validProfileNames } from './profiles.js';
import { renderJunit } from './render/junit.js';
import { renderMarkdown } from './render/markdown.js';
import { renderTerminalMarkdown } from './render/terminal-markdown.js';
import { renderText, shouldColor } from './render/text.js';
import { exitCodeFor } from './report.js';
import { createRunner } from './runner.js';
import { fullServiceName, unmatchedServices } from './targets.js';
import { VERSION } from './version.js';

export { UsageError } from './cli-options.js';

export const EXIT = { ok: 0, fail: 1, usage: 2, unknown: 3 } as const;

export interface Io {
  stdout: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  stderr: { write(text: string): unknown };
  env: NodeJS.ProcessEnv;
}

export async function main(
  argv: string[],
  io: Io = { stdout: process.stdout, stderr: process.stderr, env: process.env },
): Promise<number> {
  try {
    const [command, ...rest] = argv;
    switch (command) {
      case '--version':
      case 'version':
        io.stdout.write(`${VERSION}\n`);
        return EXIT.ok;
      case '--help':
      case '-h':
        io.stdout.write(renderOverview());
        return EXIT.ok;
      case undefined:
        throw new UsageError(`missing command (${COMMANDS.map((c) => c.name).join(', ')})`);
    }
    const spec = requireCommand(command, 'unknown command');
    const args = parseCommandArgs(spec, rest);
    if (args.help) {
      io.stdout.write(renderCommandHelp(spec, await helpDefaults()));
      return EXIT.ok;
    }
    switch (spec.name) {
      case 'report':
        return await reportCommand(args.values, io);
      case 'serve':
        return await serveCommand(args.values, io);
      case 'explain':
        return explainCommand(args.positionals[0]!, args.values, io);
      case 'completion':
        return completionCommand(args.positionals[0]!, io);
      default:
        return await helpCommand(args.positionals[0], io);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      const hint = error.command
        ? `; see 'vpce-doctor ${error.command} --help'`
        : "; see 'vpce-doctor --help'";
      io.stderr.write(`vpce-doctor: ${error.message}${hint}\n`);
      return EXIT.usage;
    }
    if (error instanceof ConfigError) {
      io.stderr.write(`vpce-doctor: ${error.message}\n`);
      return EXIT.usage;
    }
    io.stderr.write(`vpce-doctor: internal error: ${(error as Error)?.message ?? String(error)}\n`);
    return EXIT.unknown;
  }
}

/** The serve defaults as the code applies them: help never states a default the code does not use. */
async function helpDefaults(): Promise<HelpDefaults> {
  const { readServeSettings } = await import('./server.js');
  const s = readServeSettings({});
  return {
    host: s.host,
    port: s.port,
    intervalSeconds: s.intervalMs / 1000,
    freshMinIntervalSeconds: s.freshMinIntervalMs / 1000,
    unhealthyOn: s.unhealthyOn,
    maxConnections: s.maxConnections,
    logLevel: s.logLevel,
  };
}

async function helpCommand(name: string | undefined, io: Io): Promise<number> {
  if (name === undefined) {
    io.stdout.write(renderOverview());
    return EXIT.ok;
  }
  io.stdout.write(renderCommandHelp(requireCommand(name, 'no command'), await helpDefaults()));
  return EXIT.ok;
}

function parseTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value))
    throw new UsageError(`--timeout-ms: '${value}' is not a whole number of milliseconds`, 'report');
  const ms = Number(value);
  if (ms < 100 || ms > 600_000) throw new UsageError(`--timeout-ms: ${ms} is outside 100..600000`, 'report');
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

type Values = Record<string, string | string[] | true>;

async function reportCommand(values: Values, io: Io): Promise<number> {
  const format = (values['format'] ?? 'text') as Format;
  const fixFormat = values['fix-format'] as FixFormat | undefined;
  if (fixFormat !== undefined && format === 'json') {
    throw new UsageError(
      "--fix-format is for --format text, markdown or junit (the JSON carries every kind in each finding's fixes)",
      'report',
    );
  }
  const timeoutMs = parseTimeout(values['timeout-ms'] as string | undefined);
  const config = await loadConfig(io.env, values['config'] as string | undefined);
  validateContextEnv(io.env);
  validateProfiles(config);
  if (timeoutMs !== undefined) config.timeouts.reportMs = timeoutMs;
  const only = ((values['service'] as string[] | undefined) ?? [])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean);

  const runner = createRunner({
    ...flowLogEvidenceFor(io.env),
    ec2For: createEc2ClientFactory({ env: io.env, requestTimeoutMs: config.timeouts.inventoryMs }),
    chainFor: createChainClientsFactory({
      env: io.env,
      requestTimeoutMs: config.timeouts.inventoryMs,
      ...(config.hub ? { hub: config.hub } : {}),
    }),
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
      throw new UsageError(
        `--service: no endpoint, profile or configured service matches ${names}`,
        'report',
      );
    }
  }
  io.stdout.write(renderReport(report, format, fixFormat, io));
  return exitCodeFor(report);
}

async function serveCommand(values: Values, io: Io): Promise<number> {
  const flags = {
    ...(values['host'] !== undefined ? { host: values['host'] as string } : {}),
    ...(values['port'] !== undefined ? { port: values['port'] as string } : {}),
  };
  if (flags.port !== undefined && !/^\d+$/.test(flags.port))
    throw new UsageError(`--port: '${flags.port}' is not a TCP port (1..65535)`, 'serve');
  // The HTTP stack (fastify, prom-client) loads only for `serve`: a one-shot report starts faster.
  const { readServeSettings, serve } = await import('./server.js');
  const settings = readServeSettings(io.env, flags);
  const config = await loadConfig(io.env, values['config'] as string | undefined);
  validateContextEnv(io.env);
  validateProfiles(config);
  return serve({ config, env: io.env, settings });
}

/**
 * The report in the format and fix form asked for (exported for the CLI's tests). Text and junit
 * show one kind (the CLI line unless asked); markdown shows the CLI line and every snippet unless
 * one kind is asked for.
 */
export function renderReport(
  report: Report,
  format: Format,
  fixFormat: FixFormat | undefined,
  io: Io,
): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'markdown':
      return renderMarkdown(report, fixFormat ? { fixFormat } : {});
    case 'junit':
      return renderJunit(report, { fixFormat: fixFormat ?? 'cli' });
    default:
      return renderText(report, { color: shouldColor(io.stdout, io.env), fixFormat: fixFormat ?? 'cli' });
  }
}

function explainCommand(code: string, values: Values, io: Io): number {
  const catalogue = loadCatalogue();
  const entry = catalogue.get(code.trim().toUpperCase());
  if (!entry) {
    const codes = [...catalogue.keys()];
    const upper = code.toUpperCase();
    const near = codes.filter((c) => c.includes(upper)).slice(0, 5);
    const typo = nearest(upper, codes);
    if (near.length === 0 && typo) near.push(typo);
    throw new UsageError(
      `unknown finding code '${code}'${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}`,
      'explain',
    );
  }
  // The same markdown /findings/CODE serves.
  const markdown = explain(entry.code)!;
  if (values['format'] === 'markdown') {
    io.stdout.write(markdown);
    return EXIT.ok;
  }
  io.stdout.write(
    renderTerminalMarkdown(markdown, {
      color: shouldColor(io.stdout, io.env),
      ...(io.stdout.columns ? { width: io.stdout.columns } : {}),
    }),
  );
  return EXIT.ok;
}

function completionCommand(shell: string, io: Io): number {
  const script = completionScript(shell, [...loadCatalogue().keys()]);
  if (!script) throw new UsageError(`no completion for '${shell}' (bash or zsh)`, 'completion');
  io.stdout.write(script);
  return EXIT.ok;
}
