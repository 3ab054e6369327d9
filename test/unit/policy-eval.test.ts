// The endpoint-policy evaluator over policy shapes from AWS documentation (the PrivateLink guide's
// default policy, the ECR guide's S3 gateway example, aws:SourceVpce, NotAction, principal- and
// org-restricted statements), and over hostile documents.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  allowsNothing,
  evaluatePolicyDocument,
  isFullAccess,
  MAX_POLICY_CHARS,
  type PolicyDecision,
  type PolicyRequest,
  parsePolicy,
} from '../../src/eval/policy.js';

// A policy variable as a policy writes it (not a template literal placeholder).
const USERNAME_VARIABLE = ['$', '{aws:username}'].join('');
const ENDPOINT = 'vpce-0s3gw';
const VPC = 'vpc-0a1b';
const CONTEXT = { 'aws:SourceVpce': ENDPOINT, 'aws:SourceVpc': VPC, 'aws:SecureTransport': 'true' };
const LAYERS = 'arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*';

const request = (action: string, resource: string, extra: Partial<PolicyRequest> = {}): PolicyRequest => ({
  action,
  resource,
  context: CONTEXT,
  ...extra,
});
const doc = (statement: unknown, version = '2012-10-17') =>
  JSON.stringify({ Version: version, Statement: statement });

