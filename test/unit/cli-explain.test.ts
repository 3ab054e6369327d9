// `vpce-doctor explain CODE` for a terminal: the catalogue's markdown read as text, every entry.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadCatalogue } from '../../src/catalogue.js';
import { type Io, main } from '../../src/cli.js';
import { renderTerminalMarkdown } from '../../src/render/terminal-markdown.js';

async function explain(
  code: string,
  options: { tty?: boolean; env?: NodeJS.ProcessEnv; args?: string[] } = {},
) {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    stdout: { write: (t: string) => (stdout += t), isTTY: options.tty ?? false, columns: 80 },
    stderr: { write: (t: string) => (stderr += t) },
    env: options.env ?? {},
  };
  const code_ = await main(['explain', code, ...(options.args ?? [])], io);
  return { code: code_, stdout, stderr };
}

const ESC = '\u001b';
const ANSI = new RegExp(`${ESC}\\[[0-9;]*m`, 'g');

describe('explain for a terminal', () => {
  const catalogue = [...loadCatalogue().values()];

  it('renders every catalogue entry without markdown syntax, each code span whole on one line, within 80 columns', async () => {
    assert.ok(catalogue.length > 50);
    for (const entry of catalogue) {
      const { code, stdout } = await explain(entry.code);
      assert.equal(code, 0);
      const lines = stdout.split('\n');
      assert.equal(lines[0], entry.code);
      assert.doesNotMatch(stdout, /\*\*|`|^#|^- /m, entry.code);
      // A code span (a command to paste, an id) is never broken by the wrapping.
      const spans = [...entry.text.matchAll(/`([^`]+)`/g)].map((m) => m[1]!.replace(/\s+/g, ' '));
      for (const span of spans) {
        assert.ok(
          lines.some((l) => l.includes(span)),
          `${entry.code}: \`${span}\` broken across lines`,
        );
      }
      // Longer than 80 columns only where one code span is.
      for (const line of lines) {
        if (line.length > 80)
          assert.ok(
            spans.some((s) => line.includes(s)),
            `${entry.code}: ${line}`,
          );
      }
      assert.match(stdout, /^ {2}• status: [a-z|]+$/m, entry.code);
    }
  });

  it('shows the fix of an entry as plain text, the command intact', async () => {
    const { stdout } = await explain('SG_ENDPOINT_INGRESS_DENIED');
    assert.match(
      stdout,
      /^Fix:\naws ec2 authorize-security-group-ingress --group-id sg-endpoint --protocol tcp --port 443 --source-group sg-agent$/m,
    );
    assert.match(stdout, /^ {2}• reachability-analyzer: ENI_SG_RULES_MISMATCH$/m);
  });

  it('uses colour and bold on a terminal only, never with NO_COLOR or TERM=dumb', async () => {
    const tty = await explain('SG_ENDPOINT_INGRESS_DENIED', { tty: true });
    assert.match(tty.stdout, ANSI);
    assert.ok(tty.stdout.includes(`${ESC}[1mFix:${ESC}[0m`));
    assert.equal(tty.stdout.replace(ANSI, ''), (await explain('SG_ENDPOINT_INGRESS_DENIED')).stdout);
    for (const env of [{ NO_COLOR: '1' }, { TERM: 'dumb' }]) {
      assert.doesNotMatch((await explain('SG_ENDPOINT_INGRESS_DENIED', { tty: true, env })).stdout, ANSI);
    }
  });

  it('prints the raw markdown with --format markdown', async () => {
    const entry = loadCatalogue().get('DNS_RESOLVES_PUBLIC')!;
    const { stdout } = await explain('DNS_RESOLVES_PUBLIC', { args: ['--format', 'markdown'] });
    assert.equal(stdout, `# DNS_RESOLVES_PUBLIC\n\n${entry.text}\n`);
  });
});

describe('the terminal markdown renderer', () => {
  const render = (md: string, width = 40) => renderTerminalMarkdown(md, { color: false, width });

  it('turns headings, lists, numbered lists, links and fenced code into text', () => {
    assert.equal(
      render(
        '# Title\n\nSee [the docs](https://example.com/x).\n\n1. first\n2. second\n\n```\nnpm ci\n```\n',
      ),
      'Title\n\nSee the docs (https://example.com/x).\n\n  1. first\n  2. second\n\n    npm ci\n',
    );
  });

  it('wraps paragraphs and list items, keeping punctuation on its word and continuing under the item', () => {
    assert.equal(
      render('- a list item that is long enough to wrap onto a second line, `with code`.'),
      '  • a list item that is long enough to\n    wrap onto a second line, with code.\n',
    );
  });
});
