import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { discoverContext } from '../../src/context/discover.js';
import type { AgentContext } from '../../src/model.js';

// Every fact pinned, resolvers configured: discovery needs no network, so nothing here sends a packet.
const pinned = {
  AWS_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
  VPCE_DOCTOR_VPC_ID: 'vpc-0a1b2c',
  VPCE_DOCTOR_SUBNET_ID: 'subnet-0a99',
  VPCE_DOCTOR_PRIVATE_IP: '10.0.1.10',
  VPCE_DOCTOR_SECURITY_GROUP_IDS: 'sg-0a77',
  VPCE_DOCTOR_AZ: 'us-east-1a',
};

async function discover(env: Record<string, string>, config: Partial<AgentContext> = {}) {
  const { context } = await discoverContext({
    ec2For: () => {
      throw new Error('EC2 must not be called in this test');
    },
    env,
    config: { resolvers: [{ address: '10.0.0.2', source: 'config' }], ...config },
    networkInterfaces: () => ({}),
    readFile: async () => '',
    signal: AbortSignal.timeout(5_000),
  });
  assert.ok(context);
  return context;
}

describe('the client kind whose ephemeral ports the ACL check covers', () => {
  const cases: Array<
    [string, Record<string, string>, Partial<AgentContext>, string | undefined, string | undefined]
  > = [
    ['a container or an instance: unset (the check assumes Linux)', pinned, {}, undefined, undefined],
    ['a Lambda function: lambda', { ...pinned, AWS_LAMBDA_FUNCTION_NAME: 'probe' }, {}, 'lambda', 'lambda'],
    ['configured: the configuration wins', pinned, { clientKind: 'windows' }, 'windows', 'config'],
    [
      'configured in a Lambda: still the configuration',
      { ...pinned, AWS_LAMBDA_FUNCTION_NAME: 'probe' },
      { clientKind: 'linux' },
      'linux',
      'config',
    ],
  ];
  for (const [name, env, config, kind, source] of cases) {
    test(name, async () => {
      const context = await discover(env, config);
      assert.equal(context.clientKind, kind);
      assert.equal(context.sources['clientKind'], source);
    });
  }
});

describe('context.clientKind in the configuration file', () => {
  test('takes a kind of the ephemeral-port table and rejects others, naming the field', async () => {
    const { validateConfig } = await import('../../src/config.js');
    assert.equal(
      validateConfig({ context: { clientKind: 'nat-gateway' } }).context.clientKind,
      'nat-gateway',
    );
    assert.throws(
      () => validateConfig({ context: { clientKind: 'macos' } }),
      /context\.clientKind: .*linux, lambda/,
    );
  });
});
