// The CLI's commands as one table: the parser, every command's --help and the shell completion
// scripts all read it, so an option cannot be accepted without being documented (or completed).
import { DEFAULT_TIMEOUTS } from './config.js';

export const FORMATS = ['text', 'json', 'markdown', 'junit'] as const;
export type Format = (typeof FORMATS)[number];
export const FIX_FORMATS = ['cli', 'terraform', 'cloudformation'] as const;
export type FixFormat = (typeof FIX_FORMATS)[number];
export const EXPLAIN_FORMATS = ['text', 'markdown'] as const;
export const SHELLS = ['bash', 'zsh'] as const;

export class UsageError extends Error {
  override name = 'UsageError';
  /** The command whose --help the message points to, when the command is known. */
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
  }
}

/** What `serve --help` prints as defaults: read from the code that applies them (src/server.ts). */
export interface HelpDefaults {
  host: string;
  port: number;
  intervalSeconds: number;
  freshMinIntervalSeconds: number;
  unhealthyOn: string;
  maxConnections: number;
  logLevel: string;
}

export interface OptionSpec {
  /** The long name, without `--`. */
  name: string;
  short?: string;
  /** What the value is called in help (FORMAT, FILE); absent for a flag that takes no value. */
  value?: string;
  choices?: readonly string[];
  multiple?: boolean;
  /** For completion: the value is a file name. */
  file?: boolean;
  help: string;
  default?: (d: HelpDefaults) => string;
}

export interface EnvSpec {
  name: string;
  help: string;
  default: string | ((d: HelpDefaults) => string);
}

export interface CommandSpec {
  name: string;
  summary: string;
  /** The positional arguments, as help shows them (`CODE`), and what completes them. */
  args?: { name: string; what: string; min: number; max: number; complete?: 'codes' | 'shells' | 'commands' };
  options: OptionSpec[];
  env: EnvSpec[];
  exits: Array<[number, string]>;
  examples?: string[] | ((d: HelpDefaults) => string[]);
}

const HELP_OPTION: OptionSpec = { name: 'help', short: 'h', help: 'print this help and exit' };

const CONTEXT_ENV: EnvSpec[] = [
  { name: 'VPCE_DOCTOR_CONFIG', default: 'none', help: 'the configuration file (--config wins)' },
  {
    name: 'VPCE_DOCTOR_PROFILES',
    default: 'none',
    help: 'comma-separated workload profiles (ecs-fargate, ssm, lambda, eks-nodes)',
  },
  { name: 'VPCE_DOCTOR_SERVICES', default: 'none', help: 'comma-separated extra services to check' },
  {
    name: 'VPCE_DOCTOR_VPC_ID',
    default: 'discovered',
    help: 'the VPC the agent runs in, when discovery cannot tell',
  },
  { name: 'VPCE_DOCTOR_SUBNET_ID', default: 'discovered', help: 'its subnet' },
  { name: 'VPCE_DOCTOR_AZ', default: 'discovered', help: 'its Availability Zone (name or id)' },
  { name: 'VPCE_DOCTOR_PRIVATE_IP', default: 'discovered', help: 'its IPv4 address' },
  {
    name: 'VPCE_DOCTOR_SECURITY_GROUP_IDS',
    default: 'discovered',
    help: 'its security groups, comma-separated',
  },
  {
    name: 'VPCE_DOCTOR_FLOW_LOGS',
    default: 'on',
    help: '0 turns off flow-log REJECT evidence for failing services',
  },
  { name: 'AWS_REGION', default: 'discovered', help: 'the Region (AWS_DEFAULT_REGION is read too)' },
  {
    name: 'AWS_PROFILE',
    default: 'SDK chain',
    help: "credentials come from the AWS SDK's default chain (AWS_ACCESS_KEY_ID…, AWS_PROFILE, the task role)",
  },
  {
    name: 'AWS_ENDPOINT_URL',
    default: 'SDK default',
    help: 'another endpoint for every AWS API; AWS_ENDPOINT_URL_EC2, AWS_ENDPOINT_URL_CLOUDWATCH_LOGS, AWS_ENDPOINT_URL_STS for one service',
  },
  {
    name: 'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS',
    default: 'false',
    help: 'true: ignore the AWS_ENDPOINT_URL* variables',
  },

  { name: 'AWS_EC2_METADATA_DISABLED', default: 'false', help: 'true: do not ask IMDS where the agent runs' },
  { name: 'AWS_EC2_METADATA_SERVICE_ENDPOINT', default: 'http://169.254.169.254', help: 'where IMDS is' },
  {
    name: 'ECS_CONTAINER_METADATA_URI_V4',
    default: 'set by ECS',
    help: 'the ECS task metadata, read for the address and AZ',
  },
  { name: 'NODE_EXTRA_CA_CERTS', default: 'none', help: 'extra trust roots (a TLS-intercepting proxy)' },
];

