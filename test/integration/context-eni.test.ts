// Which ENI is the agent's: an ECS awsvpc task on EC2 (its ENI is not the instance's primary
// one), and VPCs that share a CIDR (the same address on several ENIs). Real peers: ECS task
// metadata and IMDSv2 servers on loopback, moto for EC2. Never 169.254.169.254: IMDS is always
// pointed at loopback or disabled.
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, beforeEach, describe, test } from 'node:test';
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
const TASK_IP = '10.0.1.10';
const HOST_IP = '10.0.2.5';
const HOST_MAC = '0e:49:61:0f:c3:11';

let moto: Moto;
let proxy: FaultProxy;
let ec2: EC2Client;
const servers: LoopbackServer[] = [];

/** A loopback server (test/support/loopback-server.ts) stopped after the file's tests. */
async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = await listenOnLoopback(handler);
  servers.push(server);
  return server.url;
}

/** ECS task metadata v4 `/task` for an awsvpc task with this address, subnet CIDR and AZ. */
async function ecsServer(task: { ip: string; cidr: string; az: string }): Promise<string> {
  const doc = {
    AvailabilityZone: task.az,
    LaunchType: 'EC2',
    Containers: [
      {
        Name: 'app',
        Networks: [{ NetworkMode: 'awsvpc', IPv4Addresses: [task.ip], IPv4SubnetCIDRBlock: task.cidr }],
      },
    ],
  };
  const url = await listen((req, res) => {
    if (req.url !== '/v4/task-1/task') {
      res.writeHead(404);
      return res.end();
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(doc));
  });
  return `${url}/v4/task-1`;
}

/** IMDSv2 (token PUT, then GETs carrying it) serving these paths under /latest/. */
async function imdsServer(paths: Record<string, string>): Promise<string> {
  const token = 'tok-ctx-eni';
  return listen((req, res) => {
    if (req.method === 'PUT' && req.url === '/latest/api/token') {
      res.writeHead(200);
      return res.end(token);
    }
    const body = paths[(req.url ?? '').replace(/^\/latest\//, '')];
    if (req.headers['x-aws-ec2-metadata-token'] !== token || body === undefined) {
      res.writeHead(req.headers['x-aws-ec2-metadata-token'] !== token ? 401 : 404);
      return res.end();
    }
    res.writeHead(200);
    res.end(body);
  });
}

/** What IMDS says about the instance: its primary interface is in `subnetId` with `groups`. */
function instanceMetadata(host: { vpcId: string; subnetId: string; groups: string[] }) {
  const prefix = `meta-data/network/interfaces/macs/${HOST_MAC}`;
  return {
    'meta-data/placement/availability-zone': 'us-east-1a',
    'meta-data/local-ipv4': HOST_IP,
    'meta-data/mac': HOST_MAC,
    [`${prefix}/subnet-id`]: host.subnetId,
    [`${prefix}/vpc-id`]: host.vpcId,
    [`${prefix}/security-group-ids`]: host.groups.join('\n'),
    [`${prefix}/vpc-ipv4-cidr-block`]: '10.0.0.0/16',
    'dynamic/instance-identity/document': JSON.stringify({ region: REGION, accountId: '123456789012' }),
  };
}

async function vpc(cidr = '10.0.0.0/16'): Promise<string> {
  return (await ec2.send(new CreateVpcCommand({ CidrBlock: cidr }))).Vpc!.VpcId!;
}
async function subnet(vpcId: string, cidr: string, az: string): Promise<string> {
  return (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: cidr, AvailabilityZone: az })))
    .Subnet!.SubnetId!;
}
async function group(vpcId: string, name: string): Promise<string> {
  return (
    await ec2.send(new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: name, Description: name }))
  ).GroupId!;
}
async function eni(subnetId: string, ip: string, groups: string[]): Promise<string> {
  return (
    await ec2.send(
      new CreateNetworkInterfaceCommand({ SubnetId: subnetId, PrivateIpAddress: ip, Groups: groups }),
    )
  ).NetworkInterface!.NetworkInterfaceId!;
}

const noInterfaces = () => {
  throw new Error('the machine interfaces must not be read in this test');
};
const resolvConf = async () => 'nameserver 10.0.0.2\n';

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
});

