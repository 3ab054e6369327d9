// checks/endpoint-policy.ts over the recorded describe-vpc-endpoints fixture, with the policies
// swapped for AWS-documented shapes: what the workload's profile needs, what the policy refuses,
// and the statement the fix adds.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { VpcEndpoint } from '@aws-sdk/client-ec2';
import { checkEndpointPolicy } from '../../checks/endpoint-policy.js';
import type { Finding, Target } from '../../src/model.js';
import { POLICY_NEEDS, policyNeeds } from '../../src/policy-needs.js';
import { PROFILES } from '../../src/profiles.js';
import { endpoints, gap, input, target } from '../fixtures/ec2/load.js';
import { TEAM_BUCKET_ONLY as TEAM_BUCKET_POLICY } from '../fixtures/policies.js';

const TEAM_BUCKET_ONLY = JSON.stringify(TEAM_BUCKET_POLICY);
const DENY_ALL = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Sid: 'DenyAll', Effect: 'Deny', Principal: '*', Action: '*', Resource: '*' }],
});

/** The fixture's endpoints with one endpoint's PolicyDocument replaced (undefined: none returned). */
function withPolicy(endpointId: string, policy: string | undefined): { ok: true; value: VpcEndpoint[] } {
  return {
    ok: true,
    value: endpoints.map((e) => {
      if (e.VpcEndpointId !== endpointId) return e;
      const { PolicyDocument: _drop, ...rest } = e;
      return policy === undefined ? rest : { ...rest, PolicyDocument: policy };
    }),
  };
}

function run(t: Target, policy: string | undefined, accountId?: string): Finding[] {
  return checkEndpointPolicy(
    input(t, {
      inventory: { endpoints: withPolicy(t.endpointId!, policy) },
      ...(accountId ? { context: { accountId } } : {}),
    }),
  );
}

const s3 = (profiles: string[] = ['ecs-fargate'], extra: Partial<Target> = {}) =>
  target('s3', 'vpce-0s3gw', { profiles, origin: ['discovered', 'profile'], ...extra });

