// discoverContext's onVpc: called once, as soon as the VPC and the Region are known, so the
// runner starts the inventory while discovery still looks up the VPC's CIDR (the resolvers).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { discoverContext } from '../../src/context/discover.js';

const AGENT_IP = '10.0.1.10';
const ENI = {
  NetworkInterfaceId: 'eni-0a1b',
  VpcId: 'vpc-0a1b2c',
  SubnetId: 'subnet-0a99',
  AvailabilityZone: 'us-east-1a',
  PrivateIpAddress: AGENT_IP,
  Groups: [{ GroupId: 'sg-0a77' }],
};

/** EC2 as discovery sees it in the lab: our ENI by address, then the VPC's CIDR. */
function recordingEc2(events: string[]) {
  return {
    send: async (command: object) => {
      const name = command.constructor.name.replace(/Command$/, '');
      events.push(name);
      if (name === 'DescribeNetworkInterfaces') return { NetworkInterfaces: [ENI] };
      if (name === 'DescribeVpcs') return { Vpcs: [{ VpcId: ENI.VpcId, CidrBlock: '10.0.0.0/16' }] };
      return {};
    },
  };
}

async function discover(
  env: Record<string, string>,
  events: string[],
  vpcCidr?: (vpcId: string) => Promise<string | undefined> | undefined,
) {
  return discoverContext({
    ...(vpcCidr ? { vpcCidr } : {}),
    ec2: recordingEc2(events) as never,
    env: { AWS_EC2_METADATA_DISABLED: 'true', ...env },
    networkInterfaces: () => ({ eth0: [{ address: AGENT_IP, family: 'IPv4', internal: false }] }),
    readFile: async () => '',
    signal: AbortSignal.timeout(5_000),
    onVpc: (vpcId, region) => events.push(`onVpc ${vpcId} ${region}`),
  });
}

describe('onVpc: the inventory can start before discovery ends', () => {
  test('a VPC found by the agent’s ENI: after that lookup, before the CIDR lookup, once', async () => {
    const events: string[] = [];
    const { context } = await discover({ AWS_REGION: 'us-east-1' }, events);
    assert.equal(context?.vpcId, ENI.VpcId);
    assert.deepEqual(events, ['DescribeNetworkInterfaces', 'onVpc vpc-0a1b2c us-east-1', 'DescribeVpcs']);
  });

  test('a pinned VPC: before any EC2 call', async () => {
    const events: string[] = [];
    await discover({ AWS_REGION: 'us-east-1', VPCE_DOCTOR_VPC_ID: ENI.VpcId }, events);
    assert.equal(events[0], 'onVpc vpc-0a1b2c us-east-1');
    assert.equal(events.filter((e) => e.startsWith('onVpc')).length, 1);
  });

  test('no Region, no VPC: never called', async () => {
    const events: string[] = [];
    const { context } = await discover({}, events);
    assert.equal(context, undefined);
    assert.deepEqual(events, []);
  });

  test('the CIDR from the inventory it started: no DescribeVpcs of its own, the same resolver', async () => {
    const events: string[] = [];
    const { context } = await discover({ AWS_REGION: 'us-east-1' }, events, async () => '10.0.0.0/16');
    assert.deepEqual(events, ['DescribeNetworkInterfaces', 'onVpc vpc-0a1b2c us-east-1']);
    assert.equal(context?.resolvers[0]?.address, '10.0.0.2');
  });

  test('an inventory that could not read the VPC: discovery asks EC2 itself, as before', async () => {
    const events: string[] = [];
    const { context } = await discover({ AWS_REGION: 'us-east-1' }, events, async () => undefined);
    assert.equal(events.at(-1), 'DescribeVpcs');
    assert.equal(context?.resolvers[0]?.address, '10.0.0.2');
  });
});