const DEFAULT = doc([{ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' }], '2008-10-17');
const DENY_ALL = doc([{ Sid: 'DenyAll', Effect: 'Deny', Principal: '*', Action: '*', Resource: '*' }]);
// ECR User Guide: the S3 gateway endpoint policy that admits only the layer bucket; and the
// team-bucket policy that forgets it.
const ONE_BUCKET = doc([
  {
    Sid: 'Access-to-team-bucket-only',
    Principal: '*',
    Action: ['s3:GetObject', 's3:PutObject'],
    Effect: 'Allow',
    Resource: ['arn:aws:s3:::team-bucket', 'arn:aws:s3:::team-bucket/*'],
  },
]);
const LAYER_BUCKET = doc([
  {
    Sid: 'Access-to-specific-bucket-only',
    Principal: '*',
    Action: ['s3:GetObject'],
    Effect: 'Allow',
    Resource: [LAYERS],
  },
]);
const SOURCE_VPCE = doc([
  { Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' },
  {
    Sid: 'DenyOtherEndpoints',
    Effect: 'Deny',
    Principal: '*',
    Action: 's3:*',
    Resource: '*',
    Condition: { StringNotEquals: { 'aws:SourceVpce': 'vpce-1a2b3c4d' } },
  },
]);
const NOT_ACTION = doc([
  { Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' },
  { Sid: 'OnlyReads', Effect: 'Deny', Principal: '*', NotAction: ['s3:Get*', 's3:List*'], Resource: '*' },
]);
const ROLE_ONLY = doc([
  {
    Sid: 'AllowPull',
    Effect: 'Allow',
    Principal: { AWS: 'arn:aws:iam::111122223333:role/ecsTaskExecutionRole' },
    Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:GetAuthorizationToken'],
    Resource: '*',
  },
]);
const ORG_ONLY = doc([
  {
    Sid: 'AllowOrg',
    Effect: 'Allow',
    Principal: '*',
    Action: '*',
    Resource: '*',
    Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } },
  },
]);
const TAG_DENY = doc([
  { Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' },
  {
    Sid: 'DenyUntagged',
    Effect: 'Deny',
    Principal: '*',
    Action: '*',
    Resource: '*',
    Condition: { StringNotEquals: { 'aws:PrincipalTag/team': 'payments' } },
  },
]);

type Expect =
  | 'allow'
  | 'implicit-deny'
  | { deny: string }
  | { undecidable: string; element?: string }
  | { malformed: RegExp };

function check(decision: PolicyDecision, expected: Expect, name: string): void {
  if (expected === 'allow' || expected === 'implicit-deny') {
    assert.equal(decision.decision, expected, `${name}: ${JSON.stringify(decision)}`);
  } else if ('deny' in expected) {
    assert.equal(decision.decision, 'explicit-deny', `${name}: ${JSON.stringify(decision)}`);
    if (decision.decision === 'explicit-deny')
      assert.equal(decision.statement.sid ?? `Statement[${decision.statement.index}]`, expected.deny, name);
  } else if ('undecidable' in expected) {
    assert.equal(decision.decision, 'undecidable', `${name}: ${JSON.stringify(decision)}`);
    if (decision.decision === 'undecidable') {
      assert.equal(decision.key ?? decision.element, expected.undecidable, name);
      if (expected.element) assert.equal(decision.element, expected.element, name);
    }
  } else {
    assert.equal(decision.decision, 'malformed', `${name}: ${JSON.stringify(decision)}`);
    if (decision.decision === 'malformed') assert.match(decision.reason, expected.malformed, name);
  }
}

const CASES: Array<[string, string, PolicyRequest, Expect]> = [
  [
    'the default full-access policy allows an ECR token',
    DEFAULT,
    request('ecr:GetAuthorizationToken', '*'),
    'allow',
  ],
  ['the default policy allows the layer bucket', DEFAULT, request('s3:GetObject', LAYERS), 'allow'],
  [
    'deny-all refuses everything, naming its Sid',
    DENY_ALL,
    request('s3:GetObject', LAYERS),
    { deny: 'DenyAll' },
  ],
  [
    'a team-bucket-only S3 policy implicitly denies the ECR layer bucket',
    ONE_BUCKET,
    request('s3:GetObject', LAYERS),
    'implicit-deny',
  ],
  [
    'a team-bucket-only S3 policy allows the team bucket',
    ONE_BUCKET,
    request('s3:GetObject', 'arn:aws:s3:::team-bucket/app/config.json'),
    'allow',
  ],
  [
    'a bucket name is not a prefix of another bucket (team-bucket vs team-bucket-2)',
    ONE_BUCKET,
    request('s3:GetObject', 'arn:aws:s3:::team-bucket-2/x'),
    'implicit-deny',
  ],
  [
    'the ECR guide layer-bucket policy allows the layers',
    LAYER_BUCKET,
    request('s3:GetObject', LAYERS),
    'allow',
  ],
  [
    'the layer-bucket policy does not allow another action',
    LAYER_BUCKET,
    request('s3:PutObject', LAYERS),
    'implicit-deny',
  ],
  ['actions match case-insensitively', LAYER_BUCKET, request('S3:getobject', LAYERS), 'allow'],
  [
    'ARNs match case-sensitively',
    LAYER_BUCKET,
    request('s3:GetObject', 'arn:aws:s3:::PROD-us-east-1-starport-layer-bucket/x'),
    'implicit-deny',
  ],
  [
    'an aws:SourceVpce condition naming another endpoint denies calls through this one',
    SOURCE_VPCE,
    request('s3:GetObject', LAYERS),
    { deny: 'DenyOtherEndpoints' },
  ],
  [
    'an aws:SourceVpce condition naming this endpoint lets calls through',
    SOURCE_VPCE.replace('vpce-1a2b3c4d', ENDPOINT),
    request('s3:GetObject', LAYERS),
    'allow',
  ],
  ['a NotAction deny lets reads through', NOT_ACTION, request('s3:GetObject', LAYERS), 'allow'],
  ['a NotAction deny refuses writes', NOT_ACTION, request('s3:PutObject', LAYERS), { deny: 'OnlyReads' }],
  [
    'a role-restricted statement with the workload principal unknown is undecidable, naming Principal',
    ROLE_ONLY,
    request('ecr:BatchGetImage', 'arn:aws:ecr:us-east-1:*:repository/*'),
    { undecidable: 'Principal' },
  ],
  [
    'a role-restricted statement allows that role when it is configured',
    ROLE_ONLY,
    request('ecr:BatchGetImage', '*', {
      principal: { arn: 'arn:aws:iam::111122223333:role/ecsTaskExecutionRole' },
    }),
    'allow',
  ],
  [
    'a role-restricted statement allows a session of that role',
    ROLE_ONLY,
    request('ecr:BatchGetImage', '*', {
      principal: { arn: 'arn:aws:sts::111122223333:assumed-role/ecsTaskExecutionRole/task-1' },
    }),
    'allow',
  ],
  [
    'a role-restricted statement refuses another account it can tell apart',
    ROLE_ONLY,
    request('ecr:BatchGetImage', '*', { principal: { account: '444455556666' } }),
    'implicit-deny',
  ],
  [
    'a role-restricted statement never allows an action it does not list',
    ROLE_ONLY,
    request('s3:GetObject', LAYERS),
    'implicit-deny',
  ],
  [
    'aws:PrincipalOrgID cannot be known from the subnet',
    ORG_ONLY,
    request('s3:GetObject', LAYERS),
    { undecidable: 'aws:PrincipalOrgID', element: 'Condition' },
  ],
  [
    'a Deny on aws:PrincipalTag could flip an allow: undecidable',
    TAG_DENY,
    request('s3:GetObject', LAYERS),
    { undecidable: 'aws:PrincipalTag/team' },
  ],
  [
    'an undecidable Deny cannot flip an implicit deny',
    doc([
      {
        Sid: 'D',
        Effect: 'Deny',
        Principal: '*',
        Action: '*',
        Resource: '*',
        Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-1' } },
      },
    ]),
    request('s3:GetObject', LAYERS),
    'implicit-deny',
  ],
  [
    'an undecidable Allow beside a decided Allow does not matter',
    doc([
      { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: '*' },
      {
        Effect: 'Allow',
        Principal: '*',
        Action: '*',
        Resource: '*',
        Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-1' } },
      },
    ]),
    request('s3:GetObject', LAYERS),
    'allow',
  ],
  [
    'an ECR repository in one account is undecidable while the need leaves the account open',
    doc([
      {
        Effect: 'Allow',
        Principal: '*',
        Action: 'ecr:*',
        Resource: 'arn:aws:ecr:us-east-1:111122223333:repository/*',
      },
    ]),
    request('ecr:BatchGetImage', 'arn:aws:ecr:us-east-1:*:repository/*'),
    { undecidable: 'Resource' },
  ],
  [
    'an action without a resource is not allowed by a statement scoped to repositories',
    doc([
      {
        Effect: 'Allow',
        Principal: '*',
        Action: 'ecr:*',
        Resource: 'arn:aws:ecr:us-east-1:111122223333:repository/*',
      },
    ]),
    request('ecr:GetAuthorizationToken', '*'),
    'implicit-deny',
  ],
  [
    'a wildcard never spans an ARN segment',
    doc([{ Effect: 'Allow', Principal: '*', Action: '*', Resource: 'arn:aws:kms:*:111122223333:key/*' }]),
    request('kms:Decrypt', 'arn:aws:kms:us-east-1:444455556666:111122223333:key/1'),
    'implicit-deny',
  ],
  [
    '? matches one character',
    doc([
      {
        Effect: 'Allow',
        Principal: '*',
        Action: 's3:GetObjec?',
        Resource: 'arn:aws:s3:::prod-us-east-?-starport-layer-bucket/*',
      },
    ]),
    request('s3:GetObject', LAYERS),
    'allow',
  ],
  [
    'Bool aws:SecureTransport false deny does not apply to HTTPS calls',
    doc([
      { Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' },
      {
        Sid: 'TLS',
        Effect: 'Deny',
        Principal: '*',
        Action: '*',
        Resource: '*',
        Condition: { Bool: { 'aws:SecureTransport': false } },
      },
    ]),
    request('s3:GetObject', LAYERS),
    'allow',
  ],
  [
    'StringEquals on aws:SourceVpc is decided from the VPC',
    doc([
      {
        Effect: 'Allow',
        Principal: '*',
        Action: '*',
        Resource: '*',
        Condition: { StringEquals: { 'aws:sourcevpc': [VPC, 'vpc-other'] } },
      },
    ]),
    request('s3:GetObject', LAYERS),
    'allow',
  ],
  [
    'ArnLike on aws:PrincipalArn is decided for a configured caller',
    doc([
      {
        Effect: 'Allow',
        Principal: '*',
        Action: '*',
        Resource: '*',
        Condition: { ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::111122223333:role/app-*' } },
      },
    ]),
    request('s3:GetObject', LAYERS, { principal: { arn: 'arn:aws:iam::111122223333:role/app-web' } }),
    'allow',
  ],
  [
    'ArnLike on aws:PrincipalArn is undecidable for an unknown caller',
    doc([
      {
        Effect: 'Allow',
        Principal: '*',
        Action: '*',
        Resource: '*',
        Condition: { ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::111122223333:role/app-*' } },
      },
    ]),
    request('s3:GetObject', LAYERS),
    { undecidable: 'aws:PrincipalArn' },
  ],
  [
    'Null on a known key is decided',
    doc([
      {
        Effect: 'Allow',
        Principal: '*',
        Action: '*',
        Resource: '*',
        Condition: { Null: { 'aws:SourceVpce': 'false' } },
      },
    ]),
    request('s3:GetObject', LAYERS),
    'allow',
  ],
  [
    'IfExists on a known key is the operator',
    doc([
      {
        Effect: 'Allow',
        Principal: '*',
        Action: '*',
        Resource: '*',
        Condition: { StringEqualsIfExists: { 'aws:SourceVpce': 'vpce-other' } },
      },
    ]),
    request('s3:GetObject', LAYERS),
    'implicit-deny',
  ],
  [
    'ForAnyValue over a known single-valued key reduces to the operator',
    doc([
      {
        Effect: 'Allow',
        Principal: '*',
        Action: '*',
        Resource: '*',
        Condition: { 'ForAnyValue:StringLike': { 'aws:SourceVpce': 'vpce-0s3*' } },
      },
    ]),
    request('s3:GetObject', LAYERS),
    'allow',
  ],
  [
    'an operator it does not evaluate is undecidable, naming the key',
    doc([
      {
        Effect: 'Allow',
        Principal: '*',
        Action: '*',
        Resource: '*',
        Condition: { NumericLessThan: { 'aws:SourceVpce': '3' } },
      },
    ]),
    request('s3:GetObject', LAYERS),
    { undecidable: 'aws:SourceVpce' },
  ],
  [
    'a policy variable in a 2012-10-17 Resource is undecidable',
    doc([
      { Effect: 'Allow', Principal: '*', Action: '*', Resource: `arn:aws:s3:::home/${USERNAME_VARIABLE}/*` },
    ]),
    request('s3:GetObject', 'arn:aws:s3:::home/*'),
    { undecidable: USERNAME_VARIABLE },
  ],
  [
    'a service principal does not admit a configured IAM caller',
    doc([{ Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: '*', Resource: '*' }]),
    request('s3:GetObject', LAYERS, { principal: { account: '111122223333' } }),
    'implicit-deny',
  ],
  [
    'on a gateway endpoint an account principal admits only its root user',
    doc([{ Effect: 'Allow', Principal: { AWS: '111122223333' }, Action: '*', Resource: '*' }]),
    request('s3:GetObject', LAYERS, {
      gateway: true,
      principal: { arn: 'arn:aws:iam::111122223333:role/app' },
    }),
    'implicit-deny',
  ],
  [
    'on an interface endpoint an account principal admits its roles',
    doc([
      { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: '*', Resource: '*' },
    ]),
    request('s3:GetObject', LAYERS, { principal: { arn: 'arn:aws:iam::111122223333:role/app' } }),
    'allow',
  ],
  [
    'a single Statement object is read like a list of one',
    JSON.stringify({ Statement: { Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' } }),
    request('s3:GetObject', LAYERS),
    'allow',
  ],
];

describe('evaluatePolicyDocument over AWS documentation shapes', () => {
  for (const [name, policy, req, expected] of CASES) {
    it(name, () => check(evaluatePolicyDocument(policy, req), expected, name));
  }
});

describe('allowsNothing and isFullAccess', () => {
  const parse = (text: string) => {
    const parsed = parsePolicy(text);
    if (!parsed.ok) assert.fail(parsed.reason);
    return parsed.policy;
  };
  it('finds the deny-all statement', () => {
    assert.deepEqual(allowsNothing(parse(DENY_ALL)), {
      nothing: true,
      statement: { index: 0, sid: 'DenyAll' },
    });
  });
  it('finds a policy whose only Allow is NotAction "*"', () => {
    const policy = parse(doc([{ Effect: 'Allow', Principal: '*', NotAction: '*', Resource: '*' }]));
    assert.deepEqual(allowsNothing(policy), { nothing: true });
  });
  it('does not call a conditional deny-all "nothing"', () => {
    assert.deepEqual(allowsNothing(parse(TAG_DENY)), { nothing: false });
  });
  it('knows the default policy, and that a restricted one is not it', () => {
    assert.equal(isFullAccess(parse(DEFAULT)), true);
    assert.equal(isFullAccess(parse(ONE_BUCKET)), false);
    assert.equal(isFullAccess(parse(SOURCE_VPCE)), false);
  });
});

describe('hostile and malformed documents are malformed, never a crash or a hang', () => {
  const bad: Array<[string, unknown, RegExp]> = [
    ['over the 20,480-character limit', DEFAULT + ' '.repeat(MAX_POLICY_CHARS), /over AWS's limit of 20480/],
    ['not JSON', '{"Statement": [', /not valid JSON/],
    ['not a string', 42, /not a JSON string/],
    ['a JSON array', '[]', /an array, not an object/],
    [
      'deeply nested arrays',
      `{"Statement":${'['.repeat(9000)}${']'.repeat(9000)}}`,
      /Statement\[0\] is an array/,
    ],
    ['deeply nested objects', `${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}`, /unknown element "a"/],
    ['an unknown top-level element', '{"Statement":[],"Evil":1}', /unknown element "Evil"/],
    ['no Statement', '{"Version":"2012-10-17"}', /no Statement/],
    [
      'an unknown Version',
      doc([{ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' }], '2020-01-01'),
      /Version is "2020-01-01"/,
    ],
    [
      'an Effect other than Allow or Deny',
      doc([{ Effect: 'Maybe', Principal: '*', Action: '*', Resource: '*' }]),
      /Effect is "Maybe"/,
    ],
    [
      'a numeric Effect',
      doc([{ Effect: 1, Principal: '*', Action: '*', Resource: '*' }]),
      /Effect is a number/,
    ],
    [
      'both Action and NotAction',
      doc([{ Effect: 'Allow', Principal: '*', Action: '*', NotAction: 's3:*', Resource: '*' }]),
      /both Action and NotAction/,
    ],
    ['no Principal', doc([{ Effect: 'Allow', Action: '*', Resource: '*' }]), /no Principal/],
    [
      'a non-string action',
      doc([{ Effect: 'Allow', Principal: '*', Action: [1], Resource: '*' }]),
      /Action\[0\] is a number/,
    ],
    [
      'an object as a condition value',
      doc([
        {
          Effect: 'Allow',
          Principal: '*',
          Action: '*',
          Resource: '*',
          Condition: { StringEquals: { k: { x: 1 } } },
        },
      ]),
      /is an object/,
    ],
    [
      'a __proto__ statement element',
      '{"Statement":[{"__proto__":{"Effect":"Allow"},"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}',
      /unknown element "__proto__"/,
    ],
    [
      'a __proto__ principal kind',
      doc([{ Effect: 'Allow', Principal: JSON.parse('{"__proto__":"x"}'), Action: '*', Resource: '*' }]),
      /__proto__/,
    ],
    [
      'ten thousand empty statements',
      `{"Statement":[${Array(6000).fill('{}').join(',')}]}`,
      /more than 1200|Statement\[0\]/,
    ],
  ];
  for (const [name, document, reason] of bad) {
    it(name, () =>
      check(evaluatePolicyDocument(document, request('s3:GetObject', LAYERS)), { malformed: reason }, name),
    );
  }

  it('a __proto__ condition operator is undecidable, not a crash', () => {
    const policy =
      '{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"__proto__":{"aws:SourceVpce":"x"}}}]}';
    check(
      evaluatePolicyDocument(policy, request('s3:GetObject', LAYERS)),
      { undecidable: 'aws:SourceVpce' },
      'proto',
    );
    const ctor =
      '{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"constructor":{"aws:SourceVpce":"x"}}}]}';
    check(
      evaluatePolicyDocument(ctor, request('s3:GetObject', LAYERS)),
      { undecidable: 'aws:SourceVpce' },
      'constructor',
    );
  });

  it('pathological wildcards finish within the work bound', () => {
    // Many stars against a long name that almost matches: exponential for a naive matcher.
    const pattern = `arn:aws:s3:::${'*a'.repeat(2000)}b`;
    const policy = doc([
      { Effect: 'Allow', Principal: '*', Action: '*', Resource: [pattern, pattern, pattern] },
    ]);
    assert.ok(policy.length <= MAX_POLICY_CHARS);
    const started = Date.now();
    const decision = evaluatePolicyDocument(
      policy,
      request('s3:GetObject', `arn:aws:s3:::${'a'.repeat(1000)}`),
    );
    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
    assert.ok(['implicit-deny', 'malformed'].includes(decision.decision), JSON.stringify(decision));
  });

  it('a huge string value inside the limit is read, not choked on', () => {
    const policy = doc([
      { Sid: 'x'.repeat(19_000), Effect: 'Deny', Principal: '*', Action: '*', Resource: '*' },
    ]);
    const decision = evaluatePolicyDocument(policy, request('s3:GetObject', LAYERS));
    assert.equal(decision.decision, 'explicit-deny');
  });
});
