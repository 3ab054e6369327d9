import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  ConfigError,
  DEFAULT_TIMEOUTS,
  loadConfig,
  loadConfigFile,
  validateConfig,
} from '../../src/config.js';

async function file(name: string, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vpce-doctor-config-'));
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

describe('configuration', () => {
  it('gives the defaults for an empty document', () => {
    const config = validateConfig(undefined);
    assert.deepEqual(config.timeouts, DEFAULT_TIMEOUTS);
    assert.equal(config.discover, true);
    assert.equal(config.inventoryTtlMs, 60_000);
  });

  it('reads YAML with services, profiles and timeouts', async () => {
    const path = await file(
      'c.yaml',
      'profiles: [ecs-fargate]\nservices:\n  - name: secretsmanager\n  - name: vpce-svc-0abc\n    ports: [443, 8443]\n    tls: false\ntimeouts:\n  dnsMs: 900\n',
    );
    const config = await loadConfigFile(path);
    assert.deepEqual(config.profiles, ['ecs-fargate']);
    assert.deepEqual(config.services[1], { name: 'vpce-svc-0abc', ports: [443, 8443], tls: false });
    assert.equal(config.timeouts.dnsMs, 900);
    assert.equal(config.timeouts.tcpMs, DEFAULT_TIMEOUTS.tcpMs);
  });

  const rejected: Array<[string, string, RegExp]> = [
    ['an unknown top-level field', 'colour: red\n', /colour: unknown field/],
    [
      'an unknown field inside a service',
      'services:\n  - name: s3\n    prot: 443\n',
      /services\.0\.prot: unknown field/,
    ],
    [
      'a port out of range',
      'services:\n  - name: s3\n    ports: [70000]\n',
      /services\.0\.ports\.0: .*65535/,
    ],
    ['a timeout of the wrong type', 'timeouts:\n  dnsMs: fast\n', /timeouts\.dnsMs: Expected integer/],
    ['a malformed VPC id', 'context:\n  vpcId: vpc_1\n', /context\.vpcId/],
    ['a list where an object belongs', '- a\n- b\n', /\(top level\): Expected object/],
    ['bad YAML', 'services: [\n', /not valid YAML or JSON/],
    ['a duplicated key', 'discover: true\ndiscover: false\n', /not valid YAML or JSON/],
  ];
  for (const [what, text, message] of rejected) {
    it(`rejects ${what} with one line naming the file and the field`, async () => {
      const path = await file('bad.yaml', text);
      await assert.rejects(loadConfigFile(path), (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, message);
        assert.ok(error.message.startsWith(path), error.message);
        assert.ok(!error.message.includes('\n'), 'one line');
        return true;
      });
    });
  }

  it('says which file it could not read', async () => {
    await assert.rejects(
      loadConfigFile('/nonexistent/vpce.yaml'),
      /\/nonexistent\/vpce.yaml: cannot read .*ENOENT/,
    );
  });

  it('adds profiles and services from the environment', async () => {
    const config = await loadConfig({ VPCE_DOCTOR_PROFILES: 'ssm, lambda', VPCE_DOCTOR_SERVICES: 'kms' });
    assert.deepEqual(config.profiles, ['ssm', 'lambda']);
    assert.deepEqual(config.services, [{ name: 'kms' }]);
  });
});

describe('addresses in the configuration', () => {
  it('accepts dotted quads and rejects octets above 255', () => {
    assert.deepEqual(validateConfig({ resolvers: ['10.0.0.2', '255.255.255.255'] }).resolvers, [
      '10.0.0.2',
      '255.255.255.255',
    ]);
    assert.throws(() => validateConfig({ resolvers: ['999.1.1.1'] }), /resolvers\.0/);
    assert.throws(() => validateConfig({ context: { privateIp: '10.0.1.256' } }), /context\.privateIp/);
  });
});

describe('the hub role in the configuration (issue 15)', () => {
  it('reads a role ARN and an external id, and leaves no hub when none is given', () => {
    const config = validateConfig({
      hub: { roleArn: 'arn:aws:iam::210987654321:role/vpce-doctor-hub-read', externalId: 'ext-1' },
    });
    assert.deepEqual(config.hub, {
      roleArn: 'arn:aws:iam::210987654321:role/vpce-doctor-hub-read',
      externalId: 'ext-1',
    });
    assert.equal(validateConfig({}).hub, undefined);
    assert.equal(
      validateConfig({ hub: { roleArn: 'arn:aws-us-gov:iam::210987654321:role/path/hub' } }).hub?.roleArn,
      'arn:aws-us-gov:iam::210987654321:role/path/hub',
    );
  });

  it('rejects what is not a role ARN in one line naming the field, and unknown fields', () => {
    for (const roleArn of [
      'arn:aws:iam::21098765432:role/x',
      'arn:aws:iam::210987654321:user/x',
      'arn:aws:sts::210987654321:assumed-role/x/y',
      'vpce-doctor-hub-read',
    ]) {
      assert.throws(
        () => validateConfig({ hub: { roleArn } }),
        (err: Error) => /^config: hub\.roleArn: .*role ARN/.test(err.message) && !err.message.includes('\n'),
        roleArn,
      );
    }
    assert.throws(() => validateConfig({ hub: {} }), /hub\.roleArn/);
    assert.throws(
      () => validateConfig({ hub: { roleArn: 'arn:aws:iam::210987654321:role/x', sessionName: 'y' } }),
      /hub\.sessionName: unknown field/,
    );
  });
});
