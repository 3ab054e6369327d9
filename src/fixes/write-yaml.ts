// CloudFormation fragments in YAML: a mapping of logical ids to resources, to paste under a
// template's `Resources:`. Intrinsic functions in their long form (`Ref: X`, `Fn::GetAtt: [X, Y]`)
// so the text is plain YAML, without the short-form tags.

export type YamlValue = null | string | number | boolean | YamlValue[] | { [key: string]: YamlValue };

const RESERVED = /^(true|false|yes|no|on|off|y|n|null|~)$/i;

function scalar(value: null | string | number | boolean): string {
  if (value === null) return 'null';
  if (typeof value !== 'string') return String(value);
  return /^[A-Za-z][A-Za-z0-9._/-]*$/.test(value) && !RESERVED.test(value) ? value : JSON.stringify(value);
}

function key(text: string): string {
  return /^[A-Za-z][A-Za-z0-9_]*(::[A-Za-z0-9_]+)*$/.test(text) ? text : JSON.stringify(text);
}

function isNode(value: YamlValue): value is YamlValue[] | { [key: string]: YamlValue } {
  return typeof value === 'object' && value !== null && Object.keys(value).length > 0;
}

function writeNode(value: YamlValue, indent: string): string[] {
  if (Array.isArray(value)) {
    return value.flatMap((item) => {
      if (!isNode(item)) return [`${indent}- ${inline(item)}`];
      const lines = writeNode(item, `${indent}  `);
      return [`${indent}- ${lines[0]!.trimStart()}`, ...lines.slice(1)];
    });
  }
  if (!isNode(value)) return [`${indent}${inline(value)}`];
  return Object.entries(value).flatMap(([k, v]) =>
    !isNode(v)
      ? [`${indent}${key(k)}: ${inline(v)}`]
      : [`${indent}${key(k)}:`, ...writeNode(v, `${indent}  `)],
  );
}

function inline(value: YamlValue): string {
  if (Array.isArray(value)) return '[]';
  if (typeof value === 'object' && value !== null) return '{}';
  return scalar(value);
}

/** `Ref: name`: a parameter or another resource of the fragment. */
export const ref = (name: string): YamlValue => ({ Ref: name });
export const getAtt = (resource: string, attribute: string): YamlValue => ({
  'Fn::GetAtt': [resource, attribute],
});

/** A CloudFormation-safe logical id: letters and digits, PascalCase. */
export function logicalId(...parts: string[]): string {
  return parts
    .flatMap((p) => p.split(/[^A-Za-z0-9]+/))
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
}

export interface CfnResource {
  type: string;
  properties: Record<string, YamlValue>;
  comments?: string[];
}

/** Resources by logical id, as the lines under a template's `Resources:` (not indented). */
export function writeCfn(resources: Record<string, CfnResource>): string {
  const lines = Object.entries(resources).flatMap(([id, r]) => [
    ...(r.comments ?? []).map((c) => `# ${c}`),
    `${id}:`,
    `  Type: ${r.type}`,
    '  Properties:',
    ...writeNode(r.properties, '    '),
  ]);
  return `${lines.join('\n')}\n`;
}
