// Whether the agent has a public IPv4 (what an internet-gateway route needs) is read where it is
// really known — the agent's ENI in EC2, IMDS, the fact that Lambda never has one — and left
// unknown otherwise. Real peers: moto for EC2, loopback servers for ECS task metadata and IMDSv2.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, beforeEach, test } from 'node:test';
import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  CreateNetworkInterfaceCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { createEc2Client } from '../../src/aws/ec2-client.js';
import { discoverContext } from '../../src/context/discover.js';
import { type LoopbackServer, listenOnLoopback } from '../support/loopback-server.js';
import { type Moto, motoEnv, startMoto } from '../support/moto.js';

const REGION = 'us-east-1';
const AGENT_IP = '10.31.1.57';
const TASK_FIXTURE = readFileSync(new URL('../fixtures/ecs-task-metadata-v4.json', import.meta.url), 'utf8');

let moto: Moto;
let ec2: EC2Client;
let world: { vpcId: string; subnetId: string; sgId: string; eniId: string };
const servers: LoopbackServer[] = [];

async function serve(paths: Record<string, string>, token?: string): Promise<string> {
  const server = await listenOnLoopback((req, res) => {
    if (token && req.method === 'PUT' && req.url === '/latest/api/token') {
      res.writeHead(200);
      return res.end(token);
    }
    if (token && req.headers['x-aws-ec2-metadata-token'] !== token) {
      res.writeHead(401);
      return res.end();
    }
    const body = paths[req.url ?? ''];
    res.writeHead(body === undefined ? 404 : 200);
    res.end(body ?? '');
  });
  servers.push(server);
  return server.url;
}

const ecsTask = () => serve({ '/v4/t1/task': TASK_FIXTURE.replace('10.0.2.106', AGENT_IP) });

function imds(publicIpv4?: string) {
  const mac = '0e:49:61:0f:c3:22';
  const prefix = `/latest/meta-data/network/interfaces/macs/${mac}`;
  return serve(
    {
      '/latest/meta-data/placement/availability-zone': 'us-east-1b',
      '/latest/meta-data/local-ipv4': AGENT_IP,
      '/latest/meta-data/mac': mac,
      [`${prefix}/subnet-id`]: world.subnetId,
      [`${prefix}/vpc-id`]: world.vpcId,
      [`${prefix}/security-group-ids`]: world.sgId,
      [`${prefix}/vpc-ipv4-cidr-block`]: '10.31.0.0/16',
      '/latest/dynamic/instance-identity/document': JSON.stringify({ region: REGION }),
      ...(publicIpv4 ? { '/latest/meta-data/public-ipv4': publicIpv4 } : {}),
    },
    'tok-1',
  );
}

before(async () => {
  moto = await startMoto();
  Object.assign(process.env, motoEnv(moto.url, REGION));
  ec2 = createEc2Client();
});
after(async () => {
  await Promise.all(servers.map((server) => server.stop()));
  await moto?.stop();
});
beforeEach(async () => {
  await moto.reset();
  const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.31.0.0/16' }))).Vpc!.VpcId!;
  const subnetId = (
    await ec2.send(
      new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.31.1.0/24', AvailabilityZone: 'us-east-1b' }),
    )
  ).Subnet!.SubnetId!;
  const sgId = (
    await ec2.send(new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: 'app', Description: 'app' }))
  ).GroupId!;
  const eniId = (
    await ec2.send(
      new CreateNetworkInterfaceCommand({ SubnetId: subnetId, PrivateIpAddress: AGENT_IP, Groups: [sgId] }),
    )
  ).NetworkInterface!.NetworkInterfaceId!;
  world = { vpcId, subnetId, sgId, eniId };
});

const cases: Array<{
  name: string;
  setup: () => Promise<{
    env: Record<string, string>;
    config?: Parameters<typeof discoverContext>[0]['config'];
  }>;
  /** undefined: unknown; null: known to have none; 'eip': the address moto allocated. */
  publicIp: string | null | undefined;
  source?: string;
}> = [
  {
    name: 'an ECS task whose ENI has no association has no public IP (read from EC2)',
    setup: async () => ({ env: { ECS_CONTAINER_METADATA_URI_V4: `${await ecsTask()}/v4/t1` } }),
    publicIp: null,
    source: 'ec2',
  },
  {
    name: "an ECS task whose ENI has an Elastic IP has that public IP (the ENI's association)",
    setup: async () => {
      const { AllocationId } = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
      await ec2.send(new AssociateAddressCommand({ AllocationId, NetworkInterfaceId: world.eniId }));
      return { env: { ECS_CONTAINER_METADATA_URI_V4: `${await ecsTask()}/v4/t1` } };
    },
    publicIp: 'eip',
    source: 'ec2',
  },
  {
    name: 'an instance whose IMDS has meta-data/public-ipv4 has that public IP',
    setup: async () => ({
      env: {
        AWS_EC2_METADATA_DISABLED: 'false',
        AWS_EC2_METADATA_SERVICE_ENDPOINT: await imds('203.0.113.7'),
      },
    }),
    publicIp: '203.0.113.7',
    source: 'imds',
  },
  {
    name: 'an instance whose IMDS answers 404 for meta-data/public-ipv4 has none',
    setup: async () => ({
      env: { AWS_EC2_METADATA_DISABLED: 'false', AWS_EC2_METADATA_SERVICE_ENDPOINT: await imds() },
    }),
    publicIp: null,
    source: 'imds',
  },
  {
    name: 'a Lambda function never has a public IP',
    setup: async () => {
      await ec2.send(
        new CreateNetworkInterfaceCommand({
          SubnetId: world.subnetId,
          PrivateIpAddress: '10.31.1.200',
          Groups: [world.sgId],
          Description: 'AWS Lambda VPC ENI-vpce-doctor-check-4d1c0e2a',
        }),
      );
      return {
        env: { AWS_LAMBDA_FUNCTION_NAME: 'vpce-doctor-check' },
        config: { lambda: { subnetIds: [world.subnetId], securityGroupIds: [world.sgId] } },
      };
    },
    publicIp: null,
    source: 'lambda',
  },
  {
    name: 'a context given whole by the environment leaves the public IP unknown, not "none"',
    setup: async () => ({
      env: {
        VPCE_DOCTOR_VPC_ID: world.vpcId,
        VPCE_DOCTOR_SUBNET_ID: world.subnetId,
        VPCE_DOCTOR_AZ: 'us-east-1b',
        VPCE_DOCTOR_PRIVATE_IP: AGENT_IP,
        VPCE_DOCTOR_SECURITY_GROUP_IDS: world.sgId,
      },
    }),
    publicIp: undefined,
  },
];

for (const c of cases) {
  test(c.name, async () => {
    const { env, config } = await c.setup();
    const { context, findings } = await discoverContext({
      ec2,
      env: { AWS_REGION: REGION, AWS_EC2_METADATA_DISABLED: 'true', ...env },
      ...(config ? { config } : {}),
      networkInterfaces: () => ({}),
      readFile: async () => 'nameserver 10.31.0.2\n',
      signal: AbortSignal.timeout(10_000),
    });
    assert.deepEqual(findings, []);
    assert.ok(context);
    if (c.publicIp === 'eip') assert.match(String(context.publicIp), /^\d+\.\d+\.\d+\.\d+$/);
    else assert.equal(context.publicIp, c.publicIp);
    assert.equal('publicIp' in context, c.publicIp !== undefined, 'unknown is absent, not null');
    assert.equal(context.sources['publicIp'], c.source);
  });
}