describe('an ECS awsvpc task on an EC2 instance', () => {
  let world: { vpcId: string; taskSubnet: string; hostSubnet: string; appSg: string; hostSg: string };
  beforeEach(async () => {
    const vpcId = await vpc();
    const taskSubnet = await subnet(vpcId, '10.0.1.0/24', 'us-east-1a');
    const hostSubnet = await subnet(vpcId, '10.0.2.0/24', 'us-east-1a');
    const appSg = await group(vpcId, 'app');
    const hostSg = await group(vpcId, 'host');
    await eni(hostSubnet, HOST_IP, [hostSg]);
    await eni(taskSubnet, TASK_IP, [appSg]);
    world = { vpcId, taskSubnet, hostSubnet, appSg, hostSg };
  });

  test("takes subnet and groups from the task's ENI, not from the instance's primary MAC in IMDS", async () => {
    const ecsUri = await ecsServer({ ip: TASK_IP, cidr: '10.0.1.0/24', az: 'us-east-1a' });
    const imds = await imdsServer(
      instanceMetadata({ vpcId: world.vpcId, subnetId: world.hostSubnet, groups: [world.hostSg] }),
    );
    const { context, findings } = await discoverContext({
      ec2,
      env: { ECS_CONTAINER_METADATA_URI_V4: ecsUri, AWS_EC2_METADATA_SERVICE_ENDPOINT: imds },
      networkInterfaces: noInterfaces,
      readFile: resolvConf,
      signal: AbortSignal.timeout(10_000),
    });
    assert.deepEqual(findings, []);
    assert.ok(context);
    assert.equal(context.privateIp, TASK_IP);
    assert.equal(context.subnetId, world.taskSubnet);
    assert.deepEqual(context.securityGroupIds, [world.appSg]);
    assert.equal(context.vpcId, world.vpcId);
    assert.deepEqual(
      [context.region, context.accountId, context.sources['region'], context.sources['subnetId']],
      [REGION, '123456789012', 'imds', 'ec2'],
    );
  });

  test('an address pinned in the environment is looked up in EC2 too, whatever the primary MAC says', async () => {
    const imds = await imdsServer(
      instanceMetadata({ vpcId: world.vpcId, subnetId: world.hostSubnet, groups: [world.hostSg] }),
    );
    const { context, findings } = await discoverContext({
      ec2,
      env: { VPCE_DOCTOR_PRIVATE_IP: TASK_IP, AWS_EC2_METADATA_SERVICE_ENDPOINT: imds },
      networkInterfaces: noInterfaces,
      readFile: resolvConf,
      signal: AbortSignal.timeout(10_000),
    });
    assert.deepEqual(findings, []);
    assert.deepEqual(
      [context?.subnetId, context?.securityGroupIds, context?.sources['privateIp']],
      [world.taskSubnet, [world.appSg], 'env'],
    );
  });

  test('an address pinned to the primary one still takes every IMDS fact, without asking EC2', async () => {
    const imds = await imdsServer(
      instanceMetadata({ vpcId: world.vpcId, subnetId: world.hostSubnet, groups: [world.hostSg] }),
    );
    const { context, findings } = await discoverContext({
      ec2: createEc2Client({ endpoint: proxy.url }),
      env: { VPCE_DOCTOR_PRIVATE_IP: HOST_IP, AWS_EC2_METADATA_SERVICE_ENDPOINT: imds },
      networkInterfaces: noInterfaces,
      readFile: resolvConf,
      signal: AbortSignal.timeout(10_000),
    });
    assert.deepEqual(findings, []);
    assert.deepEqual(
      [context?.subnetId, context?.securityGroupIds, context?.sources['subnetId']],
      [world.hostSubnet, [world.hostSg], 'imds'],
    );
    assert.deepEqual(proxy.seen, [], 'the VPC CIDR came from IMDS as well');
  });
});

