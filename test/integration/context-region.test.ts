// The Region learned from IMDS reaches the EC2 client: on an instance without AWS_REGION, both
// discovery's look-ups and the inventory must use it. Through createRunner, with IMDSv2 on
// loopback and moto for EC2 (reached through the SDK's own AWS_ENDPOINT_URL convention). The
// probes are stubbed (every one answers `timeout` at once, no socket): this test is about the
// control plane. Never 169.254.169.254: IMDS is a loopback server.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import {
  CreateNetworkInterfaceCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  DescribeVpcsCommand,
} from '@aws-sdk/client-ec2';
import { createEc2Client, createEc2ClientFactory } from '../../src/aws/ec2-client.js';
import { loadConfig } from '../../src/config.js';
import type { Probes } from '../../src/probe-plan.js';
import { createRunner } from '../../src/runner.js';
import { type Moto, motoEnv, startMoto } from '../support/moto.js';

const REGION = 'us-east-1';
const AGENT_IP = '10.40.1.23';

let moto: Moto;
let imds: Server;
let imdsUrl: string;

const probes: Probes = {
  queryA: async (resolver, hostname) => ({
    resolver,
    hostname,
    outcome: 'timeout',
    addresses: [],
    transport: 'udp',
    durationMs: 0,
  }),
  probeTcp: async (address, port) => ({ address, port, outcome: 'timeout', durationMs: 0 }),
  probeTls: async (address, port, servername) => ({
    address,
    port,
    servername,
    outcome: 'timeout',
    certNames: [],
    durationMs: 0,
  }),
};

before(async () => {
  moto = await startMoto();
  // The SDK reads process.env: endpoint and credentials, and no Region from anywhere.
  const { AWS_REGION: _r, AWS_DEFAULT_REGION: _d, ...env } = motoEnv(moto.url, REGION);
  Object.assign(process.env, env);
  delete process.env['AWS_REGION'];
  delete process.env['AWS_DEFAULT_REGION'];
  process.env['AWS_CONFIG_FILE'] = '/nonexistent/vpce-doctor-test-config';

  // IMDSv2 knows the Region and the address, not the MAC's facts: EC2 must say the rest.
  const token = 'tok-region';
  imds = createServer((req, res) => {
    if (req.method === 'PUT' && req.url === '/latest/api/token') return res.end(token);
    const paths: Record<string, string> = {
      '/latest/meta-data/local-ipv4': AGENT_IP,
      '/latest/dynamic/instance-identity/document': JSON.stringify({
        region: REGION,
        accountId: '123456789012',
      }),
    };
    const body = paths[req.url ?? ''];
    res.writeHead(req.headers['x-aws-ec2-metadata-token'] !== token ? 401 : body ? 200 : 404);
    res.end(body);
  });
  await new Promise<void>((resolve) => imds.listen(0, '127.0.0.1', resolve));
  imdsUrl = `http://127.0.0.1:${(imds.address() as AddressInfo).port}`;
});
after(async () => {
  imds?.closeAllConnections();
  imds?.close();
  await moto?.stop();
});

test('without AWS_REGION, the Region from IMDS reaches discovery and the inventory', async () => {
  const setup = createEc2Client({ region: REGION });
  const vpcId = (await setup.send(new CreateVpcCommand({ CidrBlock: '10.40.0.0/16' }))).Vpc!.VpcId!;
  const subnetId = (
    await setup.send(
      new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.40.1.0/24', AvailabilityZone: 'us-east-1c' }),
    )
  ).Subnet!.SubnetId!;
  const sg = (
    await setup.send(new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: 'app', Description: 'app' }))
  ).GroupId!;
  await setup.send(
    new CreateNetworkInterfaceCommand({ SubnetId: subnetId, PrivateIpAddress: AGENT_IP, Groups: [sg] }),
  );
  await setup.send(
    new CreateVpcEndpointCommand({
      VpcId: vpcId,
      ServiceName: `com.amazonaws.${REGION}.sts`,
      VpcEndpointType: 'Interface',
      SubnetIds: [subnetId],
      SecurityGroupIds: [sg],
    }),
  );

  const env: NodeJS.ProcessEnv = { AWS_EC2_METADATA_SERVICE_ENDPOINT: imdsUrl };
  const config = await loadConfig({});
  // The premise: a client made from this environment alone has no Region.
  await assert.rejects(createEc2Client({ env }).send(new DescribeVpcsCommand({})), /Region is missing/);

  const runner = createRunner({
    ec2For: createEc2ClientFactory({ env }),
    env,
    config,
    probes,
    version: 'test',
  });
  const report = await runner.run({ timeoutMs: 20_000 });

  assert.deepEqual(
    report.findings.filter((f) => f.check === 'context'),
    [],
  );
  assert.deepEqual(
    [report.context.region, report.context.vpcId, report.context.subnetId, report.context.securityGroupIds],
    [REGION, vpcId, subnetId, [sg]],
  );
  assert.equal(report.context.sources['region'], 'imds');
  assert.deepEqual(report.inventory.gaps, []);
  assert.ok(report.inventory.calls > 0, 'the inventory was loaded');
  assert.ok(
    report.targets.some((t) => t.service === `com.amazonaws.${REGION}.sts`),
    `the VPC's endpoint is a target: ${report.targets.map((t) => t.service).join(', ')}`,
  );
});
