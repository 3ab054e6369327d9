import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { awsError, loadRecorded, recordedChain } from '../fixtures/hub/load.js';

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
    '@aws-sdk/client-route-53': 'route53',
    '@aws-sdk/client-route53resolver': 'route53resolver',
  };
  // Calls made only when a hub role is configured (src/aws/hub.ts): their permission is the
  // optional deploy/hub-assume-policy.json, scoped to that one role.
  const HUB_ROLE_ONLY = new Set(['sts:AssumeRole']);
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
      const action = `${service}:${match[1]}`;
      if (!NEEDS_NO_PERMISSION.has(action) && !HUB_ROLE_ONLY.has(action)) called.add(action);
    }
  }
  const policy = JSON.parse(readFileSync(join(ROOT, 'deploy/iam-policy.json'), 'utf8')) as {
    Statement: Array<{ Effect: string; Action: string[]; Resource: string | string[] }>;
  };
  // Reads: EC2 Describe/Get and SearchTransitGatewayRoutes, Route 53 and Resolver List calls, the flow-log filter.
  const READ_ONLY =
    /^(ec2:(Describe|Get)|ec2:SearchTransitGatewayRoutes$|route53:List|route53resolver:List|logs:FilterLogEvents$)/;
  const allowed = new Set(policy.Statement.filter((s) => s.Effect === 'Allow').flatMap((s) => s.Action));

  it('allows every EC2 action the agent calls', () => {
    assert.ok(called.size >= 10, `found ${called.size} calls`);
    assert.deepEqual([...called].filter((a) => !allowed.has(a)).sort(), []);
  });

  it('allows nothing the agent does not call, and writes only log events to its own log group', () => {
    assert.deepEqual([...allowed].filter((a) => !called.has(a)).sort(), []);
    const writes = policy.Statement.filter((s) => s.Action.some((a) => !READ_ONLY.test(a)));
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
      if (statement.Action.every((a) => a.startsWith('ec2:') || /^route53(resolver)?:List/.test(a))) {
        assert.deepEqual(resources, ['*'], 'EC2 Describe* and Route 53 List* are reads on "*"');
        assert.ok(
          statement.Action.every((a) => READ_ONLY.test(a)),
          statement.Action.join(', '),
        );
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

describe('the hub policies (deploy/hub-read-policy.json, deploy/hub-assume-policy.json)', () => {
  const read = (name: string) =>
    JSON.parse(readFileSync(join(ROOT, 'deploy', name), 'utf8')) as {
      Statement: Array<{ Effect: string; Action: string[]; Resource: string | string[] }>;
    };
  const service = (command: string) =>
    /^(ListHostedZones|ListResourceRecordSets)/.test(command) ? 'route53' : 'ec2';

  it('lets the hub role make exactly the read-only calls the agent makes with it', async () => {
    const { log } = await loadRecorded();
    const used = [...new Set(log.filter((c) => c.startsWith('hub:')).map((c) => c.slice('hub:'.length)))]
      .map((command) => `${service(command)}:${command}`)
      .sort();
    const policy = read('hub-read-policy.json');
    assert.deepEqual(policy.Statement.flatMap((s) => s.Action).sort(), used);
    for (const statement of policy.Statement) assert.equal(statement.Resource, '*');
  });

  it('lets the agent assume the hub role and nothing else', () => {
    const policy = read('hub-assume-policy.json');
    assert.deepEqual(
      policy.Statement.flatMap((s) => s.Action),
      ['sts:AssumeRole'],
    );
    assert.deepEqual(
      policy.Statement.map((s) => s.Resource),
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the policy's placeholder, as written
      ['${HubRoleArn}'],
    );
  });

  it('a denied hub read is a gap of its part, not an error of the load', async () => {
    const chain = await recordedChain({
      faults: { 'hub:DescribeSecurityGroups': awsError('UnauthorizedOperation') },
    });
    assert.equal(chain.hub.securityGroups.ok, false);
    assert.equal(chain.hub.endpoints.ok, true);
  });
});
