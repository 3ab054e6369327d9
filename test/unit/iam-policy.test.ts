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
  // Every AWS call in the agent goes through an SDK command class; its name is the action's and
  // the client package it is imported from is the service's.
  const SERVICES: Record<string, string> = {
    '@aws-sdk/client-ec2': 'ec2',
    '@aws-sdk/client-cloudwatch-logs': 'logs',
    '@aws-sdk/client-sts': 'sts',
  };
  // Calls no policy needs to allow (STS API Reference, GetCallerIdentity: "No permissions are
  // required to perform this operation"): the optional signed canary, src/aws/sts-canary.ts.
  const NEEDS_NO_PERMISSION = new Set(['sts:GetCallerIdentity']);
  const called = new Set<string>();
  for (const file of files(join(ROOT, 'src'))) {
    const text = readFileSync(file, 'utf8');
    const serviceOf = new Map<string, string>();
    for (const m of text.matchAll(/import \{([^}]*)\} from '(@aws-sdk\/[a-z0-9-]+)'/g)) {
      for (const name of m[1]!.split(',').map((n) => n.replace(/^\s*type\s+/, '').trim())) {
        if (SERVICES[m[2]!]) serviceOf.set(name, SERVICES[m[2]!]!);
      }
    }
    for (const match of text.matchAll(/new ([A-Za-z]+)Command\(/g)) {
      const service = serviceOf.get(`${match[1]}Command`);
      assert.ok(service, `${file}: ${match[1]}Command is not imported from a known AWS client`);
      if (!NEEDS_NO_PERMISSION.has(`${service}:${match[1]}`)) called.add(`${service}:${match[1]}`);
    }
  }
  const policy = JSON.parse(readFileSync(join(ROOT, 'deploy/iam-policy.json'), 'utf8')) as {
    Statement: Array<{ Effect: string; Action: string[]; Resource: string | string[] }>;
  };
  const allowed = new Set(policy.Statement.filter((s) => s.Effect === 'Allow').flatMap((s) => s.Action));

  it('allows every EC2 action the agent calls', () => {
    assert.ok(called.size >= 10, `found ${called.size} calls`);
    assert.deepEqual([...called].filter((a) => !allowed.has(a)).sort(), []);
  });

  it('allows nothing the agent does not call, and writes only log events to its own log group', () => {
    assert.deepEqual([...allowed].filter((a) => !called.has(a)).sort(), []);
    const writes = policy.Statement.filter((s) =>
      s.Action.some((a) => !/^(ec2:(Describe|Get)|logs:FilterLogEvents$)/.test(a)),
    );
    assert.deepEqual(writes.flatMap((s) => s.Action).sort(), ['logs:CreateLogStream', 'logs:PutLogEvents']);
    for (const statement of writes)
      assert.notEqual(statement.Resource, '*', 'writes are scoped to the agent log group');
  });

  // Every container of an ECS task shares the task role: a log action on "*" would let the
  // application read every log group of the account, or write into any.
  it('scopes every CloudWatch Logs action to one named group, in any partition; only EC2 reads take "*"', () => {
    const GROUP_ARN =
      /^arn:\$\{AWS::Partition\}:logs:\$\{AWS::Region\}:\$\{AWS::AccountId\}:log-group:\$\{(FlowLogGroupName|ReportLogGroupName)\}(:\*)?$/;
    for (const statement of policy.Statement) {
      const resources = [statement.Resource].flat();
      if (statement.Action.every((a) => a.startsWith('ec2:'))) {
        assert.deepEqual(resources, ['*'], 'EC2 Describe* takes no resource-level permission');
        continue;
      }
      assert.ok(
        statement.Action.every((a) => a.startsWith('logs:')),
        statement.Action.join(', '),
      );
      for (const arn of resources) assert.match(arn, GROUP_ARN);
      const groups = new Set(resources.map((arn) => GROUP_ARN.exec(arn)![1]));
      assert.equal(groups.size, 1, 'one statement, one group');
    }
    const text = readFileSync(join(ROOT, 'deploy/iam-policy.json'), 'utf8');
    assert.doesNotMatch(text, /arn:aws:/, 'no ARN names the aws partition');
  });
});
