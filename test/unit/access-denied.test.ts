// classifyAccessDenied over AccessDenied texts in the format of the IAM User Guide's
// "Troubleshooting access denied error messages" (and S3's 403 troubleshooting page): the
// layer AWS names, explicit or implicit, and who was denied what. A text without the format
// names no layer: it is never guessed from loose words.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyAccessDenied } from '../../src/eval/access-denied.js';

const ROLE = 'arn:aws:sts::111122223333:assumed-role/app-task/4f0c1a';

const CASES: Array<[string, string, ReturnType<typeof classifyAccessDenied>]> = [
  [
    'explicit deny in a VPC endpoint policy (STS)',
    `User: ${ROLE} is not authorized to perform: sts:GetCallerIdentity with an explicit deny in a VPC endpoint policy`,
    { layer: 'vpc-endpoint-policy', deny: 'explicit', principal: ROLE, action: 'sts:GetCallerIdentity' },
  ],
  [
    'no VPC endpoint policy allows (S3, with a resource)',
    `User: ${ROLE} is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::prod-us-east-1-starport-layer-bucket/sha256/ab" because no VPC endpoint policy allows the s3:GetObject action`,
    {
      layer: 'vpc-endpoint-policy',
      deny: 'implicit',
      principal: ROLE,
      action: 's3:GetObject',
      resource: '"arn:aws:s3:::prod-us-east-1-starport-layer-bucket/sha256/ab"',
    },
  ],
  [
    'explicit deny in a service control policy',
    `User: ${ROLE} is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::444455556666:role/deploy with an explicit deny in a service control policy`,
    {
      layer: 'service-control-policy',
      deny: 'explicit',
      principal: ROLE,
      action: 'sts:AssumeRole',
      resource: 'arn:aws:iam::444455556666:role/deploy',
    },
  ],
  [
    'no identity-based policy allows',
    `User: ${ROLE} is not authorized to perform: secretsmanager:GetSecretValue on resource: arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf because no identity-based policy allows the secretsmanager:GetSecretValue action`,
    {
      layer: 'identity-based-policy',
      deny: 'implicit',
      principal: ROLE,
      action: 'secretsmanager:GetSecretValue',
      resource: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf',
    },
  ],
  [
    'explicit deny in a resource-based policy',
    `User: ${ROLE} is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:111122223333:key/1234abcd with an explicit deny in a resource-based policy`,
    {
      layer: 'resource-based-policy',
      deny: 'explicit',
      principal: ROLE,
      action: 'kms:Decrypt',
      resource: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd',
    },
  ],
  [
    'explicit deny in a permissions boundary',
    `User: ${ROLE} is not authorized to perform: logs:PutLogEvents on resource: arn:aws:logs:us-east-1:111122223333:log-group:/ecs/app:log-stream:x with an explicit deny in a permissions boundary`,
    {
      layer: 'permissions-boundary',
      deny: 'explicit',
      principal: ROLE,
      action: 'logs:PutLogEvents',
      resource: 'arn:aws:logs:us-east-1:111122223333:log-group:/ecs/app:log-stream:x',
    },
  ],
  [
    'no session policy allows',
    `User: ${ROLE} is not authorized to perform: ecr:BatchGetImage on resource: arn:aws:ecr:us-east-1:111122223333:repository/app because no session policy allows the ecr:BatchGetImage action`,
    {
      layer: 'session-policy',
      deny: 'implicit',
      principal: ROLE,
      action: 'ecr:BatchGetImage',
      resource: 'arn:aws:ecr:us-east-1:111122223333:repository/app',
    },
  ],
  [
    'explicit deny in a resource control policy',
    `User: ${ROLE} is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::data/x" with an explicit deny in a resource control policy`,
    {
      layer: 'resource-control-policy',
      deny: 'explicit',
      principal: ROLE,
      action: 's3:GetObject',
      resource: '"arn:aws:s3:::data/x"',
    },
  ],
  [
    'the older format without context: no layer',
    `User: ${ROLE} is not authorized to perform: ec2:DescribeVpcEndpoints`,
    { principal: ROLE, action: 'ec2:DescribeVpcEndpoints' },
  ],
  ['S3 "Access Denied" alone: nothing named', 'Access Denied', {}],
  [
    'a loose mention is not the format',
    'Access denied; check your VPC endpoint policy and permissions boundary',
    {},
  ],
];

describe('classifyAccessDenied', () => {
  for (const [name, message, expected] of CASES) {
    it(name, () => assert.deepEqual(classifyAccessDenied(message), expected));
  }

  it('reads a huge message in bounded time and still finds nothing it should not', () => {
    const started = performance.now();
    const reading = classifyAccessDenied(`${'User: x '.repeat(200_000)}with an explicit deny in a`);
    assert.ok(performance.now() - started < 500);
    assert.equal(reading.layer, undefined);
  });
});
