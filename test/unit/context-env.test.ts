// The VPCE_DOCTOR_* context variables are validated before anything runs: a typo taken as a
// fact would surface later as a false security-group or ACL root cause.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Io, main } from '../../src/cli.js';
import { ConfigError } from '../../src/config.js';
import { readContextEnv } from '../../src/context/env.js';

async function report(env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    // No Region and no endpoint: were anything to reach for AWS or IMDS, it would fail differently.
    env: { AWS_EC2_METADATA_DISABLED: 'true', ...env },
  };
  const code = await main(['report'], io);
  return { code, stdout, stderr };
}

describe('VPCE_DOCTOR_* context variables', () => {
  const invalid: Array<[string, string, string]> = [
    ['VPCE_DOCTOR_PRIVATE_IP', '10.0.1.256', 'is not an IPv4 address'],
    ['VPCE_DOCTOR_PRIVATE_IP', '10.0.1', 'is not an IPv4 address'],
    ['VPCE_DOCTOR_PRIVATE_IP', '10.0.01.5', 'is not an IPv4 address'],
    ['VPCE_DOCTOR_SUBNET_ID', 'subnet-0abcXYZ', 'is not a subnet id (subnet-…)'],
    ['VPCE_DOCTOR_SUBNET_ID', 'vpc-0abc', 'is not a subnet id (subnet-…)'],
    ['VPCE_DOCTOR_VPC_ID', 'vpc_0abc', 'is not a VPC id (vpc-…)'],
    ['VPCE_DOCTOR_AZ', 'us-east-1', 'is not an Availability Zone name or id (us-east-1a, use1-az1)'],
    ['VPCE_DOCTOR_AZ', 'useast1a', 'is not an Availability Zone name or id (us-east-1a, use1-az1)'],
    ['VPCE_DOCTOR_SECURITY_GROUP_IDS', 'sg-0abc,sg-0de f', 'is not a security group id (sg-…)'],
  ];
  for (const [variable, value, what] of invalid) {
    it(`the CLI exits 2 with one line naming ${variable}='${value}'`, async () => {
      const result = await report({ [variable]: value });
      const shown = variable === 'VPCE_DOCTOR_SECURITY_GROUP_IDS' ? value.split(',')[1] : value;
      assert.equal(result.code, 2);
      assert.equal(result.stderr, `vpce-doctor: ${variable}: '${shown}' ${what}\n`);
      assert.equal(result.stdout, '');
    });
  }

  it('the reviewer’s example reads exactly as an on-call engineer would want it', async () => {
    const result = await report({ VPCE_DOCTOR_PRIVATE_IP: '10.0.1.256' });
    assert.deepEqual(
      [result.code, result.stderr],
      [2, "vpce-doctor: VPCE_DOCTOR_PRIVATE_IP: '10.0.1.256' is not an IPv4 address\n"],
    );
  });

  it('accepts well-formed values, AZ names and AZ ids, and trims list items', () => {
    assert.deepEqual(
      readContextEnv({
        VPCE_DOCTOR_PRIVATE_IP: '10.0.1.10',
        VPCE_DOCTOR_SUBNET_ID: 'subnet-0a1b2c3d4e5f60718',
        VPCE_DOCTOR_VPC_ID: 'vpc-0a1b2c3d',
        VPCE_DOCTOR_AZ: 'us-east-1a',
        VPCE_DOCTOR_SECURITY_GROUP_IDS: ' sg-0a1b, sg-0c2d ',
      }),
      {
        privateIp: '10.0.1.10',
        subnetId: 'subnet-0a1b2c3d4e5f60718',
        vpcId: 'vpc-0a1b2c3d',
        availabilityZone: 'us-east-1a',
        securityGroupIds: ['sg-0a1b', 'sg-0c2d'],
      },
    );
    for (const az of ['use1-az1', 'apne1-az4', 'us-gov-west-1b', 'us-west-2-lax-1a', 'usw2-lax1-az1']) {
      assert.equal(readContextEnv({ VPCE_DOCTOR_AZ: az }).availabilityZone, az);
    }
    assert.deepEqual(readContextEnv({ VPCE_DOCTOR_PRIVATE_IP: '' }), {});
  });

  it('throws a ConfigError, which is what the CLI turns into exit 2', () => {
    assert.throws(() => readContextEnv({ VPCE_DOCTOR_VPC_ID: 'vpc-xyz' }), ConfigError);
  });
});
