// Context discovery against real peers on loopback: an ECS task metadata v4 server, an IMDSv2
// server (token required, and a mode where the token PUT is never answered, like a container
// behind hop limit 1), and moto for the EC2 steps. Never 169.254.169.254: every test either
// points AWS_EC2_METADATA_SERVICE_ENDPOINT at loopback or disables IMDS.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
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
import type { Finding } from '../../src/model.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { type LoopbackServer, listenOnLoopback } from '../support/loopback-server.js';
import { type Moto, motoEnv, startMoto } from '../support/moto.js';

const REGION = 'us-east-1';
const AGENT_IP = '10.30.1.57';
const TASK_FIXTURE = readFileSync(new URL('../fixtures/ecs-task-metadata-v4.json', import.meta.url), 'utf8');

interface World {
  vpcId: string;
  subnetId: string;
  sgId: string;
  eniId: string;
}

let moto: Moto;
let proxy: FaultProxy;
let ec2: EC2Client;
let world: World;
const servers: LoopbackServer[] = [];

/** A loopback server (test/support/loopback-server.ts) stopped after the file's tests. */
async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = await listenOnLoopback(handler);
  servers.push(server);
  return server.url;
}

function ecsServer(taskJson: string) {
  const seen: string[] = [];
  return listen((req, res) => {
    seen.push(req.url ?? '');
    if (req.url === '/v4/febee046/task') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(taskJson);
    } else {
      res.writeHead(404);
      res.end();
    }
  }).then((url) => ({ uri: `${url}/v4/febee046`, seen }));
}

