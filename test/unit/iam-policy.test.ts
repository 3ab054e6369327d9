import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const ROOT = new URL('../../', import.meta.url).pathname;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('deploy/iam-policy.json', () => {
  // Every EC2 call in the agent goes through an SDK command class; its name is the action's.
  const called = new Set<string>();
  for (const file of files(join(ROOT, 'src'))) {
    for (const match of readFileSync(file, 'utf8').matchAll(/new ((?:Describe|Get)[A-Za-z]+)Command\(/g)) {
      called.add(`ec2:${match[1]}`);
    }
  }
  const policy = JSON.parse(readFileSync(join(ROOT, 'deploy/iam-policy.json'), 'utf8')) as {
    Statement: Array<{ Effect: string; Action: string[] }>;
  };
  const allowed = new Set(policy.Statement.filter((s) => s.Effect === 'Allow').flatMap((s) => s.Action));

  it('allows every EC2 action the agent calls', () => {
    assert.ok(called.size >= 10, `found ${called.size} calls`);
    assert.deepEqual([...called].filter((a) => !allowed.has(a)).sort(), []);
  });

  it('allows nothing the agent does not call, and nothing that writes', () => {
    assert.deepEqual([...allowed].filter((a) => !called.has(a)).sort(), []);
    assert.ok([...allowed].every((a) => /^ec2:(Describe|Get)/.test(a)));
  });
});