const COLOR_ENV: EnvSpec[] = [
  { name: 'NO_COLOR', default: 'unset', help: 'set: no colour, even on a terminal' },
  { name: 'TERM', default: 'inherited', help: 'dumb: no colour' },
];

export const COMMANDS: CommandSpec[] = [
  {
    name: 'report',
    summary: "check this subnet's VPC endpoints once and print the report",
    options: [
      {
        name: 'format',
        short: 'f',
        value: 'FORMAT',
        choices: FORMATS,
        help: 'text (a table), json (docs/report.schema.json), markdown (for a chat), junit (one test case per service)',
        default: () => 'text',
      },
      {
        name: 'fix-format',
        value: 'KIND',
        choices: FIX_FORMATS,
        help: "the fix as code the text and junit reports show under each failure's fix line: AWS CLI commands with the real ids, Terraform or CloudFormation (markdown shows all three unless one is asked for)",
        default: () => 'cli',
      },
      {
        name: 'config',
        short: 'c',
        value: 'FILE',
        file: true,
        help: 'a YAML or JSON configuration file (README.md, Configuration)',
      },
      {
        name: 'service',
        short: 's',
        value: 'NAME',
        multiple: true,
        help: 'check only this service (ecr.dkr, s3, …); repeat it or separate names with commas',
      },
      {
        name: 'timeout-ms',
        value: 'N',
        help: 'the deadline of the whole report, 100..600000 ms',
        default: () => String(DEFAULT_TIMEOUTS.reportMs),
      },
      HELP_OPTION,
    ],
    env: [...CONTEXT_ENV, ...COLOR_ENV],
    exits: [
      [0, 'every service passes, or some only warn'],
      [1, 'at least one service fails'],
      [2, 'usage or configuration error (one line on stderr)'],
      [3, 'could not decide: the report says what it could not read'],
    ],
    examples: [
      'vpce-doctor report --service ecr.dkr --service s3',
      'vpce-doctor report --format junit > vpce-doctor.xml',
      'vpce-doctor report --fix-format terraform',
    ],
  },
  {
    name: 'serve',
    summary: 'check on a schedule and serve the latest report over HTTP (the sidecar)',
    options: [
      {
        name: 'host',
        value: 'HOST',
        help: 'the address to listen on (wins over VPCE_DOCTOR_HOST)',
        default: (d) => d.host,
      },
      {
        name: 'port',
        short: 'p',
        value: 'PORT',
        help: 'the TCP port to listen on (wins over VPCE_DOCTOR_PORT)',
        default: (d) => String(d.port),
      },
      {
        name: 'config',
        short: 'c',
        value: 'FILE',
        file: true,
        help: 'a YAML or JSON configuration file (README.md, Configuration)',
      },
      HELP_OPTION,
    ],
    env: [
      { name: 'VPCE_DOCTOR_HOST', default: (d) => d.host, help: 'the address to listen on' },
      { name: 'VPCE_DOCTOR_PORT', default: (d) => String(d.port), help: 'the TCP port to listen on' },
      {
        name: 'VPCE_DOCTOR_INTERVAL_SECONDS',
        default: (d) => String(d.intervalSeconds),
        help: 'seconds between runs, jittered ±10 %',
      },
      {
        name: 'VPCE_DOCTOR_FRESH_MIN_INTERVAL_SECONDS',
        default: (d) => String(d.freshMinIntervalSeconds),
        help: '?fresh=1 runs at most this often',
      },
      {
        name: 'VPCE_DOCTOR_UNHEALTHY_ON',
        default: (d) => d.unhealthyOn,
        help: '/health answers 503 on fail, or on warn too',
      },
      {
        name: 'VPCE_DOCTOR_HEALTH_REQUIRED_ONLY',
        default: '0',
        help: '1: only required services count for /health',
      },
      {
        name: 'VPCE_DOCTOR_TOKEN',
        default: 'unset',
        help: 'bearer token (32+ visible ASCII characters); unset, the API answers loopback clients only',
      },
      {
        name: 'VPCE_DOCTOR_MAX_CONNECTIONS',
        default: (d) => String(d.maxConnections),
        help: 'sockets held at once',
      },
      {
        name: 'VPCE_DOCTOR_EMF',
        default: '0',
        help: '1: also write each report as CloudWatch EMF lines on stdout',
      },
      {
        name: 'LOG_LEVEL',
        default: (d) => d.logLevel,
        help: 'fatal, error, warn, info, debug, trace or silent',
      },
      ...CONTEXT_ENV,
    ],
    exits: [
      [0, 'stopped by SIGTERM or SIGINT'],
      [2, 'usage or configuration error, or the port cannot be bound (one line on stderr)'],
      [3, 'an internal error (the line on stderr says which)'],
    ],
    examples: (d) => [
      'vpce-doctor serve --host 127.0.0.1          # only the task itself can reach the API',
      `curl localhost:${d.port}/report                  # from the task, during an incident`,
    ],
  },
  {
    name: 'explain',
    summary: 'print what a finding code means, its evidence and its fix',
    args: { name: 'CODE', what: 'a finding code (docs/findings.md)', min: 1, max: 1, complete: 'codes' },
    options: [
      {
        name: 'format',
        short: 'f',
        value: 'FORMAT',
        choices: EXPLAIN_FORMATS,
        help: 'text (for a terminal) or markdown (the catalogue entry as written in docs/findings.md)',
        default: () => 'text',
      },
      HELP_OPTION,
    ],
    env: COLOR_ENV,
    exits: [
      [0, 'the entry was printed'],
      [2, 'no such code (the message suggests near ones)'],
    ],
    examples: ['vpce-doctor explain SG_ENDPOINT_INGRESS_DENIED'],
  },
  {
    name: 'completion',
    summary: 'print a shell completion script',
    args: { name: 'SHELL', what: `a shell: ${SHELLS.join(' or ')}`, min: 1, max: 1, complete: 'shells' },
    options: [HELP_OPTION],
    env: [],
    exits: [
      [0, 'the script was printed'],
      [2, 'a shell other than bash or zsh'],
    ],
    examples: [
      'source <(vpce-doctor completion bash)               # bash: in ~/.bashrc',
      'vpce-doctor completion zsh > ~/.zfunc/_vpce-doctor  # zsh: with ~/.zfunc in fpath, before compinit',
    ],
  },
  {
    name: 'help',
    summary: "print a command's help",
    args: { name: 'COMMAND', what: 'a command', min: 0, max: 1, complete: 'commands' },
    options: [HELP_OPTION],
    env: [],
    exits: [
      [0, 'the help was printed'],
      [2, 'no such command'],
    ],
  },
];

