// services[].actions: the calls a workload makes through an endpoint, validated at the edge and
// carried on the target for checks/endpoint-policy.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, validateConfig } from '../../src/config.js';
import { buildTargets } from '../../src/targets.js';
import { context, inventory } from '../fixtures/ec2/load.js';

const withActions = (actions: unknown) => ({ services: [{ name: 's3', actions }] });

describe('services[].actions in the configuration', () => {
  it('are carried on the target they name, after its profile', () => {
    const config = validateConfig(
      {
        profiles: ['ecs-fargate'],
        ...withActions([
          { action: 's3:GetObject', resource: 'arn:aws:s3:::my-bucket/*' },
          { action: 's3:Get*', resource: '*', principal: 'arn:aws:iam::111122223333:role/app' },
        ]),
      },
      'test',
    );
    const targets = buildTargets(context(), inventory(), { config });
    const s3 = targets.find((t) => t.shortName === 's3')!;
    assert.deepEqual(s3.actions, [
      { action: 's3:GetObject', resource: 'arn:aws:s3:::my-bucket/*' },
      { action: 's3:Get*', resource: '*', principal: 'arn:aws:iam::111122223333:role/app' },
    ]);
    assert.deepEqual(s3.profiles, ['ecs-fargate']);
    assert.equal(targets.find((t) => t.shortName === 'logs')!.actions, undefined);
  });

  const rejected: Array<[string, unknown, RegExp]> = [
    [
      'an action without a service prefix',
      [{ action: 'GetObject', resource: '*' }],
      /services\.0\.actions\.0\.action/,
    ],
    ['an action with spaces', [{ action: 's3:Get Object', resource: '*' }], /actions\.0\.action/],
    [
      'a resource that is not an ARN',
      [{ action: 's3:GetObject', resource: 'my-bucket' }],
      /actions\.0\.resource/,
    ],
    [
      'a resource over 1024 characters',
      [{ action: 's3:GetObject', resource: `arn:aws:s3:::${'a'.repeat(1100)}` }],
      /actions\.0\.resource/,
    ],
    [
      'a principal that is not an ARN or an account',
      [{ action: 's3:GetObject', resource: '*', principal: 'app' }],
      /actions\.0\.principal/,
    ],
    [
      'an unknown field',
      [{ action: 's3:GetObject', resource: '*', effect: 'Allow' }],
      /actions\.0\.effect: unknown field/,
    ],
    ['more than 64 items', Array(65).fill({ action: 's3:GetObject', resource: '*' }), /services\.0\.actions/],
    ['a missing resource', [{ action: 's3:GetObject' }], /actions\.0/],
  ];
  for (const [name, actions, field] of rejected) {
    it(`rejects ${name}, naming the field`, () => {
      assert.throws(
        () => validateConfig(withActions(actions), 'test'),
        (error: unknown) => error instanceof ConfigError && field.test(error.message),
      );
    });
  }
});
