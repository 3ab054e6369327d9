// `vpce-doctor completion bash|zsh`, run by the shells themselves. bash: the script is sourced
// and its function called as bash's programmable completion calls it (COMP_WORDS, COMP_CWORD),
// and COMPREPLY is what a user would be offered. zsh: an interactive zsh in a pseudo-terminal
// with compinit and the script on fpath is sent a line and a Tab; the matches it adds are read.
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

  it('offers a file whose name has spaces as one match, not one per word', async () => {
    await writeFile(join(dir, 'prod config.yaml'), 'profiles: [ecs-fargate]\n');
    assert.deepEqual(await complete(['vpce-doctor', 'report', '--config', join(dir, 'prod c')]), [
      join(dir, 'prod config.yaml'),
    ]);
  });

  it('registers itself for the vpce-doctor command', async () => {
    const { stdout } = await run('bash', ['--norc', '-c', `source '${path}' && complete -p vpce-doctor`]);
    assert.equal(stdout.trim(), 'complete -F _vpce_doctor vpce-doctor');
  });
});

/**
 * Types a line into an interactive zsh (in a pseudo-terminal, through zsh/zpty) with the real
 * completion system loaded and the script on fpath, presses Tab, and prints every match zsh's
 * completion functions add (compadd, wrapped), one per line between << >>.
 */
const ZSH_TYPE_AND_TAB = `
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z 'PS1= PROMPT= RPROMPT='
zpty -w z "fpath=($1 \\$fpath); autoload -U compinit; compinit -u -D"
zpty -w z '_capture() { compadd() { builtin compadd -O __hits "$@"; local h; for h in $__hits; do print -r -- "<<$h>>"; done; builtin compadd "$@" } }'
zpty -w z 'compprefuncs=( _capture ); bindkey "^I" complete-word'
zpty -w z 'print READY'
zpty -r z line '*READY*'
zpty -r z line '*READY*'
zpty -w -n z "$2"$'\t'
zpty -w z $'C-u'
zpty -w z 'print DONE'
out=""
while zpty -r z line; do out+="$line"; [[ "$out" == *$'\n'DONE* ]] && break; done
print -r -- "$out" | grep -ao '<<[^>]*>>'
zpty -d z
`;

describe('zsh completion', () => {
  let dir = '';
  let driver = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vpce-doctor-completion-'));
    await writeFile(join(dir, '_vpce-doctor'), await script('zsh'));
    driver = join(dir, 'type-and-tab.zsh');
    await writeFile(driver, ZSH_TYPE_AND_TAB);
  });

  it('parses (zsh -n)', async () => {
    await run('zsh', ['-n', join(dir, '_vpce-doctor')]);
  });

  it('registers itself with compdef when sourced after compinit', async () => {
    const { stdout } = await run('zsh', [
      '-f',
      '-c',
      `compdef() { print -r -- "compdef $*" }; source '${join(dir, '_vpce-doctor')}'`,
    ]);
    assert.equal(stdout.trim(), 'compdef _vpce_doctor vpce-doctor');
  });

  /** What zsh offers after the line typed so far. */
  async function complete(line: string): Promise<string[]> {
    const { stdout } = await run('zsh', ['-f', driver, dir, line], { timeout: 30_000 });
    return [
      ...new Set(
        stdout
          .split('\n')
          .filter(Boolean)
          .map((l) => l.slice(2, -2)),
      ),
    ].sort();
  }

  const codes = [...loadCatalogue().keys()];
  const cases: Array<[string, string, string[]]> = [
    ['the commands', 'vpce-doctor ', COMMANDS.map((c) => c.name)],
    ['the values of --format', 'vpce-doctor report --format ', [...FORMATS]],
    ['--format=VALUE after another option', 'vpce-doctor report -s ecr.dkr --format=j', ['json', 'junit']],
    ['the values of --fix-format', 'vpce-doctor report --fix-format ', [...FIX_FORMATS]],
    ['an option from its start', 'vpce-doctor report --fix', ['--fix-format']],
    ['the options of serve', 'vpce-doctor serve --', ['--config', '--help', '--host', '--port']],
    ['finding codes for explain', 'vpce-doctor explain SG_', codes.filter((c) => c.startsWith('SG_'))],
    ['the shells', 'vpce-doctor completion ', ['bash', 'zsh']],
  ];
  for (const [what, line, expected] of cases) {
    it(`offers ${what}`, async () => {
      assert.deepEqual(await complete(line), [...expected].sort());
    });
  }
});