/** The command named, or a usage error suggesting the one a typo meant. */
export function requireCommand(name: string, problem: string): CommandSpec {
  const spec = COMMANDS.find((c) => c.name === name);
  if (spec) return spec;
  const near = nearest(
    name,
    COMMANDS.map((c) => c.name),
  );
  throw new UsageError(`${problem} '${name}'${near ? ` (did you mean ${near}?)` : ''}`);
}

export type OptionValues = Record<string, string | string[] | true>;

export interface ParsedArgs {
  values: OptionValues;
  positionals: string[];
  help: boolean;
}

const flag = (o: OptionSpec) => `--${o.name}`;

/**
 * The command's arguments against its table. Our own messages (not node:util's): they name the
 * command, suggest the option meant, and list the values a choice takes.
 */
export function parseCommandArgs(spec: CommandSpec, args: string[]): ParsedArgs {
  const values: OptionValues = {};
  const positionals: string[] = [];
  const end = args.indexOf('--');
  const options = end === -1 ? args : args.slice(0, end);
  // --help wins over anything else on the line: someone unsure of a flag asks for help with it.
  if (options.includes('--help') || options.includes('-h')) return { values, positionals, help: true };
  for (let i = 0; i < options.length; i++) {
    const arg = options[i]!;
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const long = arg.startsWith('--');
    const eq = long ? arg.indexOf('=') : -1;
    const name = long ? arg.slice(2, eq === -1 ? undefined : eq) : arg.slice(1, 2);
    const option = spec.options.find((o) => (long ? o.name === name : o.short === name));
    if (!option) throw unknownOption(spec, long ? `--${name}` : `-${name}`);
    let value: string | undefined;
    if (long && eq !== -1) value = arg.slice(eq + 1);
    else if (!long && arg.length > 2) value = arg.slice(arg[2] === '=' ? 3 : 2);
    if (!option.value) {
      if (value !== undefined) throw new UsageError(`${flag(option)} takes no value`, spec.name);
      values[option.name] = true;
      continue;
    }
    if (value === undefined) {
      const next = options[i + 1];
      if (next === undefined || (next.startsWith('-') && next !== '-')) {
        throw new UsageError(
          `${flag(option)} needs a value${option.choices ? ` (${option.choices.join(', ')})` : ` (${option.value})`}`,
          spec.name,
        );
      }
      value = next;
      i++;
    }
    if (option.choices && !option.choices.includes(value)) {
      const near = nearest(value, option.choices);
      throw new UsageError(
        `${flag(option)}: '${value}' is not one of ${option.choices.join(', ')}${near ? ` (did you mean ${near}?)` : ''}`,
        spec.name,
      );
    }
    const previous = values[option.name];
    if (option.multiple) {
      values[option.name] = [...((previous as string[] | undefined) ?? []), value];
    } else if (previous !== undefined) {
      throw new UsageError(`${flag(option)} given twice ('${previous}', '${value}')`, spec.name);
    } else {
      values[option.name] = value;
    }
  }
  if (end !== -1) positionals.push(...args.slice(end + 1));
  const wanted = spec.args ?? { name: '', what: '', min: 0, max: 0 };
  if (positionals.length > wanted.max) {
    throw new UsageError(
      `unexpected argument '${positionals[wanted.max]}'${wanted.max === 0 ? ` (${spec.name} takes options only)` : ''}`,
      spec.name,
    );
  }
  if (positionals.length < wanted.min) {
    throw new UsageError(`${spec.name} needs ${wanted.what}`, spec.name);
  }
  return { values, positionals, help: false };
}

