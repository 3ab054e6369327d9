// IAM fixes only where an Allow in the agent's role can lift the denial: the sentence AWS returns
// (IAM User Guide, "Troubleshooting access denied error messages") names the layer that denied,
// and an explicit Deny, or a layer above the role that allows nothing, is changed where it is
// written. Texts as AWS sends them, redacted as the inventory keeps them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkNacl } from '../../checks/nacl.js';
import { redactAwsText } from '../../src/aws/errors.js';
import { findingForGap } from '../../src/aws/gap-findings.js';
import { buildFixes } from '../../src/fixes/index.js';
import type { Gap } from '../../src/model.js';
import { context, input, target } from '../fixtures/ec2/load.js';

const ROLE = 'arn:aws:sts::111122223333:assumed-role/vpce-doctor-task/4f0c1a';
const denied = (tail: string) =>
  `User: ${ROLE} is not authorized to perform: ec2:DescribeRouteTables ${tail}`.trimEnd();

/** [case, AWS's message, whether a role Allow is proposed, the layer the finding must name]. */
const CASES: Array<[string, string, boolean, RegExp | undefined]> = [
  [
    'no identity-based policy allows',
    denied('because no identity-based policy allows the ec2:DescribeRouteTables action'),
    true,
    undefined,
  ],
  ['EC2 without a layer', 'You are not authorized to perform this operation.', true, undefined],
  [
    'explicit deny in an identity-based policy',
    denied('with an explicit deny in an identity-based policy'),
    false,
    /explicit deny in the caller's identity-based policy/,
  ],
  [
    'explicit deny in a service control policy',
    denied('with an explicit deny in a service control policy'),
    false,
    /explicit deny in a service control policy/,
  ],
  [
    'explicit deny in a resource control policy',
    denied('with an explicit deny in a resource control policy'),
    false,
    /explicit deny in a resource control policy/,
  ],
  [
    'explicit deny in a VPC endpoint policy',
    denied('with an explicit deny in a VPC endpoint policy'),
    false,
    /explicit deny in the VPC endpoint policy/,
  ],
  [
    'explicit deny in a permissions boundary',
    denied('with an explicit deny in a permissions boundary'),
    false,
    /explicit deny in the caller's permissions boundary/,
  ],
  [
    'no VPC endpoint policy allows',
    denied('because no VPC endpoint policy allows the ec2:DescribeRouteTables action'),
    false,
    /no Allow in the VPC endpoint policy/,
  ],
  [
    'no permissions boundary allows',
    denied('because no permissions boundary allows the ec2:DescribeRouteTables action'),
    false,
    /no Allow in the caller's permissions boundary/,
  ],
  [
    'no service control policy allows',
    denied('because no service control policy allows the ec2:DescribeRouteTables action'),
    false,
    /no Allow in a service control policy/,
  ],
];

const gapOf = (message: string): Gap => ({
  call: 'DescribeRouteTables',
  action: 'ec2:DescribeRouteTables',
  kind: 'permission',
  errorCode: 'UnauthorizedOperation',
  message: redactAwsText(message),
});

describe('IAM fixes follow the layer AWS named', () => {
  for (const [name, message, allow, layer] of CASES) {
    it(`${name}: ${allow ? 'an Allow in the role policy' : 'no role Allow; the finding names the layer'}`, () => {
      const finding = findingForGap(gapOf(message), ['routeTables'], ['route'], 'vpc-0a1b in us-east-1');
      const fixes = buildFixes(finding, { context: context() });
      if (allow) {
        assert.match(fixes?.terraform ?? '', /aws_iam_role_policy/);
        assert.match(finding.message, /the agent's role lacks ec2:DescribeRouteTables/);
        return;
      }
      assert.equal(fixes, undefined, 'no IAM snippet: an Allow cannot lift it');
      assert.doesNotMatch(finding.message, /lacks/);
      assert.match(finding.message, layer!);
      assert.doesNotMatch(finding.fix ?? '', /^Allow /);
      assert.match(finding.fix ?? '', /cannot/);
    });
  }

  it('a check left unknown by a call an SCP denies gets no role Allow either', () => {
    const scp = gapOf(denied('with an explicit deny in a service control policy'));
    const i = input(target('secretsmanager', 'vpce-0sm'), {
      inventory: { networkAcls: { ok: false, gap: scp } },
    });
    const finding = checkNacl(i)[0]!;
    assert.equal(finding.status, 'unknown');
    assert.equal(buildFixes(finding, { context: i.context }), undefined);
    assert.match(finding.fix ?? '', /^change a service control policy .*cannot override an explicit deny/);
    const plain = input(target('secretsmanager', 'vpce-0sm'), {
      inventory: {
        networkAcls: { ok: false, gap: gapOf('You are not authorized to perform this operation.') },
      },
    });
    const lacking = checkNacl(plain)[0]!;
    assert.ok(buildFixes(lacking, { context: plain.context })?.terraform);
    assert.match(lacking.fix ?? '', /^allow ec2:DescribeRouteTables in the agent's IAM policy/);
  });

  it('the Terraform snippet declares no variable block: two pasted together do not clash', () => {
    const finding = findingForGap(gapOf(CASES[0]![1]), ['routeTables'], ['route']);
    const terraform = buildFixes(finding, { context: context() })?.terraform ?? '';
    assert.doesNotMatch(terraform, /^variable /m);
    assert.match(terraform, /^# .*variable "agent_role_name"/m);
  });
});
