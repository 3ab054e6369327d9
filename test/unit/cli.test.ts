import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Io, main, renderReport } from '../../src/cli.js';
import { COMMANDS, type CommandSpec } from '../../src/cli-options.js';
import { report, target } from './app-fixtures.js';

async function run(
  argv: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    env: { AWS_EC2_METADATA_DISABLED: 'true', ...env },
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

const firstLine = (text: string) => text.split('\n')[0]!;

/** One entry of a help table (`  LABEL  text`), its wrapped continuation lines joined. */
function entry(help: string, label: string): string {
  const lines = help.split('\n');
  const start = lines.findIndex((l) => l.trimStart().startsWith(`${label} `));
  assert.ok(start >= 0, `no entry ${label} in\n${help}`);
  const column =
    lines[start]!.indexOf(label) +
    label.length +
    /^ */.exec(lines[start]!.slice(lines[start]!.indexOf(label) + label.length))![0].length;
  const parts = [lines[start]!.slice(column)];
  for (const line of lines.slice(start + 1)) {
    if (line.length <= column || line.slice(0, column).trim() !== '') break;
    parts.push(line.slice(column));
  }
  return parts.join(' ');
}

describe('the CLI contract', () => {
  const usage: Array<[string, string[], RegExp]> = [
    ['no command', [], /missing command/],
    ['an unknown command', ['diagnose'], /unknown command 'diagnose'/],
    ['an unknown flag', ['report', '--colour'], /unknown option '--colour' for report/],
    [
      'a misspelt flag, suggesting the one meant',
      ['report', '--formt', 'json'],
      /unknown option '--formt' for report \(did you mean --format\?\)/,
    ],
    ['a flag of another command', ['report', '--port', '80'], /unknown option '--port' for report/],
    [
      'a flag without its value',
      ['report', '--format'],
      /--format needs a value \(text, json, markdown, junit\)/,
    ],
    [
      'a flag followed by another flag instead of its value',
      ['report', '--config', '--format', 'json'],
      /--config needs a value \(FILE\)/,
    ],
    ['a flag given twice', ['report', '-f', 'json', '--format', 'text'], /--format given twice/],
    ['a value on a flag that takes none', ['report', '--help=yes'], /--help takes no value/],
    [
      'a misspelt format, suggesting the one meant',
      ['report', '--format=jsn'],
      /--format: 'jsn' is not one of text, json, markdown, junit \(did you mean json\?\)/,
    ],
    [
      'an unknown fix format',
      ['report', '--fix-format', 'pulumi'],
      /--fix-format: 'pulumi' is not one of cli, terraform, cloudformation/,
    ],
    [
      'a fix format beside the JSON, which carries every kind',
      ['report', '--format', 'json', '--fix-format', 'terraform'],
      /--fix-format is for --format text, markdown or junit \(the JSON carries every kind/,
    ],
    ['a misspelt command', ['reprot'], /unknown command 'reprot' \(did you mean report\?\)/],
    ['help for an unknown command', ['help', 'diagnose'], /no command 'diagnose'/],
    ['completion for another shell', ['completion', 'fish'], /no completion for 'fish' \(bash or zsh\)/],
    ['completion without a shell', ['completion'], /completion needs a shell: bash or zsh/],
    ['a port that is not a number', ['serve', '--port', 'http'], /--port: 'http' is not a TCP port/],
    [
      'an unknown format',
      ['report', '--format', 'xml'],
      /--format: 'xml' is not one of text, json, markdown/,
    ],
    [
      'a timeout that is not a number',
      ['report', '--timeout-ms', '5s'],
      /--timeout-ms: '5s' is not a whole number/,
    ],
    ['a timeout out of range', ['report', '--timeout-ms', '5'], /--timeout-ms: 5 is outside/],
    ['a stray argument', ['report', 'now'], /unexpected argument 'now' \(report takes options only\)/],
    ['explain without a code', ['explain'], /explain needs a finding code/],
    ['explain with two codes', ['explain', 'SG_OK', 'NACL_OK'], /unexpected argument 'NACL_OK'/],
    ['explain with an unknown code', ['explain', 'SG_NOPE'], /unknown finding code 'SG_NOPE'/],
    [
      'explain with a misspelt code',
      ['explain', 'SG_ENDPONT_INGRESS_DENIED'],
      /unknown finding code 'SG_ENDPONT_INGRESS_DENIED' \(did you mean SG_ENDPOINT_INGRESS_DENIED\?\)/,
    ],
  ];
  for (const [what, argv, message] of usage) {
    it(`exits 2 with one clear line for ${what}`, async () => {
      const result = await run(argv);
      assert.equal(result.code, 2);
      assert.match(firstLine(result.stderr), message);
      assert.match(firstLine(result.stderr), /^vpce-doctor: /);
      assert.equal(result.stdout, '');
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
      assert.equal(result.stderr.split('\n').length, 2, `one line: ${result.stderr}`);
      assert.match(result.stderr, /see 'vpce-doctor( [a-z]+)? --help'\n$/, 'says where the help is');
    });
  }

  it('exits 2 naming the file and field of an invalid configuration, before touching AWS', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vpce-doctor-cli-'));
    const path = join(dir, 'c.yaml');
    await writeFile(path, 'services:\n  - name: s3\n    port: 443\n');
    const result = await run(['report', '--config', path]);
    assert.equal(result.code, 2);
    assert.equal(result.stderr, `vpce-doctor: ${path}: services.0.port: unknown field\n`);
  });

  it('exits 2 for an unknown workload profile, naming the known ones', async () => {
    const result = await run(['report'], { VPCE_DOCTOR_PROFILES: 'ecs-fargat' });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /unknown profile 'ecs-fargat' \(known: .*ecs-fargate/);
  });

  it('prints a catalogue entry for explain, as the catalogue writes it with --format markdown', async () => {
    const result = await run(['explain', 'sg_endpoint_ingress_denied', '--format', 'markdown']);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^# SG_ENDPOINT_INGRESS_DENIED\n\n- status: fail\n/);
    assert.match(result.stdout, /\*\*Fix:\*\* `aws ec2 authorize-security-group-ingress /);
  });

  it('prints its version', async () => {
    const result = await run(['--version']);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^\d+\.\d+\.\d+\n$/);
  });
});

describe("each command's --help", () => {
  /** Every option the parser takes, from the one table it parses with. */
  const accepted = (spec: CommandSpec) =>
    spec.options.flatMap((o) => [`--${o.name}`, ...(o.short ? [`-${o.short}`] : [])]);

  for (const spec of COMMANDS) {
    it(`${spec.name}: --help, -h and \`help ${spec.name}\` print the same help and exit 0`, async () => {
      const results = await Promise.all([
        run([spec.name, '--help']),
        run([spec.name, '-h']),
        run(['help', spec.name]),
        // Help wins over a bad option beside it: that is when people ask for it.
        run([spec.name, '--no-such-option', '--help']),
      ]);
      for (const result of results) {
        assert.equal(result.code, 0, result.stderr);
        assert.equal(result.stderr, '');
        assert.equal(result.stdout, results[0]!.stdout);
      }
      assert.match(results[0]!.stdout, new RegExp(`^vpce-doctor ${spec.name} — `));
    });

    it(`${spec.name}: the help lists every option the parser accepts, and the parser accepts every option it lists`, async () => {
      const help = (await run([spec.name, '--help'])).stdout;
      const optionsSection = help.split('\noptions:\n')[1]!.split('\n\n')[0]!;
      const listed = [...optionsSection.matchAll(/(?<=^|\s)(--?[a-z][a-z-]*)/gm)].map((m) => m[1]!);
      assert.deepEqual(new Set(listed), new Set(accepted(spec)));
      for (const option of spec.options) {
        if (option.name === 'help') continue;
        // Accepted: whatever fails next (a bad value, AWS), it is never an unknown option.
        const value = option.choices?.[0] ?? (option.value ? 'x' : undefined);
        const result = await run([
          spec.name,
          `--${option.name}${value === undefined ? '' : `=${value}`}`,
          '--help',
        ]);
        assert.equal(result.code, 0);
        const rejected = await run([spec.name, `--${option.name}x`]);
        assert.match(rejected.stderr, new RegExp(`unknown option '--${option.name}x' for ${spec.name}`));
        for (const choice of option.choices ?? [])
          assert.match(optionsSection, new RegExp(`\\b${choice}\\b`));
      }
    });

    it(`${spec.name}: the help names every environment variable the command reads, with its default, and the exit codes`, async () => {
      const help = (await run([spec.name, '--help'])).stdout;
      for (const variable of spec.env) {
        assert.match(entry(help, variable.name), /\S \(default [^)]+\)$/, variable.name);
      }
      const exits = help.split('\nexit codes:\n')[1]!.split('\n\n')[0]!;
      for (const [code] of spec.exits) assert.match(exits, new RegExp(`^  ${code}  \\S`, 'm'));
    });
  }

  it('report and serve between them name every environment variable the code reads (the Lambda-only ones aside)', async () => {
    const root = fileURLToPath(new URL('../../src/', import.meta.url));
    const read = new Set<string>();
    for (const file of await readdir(root, { recursive: true })) {
      if (!file.endsWith('.ts')) continue;
      const text = await readFile(join(root, file), 'utf8');
      // env['X'], env.X, and our own variables wherever they are named (seconds(env, 'VPCE_…')).
      for (const m of text.matchAll(
        /\benv(?:\[['"]([A-Z][A-Z0-9_]+)['"]\]|\.([A-Z][A-Z0-9_]+))|\b(VPCE_DOCTOR_[A-Z_]+[A-Z])\b/g,
      )) {
        read.add((m[1] ?? m[2] ?? m[3])!);
      }
    }
    const lambdaOnly = new Set(['VPCE_DOCTOR_LOG_GROUP', 'VPCE_DOCTOR_FAIL_ON', 'AWS_LAMBDA_FUNCTION_NAME']);
    const help = (await run(['report', '--help'])).stdout + (await run(['serve', '--help'])).stdout;
    const named = new Set(help.match(/\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b|\b(?:TERM|NO_COLOR)\b/g));
    const missing = [...read].filter((v) => !lambdaOnly.has(v) && !named.has(v));
    assert.deepEqual(missing, []);
    for (const sure of ['VPCE_DOCTOR_PORT', 'AWS_REGION', 'LOG_LEVEL', 'NO_COLOR']) {
      assert.ok(read.has(sure), `the scan found ${sure}`);
    }
  });

  it("serve's help states the defaults the code applies, not literals", async () => {
    const { readServeSettings } = await import('../../src/server.js');
    const defaults = readServeSettings({});
    const help = (await run(['serve', '--help'])).stdout;
    assert.match(entry(help, '-p, --port PORT'), new RegExp(`\\(default ${defaults.port}\\)$`));
    assert.match(entry(help, 'VPCE_DOCTOR_PORT'), new RegExp(`\\(default ${defaults.port}\\)$`));
    assert.match(
      entry(help, 'VPCE_DOCTOR_INTERVAL_SECONDS'),
      new RegExp(`\\(default ${defaults.intervalMs / 1000}\\)$`),
    );
    assert.match(entry(help, 'LOG_LEVEL'), new RegExp(`\\(default ${defaults.logLevel}\\)$`));
    assert.match(entry(help, '--host HOST'), new RegExp(`\\(default ${defaults.host}\\)$`));
  });

  it('the overview lists every command, and `help` alone prints it', async () => {
    const overview = await run(['--help']);
    assert.equal(overview.code, 0);
    for (const spec of COMMANDS)
      assert.match(overview.stdout, new RegExp(`\\n  ${spec.name} +${spec.summary.slice(0, 20)}`));
    assert.equal((await run(['help'])).stdout, overview.stdout);
  });
});

describe('option forms', () => {
  it('takes --name value, --name=value, -x value, -xvalue and -x=value alike', async () => {
    for (const argv of [
      ['--format', 'markdown'],
      ['--format=markdown'],
      ['-f', 'markdown'],
      ['-fmarkdown'],
      ['-f=markdown'],
    ]) {
      const result = await run(['explain', 'SG_OK', ...argv]);
      assert.equal(result.code, 0, `${argv.join(' ')}: ${result.stderr}`);
      assert.match(result.stdout, /^# SG_OK\n/, argv.join(' '));
    }
  });
});

describe('report --fix-format', () => {
  const io: Io = { stdout: { write: () => true }, stderr: { write: () => true }, env: {} };
  const failing = target('ecr.dkr', 'fail');
  failing.rootCause!.fixes = {
    cli: failing.rootCause!.fix!,
    terraform: 'resource "aws_vpc_security_group_ingress_rule" "x" {}',
    cloudformation: 'Type: AWS::EC2::SecurityGroupIngress',
  };
  const failed = report([failing]);

  it('reaches the text and junit renderers: the snippet asked for follows the fix line', () => {
    for (const format of ['text', 'junit'] as const) {
      const cli = renderReport(failed, format, 'cli', io);
      assert.match(cli, /fix: aws ec2 authorize-security-group-ingress/);
      const terraform = renderReport(failed, format, 'terraform', io);
      assert.match(terraform, /fix \(Terraform\):\n\s+resource &quot;|fix \(Terraform\):\n\s+resource "/);
      assert.match(terraform, /fix: aws ec2 authorize-security-group-ingress[^\n]*\n\s*fix \(Terraform\):/);
      assert.match(renderReport(failed, format, 'cloudformation', io), /AWS::EC2::SecurityGroupIngress/);
    }
  });

  it('narrows markdown to the kind asked for; without one, markdown shows every snippet', () => {
    const all = renderReport(failed, 'markdown', undefined, io);
    assert.match(all, /```hcl[\s\S]*aws_vpc_security_group_ingress_rule/);
    assert.match(all, /```yaml[\s\S]*AWS::EC2::SecurityGroupIngress/);
    const terraform = renderReport(failed, 'markdown', 'terraform', io);
    assert.match(terraform, /aws_vpc_security_group_ingress_rule/);
    assert.doesNotMatch(terraform, /AWS::EC2::SecurityGroupIngress/);
  });
});