function unknownOption(spec: CommandSpec, given: string): UsageError {
  const names = spec.options.flatMap((o) => [flag(o), ...(o.short ? [`-${o.short}`] : [])]);
  const near = nearest(given, names);
  return new UsageError(
    `unknown option '${given}' for ${spec.name}${near ? ` (did you mean ${near}?)` : ''}`,
    spec.name,
  );
}

/** The candidate a typo most likely meant: within two edits, or the only one it is a prefix of. */
export function nearest(given: string, candidates: readonly string[]): string | undefined {
  const lower = given.toLowerCase();
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of candidates) {
    const d = editDistance(lower, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  if (best) return best;
  const prefixed = candidates.filter((c) => lower.length >= 3 && c.toLowerCase().startsWith(lower));
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length]!;
}

/** Help fits a 100-column terminal: the right column wraps under itself. */
const HELP_WIDTH = 100;
const NBSP = '\u00a0';
/** A note that wraps as one word: `(default 9077)` never splits across lines. */
const keep = (text: string) => text.replaceAll(' ', NBSP);

function table(rows: Array<[string, string]>): string[] {
  const width = Math.max(...rows.map(([left]) => left.length));
  const room = Math.max(30, HELP_WIDTH - width - 4);
  return rows.flatMap(([left, right]) => {
    const lines: string[] = [];
    let line = '';
    for (const word of right.split(' ')) {
      if (line && line.length + 1 + word.length > room) {
        lines.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    lines.push(line);
    return lines.map((text, i) =>
      `  ${(i === 0 ? left : '').padEnd(width)}  ${text.replaceAll(NBSP, ' ')}`.trimEnd(),
    );
  });
}

function optionLabel(o: OptionSpec): string {
  const short = o.short ? `-${o.short}, ` : '    ';
  return `${short}--${o.name}${o.value ? ` ${o.value}` : ''}`;
}

function optionHelp(o: OptionSpec, d: HelpDefaults): string {
  const notes = [
    o.choices ? o.choices.join('|') : '',
    o.multiple ? 'repeatable' : '',
    o.default ? `default ${o.default(d)}` : '',
  ].filter(Boolean);
  return `${o.help}${notes.length ? ` ${keep(`(${notes.join('; ')})`)}` : ''}`;
}

function usageLine(spec: CommandSpec): string {
  const args = spec.args ? (spec.args.min > 0 ? ` ${spec.args.name}` : ` [${spec.args.name}]`) : '';
  const options = spec.options.length > 1 ? ' [options]' : '';
  return `vpce-doctor ${spec.name}${options}${args}`;
}

/** `vpce-doctor CMD --help`: every option, every environment variable with its default, the exit codes. */
export function renderCommandHelp(spec: CommandSpec, d: HelpDefaults): string {
  const lines = [`vpce-doctor ${spec.name} — ${spec.summary}`, '', `usage: ${usageLine(spec)}`];
  if (spec.args) {
    const list = spec.args.complete === 'commands' ? `: ${COMMANDS.map((c) => c.name).join(', ')}` : '';
    lines.push('', `  ${spec.args.name}  ${spec.args.what}${list}`);
  }
  lines.push('', 'options:', ...table(spec.options.map((o) => [optionLabel(o), optionHelp(o, d)])));
  if (spec.env.length > 0) {
    lines.push(
      '',
      'environment:',
      ...table(
        spec.env.map((e) => [
          e.name,
          `${e.help} ${keep(`(default ${typeof e.default === 'string' ? e.default : e.default(d)})`)}`,
        ]),
      ),
    );
  }
  lines.push('', 'exit codes:', ...table(spec.exits.map(([code, what]) => [String(code), what])));
  const examples = typeof spec.examples === 'function' ? spec.examples(d) : spec.examples;
  if (examples) lines.push('', 'examples:', ...examples.map((e) => `  ${e}`));
  return `${lines.join('\n')}\n`;
}

/** `vpce-doctor --help`: the commands, and where each one's details are. */
export function renderOverview(): string {
  return `${[
    'vpce-doctor — can this subnet reach its AWS services through VPC endpoints, and if not, why',
    '',
    'usage: vpce-doctor COMMAND [options]',
    '',
    'commands:',
    ...table(COMMANDS.map((c) => [c.name, c.summary])),
    '',
    'options:',
    ...table([
      ['-h, --help', 'print this help; `vpce-doctor COMMAND --help` for a command'],
      ['    --version', 'print the version (also `vpce-doctor version`)'],
    ]),
    '',
    'exit codes (report): 0 pass or warn, 1 fail, 2 usage or configuration error, 3 unknown',
    'docs: README.md, docs/findings.md (every code), docs/http-api.md (serve)',
  ].join('\n')}\n`;
}