describe('two VPCs with the same CIDR and an ENI with the same address in each', () => {
  let one: { vpcId: string; subnetId: string; sg: string; eniId: string };
  let two: { vpcId: string; subnetId: string; sg: string; eniId: string };

  /** VPC one: 10.0.0.0/20 in us-east-1a; VPC two: 10.0.1.0/24 in `azTwo`. Both hold TASK_IP. */
  async function build(azTwo: string) {
    const make = async (cidr: string, az: string, name: string) => {
      const vpcId = await vpc();
      const subnetId = await subnet(vpcId, cidr, az);
      const sg = await group(vpcId, name);
      return { vpcId, subnetId, sg, eniId: await eni(subnetId, TASK_IP, [sg]) };
    };
    one = await make('10.0.0.0/20', 'us-east-1a', 'one');
    two = await make('10.0.1.0/24', azTwo, 'two');
  }

  test('the configured VPC picks the ENI, whichever VPC it is', async () => {
    await build('us-east-1a');
    for (const mine of [one, two]) {
      const { context, findings } = await discoverContext({
        ec2: createEc2Client({ endpoint: proxy.url }),
        env: {
          AWS_REGION: REGION,
          AWS_EC2_METADATA_DISABLED: 'true',
          VPCE_DOCTOR_VPC_ID: mine.vpcId,
          VPCE_DOCTOR_PRIVATE_IP: TASK_IP,
        },
        networkInterfaces: noInterfaces,
        readFile: resolvConf,
        signal: AbortSignal.timeout(10_000),
      });
      assert.deepEqual(findings, []);
      assert.deepEqual([context?.subnetId, context?.securityGroupIds], [mine.subnetId, [mine.sg]]);
    }
    const lookups = proxy.requests.filter((r) => r.get('Action') === 'DescribeNetworkInterfaces');
    assert.ok(
      lookups.every((r) => [...r.values()].includes('vpc-id')),
      'the address lookup is filtered by vpc-id',
    );
  });

  test('the AZ from ECS task metadata drops the ENI in the other AZ', async () => {
    await build('us-east-1b');
    const ecsUri = await ecsServer({ ip: TASK_IP, cidr: '10.0.1.0/24', az: 'us-east-1b' });
    const { context, findings } = await discoverContext({
      ec2,
      env: { AWS_REGION: REGION, AWS_EC2_METADATA_DISABLED: 'true', ECS_CONTAINER_METADATA_URI_V4: ecsUri },
      networkInterfaces: noInterfaces,
      readFile: resolvConf,
      signal: AbortSignal.timeout(10_000),
    });
    assert.deepEqual(findings, []);
    assert.deepEqual([context?.vpcId, context?.subnetId], [two.vpcId, two.subnetId]);
  });

  test('the subnet CIDR from ECS task metadata drops the ENI in a subnet of another CIDR', async () => {
    await build('us-east-1a');
    for (const [mine, cidr] of [
      [one, '10.0.0.0/20'],
      [two, '10.0.1.0/24'],
    ] as const) {
      const ecsUri = await ecsServer({ ip: TASK_IP, cidr, az: 'us-east-1a' });
      const { context, findings } = await discoverContext({
        ec2,
        env: { AWS_REGION: REGION, AWS_EC2_METADATA_DISABLED: 'true', ECS_CONTAINER_METADATA_URI_V4: ecsUri },
        networkInterfaces: noInterfaces,
        readFile: resolvConf,
        signal: AbortSignal.timeout(10_000),
      });
      assert.deepEqual(findings, []);
      assert.deepEqual([context?.vpcId, context?.subnetId], [mine.vpcId, mine.subnetId]);
    }
  });

  test('when nothing known tells them apart, CONTEXT_UNRESOLVED lists both ENIs and asks for VPCE_DOCTOR_VPC_ID', async () => {
    await build('us-east-1a');
    const { context, findings } = await discoverContext({
      ec2,
      env: { AWS_REGION: REGION, AWS_EC2_METADATA_DISABLED: 'true' },
      networkInterfaces: () => ({ eth0: [{ address: TASK_IP, family: 'IPv4', internal: false }] }),
      readFile: resolvConf,
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(context, undefined);
    assert.deepEqual(
      findings.map((f) => [f.code, f.status]),
      [['CONTEXT_UNRESOLVED', 'unknown']],
    );
    const [finding] = findings;
    for (const id of [one.eniId, one.vpcId, two.eniId, two.vpcId]) {
      assert.ok(finding?.message.includes(id), `message names ${id}`);
    }
    assert.match(finding?.fix ?? '', /VPCE_DOCTOR_VPC_ID=vpc-/);
    assert.deepEqual(
      ((finding?.evidence['candidates'] ?? []) as Array<{ networkInterfaceId: string }>)
        .map((c) => c.networkInterfaceId)
        .sort(),
      [one.eniId, two.eniId].sort(),
    );
  });
});
