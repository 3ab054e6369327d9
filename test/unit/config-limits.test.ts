// The configuration file is read once, at the edge, and bounded there: a file far larger than any
// configuration is refused with one line before it is parsed, and names have lengths and
// characters they can really have.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, loadConfigFile, MAX_CONFIG_BYTES, validateConfig } from '../../src/config.js';

const dir = mkdtempSync(join(tmpdir(), 'vpce-doctor-config-limits-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function refusal(load: () => Promise<unknown>): Promise<string> {
  return load().then(
    () => assert.fail('accepted'),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, String(error));
      return error.message;
    },
  );
}

describe('configuration file size', () => {
  it('refuses a 2 MB configuration file with one line naming the file, its size and the cap', async () => {
    const path = join(dir, 'huge.yaml');
    // Valid YAML all the way: the refusal must come from the size, not from a parse error.
    const line = '# padding padding padding padding padding padding padding padding padding padding\n';
    writeFileSync(path, `discover: true\n${line.repeat(Math.ceil(2_000_000 / line.length))}`);
    const message = await refusal(() => loadConfigFile(path));
    assert.equal(message.split('\n').length, 1);
    assert.match(message, /huge\.yaml: the configuration file is 19\d\d KiB; at most 256 KiB is read/);
  });

  it('refuses an endless file (/dev/zero) without reading it all', async () => {
    const message = await refusal(() => loadConfigFile('/dev/zero'));
    assert.match(message, /^\/dev\/zero: the configuration file is more than 256 KiB/);
  });

  it('reads a file of exactly the cap', async () => {
    const path = join(dir, 'at-cap.yaml');
    const head = 'discover: false\n';
    writeFileSync(path, head + '#'.repeat(MAX_CONFIG_BYTES - head.length));
    const config = await loadConfigFile(path);
    assert.equal(config.discover, false);
  });
});

describe('names in the configuration', () => {
  const rejected: Array<[string, unknown, RegExp]> = [
    ['a service name with a space', { services: [{ name: 'ecr dkr' }] }, /services\.0\.name/],
    ['a service name with an ESC sequence', { services: [{ name: 'sts\u001b[2J' }] }, /services\.0\.name/],
    ['a 300-character service name', { services: [{ name: `a${'b'.repeat(299)}` }] }, /services\.0\.name/],
    [
      'a 254-character hostname',
      { services: [{ name: 'x', hostname: 'a'.repeat(254) }] },
      /services\.0\.hostname/,
    ],
    ['a profile with upper case and spaces', { profiles: ['ECS Fargate'] }, /profiles\.0/],
    ['a 40-character AZ', { context: { availabilityZone: 'a'.repeat(40) } }, /context\.availabilityZone/],
    [
      'an AZ with a newline',
      { context: { availabilityZone: 'us-east-1a\nfail' } },
      /context\.availabilityZone/,
    ],
    ['a 100-character VPC id', { context: { vpcId: `vpc-${'a'.repeat(96)}` } }, /context\.vpcId/],
    [
      '17 security groups',
      { context: { securityGroupIds: Array.from({ length: 17 }, (_, i) => `sg-${i.toString(16)}`) } },
      /context\.securityGroupIds/,
    ],
  ];
  for (const [what, document, field] of rejected) {
    it(`rejects ${what}, naming the field in one line`, () => {
      assert.throws(
        () => validateConfig(document, 'vpce-doctor.yaml'),
        (error: unknown) =>
          error instanceof ConfigError &&
          field.test(error.message) &&
          error.message.startsWith('vpce-doctor.yaml: ') &&
          !error.message.includes('\n'),
      );
    });
  }

  it('accepts the names real configurations use', () => {
    const config = validateConfig({
      profiles: ['ecs-fargate', 'eks-nodes'],
      services: [
        { name: 'ecr.dkr' },
        { name: 's3-interface' },
        { name: 'com.amazonaws.us-east-1.secretsmanager' },
        {
          name: 'com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0',
          hostname: 'api.internal.example.com',
        },
        { name: 'aws.sagemaker.us-east-1.notebook' },
      ],
      context: {
        region: 'us-gov-west-1',
        availabilityZone: 'use1-az1',
        vpcId: 'vpc-0a1b2c3d4e5f67890',
        securityGroupIds: ['sg-0123456789abcdef0'],
      },
    });
    assert.equal(config.services.length, 5);
  });
});