describe('checkEndpointPolicy', () => {
  it('fails the S3 gateway policy that admits only the team bucket under ecs-fargate, naming the ECR layer bucket and the statement to add', () => {
    const findings = run(s3(), TEAM_BUCKET_ONLY);
    assert.deepEqual(
      findings.map((f) => [f.code, f.status]),
      [['ENDPOINT_POLICY_DENIES', 'fail']],
    );
    const [denies] = findings;
    assert.match(denies!.message, /vpce-0s3gw/);
    assert.match(
      denies!.message,
      /s3:GetObject on arn:aws:s3:::prod-us-east-1-starport-layer-bucket\/\* \(profile ecs-fargate: ECR image layers\): no statement allows it/,
    );
    assert.match(
      denies!.fix!,
      /"Effect":"Allow","Principal":"\*","Action":"s3:GetObject","Resource":"arn:aws:s3:::prod-us-east-1-starport-layer-bucket\/\*"/,
    );
    assert.match(
      denies!.fix!,
      /aws ec2 modify-vpc-endpoint --vpc-endpoint-id vpce-0s3gw --policy-document file:\/\/policy.json/,
    );
    assert.deepEqual(denies!.evidence['denied'], [
      {
        action: 's3:GetObject',
        resource: 'arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*',
        source: 'profile ecs-fargate: ECR image layers',
        decision: 'implicit-deny',
      },
    ]);
  });

  it('names the Deny statement of a deny-all policy: ALLOWS_NOTHING, with the reset command', () => {
    const findings = run(target('ecr.dkr', 'vpce-0ecr', { profiles: ['ecs-fargate'] }), DENY_ALL);
    assert.deepEqual(
      findings.map((f) => [f.code, f.status]),
      [['ENDPOINT_POLICY_ALLOWS_NOTHING', 'fail']],
    );
    assert.match(findings[0]!.message, /Sid "DenyAll" denies every action/);
    assert.match(findings[0]!.fix!, /--vpc-endpoint-id vpce-0ecr --reset-policy/);
    assert.match(findings[0]!.fix!, /ecr:BatchGetImage/);
  });

  it('detects a deny-all policy on a discovered-only target with no calls known', () => {
    const findings = run(target('kms', 'vpce-0kms'), DENY_ALL);
    assert.equal(findings[0]!.code, 'ENDPOINT_POLICY_ALLOWS_NOTHING');
    assert.deepEqual(findings[0]!.evidence['needsEvaluated'], []);
  });

  it('passes the default full-access policy, listing the calls evaluated', () => {
    const findings = run(
      target('ecr.dkr', 'vpce-0ecr', { profiles: ['ecs-fargate'] }),
      endpoints[1]!.PolicyDocument,
    );
    assert.deepEqual(
      findings.map((f) => [f.code, f.status]),
      [['ENDPOINT_POLICY_OK', 'pass']],
    );
    const evaluated = findings[0]!.evidence['needsEvaluated'] as Array<{ action: string; decision: string }>;
    assert.deepEqual(
      evaluated.map((e) => [e.action, e.decision]),
      [
        ['ecr:BatchGetImage', 'allow'],
        ['ecr:GetDownloadUrlForLayer', 'allow'],
      ],
    );
  });

  it('says info for a written policy that admits what is required', () => {
    const layers = JSON.stringify({
      Statement: [
        {
          Sid: 'Access-to-specific-bucket-only',
          Principal: '*',
          Action: ['s3:GetObject'],
          Effect: 'Allow',
          Resource: ['arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*'],
        },
      ],
    });
    const findings = run(s3(), layers);
    assert.deepEqual(
      findings.map((f) => [f.code, f.status]),
      [['ENDPOINT_POLICY_OK', 'info']],
    );
  });

  it('is unknown, naming the key, for a condition it cannot know', () => {
    const org = JSON.stringify({
      Statement: [
        {
          Effect: 'Allow',
          Principal: '*',
          Action: '*',
          Resource: '*',
          Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } },
        },
      ],
    });
    const findings = run(s3(), org);
    assert.deepEqual(
      findings.map((f) => [f.code, f.status]),
      [['ENDPOINT_POLICY_UNDECIDABLE', 'unknown']],
    );
    assert.match(findings[0]!.message, /aws:PrincipalOrgID/);
  });

  it('decides a principal-restricted statement once the configuration names the caller', () => {
    const role = 'arn:aws:iam::111122223333:role/app';
    const policy = JSON.stringify({
      Statement: [{ Effect: 'Allow', Principal: { AWS: role }, Action: 'secretsmanager:*', Resource: '*' }],
    });
    const t = target('secretsmanager', 'vpce-0sm', {
      actions: [{ action: 'secretsmanager:GetSecretValue', resource: '*', principal: role }],
    });
    assert.equal(run(t, policy)[0]!.code, 'ENDPOINT_POLICY_OK');
    const unnamed = target('secretsmanager', 'vpce-0sm', {
      actions: [{ action: 'secretsmanager:GetSecretValue', resource: '*' }],
    });
    const findings = run(unnamed, policy);
    assert.equal(findings[0]!.code, 'ENDPOINT_POLICY_UNDECIDABLE');
    assert.equal((findings[0]!.evidence['undecided'] as Array<{ element: string }>)[0]!.element, 'Principal');
  });

  it('is unknown for a malformed or oversized document, never a crash', () => {
    for (const policy of [
      '{"Statement": [',
      `{"Statement":[${'{}'.repeat(1)}], "x": "${'a'.repeat(21_000)}"}`,
    ]) {
      const findings = run(s3(), policy);
      assert.deepEqual(
        findings.map((f) => [f.code, f.status]),
        [['ENDPOINT_POLICY_UNREADABLE', 'unknown']],
      );
    }
  });

  it('is unknown naming the IAM action when the endpoints could not be read', () => {
    const findings = checkEndpointPolicy(
      input(s3(), { inventory: { endpoints: { ok: false, gap: gap('DescribeVpcEndpoints') } } }),
    );
    assert.equal(findings[0]!.code, 'ENDPOINT_POLICY_UNREADABLE');
    assert.equal(findings[0]!.status, 'unknown');
    assert.match(findings[0]!.message, /ec2:DescribeVpcEndpoints was denied/);
  });

  it('reads an endpoint that returns no PolicyDocument as AWS does: full access', () => {
    const findings = run(s3(), undefined);
    assert.deepEqual(
      findings.map((f) => [f.code, f.status]),
      [['ENDPOINT_POLICY_OK', 'pass']],
    );
    assert.equal(findings[0]!.evidence['policyDocument'], null);
  });

  it('judges nothing for a service without an endpoint or an endpoint service of your own', () => {
    assert.deepEqual(run(target('sqs'), undefined), []);
    assert.deepEqual(run(target('vpce-svc-0abc123', 'vpce-0svc'), DENY_ALL), []);
  });

  it('takes the account from the context for same-account resources', () => {
    const t = target('logs', 'vpce-0logs', { profiles: ['ecs-fargate'] });
    const policy = JSON.stringify({
      Statement: [
        {
          Effect: 'Allow',
          Principal: '*',
          Action: 'logs:*',
          Resource: 'arn:aws:logs:us-east-1:111122223333:log-group:*',
        },
      ],
    });
    assert.equal(run(t, policy, '111122223333')[0]!.code, 'ENDPOINT_POLICY_OK');
    // With the account unknown, a statement for one account covers only some of the calls.
    assert.equal(run(t, policy)[0]!.code, 'ENDPOINT_POLICY_UNDECIDABLE');
  });
});

describe('the policy needs table (src/policy-needs.ts)', () => {
  it('names only profiles and services the profiles list', () => {
    for (const [profile, services] of Object.entries(POLICY_NEEDS)) {
      assert.ok(PROFILES[profile], profile);
      for (const service of Object.keys(services)) {
        assert.ok(
          PROFILES[profile]!.services.some((s) => s.shortName === service),
          `${profile} lists ${service}`,
        );
      }
    }
  });

  it('fills REGION and the partition, and keeps ECR repositories open to any account', () => {
    const context = { ...input(s3()).context, region: 'cn-north-1', accountId: '111122223333' };
    const needs = policyNeeds(
      target('ecr.api', undefined, { profiles: ['ecs-fargate', 'eks-nodes'] }),
      context,
    );
    assert.deepEqual(
      needs.map((n) => `${n.action} ${n.resource}`),
      [
        'ecr:GetAuthorizationToken *',
        'ecr:BatchGetImage arn:aws-cn:ecr:cn-north-1:*:repository/*',
        'ecr:GetDownloadUrlForLayer arn:aws-cn:ecr:cn-north-1:*:repository/*',
      ],
    );
  });

  it('adds configured calls after the profile rows, and ignores names that are not rows', () => {
    const context = input(s3()).context;
    const needs = policyNeeds(
      s3(['ecs-fargate', 'constructor'], {
        shortName: 's3',
        actions: [{ action: 's3:GetObject', resource: 'arn:aws:s3:::team-bucket/*' }],
      }),
      context,
    );
    assert.deepEqual(
      needs.map((n) => n.source),
      ['profile ecs-fargate: ECR image layers', 'configuration'],
    );
    assert.deepEqual(
      policyNeeds(target('constructor', undefined, { profiles: ['ecs-fargate'] }), context),
      [],
    );
  });
});
