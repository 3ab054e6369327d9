// Endpoint policies end to end on the control plane: endpoints created in moto with a
// PolicyDocument, the inventory loaded as the agent loads it, targets built for the ecs-fargate
// profile, and checks/endpoint-policy.ts (then the verdict) run over the real loaded data.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import {
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { checkEndpointPolicy } from '../../checks/endpoint-policy.js';
import { createEc2Client } from '../../src/aws/ec2-client.js';
import { loadInventory } from '../../src/aws/inventory.js';
import { validateConfig } from '../../src/config.js';
import type { AgentContext, Inventory, Target, TargetObservations } from '../../src/model.js';
import { buildTargets } from '../../src/targets.js';
import { decideTarget } from '../../src/verdict.js';
import { TEAM_BUCKET_ONLY as TEAM_BUCKET_POLICY } from '../fixtures/policies.js';
import { type Moto, motoEnv, startMoto } from '../support/moto.js';

const REGION = 'us-east-1';
const TEAM_BUCKET_ONLY = JSON.stringify(TEAM_BUCKET_POLICY);
const DENY_ALL = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Sid: 'DenyAll', Effect: 'Deny', Principal: '*', Action: '*', Resource: '*' }],
});
const FULL_ACCESS = JSON.stringify({
  Version: '2008-10-17',
  Statement: [{ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' }],
});

let moto: Moto;

before(async () => {
  moto = await startMoto();
  Object.assign(process.env, motoEnv(moto.url, REGION));
});
after(async () => {
  await moto?.stop();
});
beforeEach(async () => {
  await moto.reset();
});

interface Built {
  context: AgentContext;
  inventory: Inventory;
  targets: Target[];
  ids: Record<string, string>;
}

/** A VPC with ecr.api, ecr.dkr, logs (interface) and s3 (gateway), each with the given policy. */
async function build(ec2: EC2Client, policies: Record<string, string | undefined>): Promise<Built> {
  const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.30.0.0/16' }))).Vpc!.VpcId!;
  const subnetId = (
    await ec2.send(
      new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.30.1.0/24', AvailabilityZone: `${REGION}a` }),
    )
  ).Subnet!.SubnetId!;
  const routeTableId = (await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }))).RouteTable!
    .RouteTableId!;
  const sg = (
    await ec2.send(
      new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: 'ep', Description: 'endpoints' }),
    )
  ).GroupId!;
  const ids: Record<string, string> = {};
  for (const [short, policy] of Object.entries(policies)) {
    const gateway = short === 's3';
    const out = await ec2.send(
      new CreateVpcEndpointCommand({
        VpcId: vpcId,
        ServiceName: `com.amazonaws.${REGION}.${short}`,
        VpcEndpointType: gateway ? 'Gateway' : 'Interface',
        ...(gateway
          ? { RouteTableIds: [routeTableId] }
          : { SubnetIds: [subnetId], SecurityGroupIds: [sg], PrivateDnsEnabled: true }),
        ...(policy ? { PolicyDocument: policy } : {}),
      }),
    );
    ids[short] = out.VpcEndpoint!.VpcEndpointId!;
  }
  const inventory = await loadInventory(ec2, { vpcId, region: REGION, timeoutMs: 10_000 });
  const context: AgentContext = {
    region: REGION,
    vpcId,
    subnetId,
    availabilityZone: `${REGION}a`,
    privateIp: '10.30.1.10',
    securityGroupIds: [],
    resolvers: [],
    sources: {},
  };
  const config = validateConfig({ profiles: ['ecs-fargate'] }, 'test');
  return { context, inventory, targets: buildTargets(context, inventory, { config }), ids };
}

const codesOf = (built: Built, short: string) => {
  const target = built.targets.find((t) => t.shortName === short)!;
  assert.ok(target, `a target for ${short}`);
  return checkEndpointPolicy({
    context: built.context,
    inventory: built.inventory,
    target,
    observations: { dns: [], tcp: [], tls: [] },
  });
};

describe('endpoint policies read from moto', () => {
  test('the S3 gateway policy that admits only the team bucket fails s3 on the ECR layer bucket; ecr.api and ecr.dkr pass', async () => {
    const ec2 = createEc2Client();
    const built = await build(ec2, {
      'ecr.api': FULL_ACCESS,
      'ecr.dkr': FULL_ACCESS,
      logs: FULL_ACCESS,
      s3: TEAM_BUCKET_ONLY,
    });
    assert.ok(built.inventory.endpoints.ok, 'DescribeVpcEndpoints answered');
    const s3Endpoint = built.inventory.endpoints.value.find((e) => e.VpcEndpointId === built.ids['s3']);
    assert.equal(
      s3Endpoint?.PolicyDocument && JSON.parse(s3Endpoint.PolicyDocument).Statement[0].Sid,
      'TeamBucketOnly',
    );

    const s3 = codesOf(built, 's3');
    assert.deepEqual(
      s3.map((f) => [f.code, f.status]),
      [['ENDPOINT_POLICY_DENIES', 'fail']],
    );
    assert.match(s3[0]!.message, /arn:aws:s3:::prod-us-east-1-starport-layer-bucket\/\*/);
    assert.match(s3[0]!.fix!, new RegExp(`--vpc-endpoint-id ${built.ids['s3']} --policy-document`));
    for (const short of ['ecr.api', 'ecr.dkr', 'logs']) {
      assert.deepEqual(
        codesOf(built, short).map((f) => [f.code, f.status]),
        [['ENDPOINT_POLICY_OK', 'pass']],
        short,
      );
    }

    // With DNS, TCP and TLS passing, the verdict fails s3 on the policy, not on a contradiction.
    const target = built.targets.find((t) => t.shortName === 's3')!;
    const passing: TargetObservations = {
      dns: [
        {
          resolver: { address: '10.30.0.2', source: 'resolv.conf' },
          hostname: target.hostname,
          outcome: 'answer',
          addresses: ['52.216.4.1'],
          transport: 'udp',
          durationMs: 1,
        },
      ],
      tcp: [{ address: '52.216.4.1', port: 443, outcome: 'connected', durationMs: 1 }],
      tls: [],
    };
    const report = decideTarget(target, passing, s3);
    assert.equal(report.status, 'fail');
    assert.equal(report.rootCause?.code, 'ENDPOINT_POLICY_DENIES');
  });

  test('a deny-all policy on an interface endpoint lets nothing through, naming its Sid', async () => {
    const ec2 = createEc2Client();
    const built = await build(ec2, { 'ecr.dkr': DENY_ALL, s3: FULL_ACCESS });
    const findings = codesOf(built, 'ecr.dkr');
    assert.deepEqual(
      findings.map((f) => [f.code, f.status]),
      [['ENDPOINT_POLICY_ALLOWS_NOTHING', 'fail']],
    );
    assert.match(findings[0]!.message, /Sid "DenyAll"/);
    assert.deepEqual(
      codesOf(built, 's3').map((f) => f.code),
      ['ENDPOINT_POLICY_OK'],
    );
  });

  test('an endpoint created without a policy is read as AWS reads it: full access', async () => {
    const ec2 = createEc2Client();
    const built = await build(ec2, { 'ecr.api': undefined });
    const findings = codesOf(built, 'ecr.api');
    assert.deepEqual(
      findings.map((f) => [f.code, f.status]),
      [['ENDPOINT_POLICY_OK', 'pass']],
    );
  });
});
