import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RouteTable } from '@aws-sdk/client-ec2';
import { checkProfiles } from '../../checks/profiles.js';
import { PROFILES, profileTargets, serviceHostname, validProfileNames } from '../../src/profiles.js';
import { gap, input, resolved, target } from '../fixtures/ec2/load.js';

describe('profiles data', () => {
  test('lists the four profiles for config validation', () => {
    assert.deepEqual(validProfileNames().sort(), ['ecs-fargate', 'eks-nodes', 'lambda', 'ssm']);
  });

  test('ecs-fargate needs ecr.api, ecr.dkr, the S3 gateway, logs and sts; secrets are optional', () => {
    const targets = profileTargets('ecs-fargate', 'eu-west-1');
    const required = targets.filter((t) => t.required).map((t) => t.shortName);
    assert.deepEqual(required, ['ecr.api', 'ecr.dkr', 's3', 'logs', 'sts']);
    const s3 = targets.find((t) => t.shortName === 's3')!;
    assert.equal(s3.endpointType, 'Gateway');
    assert.equal(s3.service, 'com.amazonaws.eu-west-1.s3');
    assert.equal(s3.hostname, 's3.eu-west-1.amazonaws.com');
    assert.deepEqual(
      targets.filter((t) => !t.required).map((t) => t.shortName),
      ['secretsmanager', 'ssm'],
    );
  });

  test('every profile entry says why it is needed', () => {
    for (const profile of Object.values(PROFILES))
      for (const s of profile.services) assert.ok(s.why.length > 10, `${profile.name} ${s.shortName}`);
  });

  test('an unknown profile gives no targets', () => {
    assert.deepEqual(profileTargets('kubernetes', 'us-east-1'), []);
  });
});

describe('serviceHostname', () => {
  const cases: Array<[string, string | undefined, string | undefined, string]> = [
    ['ecr.api', undefined, undefined, 'api.ecr.us-east-1.amazonaws.com'],
    ['ecr.dkr', '111122223333', undefined, '111122223333.dkr.ecr.us-east-1.amazonaws.com'],
    ['ecr.dkr', undefined, undefined, 'vpce-doctor.dkr.ecr.us-east-1.amazonaws.com'],
    ['secretsmanager', undefined, undefined, 'secretsmanager.us-east-1.amazonaws.com'],
    [
      'ecr.dkr',
      '111122223333',
      '*.dkr.ecr.us-east-1.amazonaws.com',
      '111122223333.dkr.ecr.us-east-1.amazonaws.com',
    ],
    ['execute-api', undefined, 'execute-api.us-east-1.amazonaws.com', 'execute-api.us-east-1.amazonaws.com'],
  ];
  for (const [shortName, account, privateDns, expected] of cases) {
    test(`${shortName}${account ? ` for ${account}` : ''}${privateDns ? ` with ${privateDns}` : ''} is ${expected}`, () => {
      assert.equal(serviceHostname(shortName, 'us-east-1', account, privateDns), expected);
    });
  }
});

