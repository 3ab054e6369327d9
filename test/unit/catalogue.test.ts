import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { explain, loadCatalogue } from '../../src/catalogue.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const PREFIXES =
  'CONTEXT|AWS|VPC|DHCP|ENDPOINT|DNS|TCP|TLS|ROUTE|ROUTE53|SG|NACL|PROFILE|PROBE|CONFIG|FLOWLOG|REPORT|LOGS|L7|STS|SDK|HUB|TGW|PEERING';
// A finding code in source: a quoted UPPER_SNAKE literal with one of the catalogue's prefixes.
const CODE_LITERAL = new RegExp(`['"\`]((?:${PREFIXES})_[A-Z0-9_]+)['"\`]`, 'g');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

// Environment variable names share the AWS_ prefix with finding codes.
const ENV_VARIABLE =
  /^AWS_(REGION|DEFAULT_REGION|LAMBDA_\w+|EC2_METADATA_\w+|SDK_\w+|ENDPOINT_URL\w*|IGNORE_CONFIGURED_ENDPOINT_URLS|PROFILE|ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN)$/;

function codesInSource(): Map<string, string> {
  const codes = new Map<string, string>();
  for (const file of [...sourceFiles(join(ROOT, 'src')), ...sourceFiles(join(ROOT, 'checks'))]) {
    for (const match of readFileSync(file, 'utf8').matchAll(CODE_LITERAL)) {
      if (!codes.has(match[1]!) && !ENV_VARIABLE.test(match[1]!))
        codes.set(match[1]!, file.slice(ROOT.length));
    }
  }
  return codes;
}

describe('the findings catalogue (docs/findings.md)', () => {
  const catalogue = loadCatalogue();
  const emitted = codesInSource();

  it('documents every code the code can emit', () => {
    const missing = [...emitted]
      .filter(([code]) => !catalogue.has(code))
      .map(([code, file]) => `${code} (${file})`);
    assert.deepEqual(missing, []);
  });

  it('documents no code that the code cannot emit', () => {
    const stale = [...catalogue.keys()].filter((code) => !emitted.has(code));
    assert.deepEqual(stale, []);
  });

  it('has the minimum codes of DESIGN.md', () => {
    const design = readFileSync(join(ROOT, '..', 'shared', 'DESIGN.md'), 'utf8');
    const section = design.slice(design.indexOf('Context and access:'), design.indexOf('## The report'));
    const required = [...section.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]!);
    assert.ok(required.length >= 40, `found ${required.length} codes in DESIGN.md`);
    assert.deepEqual(
      required.filter((code) => !catalogue.has(code)),
      [],
    );
  });

  it('gives every entry a status, a check, a meaning and a fix section', () => {
    for (const entry of catalogue.values()) {
      assert.match(
        entry.status,
        /^(pass|warn|fail|unknown|info)(\|(pass|warn|fail|unknown|info))*$/,
        entry.code,
      );
      assert.match(
        entry.check,
        /^(context|dns|tcp|tls|http|sdk|route|sg|nacl|endpoint|policy|profile|flowlog|verdict)$/,
        entry.code,
      );
      if (!/^(pass|info)$/.test(entry.status)) assert.match(entry.text, /\*\*Fix:\*\*/, entry.code);
      assert.match(entry.text, /\*\*Evidence:\*\*/, entry.code);
    }
  });

  it('explains a code case-insensitively and nothing for an unknown one', () => {
    assert.match(explain('sg_endpoint_ingress_denied') ?? '', /^# SG_ENDPOINT_INGRESS_DENIED\n/);
    assert.equal(explain('NO_SUCH_CODE'), undefined);
  });
});
