// Terraform snippets written the way `terraform fmt` writes them, so a snippet pasted into a
// module leaves `terraform fmt -check` clean: two-space indents, and the `=` of consecutive
// one-line arguments aligned (an argument that spans lines breaks the run, as in hclwrite).

/** An HCL expression written as is: a reference (`aws_security_group.x.id`, `var.role`) or a call. */
export class HclExpression {
  constructor(readonly text: string) {}
}

export type HclValue =
  | null
  | string
  | number
  | boolean
  | HclExpression
  | HclCall
  | HclBlock
  | HclValue[]
  | HclObject;
export interface HclObject {
  [key: string]: HclValue;
}

/** A function call whose one argument is a value, e.g. `jsonencode({...})`. */
export class HclCall {
  constructor(
    readonly name: string,
    readonly argument: HclValue,
  ) {}
}

/** A nested block (`dns_options { ... }`): a resource argument that is a block, not `key = {...}`. */
export class HclBlock {
  constructor(readonly body: HclObject) {}
}

export const reference = (text: string): HclExpression => new HclExpression(text);
export const jsonencode = (value: HclValue): HclCall => new HclCall('jsonencode', value);

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** A Terraform-safe name for a resource label: lower case, underscores, starting with a letter. */
export function hclName(...parts: string[]): string {
  const name = parts
    .join('_')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_|_$/g, '');
  return /^[a-z]/.test(name) ? name : `r_${name}`;
}

function quote(text: string): string {
  // `${` and `%{` start templates in an HCL string: doubled, they stay literal.
  return JSON.stringify(text).replaceAll('${', '$${').replaceAll('%{', '%%{');
}

function isScalar(value: HclValue): boolean {
  return (
    value === null ||
    (!Array.isArray(value) &&
      !(value instanceof HclCall) &&
      (typeof value !== 'object' || value instanceof HclExpression))
  );
}

function writeKey(key: string): string {
  return IDENTIFIER.test(key) ? key : quote(key);
}

/** The value's lines; the first is written after `key = `, the others at `indent`. */
function writeValue(value: HclValue, indent: string): string[] {
  if (value === null) return ['null'];
  if (typeof value === 'string') return [quote(value)];
  if (typeof value === 'number' || typeof value === 'boolean') return [String(value)];
  if (value instanceof HclExpression) return [value.text];
  if (value instanceof HclBlock) return ['{', ...writeBody(value.body, `${indent}  `), `${indent}}`];
  if (value instanceof HclCall) {
    const inner = writeValue(value.argument, indent);
    inner[0] = `${value.name}(${inner[0]}`;
    inner[inner.length - 1] = `${inner[inner.length - 1]})`;
    return inner;
  }
  if (Array.isArray(value)) {
    if (value.every(isScalar)) return [`[${value.map((v) => writeValue(v, indent)[0]).join(', ')}]`];
    const inner = `${indent}  `;
    const lines = ['['];
    for (const item of value) {
      const written = writeValue(item, inner);
      written[written.length - 1] = `${written[written.length - 1]},`;
      lines.push(`${inner}${written[0]}`, ...written.slice(1));
    }
    lines.push(`${indent}]`);
    return lines;
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return ['{}'];
  return ['{', ...writeBody(value, `${indent}  `), `${indent}}`];
}

/** `key = value` lines of a block or object body, aligned as `terraform fmt` aligns them. */
function writeBody(body: HclObject, indent: string): string[] {
  const rows = Object.entries(body).map(([key, value]) => ({
    key: writeKey(key),
    lines: writeValue(value, indent),
    block: value instanceof HclBlock,
  }));
  const out: string[] = [];
  let run: typeof rows = [];
  const flush = () => {
    const width = Math.max(0, ...run.map((r) => r.key.length));
    for (const r of run) out.push(`${indent}${r.key.padEnd(width)} = ${r.lines[0]}`);
    run = [];
  };
  for (const row of rows) {
    if (row.block) {
      // A nested block breaks the run of aligned arguments, as terraform fmt writes it.
      flush();
      out.push(`${indent}${row.key} ${row.lines[0]}`, ...row.lines.slice(1));
      continue;
    }
    if (row.lines.length === 1) {
      run.push(row);
      continue;
    }
    flush();
    out.push(`${indent}${row.key} = ${row.lines[0]}`, ...row.lines.slice(1));
  }
  flush();
  return out;
}

/** One block (`variable "NAME" { ... }`), with `#` comment lines above it. */
export function writeBlock(type: string, labels: string[], body: HclObject, comments: string[] = []): string {
  return [
    ...comments.map((c) => `# ${c}`),
    `${[type, ...labels.map(quote)].join(' ')} {`,
    ...writeBody(body, '  '),
    '}',
  ].join('\n');
}

/** One `resource "TYPE" "NAME" { ... }` block, with `#` comment lines above it. */
export function writeResource(type: string, name: string, body: HclObject, comments: string[] = []): string {
  return writeBlock('resource', [type, name], body, comments);
}

/** Blocks separated by one blank line, ending in a newline. */
export function writeHcl(blocks: string[]): string {
  return `${blocks.join('\n\n')}\n`;
}
