// The CloudFormation templates in deploy/cloudformation/: linted with cfn-lint, deployed to moto
// on loopback with the AWS CLI (create-stack), and read back. The AWS CLI is the client because
// @aws-sdk/client-cloudformation is not a dependency. Where moto 5.2.1 cannot create or does not
// keep a property, the test says so and checks the template itself instead.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse, type Tags } from 'yaml';
import type { Report } from '../../src/model.js';
import { buildEmfDocuments, EMF_NAMESPACE, STATUS_VALUE } from '../../src/render/emf.js';
import { type Moto, motoEnv, startMoto } from '../support/moto.js';

const run = promisify(execFile);
const DIR = fileURLToPath(new URL('../../deploy/cloudformation/', import.meta.url));
const POLICY = fileURLToPath(new URL('../../deploy/iam-policy.json', import.meta.url));
const FRAGMENT = 'ecs-sidecar-fragment.yaml';
const TEMPLATES = readdirSync(DIR)
  .filter((name) => name.endsWith('.yaml') && name !== FRAGMENT)
  .sort();
const REGION = 'us-east-1';
/** moto's account. */
const ACCOUNT = '123456789012';
const TOKEN_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:vpce-doctor-token-AbCdEf`;

type Json = Record<string, unknown>;

// CloudFormation's short forms (!Ref, !If, …) as the long forms CloudFormation itself reads.
const CFN_TAGS: Tags = [
  'Ref',
  'Condition',
  'Sub',
  'GetAtt',
  'If',
  'Equals',
  'Not',
  'And',
  'Or',
  'Join',
  'Select',
  'Split',
  'GetAZs',
  'FindInMap',
  'Base64',
].flatMap((fn) => {
  const key = fn === 'Ref' || fn === 'Condition' ? fn : `Fn::${fn}`;
  return [
    { tag: `!${fn}`, resolve: (s: string) => ({ [key]: fn === 'GetAtt' ? s.split('.') : s }) },
    {
      tag: `!${fn}`,
      collection: 'seq' as const,
      resolve: (seq: unknown) => ({ [key]: (seq as { toJSON(): unknown }).toJSON() }),
    },
  ];
});

function load(name: string): Json {
  return parse(readFileSync(join(DIR, name), 'utf8'), { customTags: CFN_TAGS }) as Json;
}

/** Resolves Fn::If by the given condition values and drops AWS::NoValue, as CloudFormation does. */
function resolveIf(node: unknown, conditions: Record<string, boolean>): unknown {
  if (Array.isArray(node)) {
    return node.map((n) => resolveIf(n, conditions)).filter((n) => n !== NO_VALUE);
  }
  if (node && typeof node === 'object') {
    const entries = Object.entries(node as Json);
    if (entries.length === 1 && entries[0]![0] === 'Fn::If') {
      const [name, yes, no] = entries[0]![1] as [string, unknown, unknown];
      assert.ok(name in conditions, `condition ${name} not given`);
      return resolveIf(conditions[name] ? yes : no, conditions);
    }
    if (entries.length === 1 && entries[0]![0] === 'Ref' && entries[0]![1] === 'AWS::NoValue')
      return NO_VALUE;
    const out: Json = {};
    for (const [key, value] of entries) {
      const resolved = resolveIf(value, conditions);
      if (resolved !== NO_VALUE) out[key] = resolved;
    }
    return out;
  }
  return node;
}
const NO_VALUE = Symbol('AWS::NoValue');

function resource(template: Json, logicalId: string): Json {
  const found = (template['Resources'] as Record<string, Json>)[logicalId];
  assert.ok(found, `resource ${logicalId}`);
  return found['Properties'] as Json;
}

/**
 * deploy/iam-policy.json as a template inlines it: each placeholder string as `!Sub`, the
 * flow-log statement only when a flow-log group is named, report shipping only where reports are
 * shipped (the Lambda).
 */
function expectedStatements(options: { flowLogs: boolean; shipReports: boolean }): unknown[] {
  const policy = JSON.parse(readFileSync(POLICY, 'utf8')) as { Statement: Json[] };
  const sub = (value: unknown): unknown =>
    typeof value === 'string' && value.includes('${')
      ? { 'Fn::Sub': value }
      : Array.isArray(value)
        ? value.map(sub)
        : value;
  return policy.Statement.filter(
    (s) =>
      (s['Sid'] !== 'VpceDoctorReadFlowLogRejects' || options.flowLogs) &&
      (s['Sid'] !== 'VpceDoctorShipReports' || options.shipReports),
  ).map((s) => ({ ...s, Resource: sub(s['Resource']) }));
}

/** deploy/iam-policy.json with its placeholders filled, as IAM holds it after a deploy. */
function filledStatements(
  values: Record<string, string>,
  options: { flowLogs: boolean; shipReports: boolean },
) {
  const fill = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(fill);
    if (value && typeof value === 'object' && 'Fn::Sub' in value) {
      return String((value as Json)['Fn::Sub']).replace(/\$\{([^}]+)\}/g, (_, name: string) => {
        assert.ok(name in values, `a value for \${${name}}`);
        return values[name]!;
      });
    }
    return value;
  };
  return (expectedStatements(options) as Json[]).map((s) => ({ ...s, Resource: fill(s['Resource']) }));
}

/** Every string of a parsed template, with where it sits. */
function stringsIn(node: unknown, path = ''): Array<[string, string]> {
  if (typeof node === 'string') return [[path, node]];
  if (Array.isArray(node)) return node.flatMap((n, i) => stringsIn(n, `${path}[${i}]`));
  if (node && typeof node === 'object') {
    return Object.entries(node as Json).flatMap(([k, v]) => stringsIn(v, `${path}.${k}`));
  }
  return [];
}

/**
 * moto 5.2.1 keeps a stack-made inline policy as Python's repr of the document (single quotes,
 * and None where a statement was AWS::NoValue), where AWS returns the JSON document without the
 * dropped statement: read it as AWS would give it (it holds no quote of its own).
 */
function readInlinePolicy(document: unknown): Json {
  if (typeof document !== 'string') return document as Json;
  const parsed = JSON.parse(document.replaceAll("'", '"').replaceAll('None', 'null')) as Json;
  return { ...parsed, Statement: (parsed['Statement'] as unknown[]).filter((s) => s !== null) };
}

function agentStatements(template: Json, role: string): unknown {
  const policies = resource(template, role)['Policies'] as Array<{
    PolicyName: string;
    PolicyDocument: Json;
  }>;
  const agent = policies.find((p) => p.PolicyName === 'vpce-doctor-agent');
  assert.ok(agent, `${role} has the vpce-doctor-agent policy`);
  return agent.PolicyDocument['Statement'];
}

describe('templates, read as files', () => {
  test('cfn-lint finds no error or warning in any template', async () => {
    assert.deepEqual(TEMPLATES, ['ecs-sidecar-example.yaml', 'lambda.yaml']);
    for (const name of TEMPLATES) {
      const out = await run('cfn-lint', [join(DIR, name)]).then(
        () => '',
        (err: { stdout?: string; stderr?: string }) => `${err.stdout ?? ''}${err.stderr ?? ''}` || 'failed',
      );
      assert.equal(out, '', `${name}: ${out}`);
    }
  });

  test('every parameter has a description and no template names an account id', () => {
    for (const name of [...TEMPLATES, FRAGMENT]) {
      const text = readFileSync(join(DIR, name), 'utf8');
      assert.doesNotMatch(text, /\b\d{12}\b/, `${name} holds a 12-digit account id`);
      if (name === FRAGMENT) continue;
      const parameters = load(name)['Parameters'] as Record<string, Json>;
      for (const [key, parameter] of Object.entries(parameters)) {
        assert.ok(String(parameter['Description'] ?? '').length > 10, `${name}: ${key} has no description`);
      }
    }
  });

  test('the agent policy inlined in each template is deploy/iam-policy.json, flow logs only when a group is named', () => {
    for (const flowLogs of [false, true]) {
      assert.deepEqual(
        resolveIf(agentStatements(load('lambda.yaml'), 'FunctionRole'), { HasFlowLogGroup: flowLogs }),
        expectedStatements({ flowLogs, shipReports: true }),
        `lambda.yaml, flow-log group named: ${flowLogs}`,
      );
      assert.deepEqual(
        resolveIf(agentStatements(load('ecs-sidecar-example.yaml'), 'TaskRole'), {
          HasFlowLogGroup: flowLogs,
        }),
        expectedStatements({ flowLogs, shipReports: false }),
        `ecs-sidecar-example.yaml, flow-log group named: ${flowLogs}`,
      );
    }
  });

  test('the policy reads no log group but the named flow-log group, and writes only the stack report group', () => {
    const policy = JSON.parse(readFileSync(POLICY, 'utf8')) as { Statement: Json[] };
    for (const statement of policy.Statement) {
      const actions = statement['Action'] as string[];
      // Reads that take no resource: EC2 Describe/Get/SearchTransitGatewayRoutes, Route 53 and Resolver List.
      if (
        actions.every((a) =>
          /^(ec2:(Describe|Get|SearchTransitGatewayRoutes)|route53(resolver)?:List)/.test(a),
        )
      )
        continue;
      assert.notEqual(statement['Resource'], '*', `${statement['Sid']} is scoped`);
      for (const arn of [statement['Resource']].flat() as string[]) {
        assert.match(
          arn,
          /^arn:\$\{AWS::Partition\}:logs:\$\{AWS::Region\}:\$\{AWS::AccountId\}:log-group:\$\{(FlowLogGroupName|ReportLogGroupName)\}/,
        );
      }
    }
  });

  test('every ARN the templates write takes its partition from AWS::Partition (GovCloud, China)', () => {
    for (const name of [...TEMPLATES, FRAGMENT]) {
      const parsed = parse(readFileSync(join(DIR, name), 'utf8'), { customTags: CFN_TAGS }) as Json;
      const written =
        name === FRAGMENT ? parsed : { Resources: parsed['Resources'], Outputs: parsed['Outputs'] };
      const arns = stringsIn(written).filter(([, value]) => value.includes('arn:'));
      if (name === 'lambda.yaml' || name === 'ecs-sidecar-example.yaml') assert.ok(arns.length > 0, name);
      for (const [where, value] of arns) {
        assert.ok(
          [...value.matchAll(/arn:/g)].length === [...value.matchAll(/arn:\$\{AWS::Partition\}:/g)].length,
          `${name}${where}: ${value}`,
        );
      }
      assert.doesNotMatch(
        readFileSync(join(DIR, name), 'utf8'),
        /arn:aws:/,
        `${name} names the aws partition`,
      );
    }
  });

  test('the pasteable fragment is the example stack sidecar in its observer shape', () => {
    const fragment = parse(readFileSync(join(DIR, FRAGMENT), 'utf8'), { customTags: CFN_TAGS }) as Json[];
    assert.equal(fragment.length, 1);
    const example = resource(load('ecs-sidecar-example.yaml'), 'TaskDefinition');
    for (const HasToken of [false, true]) {
      for (const HasFlowLogGroup of [false, true]) {
        const conditions = { HasToken, HasFlowLogGroup };
        const containers = resolveIf(example['ContainerDefinitions'], {
          ...conditions,
          IsStartupGate: false,
        }) as Json[];
        assert.deepEqual(
          containers.find((c) => c['Name'] === 'vpce-doctor'),
          resolveIf(fragment[0], conditions),
          JSON.stringify(conditions),
        );
      }
    }
  });

  test('the example stack is awsvpc with a task role, whatever moto keeps of it', () => {
    // moto 5.2.1 answers describe-task-definition with networkMode "bridge" and without
    // taskRoleArn/executionRoleArn for a stack-made task definition: checked here instead.
    const example = resource(load('ecs-sidecar-example.yaml'), 'TaskDefinition');
    assert.equal(example['NetworkMode'], 'awsvpc');
    assert.deepEqual(example['TaskRoleArn'], { 'Fn::GetAtt': ['TaskRole', 'Arn'] });
    assert.deepEqual(example['RequiresCompatibilities'], ['FARGATE']);
  });

  test("the Lambda stack's alarm watches the run-level EMF Status metric and fires on fail only", () => {
    // moto 5.2.1 does not create AWS::CloudWatch::Alarm from a stack (the resource is listed
    // with no type and no alarm exists), so the alarm is checked against the EMF renderer.
    const alarm = resource(load('lambda.yaml'), 'StatusAlarm');
    const report = {
      status: 'fail',
      startedAt: '2026-01-01T00:00:00Z',
      durationMs: 1,
      summary: { pass: 0, warn: 0, fail: 1, unknown: 0 },
      context: { vpcId: 'vpc-1', subnetId: 'subnet-1', availabilityZone: 'us-east-1a', region: REGION },
      targets: [],
    } as unknown as Report;
    const runDocument = buildEmfDocuments(report).at(-1)!;
    const directive = runDocument._aws.CloudWatchMetrics[0]!;
    assert.equal(alarm['Namespace'], EMF_NAMESPACE);
    assert.ok(directive.Metrics.some((m) => m.Name === alarm['MetricName']));
    const dimensions = alarm['Dimensions'] as Array<{ Name: string; Value: unknown }>;
    assert.deepEqual([dimensions.map((d) => d.Name)], directive.Dimensions);
    assert.deepEqual(dimensions[0]!.Value, { Ref: 'SubnetId' });
    assert.equal(runDocument['Subnet'], 'subnet-1');
    assert.equal(alarm['Threshold'], STATUS_VALUE.fail);
    assert.equal(alarm['ComparisonOperator'], 'GreaterThanOrEqualToThreshold');
  });
});

describe('templates, deployed to moto', () => {
  let moto: Moto;
  let env: NodeJS.ProcessEnv;

  const aws = async (...args: string[]): Promise<Json> => {
    const { stdout } = await run('aws', ['--endpoint-url', moto.url, '--output', 'json', ...args], { env });
    return stdout.trim() ? (JSON.parse(stdout) as Json) : {};
  };
  const awsError = (...args: string[]): Promise<string> =>
    aws(...args).then(
      () => assert.fail(`aws ${args.join(' ')} succeeded`),
      (err: { stderr?: string }) => err.stderr ?? '',
    );
  const params = (values: Record<string, string>) =>
    Object.entries(values).map(([k, v]) => `ParameterKey=${k},ParameterValue=${v.replaceAll(',', '\\,')}`);

  async function createStack(name: string, template: string, values: Record<string, string>) {
    await aws(
      'cloudformation',
      'create-stack',
      '--stack-name',
      name,
      '--template-body',
      `file://${join(DIR, template)}`,
      '--capabilities',
      'CAPABILITY_IAM',
      '--parameters',
      ...params(values),
    );
    let status = '';
    for (let i = 0; i < 60 && !/_COMPLETE$|_FAILED$/.test(status); i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 250));
      const out = await aws('cloudformation', 'describe-stacks', '--stack-name', name);
      const stack = (out['Stacks'] as Json[])[0]!;
      status = String(stack['StackStatus']);
      assert.doesNotMatch(status, /FAILED|ROLLBACK/, String(stack['StackStatusReason']));
    }
    assert.equal(status, 'CREATE_COMPLETE');
    const out = await aws('cloudformation', 'describe-stack-resources', '--stack-name', name);
    const byId = new Map<string, Json>();
    for (const r of out['StackResources'] as Json[]) byId.set(String(r['LogicalResourceId']), r);
    return byId;
  }

  async function network() {
    const vpc = (await aws('ec2', 'create-vpc', '--cidr-block', '10.40.0.0/16'))['Vpc'] as Json;
    const subnet = (
      await aws(
        'ec2',
        'create-subnet',
        '--vpc-id',
        String(vpc['VpcId']),
        '--cidr-block',
        '10.40.1.0/24',
        '--availability-zone',
        `${REGION}a`,
      )
    )['Subnet'] as Json;
    const sg = await aws(
      'ec2',
      'create-security-group',
      '--vpc-id',
      String(vpc['VpcId']),
      '--group-name',
      'app',
      '--description',
      'app',
    );
    return { vpcId: String(vpc['VpcId']), subnetId: String(subnet['SubnetId']), sgId: String(sg['GroupId']) };
  }

  before(async () => {
    moto = await startMoto();
    env = { ...process.env, ...motoEnv(moto.url, REGION), AWS_PAGER: '' };
  });
  after(async () => {
    await moto?.stop();
  });
  beforeEach(async () => {
    await moto.reset();
  });

  test('lambda.yaml creates a VPC function for one subnet, its schedule and log groups', async () => {
    const { vpcId, subnetId, sgId } = await network();
    // The code bundle must exist for moto to create the function; its content does not matter here.
    const zip = join(tmpdir(), `vpce-doctor-cfn-${process.pid}.zip`);
    await run('python3', [
      '-c',
      'import sys,zipfile; zipfile.ZipFile(sys.argv[1],"w").writestr("lambda.js","export const handler=()=>1")',
      zip,
    ]);
    await aws('s3api', 'create-bucket', '--bucket', 'vpce-doctor-code');
    await aws('s3api', 'put-object', '--bucket', 'vpce-doctor-code', '--key', 'lambda.zip', '--body', zip);

    const resources = await createStack('vpce-doctor-a', 'lambda.yaml', {
      VpcId: vpcId,
      SubnetId: subnetId,
      SecurityGroupId: sgId,
      CodeS3Bucket: 'vpce-doctor-code',
      CodeS3Key: 'lambda.zip',
      ReportLogGroupName: 'vpce-doctor-reports-a',
      ScheduleExpression: 'rate(10 minutes)',
    });
    const fn = await aws(
      'lambda',
      'get-function-configuration',
      '--function-name',
      String(resources.get('Function')?.['PhysicalResourceId']),
    );
    assert.equal(fn['Handler'], 'lambda.handler');
    assert.deepEqual((fn['VpcConfig'] as Json)['SubnetIds'], [subnetId]);
    assert.deepEqual((fn['VpcConfig'] as Json)['SecurityGroupIds'], [sgId]);
    assert.deepEqual((fn['Environment'] as Json)['Variables'], {
      VPCE_DOCTOR_VPC_ID: vpcId,
      VPCE_DOCTOR_SUBNET_ID: subnetId,
      VPCE_DOCTOR_SECURITY_GROUP_IDS: sgId,
      VPCE_DOCTOR_LOG_GROUP: 'vpce-doctor-reports-a',
      VPCE_DOCTOR_PROFILES: 'lambda',
      VPCE_DOCTOR_FAIL_ON: 'fail',
      VPCE_DOCTOR_FLOW_LOGS: '0',
    });

    const rule = String(resources.get('Schedule')?.['PhysicalResourceId']);
    const rules = (await aws('events', 'list-rules'))['Rules'] as Json[];
    assert.equal(rules.find((r) => r['Name'] === rule)?.['ScheduleExpression'], 'rate(10 minutes)');
    const targets = (await aws('events', 'list-targets-by-rule', '--rule', rule))['Targets'] as Json[];
    assert.deepEqual(
      targets.map((t) => [t['Arn'], t['Input']]),
      [[fn['FunctionArn'], '{}']],
    );

    const groups = (await aws('logs', 'describe-log-groups'))['logGroups'] as Json[];
    const retention = Object.fromEntries(groups.map((g) => [g['logGroupName'], g['retentionInDays']]));
    assert.equal(retention[`/aws/lambda/${fn['FunctionName']}`], 30);
    assert.equal(retention['vpce-doctor-reports-a'], 30);

    const role = String(resources.get('FunctionRole')?.['PhysicalResourceId']);
    const document = (
      await aws('iam', 'get-role-policy', '--role-name', role, '--policy-name', 'vpce-doctor-agent')
    )['PolicyDocument'];
    const inline = readInlinePolicy(document);
    assert.deepEqual(
      inline['Statement'],
      filledStatements(
        {
          'AWS::Partition': 'aws',
          'AWS::Region': REGION,
          'AWS::AccountId': ACCOUNT,
          ReportLogGroupName: 'vpce-doctor-reports-a',
        },
        { flowLogs: false, shipReports: true },
      ),
    );
  });

  test('lambda.yaml with a flow-log group: the role may read that group and write its own report group, nothing else', async () => {
    const { vpcId, subnetId, sgId } = await network();
    const zip = join(tmpdir(), `vpce-doctor-cfn-flow-${process.pid}.zip`);
    await run('python3', [
      '-c',
      'import sys,zipfile; zipfile.ZipFile(sys.argv[1],"w").writestr("lambda.js","export const handler=()=>1")',
      zip,
    ]);
    await aws('s3api', 'create-bucket', '--bucket', 'vpce-doctor-code');
    await aws('s3api', 'put-object', '--bucket', 'vpce-doctor-code', '--key', 'lambda.zip', '--body', zip);
    const resources = await createStack('vpce-doctor-flow', 'lambda.yaml', {
      VpcId: vpcId,
      SubnetId: subnetId,
      SecurityGroupId: sgId,
      CodeS3Bucket: 'vpce-doctor-code',
      CodeS3Key: 'lambda.zip',
      ReportLogGroupName: 'reports-b',
      FlowLogGroupName: '/vpc/flow-logs/prod',
    });
    const fn = await aws(
      'lambda',
      'get-function-configuration',
      '--function-name',
      String(resources.get('Function')?.['PhysicalResourceId']),
    );
    assert.equal(((fn['Environment'] as Json)['Variables'] as Json)['VPCE_DOCTOR_FLOW_LOGS'], '1');
    const role = String(resources.get('FunctionRole')?.['PhysicalResourceId']);
    const document = (
      await aws('iam', 'get-role-policy', '--role-name', role, '--policy-name', 'vpce-doctor-agent')
    )['PolicyDocument'];
    const inline = readInlinePolicy(document);
    assert.deepEqual(
      inline['Statement'],
      filledStatements(
        {
          'AWS::Partition': 'aws',
          'AWS::Region': REGION,
          'AWS::AccountId': ACCOUNT,
          ReportLogGroupName: 'reports-b',
          FlowLogGroupName: '/vpc/flow-logs/prod',
        },
        { flowLogs: true, shipReports: true },
      ),
    );
    const resourcesOf = (sid: string) =>
      (inline['Statement'] as Json[]).find((s) => s['Sid'] === sid)?.['Resource'] as string[];
    assert.deepEqual(resourcesOf('VpceDoctorShipReports'), [
      `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:reports-b:*`,
    ]);
    assert.deepEqual(resourcesOf('VpceDoctorReadFlowLogRejects'), [
      `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/vpc/flow-logs/prod`,
      `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/vpc/flow-logs/prod:*`,
    ]);
  });

  for (const shape of ['observer', 'startup-gate'] as const) {
    test(`ecs-sidecar-example.yaml in the ${shape} shape: non-essential sidecar, ${shape === 'observer' ? 'app independent of it' : 'app waits for it HEALTHY'}`, async () => {
      const { subnetId, sgId } = await network();
      await aws('ecs', 'create-cluster', '--cluster-name', 'apps');
      const resources = await createStack(`sidecar-${shape}`, 'ecs-sidecar-example.yaml', {
        Shape: shape,
        AgentImage: 'registry.example/vpce-doctor:1.0.0',
        ClusterName: 'apps',
        SubnetIds: subnetId,
        SecurityGroupIds: sgId,
        // The gate stack opens its API with a token and reads flow logs; the observer does neither.
        ...(shape === 'startup-gate'
          ? { TokenSecretArn: TOKEN_ARN, FlowLogGroupName: '/vpc/flow-logs/prod' }
          : {}),
      });
      const definition = (
        await aws(
          'ecs',
          'describe-task-definition',
          '--task-definition',
          String(resources.get('TaskDefinition')?.['PhysicalResourceId']),
        )
      )['taskDefinition'] as Json;
      const containers = definition['containerDefinitions'] as Json[];
      const app = containers.find((c) => c['name'] === 'app')!;
      const agent = containers.find((c) => c['name'] === 'vpce-doctor')!;
      assert.equal(app['essential'], true);
      assert.equal(agent['essential'], false);
      const healthUrl = ((agent['healthCheck'] as Json)['command'] as string[]).join(' ');
      const environment = Object.fromEntries(
        (agent['environment'] as Array<{ name: string; value: string }>).map((e) => [e.name, e.value]),
      );
      assert.equal(environment['VPCE_DOCTOR_EMF'], '1');
      assert.equal(environment['VPCE_DOCTOR_FLOW_LOGS'], shape === 'startup-gate' ? '1' : '0');
      assert.deepEqual(
        agent['secrets'] ?? [],
        shape === 'startup-gate' ? [{ name: 'VPCE_DOCTOR_TOKEN', valueFrom: TOKEN_ARN }] : [],
      );
      assert.equal(environment['AWS_REGION'], REGION);
      assert.equal((agent['logConfiguration'] as Json)['logDriver'], 'awslogs');
      if (shape === 'observer') {
        assert.match(healthUrl, /:9077\/healthz'/);
        assert.equal(app['dependsOn'], undefined);
        assert.equal(agent['startTimeout'], undefined);
      } else {
        assert.match(healthUrl, /:9077\/health'/);
        assert.deepEqual(app['dependsOn'], [{ containerName: 'vpce-doctor', condition: 'HEALTHY' }]);
        assert.equal(agent['startTimeout'], 180, 'the timeout sits on the container depended on');
      }
      assert.equal(resources.get('Service')?.['ResourceStatus'], 'CREATE_COMPLETE');
    });
  }

  test('a stack without a required parameter fails naming that parameter', async () => {
    const { vpcId, subnetId, sgId } = await network();
    const lambda = await awsError(
      'cloudformation',
      'create-stack',
      '--stack-name',
      'no-code-bucket',
      '--template-body',
      `file://${join(DIR, 'lambda.yaml')}`,
      '--parameters',
      ...params({
        VpcId: vpcId,
        SubnetId: subnetId,
        SecurityGroupId: sgId,
        CodeS3Key: 'lambda.zip',
        ReportLogGroupName: 'vpce-doctor-r',
      }),
    );
    assert.match(lambda, /ValidationError.*Missing parameter CodeS3Bucket/);
    const sidecar = await awsError(
      'cloudformation',
      'create-stack',
      '--stack-name',
      'no-image',
      '--template-body',
      `file://${join(DIR, 'ecs-sidecar-example.yaml')}`,
      '--parameters',
      ...params({ ClusterName: 'apps', SubnetIds: subnetId, SecurityGroupIds: sgId }),
    );
    assert.match(sidecar, /ValidationError.*Missing parameter AgentImage/);
  });
});

// A template written to a temp file must still fail cfn-lint when it is wrong: the lint test can fail.
test('cfn-lint reports an error for a template with an invalid property', async () => {
  const broken = join(tmpdir(), `vpce-doctor-broken-${process.pid}.yaml`);
  writeFileSync(
    broken,
    readFileSync(join(DIR, 'lambda.yaml'), 'utf8').replace('MemorySize: 256', 'MemorySize: lots'),
  );
  const failed = await run('cfn-lint', [broken]).then(
    () => false,
    () => true,
  );
  assert.ok(failed);
});