describe('checkProfiles', () => {
  test('a required service without an endpoint but with a NAT path warns and prices the NAT path', () => {
    const t = target('ecr.dkr', undefined, { profiles: ['ecs-fargate'] });
    const [finding, ...rest] = checkProfiles(input(t, { observations: resolved(['54.239.28.85']) }));
    assert.equal(rest.length, 0);
    assert.equal(finding!.code, 'ENDPOINT_MISSING');
    assert.equal(finding!.status, 'warn');
    assert.match(finding!.message, /ecs-fargate: image pulls fail/);
    assert.match(finding!.message, /nat-0egress at \$0\.045\/GB/);
    assert.match(
      finding!.fix!,
      /create-vpc-endpoint --vpc-id vpc-0a1b --vpc-endpoint-type Interface --service-name com\.amazonaws\.us-east-1\.ecr\.dkr --subnet-ids subnet-0app/,
    );
  });

  test('a required service without an endpoint and without any path fails', () => {
    const t = target('ecr.dkr', undefined, { profiles: ['ecs-fargate'] });
    const [finding] = checkProfiles(
      input(t, { context: { subnetId: 'subnet-0dark' }, observations: resolved(['54.239.28.85']) }),
    );
    assert.equal(finding!.status, 'fail');
    assert.match(finding!.message, /no NAT path/);
  });

  test('a missing S3 gateway endpoint suggests a gateway endpoint on the agent route table', () => {
    const t = target('s3', undefined, { profiles: ['ecs-fargate'] });
    const [finding] = checkProfiles(input(t, { context: { subnetId: 'subnet-0main' } }));
    assert.equal(finding!.status, 'warn');
    assert.match(finding!.message, /gateway endpoint is free/);
    assert.match(finding!.fix!, /--vpc-endpoint-type Gateway .*--route-table-ids rtb-0main/);
  });

  test('an optional service missing behind NAT is only information', () => {
    const t = target('ssm', undefined, { profiles: ['ecs-fargate'], required: false });
    const [finding] = checkProfiles(input(t));
    assert.equal(finding!.status, 'info');
  });

  test('a present endpoint passes without a fix', () => {
    const t = target('secretsmanager', 'vpce-0sm', { profiles: ['ecs-fargate'] });
    const findings = checkProfiles(input(t));
    assert.deepEqual(
      findings.map((f) => [f.code, f.status]),
      [['PROFILE_OK', 'pass']],
    );
    assert.equal(findings[0]!.fix, undefined);
    assert.match(findings[0]!.message, /vpce-0sm/);
  });

  test('a target no profile mentions gets no profile findings', () => {
    assert.deepEqual(checkProfiles(input(target('kms', 'vpce-0kms', { profiles: ['ecs-fargate'] }))), []);
    assert.deepEqual(checkProfiles(input(target('ecr.dkr'))), []);
  });
});

describe('checkProfiles: the path without an endpoint decides the status', () => {
  const viaHub: RouteTable = {
    RouteTableId: 'rtb-0spoke',
    VpcId: 'vpc-0a1b',
    Associations: [{ SubnetId: 'subnet-0app', Main: false }],
    Routes: [
      { DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'local', State: 'active' },
      { DestinationCidrBlock: '0.0.0.0/0', TransitGatewayId: 'tgw-0hub', State: 'active' },
    ],
  };

  test('a required service reached through a transit gateway warns and names it (central endpoints?)', () => {
    const t = target('ecr.dkr', undefined, { profiles: ['ecs-fargate'] });
    const [finding] = checkProfiles(
      input(t, {
        inventory: { routeTables: { ok: true, value: [viaHub] } },
        observations: resolved(['54.239.28.85']),
      }),
    );
    assert.equal(finding!.code, 'ENDPOINT_MISSING');
    assert.equal(finding!.status, 'warn');
    assert.match(finding!.message, /depends on tgw-0hub/);
    assert.match(finding!.message, /central endpoints/);
  });

  test('an optional service reached through a transit gateway is information', () => {
    const t = target('ssm', undefined, { profiles: ['ecs-fargate'], required: false });
    const [finding] = checkProfiles(input(t, { inventory: { routeTables: { ok: true, value: [viaHub] } } }));
    assert.equal(finding!.status, 'info');
  });

  test('a required service whose route tables could not be read is unknown and names the IAM action', () => {
    const t = target('ecr.dkr', undefined, { profiles: ['ecs-fargate'] });
    const [finding] = checkProfiles(
      input(t, { inventory: { routeTables: { ok: false, gap: gap('DescribeRouteTables') } } }),
    );
    assert.equal(finding!.status, 'unknown');
    assert.match(finding!.message, /ec2:DescribeRouteTables unavailable \(UnauthorizedOperation\)/);
    assert.match(finding!.fix!, /^allow ec2:DescribeRouteTables/);
  });

  test('a required service whose only route is a blackhole fails', () => {
    const t = target('ecr.dkr', undefined, { profiles: ['ecs-fargate'] });
    const [finding] = checkProfiles(
      input(t, { context: { subnetId: 'subnet-0hole' }, observations: resolved(['54.239.28.85']) }),
    );
    assert.equal(finding!.status, 'fail');
  });

  test("an S3 interface endpoint target (s3-interface) serves the profile's s3 need", () => {
    const t = target('s3-interface', undefined, {
      service: 'com.amazonaws.us-east-1.s3',
      endpointId: 'vpce-0s3if',
      endpointType: 'Interface',
      profiles: ['ecs-fargate'],
    });
    const findings = checkProfiles(input(t));
    assert.deepEqual(
      findings.map((f) => [f.code, f.status]),
      [['PROFILE_OK', 'pass']],
    );
    assert.match(findings[0]!.message, /a gateway endpoint would be free/);
  });
});
