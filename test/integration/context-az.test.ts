// Context discovery with the AZ given as a name or as an id (use1-az1), against moto on loopback
// and an IMDSv2 server on loopback. The report shows the AZ's name whenever a step can read it,
// and keeps the id beside it. Never 169.254.169.254.
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, beforeEach, test } from 'node:test';
import {
  CreateNetworkInterfaceCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { createEc2Client } from '../../src/aws/ec2-client.js';
import { discoverContext } from '../../src/context/discover.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { type LoopbackServer, listenOnLoopback } from '../support/loopback-server.js';
import { type Moto, motoEnv, startMoto } from '../support/moto.js';

const REGION = 'us-east-1';
const AGENT_IP = '10.40.1.57';

let moto: Moto;
let proxy: FaultProxy;
let ec2: EC2Client;
let world: { vpcId: string; subnetId: string; sgId: string; azName: string; azId: string };
const servers: LoopbackServer[] = [];

const noInterfaces = () => {
  throw new Error('the machine interfaces must not be read in this test');
};
const resolvConf = async () => 'nameserver 10.40.0.2\n';

/** IMDSv2: a token PUT, then GETs carrying it; 404 for paths it does not hold. */
async function imdsServer(paths: Record<string, string>): Promise<string> {
  const token = 'tok-az';
  const server = await listenOnLoopback((req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'PUT' && req.url === '/latest/api/token') {
      res.writeHead(200);
      return res.end(token);
    }
    const body =
      req.headers['x-aws-ec2-metadata-token'] === token
        ? paths[(req.url ?? '').replace(/^\/latest\//, '')]
        : undefined;
    res.writeHead(body === undefined ? 404 : 200);
    res.end(body ?? '');
  });
  servers.push(server);
  return server.url;
}

before(async () => {
  moto = await startMoto();
  Object.assign(process.env, motoEnv(moto.url, REGION));
  proxy = await startFaultProxy(moto.url);
  ec2 = createEc2Client();
});
after(async () => {
  await Promise.all(servers.map((server) => server.stop()));
  await proxy?.stop();
  await moto?.stop();
});
beforeEach(async () => {
  await moto.reset();
  proxy.setFaults({});
  const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.40.0.0/16' }))).Vpc!.VpcId!;
  const subnet = (
    await ec2.send(
      new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.40.1.0/24', AvailabilityZone: 'us-east-1b' }),
    )
  ).Subnet!;
  const sgId = (
    await ec2.send(new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: 'app', Description: 'app' }))
  ).GroupId!;
  await ec2.send(
    new CreateNetworkInterfaceCommand({
      SubnetId: subnet.SubnetId!,
      PrivateIpAddress: AGENT_IP,
      Groups: [sgId],
    }),
  );
  assert.ok(subnet.AvailabilityZoneId, 'moto lists the AZ id of a subnet, as EC2 does');
  world = { vpcId, subnetId: subnet.SubnetId!, sgId, azName: 'us-east-1b', azId: subnet.AvailabilityZoneId! };
});

function pinned(az: string): Record<string, string> {
  return {
    AWS_REGION: REGION,
    AWS_EC2_METADATA_DISABLED: 'true',
    VPCE_DOCTOR_VPC_ID: world.vpcId,
    VPCE_DOCTOR_SUBNET_ID: world.subnetId,
    VPCE_DOCTOR_PRIVATE_IP: AGENT_IP,
    VPCE_DOCTOR_SECURITY_GROUP_IDS: world.sgId,
    VPCE_DOCTOR_AZ: az,
  };
}

test('VPCE_DOCTOR_AZ as an AZ id: kept as the id, and the subnet in EC2 gives the readable name', async () => {
  const { context, findings } = await discoverContext({
    ec2: createEc2Client({ endpoint: proxy.url }),
    env: pinned(world.azId),
    networkInterfaces: noInterfaces,
    readFile: resolvConf,
    signal: AbortSignal.timeout(10_000),
  });
  assert.deepEqual(findings, []);
  assert.equal(context?.availabilityZone, world.azName);
  assert.equal(context?.availabilityZoneId, world.azId);
  assert.equal(context?.sources['availabilityZoneId'], 'env');
  assert.equal(context?.sources['availabilityZone'], 'ec2');
  assert.ok(
    proxy.seen.some((action) => action === 'DescribeNetworkInterfaces' || action === 'DescribeSubnets'),
  );
});