/** IMDSv2 as EC2 serves it: PUT a token, then GETs must carry it (401 otherwise). */
function imdsServer(mode: 'normal' | 'silent-put', paths: Record<string, string>) {
  const log: Array<{ method: string; url: string; token?: string; ttl?: string }> = [];
  const token = `tok-${Math.random().toString(16).slice(2)}`;
  return listen((req, res) => {
    const entry = { method: req.method ?? '', url: req.url ?? '' } as (typeof log)[number];
    const ttl = req.headers['x-aws-ec2-metadata-token-ttl-seconds'];
    const given = req.headers['x-aws-ec2-metadata-token'];
    if (typeof ttl === 'string') entry.ttl = ttl;
    if (typeof given === 'string') entry.token = given;
    log.push(entry);
    if (req.method === 'PUT' && req.url === '/latest/api/token') {
      if (mode === 'silent-put') return; // the answer is lost on the way back: hop limit
      if (!ttl) {
        res.writeHead(400);
        return res.end();
      }
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end(token);
    }
    if (given !== token) {
      res.writeHead(401);
      return res.end();
    }
    const body = paths[(req.url ?? '').replace(/^\/latest\//, '')];
    if (body === undefined) {
      res.writeHead(404);
      return res.end();
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(body);
  }).then((url) => ({ url, log, token }));
}

function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { AWS_REGION: REGION, AWS_EC2_METADATA_DISABLED: 'true', ...extra };
}

const noInterfaces = () => {
  throw new Error('the machine interfaces must not be read in this test');
};
const resolvConf = async () => 'nameserver 10.30.0.2\nsearch ec2.internal\n';

function codes(findings: Finding[]): string[] {
  return findings.map((f) => f.code);
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
  const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.30.0.0/16' }))).Vpc!.VpcId!;
  const subnetId = (
    await ec2.send(
      new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.30.1.0/24', AvailabilityZone: 'us-east-1b' }),
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

test('in an ECS task, the address and AZ come from task metadata and the rest from the ENI in EC2', async () => {
  const ecs = await ecsServer(TASK_FIXTURE.replace('10.0.2.106', AGENT_IP));
  const { context, findings } = await discoverContext({
    ec2,
    env: baseEnv({ ECS_CONTAINER_METADATA_URI_V4: ecs.uri }),
    networkInterfaces: noInterfaces,
    readFile: resolvConf,
    signal: AbortSignal.timeout(10_000),
  });
  assert.deepEqual(findings, []);
  assert.ok(context);
  assert.equal(context.privateIp, AGENT_IP);
  assert.equal(context.availabilityZone, 'us-east-1b');
  assert.equal(context.subnetId, world.subnetId);
  assert.equal(context.vpcId, world.vpcId);
  assert.deepEqual(context.securityGroupIds, [world.sgId]);
  assert.equal(context.region, REGION);
  assert.deepEqual(context.sources, {
    region: 'env',
    privateIp: 'ecs-metadata',
    availabilityZone: 'ecs-metadata',
    subnetId: 'ec2',
    vpcId: 'ec2',
    securityGroupIds: 'ec2',
    resolvers: 'resolv.conf',
    publicIp: 'ec2',
  });
  // ECS metadata does not say; the task's ENI does: no association, so no public IP.
  assert.equal(context.publicIp, null);
  assert.deepEqual(context.resolvers, [
    { address: '10.30.0.2', source: 'resolv.conf' },
    { address: '169.254.169.253', source: 'link-local' },
  ]);
  assert.deepEqual(ecs.seen, ['/v4/febee046/task']);
});

test('on an instance, IMDSv2 gives every fact: token PUT with a TTL first, every GET carries the token', async () => {
  const mac = '0e:49:61:0f:c3:11';
  const prefix = `meta-data/network/interfaces/macs/${mac}`;
  const imds = await imdsServer('normal', {
    'meta-data/placement/availability-zone': 'us-east-1b',
    'meta-data/local-ipv4': AGENT_IP,
    'meta-data/mac': mac,
    [`${prefix}/subnet-id`]: world.subnetId,
    [`${prefix}/vpc-id`]: world.vpcId,
    [`${prefix}/security-group-ids`]: `${world.sgId}\nsg-0second`,
    [`${prefix}/vpc-ipv4-cidr-block`]: '10.30.0.0/16',
    'dynamic/instance-identity/document': JSON.stringify({ region: 'us-east-1', accountId: '123456789012' }),
  });
  const { context, findings } = await discoverContext({
    ec2: createEc2Client({ endpoint: proxy.url }),
    env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url },
    networkInterfaces: noInterfaces,
    readFile: async () => '',
    signal: AbortSignal.timeout(10_000),
  });
  assert.deepEqual(findings, []);
  assert.ok(context);
  assert.deepEqual(
    [
      context.region,
      context.accountId,
      context.vpcId,
      context.subnetId,
      context.availabilityZone,
      context.privateIp,
    ],
    [REGION, '123456789012', world.vpcId, world.subnetId, 'us-east-1b', AGENT_IP],
  );
  assert.deepEqual(context.securityGroupIds, [world.sgId, 'sg-0second']);
  assert.ok(Object.entries(context.sources).every(([k, v]) => v === 'imds' || k === 'resolvers'));
  assert.deepEqual(context.resolvers, [
    { address: '10.30.0.2', source: 'vpc-base-2' },
    { address: '169.254.169.253', source: 'link-local' },
  ]);
  assert.deepEqual(imds.log[0], { method: 'PUT', url: '/latest/api/token', ttl: '21600' });
  const gets = imds.log.slice(1);
  assert.ok(gets.length >= 8 && gets.every((g) => g.method === 'GET' && g.token === imds.token));
  assert.equal(proxy.requests.length, 0, 'IMDS gave everything, EC2 was not asked');
});

test('when the IMDS token PUT is never answered, the chain falls through at its deadline to the interfaces', async () => {
  const imds = await imdsServer('silent-put', {});
  const { context, findings } = await discoverContext({
    ec2,
    env: { AWS_REGION: REGION, AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url },
    networkInterfaces: () => ({
      lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true }],
      eth0: [
        { address: 'fe80::1', family: 'IPv6', internal: false },
        { address: AGENT_IP, family: 'IPv4', internal: false },
      ],
    }),
    readFile: resolvConf,
    signal: AbortSignal.timeout(10_000),
    timeouts: { imdsTokenMs: 300 },
  });
  assert.deepEqual(findings, []);
  assert.ok(context);
  assert.equal(imds.log.length, 1, 'only the unanswered PUT');
  assert.deepEqual(
    [context.privateIp, context.subnetId, context.vpcId, context.availabilityZone],
    [AGENT_IP, world.subnetId, world.vpcId, 'us-east-1b'],
  );
  assert.equal(context.sources['privateIp'], 'interfaces');
  assert.equal(context.sources['subnetId'], 'ec2');
});

test('in Lambda, subnet and groups come from configuration and the address from the Hyperplane ENI', async () => {
  const lambdaEni = (
    await ec2.send(
      new CreateNetworkInterfaceCommand({
        SubnetId: world.subnetId,
        PrivateIpAddress: '10.30.1.200',
        Groups: [world.sgId],
        Description: 'AWS Lambda VPC ENI-vpce-doctor-check-4d1c0e2a',
      }),
    )
  ).NetworkInterface!;
  const { context, findings } = await discoverContext({
    ec2,
    env: baseEnv({ AWS_LAMBDA_FUNCTION_NAME: 'vpce-doctor-check' }),
    config: { lambda: { subnetIds: [world.subnetId], securityGroupIds: [world.sgId] } },
    networkInterfaces: noInterfaces,
    readFile: resolvConf,
    signal: AbortSignal.timeout(10_000),
  });
  assert.deepEqual(findings, []);
  assert.ok(context);
  assert.equal(context.privateIp, lambdaEni.PrivateIpAddress);
  assert.deepEqual(
    [context.subnetId, context.vpcId, context.availabilityZone, context.securityGroupIds],
    [world.subnetId, world.vpcId, 'us-east-1b', [world.sgId]],
  );
  assert.deepEqual(
    [
      context.sources['subnetId'],
      context.sources['securityGroupIds'],
      context.sources['privateIp'],
      context.sources['vpcId'],
    ],
    ['lambda', 'lambda', 'ec2', 'ec2'],
  );
});

test('explicit environment wins over every other source and needs no discovery', async () => {
  const { context, findings } = await discoverContext({
    ec2: createEc2Client({ endpoint: proxy.url }),
    env: baseEnv({
      VPCE_DOCTOR_VPC_ID: world.vpcId,
      VPCE_DOCTOR_SUBNET_ID: world.subnetId,
      VPCE_DOCTOR_AZ: 'us-east-1b',
      VPCE_DOCTOR_PRIVATE_IP: '10.30.1.9',
      VPCE_DOCTOR_SECURITY_GROUP_IDS: ` ${world.sgId}, sg-0a7be5 `,
    }),
    networkInterfaces: noInterfaces,
    readFile: resolvConf,
    signal: AbortSignal.timeout(10_000),
  });
  assert.deepEqual(findings, []);
  assert.deepEqual(context?.securityGroupIds, [world.sgId, 'sg-0a7be5']);
  assert.equal(context?.privateIp, '10.30.1.9');
  assert.ok(
    ['vpcId', 'subnetId', 'availabilityZone', 'privateIp', 'securityGroupIds'].every(
      (k) => context?.sources[k] === 'env',
    ),
  );
  assert.deepEqual(proxy.seen, ['DescribeVpcs'], 'only the VPC CIDR, for AmazonProvidedDNS at base+2');
});

test('when nothing finds the agent, CONTEXT_UNRESOLVED names each missing fact and the variable that provides it', async () => {
  const { context, findings } = await discoverContext({
    ec2,
    env: baseEnv(),
    networkInterfaces: () => ({ eth0: [{ address: '10.99.0.5', family: 'IPv4', internal: false }] }),
    readFile: resolvConf,
    signal: AbortSignal.timeout(10_000),
  });
  assert.equal(context, undefined);
  assert.deepEqual(codes(findings), ['CONTEXT_UNRESOLVED']);
  const [finding] = findings;
  assert.equal(finding?.status, 'unknown');
  assert.deepEqual(finding?.evidence['missing'], ['vpcId', 'subnetId', 'privateIp']);
  assert.match(finding?.message ?? '', /no ENI in EC2 owns 10\.99\.0\.5/);
  for (const variable of ['VPCE_DOCTOR_VPC_ID', 'VPCE_DOCTOR_SUBNET_ID', 'VPCE_DOCTOR_PRIVATE_IP']) {
    assert.ok(finding?.fix?.includes(variable), `fix names ${variable}`);
  }
});

test('a denied DescribeNetworkInterfaces is reported as AWS_PERMISSION_DENIED naming the action', async () => {
  proxy.setFaults({ DescribeNetworkInterfaces: { kind: 'deny' } });
  const { context, findings } = await discoverContext({
    ec2: createEc2Client({ endpoint: proxy.url }),
    env: baseEnv(),
    networkInterfaces: () => ({ eth0: [{ address: AGENT_IP, family: 'IPv4', internal: false }] }),
    readFile: resolvConf,
    signal: AbortSignal.timeout(10_000),
  });
  assert.equal(context, undefined);
  assert.deepEqual(codes(findings), ['AWS_PERMISSION_DENIED', 'CONTEXT_UNRESOLVED']);
  assert.match(findings[0]?.message ?? '', /ec2:DescribeNetworkInterfaces/);
  assert.equal(findings[0]?.evidence['action'], 'ec2:DescribeNetworkInterfaces');
});

test('a missing region is CONTEXT_UNRESOLVED naming AWS_REGION, and EC2 is not called without one', async () => {
  const { context, findings } = await discoverContext({
    ec2: createEc2Client({ endpoint: proxy.url, region: REGION }),
    env: {
      AWS_EC2_METADATA_DISABLED: 'true',
      VPCE_DOCTOR_SUBNET_ID: world.subnetId,
      VPCE_DOCTOR_VPC_ID: world.vpcId,
    },
    networkInterfaces: () => ({ eth0: [{ address: AGENT_IP, family: 'IPv4', internal: false }] }),
    readFile: resolvConf,
    signal: AbortSignal.timeout(10_000),
  });
  assert.equal(context, undefined);
  assert.deepEqual(findings[0]?.evidence['missing'], ['privateIp', 'region']);
  assert.match(findings[0]?.fix ?? '', /AWS_REGION=/);
  assert.equal(proxy.requests.length, 0);
});
