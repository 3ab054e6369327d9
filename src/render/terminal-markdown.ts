// The catalogue's markdown (docs/findings.md) for a terminal: `vpce-doctor explain CODE` is read
// during an incident, where `**Fix:**` and backticks are noise. Headings, bold, code spans, links
// and lists become plain text (bold and colour only when the stream takes colour), paragraphs are
// wrapped, and a code span is never broken across lines: a fix must paste as one command.

export interface TerminalMarkdownOptions {
  color: boolean;
  /** Columns to wrap at; 80 when unknown. */
  width?: number;
}

const STYLE = { bold: '1', code: '36', heading: '1;4' } as const;

type Token = { text: string; style?: keyof typeof STYLE; glue?: boolean };

/** Splits a line of inline markdown into words; a code span is one unbreakable token. */
function tokenize(line: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /`([^`]+)`|\*\*([^*]+)\*\*|\[([^\]]+)\]\(([^)\s]+)\)|(\s+)|([^\s`*[]+|[`*[])/g;
  let attached = false;
  for (const m of line.matchAll(pattern)) {
    if (m[5] !== undefined) {
      attached = false;
      continue;
    }
    const glue = attached;
    attached = true;
    if (m[1] !== undefined) tokens.push({ text: m[1], style: 'code', glue });
    else if (m[2] !== undefined) {
      // Bold may hold several words: each stays bold, and may wrap between them.
      m[2].split(/\s+/).forEach((word, i) => {
        tokens.push({ text: word, style: 'bold', glue: i === 0 ? glue : false });
      });
    } else if (m[3] !== undefined) {
      m[3].split(/\s+/).forEach((word, i) => {
        tokens.push({ text: word, glue: i === 0 ? glue : false });
      });
      tokens.push({ text: `(${m[4]})`, glue: false });
    } else tokens.push({ text: m[6]!, glue });
  }
  return tokens;
}

function paint(token: Token, color: boolean): string {
  return color && token.style ? `\x1b[${STYLE[token.style]}m${token.text}\x1b[0m` : token.text;
}

/** Words filled into lines of `width` columns; the first line starts after `first`, others after `rest`. */
function fill(tokens: Token[], width: number, first: string, rest: string, color: boolean): string[] {
  // Tokens glued to the previous one (`word`, or `code`.) form one unbreakable word.
  const words: Token[][] = [];
  for (const token of tokens) {
    if (token.glue && words.length > 0) words[words.length - 1]!.push(token);
    else words.push([token]);
  }
  const lines: string[] = [];
  let line = first;
  let visible = first.length;
  let empty = true;
  for (const word of words) {
    const length = word.reduce((n, t) => n + [...t.text].length, 0);
    if (!empty && visible + 1 + length > width) {
      lines.push(line);
      line = rest;
      visible = rest.length;
      empty = true;
    }
    const text = word.map((t) => paint(t, color)).join('');
    line += empty ? text : ` ${text}`;
    visible += (empty ? 0 : 1) + length;
    empty = false;
  }
  lines.push(line);
  return lines;
}

export function renderTerminalMarkdown(markdown: string, options: TerminalMarkdownOptions): string {
  const width = Math.max(40, Math.min(options.width ?? 80, 100));
  const out: string[] = [];
  // The block being filled: a paragraph, or a list item with its bullet; markdown continues
  // either on the following lines until a blank line (lazy continuation).
  let block: { lines: string[]; first: string; rest: string } | undefined;
  const flush = () => {
    if (!block) return;
    out.push(...fill(tokenize(block.lines.join(' ')), width, block.first, block.rest, options.color));
    block = undefined;
  };
  let fenced = false;
  for (const raw of markdown.split('\n')) {
    const line = raw.trimEnd();
    if (/^```/.test(line)) {
      flush();
      fenced = !fenced;
      continue;
    }
    if (fenced) {
      out.push(`    ${options.color ? paint({ text: line, style: 'code' }, true) : line}`);
      continue;
    }
    if (line === '') {
      flush();
      if (out.length > 0 && out[out.length - 1] !== '') out.push('');
      continue;
    }
    const heading = /^#{1,6}\s+(.*)$/.exec(line);
    if (heading) {
      flush();
      out.push(options.color ? paint({ text: heading[1]!, style: 'heading' }, true) : heading[1]!);
      continue;
    }
    const item = /^(\s*)([-*+]|\d+[.)])\s+(.*)$/.exec(line);
    if (item) {
      flush();
      const indent = ' '.repeat(2 + item[1]!.length);
      const bullet = /\d/.test(item[2]!) ? item[2]! : '•';
      block = {
        lines: [item[3]!],
        first: `${indent}${bullet} `,
        rest: `${indent}${' '.repeat(bullet.length + 1)}`,
      };
      continue;
    }
    if (block) block.lines.push(line.trim());
    else block = { lines: [line.trim()], first: '', rest: '' };
  }
  flush();
  while (out[out.length - 1] === '') out.pop();
  return `${out.join('\n')}\n`;
}