test('VPCE_DOCTOR_AZ as an AZ name needs no lookup for the AZ', async () => {
  const { context } = await discoverContext({
    ec2: createEc2Client({ endpoint: proxy.url }),
    env: pinned(world.azName),
    networkInterfaces: noInterfaces,
    readFile: resolvConf,
    signal: AbortSignal.timeout(10_000),
  });
  assert.equal(context?.availabilityZone, world.azName);
  assert.equal(context?.sources['availabilityZone'], 'env');
  assert.equal(proxy.seen.includes('DescribeSubnets'), false);
});

test('an AZ id whose name cannot be read stays the id, with the denial reported, never a wrong name', async () => {
  proxy.setFaults({
    DescribeSubnets: { kind: 'deny' },
    DescribeNetworkInterfaces: { kind: 'deny' },
  });
  const { context, findings } = await discoverContext({
    ec2: createEc2Client({ endpoint: proxy.url }),
    env: pinned(world.azId),
    networkInterfaces: noInterfaces,
    readFile: resolvConf,
    signal: AbortSignal.timeout(10_000),
  });
  assert.equal(context?.availabilityZone, world.azId);
  assert.equal(context?.availabilityZoneId, world.azId);
  assert.ok(findings.length > 0 && findings.every((f) => f.code === 'AWS_PERMISSION_DENIED'));
});

test('on an instance, IMDS placement/availability-zone-id fills the AZ id beside the name', async () => {
  const mac = '0e:49:61:0f:c3:12';
  const prefix = `meta-data/network/interfaces/macs/${mac}`;
  const url = await imdsServer({
    'meta-data/placement/availability-zone': world.azName,
    'meta-data/placement/availability-zone-id': world.azId,
    'meta-data/local-ipv4': AGENT_IP,
    'meta-data/mac': mac,
    [`${prefix}/subnet-id`]: world.subnetId,
    [`${prefix}/vpc-id`]: world.vpcId,
    [`${prefix}/security-group-ids`]: world.sgId,
    [`${prefix}/vpc-ipv4-cidr-block`]: '10.40.0.0/16',
    'dynamic/instance-identity/document': JSON.stringify({ region: REGION, accountId: '123456789012' }),
  });
  const { context, findings } = await discoverContext({
    ec2: createEc2Client({ endpoint: proxy.url }),
    env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: url },
    networkInterfaces: noInterfaces,
    readFile: async () => '',
    signal: AbortSignal.timeout(10_000),
  });
  assert.deepEqual(findings, []);
  assert.deepEqual([context?.availabilityZone, context?.availabilityZoneId], [world.azName, world.azId]);
  assert.equal(context?.sources['availabilityZoneId'], 'imds');
});

test('the agent found by its address in EC2 gets both the AZ name and id of its ENI', async () => {
  const { context } = await discoverContext({
    ec2: createEc2Client({ endpoint: proxy.url }),
    env: { AWS_REGION: REGION, AWS_EC2_METADATA_DISABLED: 'true', VPCE_DOCTOR_PRIVATE_IP: AGENT_IP },
    networkInterfaces: noInterfaces,
    readFile: resolvConf,
    signal: AbortSignal.timeout(10_000),
  });
  assert.equal(context?.availabilityZone, world.azName);
  assert.equal(context?.subnetId, world.subnetId);
  // moto's ENIs carry no AvailabilityZoneId (AWS's do); the id then comes from nowhere, and the
  // name alone is what the report shows.
  if (context?.availabilityZoneId !== undefined) assert.equal(context.availabilityZoneId, world.azId);
});
