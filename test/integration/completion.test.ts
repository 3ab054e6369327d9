// `vpce-doctor completion bash|zsh`, run by the shells themselves. bash: the script is sourced
// and its function called as bash's programmable completion calls it (COMP_WORDS, COMP_CWORD),
// and COMPREPLY is what a user would be offered. zsh: the script must parse (`zsh -n`), and its
// dispatch is run with zsh's completion builtins (_arguments, _describe) recording their specs.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { loadCatalogue } from '../../src/catalogue.js';
import { type Io, main } from '../../src/cli.js';
import { COMMANDS, FIX_FORMATS, FORMATS } from '../../src/cli-options.js';

const run = promisify(execFile);

async function script(shell: string): Promise<string> {
  let stdout = '';
  const io: Io = { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: () => true }, env: {} };
  assert.equal(await main(['completion', shell], io), 0);
  return stdout;
}

describe('bash completion', () => {
  let dir = '';
  let path = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vpce-doctor-completion-'));
    path = join(dir, 'vpce-doctor.bash');
    await writeFile(path, await script('bash'));
    await writeFile(join(dir, 'vpce-doctor.yaml'), 'profiles: [ecs-fargate]\n');
  });

  /** What bash offers after the words typed so far (the last one being completed). */
  async function complete(words: string[]): Promise<string[]> {
    const quoted = words.map((w) => `'${w.replaceAll("'", "'\\''")}'`).join(' ');
    const { stdout } = await run('bash', [
      '--norc',
      '--noprofile',
      '-c',
      `source '${path}' && COMP_WORDS=(${quoted}) && COMP_CWORD=${words.length - 1} && _vpce_doctor && printf '%s\\n' "\${COMPREPLY[@]}"`,
    ]);
    return stdout.split('\n').filter(Boolean).sort();
  }

  const codes = [...loadCatalogue().keys()];
  const cases: Array<[string, string[], string[]]> = [
    ['the commands', ['vpce-doctor', ''], [...COMMANDS.map((c) => c.name), '--help', '--version']],
    ['a command from its start', ['vpce-doctor', 'ex'], ['explain']],
    ['the options of report', ['vpce-doctor', 'report', '--f'], ['--fix-format', '--format']],
    ['the options of serve', ['vpce-doctor', 'serve', '--'], ['--config', '--help', '--host', '--port']],
    ['the values of --format', ['vpce-doctor', 'report', '--format', ''], [...FORMATS]],
    ['the values of -f', ['vpce-doctor', 'report', '-f', 'j'], ['json', 'junit']],
    ['--format=VALUE (bash splits at =)', ['vpce-doctor', 'report', '--format', '=', 'ma'], ['markdown']],
    ['--format= with nothing typed yet', ['vpce-doctor', 'report', '--format', '='], [...FORMATS]],
    ['the values of --fix-format', ['vpce-doctor', 'report', '--fix-format', ''], [...FIX_FORMATS]],
    ['options after a value', ['vpce-doctor', 'report', '--format', 'json', '--s'], ['--service']],
    ['nothing to offer for a free value', ['vpce-doctor', 'report', '--timeout-ms', ''], []],
    [
      'finding codes for explain',
      ['vpce-doctor', 'explain', 'SG_'],
      codes.filter((c) => c.startsWith('SG_')),
    ],
    ["explain's options", ['vpce-doctor', 'explain', '--'], ['--format', '--help']],
    ['the shells', ['vpce-doctor', 'completion', ''], ['bash', 'zsh']],
    ['commands for help', ['vpce-doctor', 'help', 's'], ['serve']],
  ];
  for (const [what, words, expected] of cases) {
    it(`offers ${what}`, async () => {
      assert.deepEqual(await complete(words), [...expected].sort());
    });
  }

  it('offers every finding code of the catalogue to explain', async () => {
    assert.deepEqual(await complete(['vpce-doctor', 'explain', '']), [...codes].sort());
    assert.ok(codes.includes('SG_ENDPOINT_INGRESS_DENIED'));
  });

  it('offers files for --config', async () => {
    assert.deepEqual(await complete(['vpce-doctor', 'report', '--config', join(dir, 'vpce-doctor.y')]), [
      join(dir, 'vpce-doctor.yaml'),
    ]);
  });

  it('registers itself for the vpce-doctor command', async () => {
    const { stdout } = await run('bash', ['--norc', '-c', `source '${path}' && complete -p vpce-doctor`]);
    assert.equal(stdout.trim(), 'complete -F _vpce_doctor vpce-doctor');
  });
});

describe('zsh completion', () => {
  let path = '';
  before(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vpce-doctor-completion-'));
    path = join(dir, '_vpce-doctor');
    await writeFile(path, await script('zsh'));
  });

  it('parses (zsh -n)', async () => {
    await run('zsh', ['-n', path]);
  });

  /** The specs the script hands zsh's completion functions for the words typed so far. */
  async function dispatch(words: string[]): Promise<string[]> {
    const quoted = words.map((w) => `'${w}'`).join(' ');
    const { stdout } = await run('zsh', [
      '-f',
      '-c',
      [
        'compdef() { print -r -- "compdef $*" }',
        '_arguments() { print -rl -- "_arguments" "$@" }',
        // _describe's last argument names the array of `name:description` entries.
        `_describe() { local name=$argv[-1]; print -rl -- _describe "\${(@P)name}" }`,
        `source '${path}'`,
        `words=(${quoted}); CURRENT=${words.length}; PREFIX='${words.at(-1)}'`,
        '_vpce_doctor',
      ].join('\n'),
    ]);
    return stdout.split('\n').filter((line) => line && !line.startsWith('compdef '));
  }

  it('registers itself with compdef when sourced', async () => {
    const { stdout } = await run('zsh', [
      '-f',
      '-c',
      `compdef() { print -r -- "compdef $*" }; source '${path}'`,
    ]);
    assert.equal(stdout.trim(), 'compdef _vpce_doctor vpce-doctor');
  });

  it('describes every command at the first word', async () => {
    const out = await dispatch(['vpce-doctor', '']);
    assert.equal(out[0], '_describe');
    assert.deepEqual(
      out.slice(1).map((line) => line.split(':')[0]),
      COMMANDS.map((c) => c.name),
    );
  });

  it("gives each command's options with their values, and explain the finding codes", async () => {
    const report = await dispatch(['vpce-doctor', 'report', '--']);
    assert.equal(report[0], '_arguments');
    assert.ok(
      report.some((s) => s.includes('--format=[') && s.endsWith(`:format:(${FORMATS.join(' ')})`)),
      report.join('\n'),
    );
    assert.ok(
      report.some((s) => s.startsWith('--fix-format=[') && s.endsWith(`:kind:(${FIX_FORMATS.join(' ')})`)),
    );
    assert.ok(report.some((s) => s.includes('--config=[') && s.endsWith(':file:_files')));
    const explain = await dispatch(['vpce-doctor', 'explain', 'SG']);
    const codes = explain.find((s) => s.startsWith('1:code:('));
    assert.equal(codes, `1:code:(${[...loadCatalogue().keys()].join(' ')})`);
    const completion = await dispatch(['vpce-doctor', 'completion', '']);
    assert.ok(completion.includes('1:shell:(bash zsh)'), completion.join('\n'));
  });
});
