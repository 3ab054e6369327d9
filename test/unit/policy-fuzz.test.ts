// The endpoint-policy evaluator under random damage: seeded mutations of real policy shapes and
// random JSON values must each give one of its decisions, never an exception, within a bound.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluatePolicyDocument, type PolicyRequest } from '../../src/eval/policy.js';

const SEEDS = [
  { Version: '2008-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' }] },
  {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'A',
        Effect: 'Allow',
        Principal: { AWS: ['111122223333', 'arn:aws:iam::111122223333:role/x'] },
        Action: ['s3:Get*'],
        Resource: ['arn:aws:s3:::b/*'],
      },
      {
        Sid: 'D',
        Effect: 'Deny',
        Principal: '*',
        NotAction: 's3:*',
        NotResource: 'arn:aws:s3:::b',
        Condition: {
          'ForAnyValue:StringNotLikeIfExists': { 'aws:SourceVpce': ['vpce-1*', true, 3] },
          Null: { 'aws:PrincipalOrgID': 'false' },
        },
      },
    ],
  },
];
const DECISIONS = new Set(['allow', 'explicit-deny', 'implicit-deny', 'undecidable', 'malformed']);
const request: PolicyRequest = {
  action: 's3:GetObject',
  resource: 'arn:aws:s3:::b/k',
  principal: { arn: 'arn:aws:iam::111122223333:role/x' },
  context: { 'aws:SourceVpce': 'vpce-1', 'aws:SourceVpc': 'vpc-1', 'aws:SecureTransport': 'true' },
};

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  '{',
  '}',
  '[',
  ']',
  '"',
  ':',
  ',',
  '*',
  '?',
  '__proto__',
  'null',
  'true',
  '1e400',
  '"Statement"',
  '"Effect":"Deny"',
  '\\u0000',
  ['$', '{aws:x}'].join(''),
];

function mutate(text: string, next: () => number): string {
  let out = text;
  const edits = 1 + Math.floor(next() * 4);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(next() * (out.length + 1));
    const r = next();
    if (r < 0.4) out = out.slice(0, at) + out.slice(at + 1 + Math.floor(next() * 5));
    else out = out.slice(0, at) + PIECES[Math.floor(next() * PIECES.length)] + out.slice(at);
  }
  return out;
}

function randomValue(next: () => number, depth: number): unknown {
  const r = next();
  if (depth > 4 || r < 0.3)
    return ['*', 'Allow', 'Deny', 's3:GetObject', 1, true, null, '__proto__'][Math.floor(next() * 8)];
  if (r < 0.6) return Array.from({ length: Math.floor(next() * 3) }, () => randomValue(next, depth + 1));
  const keys = [
    'Statement',
    'Effect',
    'Principal',
    'AWS',
    'Action',
    'NotAction',
    'Resource',
    'Condition',
    'StringEquals',
    'aws:SourceVpce',
    'Sid',
    '__proto__',
  ];
  return Object.fromEntries(
    Array.from({ length: Math.floor(next() * 4) }, () => [
      keys[Math.floor(next() * keys.length)]!,
      randomValue(next, depth + 1),
    ]),
  );
}

describe('policy evaluator fuzz', () => {
  it('answers every mutated real policy with a decision', () => {
    const next = random(12);
    const seen = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      const seed = JSON.stringify(SEEDS[i % SEEDS.length]);
      const document = mutate(seed, next);
      const decision = evaluatePolicyDocument(document, request);
      assert.ok(DECISIONS.has(decision.decision), `${document} → ${JSON.stringify(decision)}`);
      seen.add(decision.decision);
    }
    // Damage that leaves a readable policy reaches the evaluator, not only the parser.
    assert.ok(seen.has('malformed') && seen.size >= 3, [...seen].join(', '));
  });

  it('answers random JSON shapes with a decision', () => {
    const next = random(34);
    for (let i = 0; i < 3000; i++) {
      const document = JSON.stringify({ Statement: randomValue(next, 0) });
      const decision = evaluatePolicyDocument(document, request);
      assert.ok(DECISIONS.has(decision.decision), `${document} → ${JSON.stringify(decision)}`);
    }
  });
});
