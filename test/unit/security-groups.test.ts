import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkSecurityGroups } from '../../checks/security-groups.js';
import { evaluateEgress, evaluateIngress } from '../../src/eval/security-groups.js';
import type { Finding } from '../../src/model.js';
import { byId, gap, input, prefixLists, resolved, securityGroups, target } from '../fixtures/ec2/load.js';

const sg = (id: string) => byId(securityGroups, 'GroupId', id);

function only(findings: Finding[], code: string): Finding {
  const hits = findings.filter((f) => f.code === code);
  assert.equal(hits.length, 1, `expected one ${code} in ${JSON.stringify(findings.map((f) => f.code))}`);
  return hits[0]!;
}

function assertFixOnNonPass(findings: Finding[]) {
  for (const finding of findings) {
    if (finding.status === 'pass')
      assert.equal(finding.fix, undefined, `${finding.code} is a pass with a fix`);
    else assert.ok(finding.fix && finding.fix.length > 0, `${finding.code} has no fix`);
    assert.equal(finding.check, 'sg');
  }
}

describe('evaluateIngress: ports and protocols', () => {
  const ingress = (groupId: string, port: number, sourceIp = '10.0.1.10') =>
    evaluateIngress([sg(groupId)], { protocol: 'tcp', port, sourceIp, sourceGroupIds: [] }, prefixLists)
      .allowed;
  const cases: Array<[string, number, boolean]> = [
    ['sg-0edge-442', 443, false],
    ['sg-0edge-442', 442, true],
    ['sg-0edge-444', 443, false],
    ['sg-0edge-442-444', 442, true],
    ['sg-0edge-442-444', 443, true],
    ['sg-0edge-442-444', 444, true],
    ['sg-0edge-442-444', 445, false],
    ['sg-0edge-442-444', 441, false],
    ['sg-0edge-full', 443, true],
    ['sg-0edge-full', 0, true],
    ['sg-0edge-full', 65535, true],
    ['sg-0edge-minus1', 443, true],
    ['sg-0edge-all', 443, true],
    ['sg-0edge-udp', 443, false],
    ['sg-0edge-6', 443, true],
  ];
  for (const [groupId, port, allowed] of cases) {
    test(`${groupId} ${allowed ? 'allows' : 'does not allow'} tcp/${port} from 10.0.1.10`, () => {
      assert.equal(ingress(groupId, port), allowed);
    });
  }

  test('a CIDR rule does not match a source outside it', () => {
    assert.equal(ingress('sg-0edge-6', 443, '10.0.1.11'), false);
    assert.equal(ingress('sg-0edge-all', 443, '11.0.0.1'), false);
  });

  test('a group reference matches only when the source carries that group', () => {
    const query = { protocol: 'tcp' as const, port: 443, sourceIp: '10.0.1.10' };
    const withGroup = evaluateIngress(
      [sg('sg-0ep-ref')],
      { ...query, sourceGroupIds: ['sg-0app'] },
      prefixLists,
    );
    assert.equal(withGroup.allowed, true);
    assert.equal(withGroup.matchedRule?.text, 'tcp/443 from sg-0app');
    assert.equal(withGroup.group?.GroupId, 'sg-0ep-ref');
    const without = evaluateIngress(
      [sg('sg-0ep-ref')],
      { ...query, sourceGroupIds: ['sg-0other'] },
      prefixLists,
    );
    assert.equal(without.allowed, false);
  });

  test('any allowing group of several allows (security groups are allow-only)', () => {
    const query = { protocol: 'tcp' as const, port: 443, sourceIp: '10.0.1.10', sourceGroupIds: [] };
    assert.equal(
      evaluateIngress([sg('sg-0edge-442'), sg('sg-0edge-full')], query, prefixLists).allowed,
      true,
    );
  });
});

describe('evaluateEgress: prefix lists and group references', () => {
  const strict = [sg('sg-0app-strict')];
  test('a rule naming the S3 prefix list allows an address inside one of its CIDRs', () => {
    const decision = evaluateEgress(
      strict,
      { protocol: 'tcp', port: 443, destIp: '52.217.1.1', destGroupIds: [] },
      prefixLists,
    );
    assert.equal(decision.allowed, true);
    assert.deepEqual(decision.matchedRule?.peer, {
      kind: 'prefix-list',
      prefixListId: 'pl-63a5400a',
      cidr: '52.216.0.0/15',
    });
  });

  test('the same rule does not allow an address outside the prefix list', () => {
    const decision = evaluateEgress(
      strict,
      { protocol: 'tcp', port: 443, destIp: '8.8.8.8', destGroupIds: [] },
      prefixLists,
    );
    assert.equal(decision.allowed, false);
  });

  test('an unknown prefix list leaves the decision open instead of silently denying', () => {
    const decision = evaluateEgress(
      strict,
      { protocol: 'tcp', port: 443, destIp: '52.217.1.1', destGroupIds: [] },
      [],
    );
    assert.equal(decision.allowed, false);
    assert.deepEqual(decision.unresolvedPrefixLists, ['pl-63a5400a']);
  });

  test('a rule referencing the endpoint group allows egress to that ENI', () => {
    const decision = evaluateEgress(
      strict,
      { protocol: 'tcp', port: 443, destIp: '10.0.11.23', destGroupIds: ['sg-0ep-ref'] },
      prefixLists,
    );
    assert.equal(decision.allowed, true);
    assert.equal(decision.matchedRule?.text, 'tcp/443 to sg-0ep-ref');
  });
});

describe('checkSecurityGroups', () => {
  test('passes when agent egress and endpoint ingress both allow, via group references', () => {
    const findings = checkSecurityGroups(
      input(target('secretsmanager', 'vpce-0sm'), { context: { securityGroupIds: ['sg-0app-strict'] } }),
    );
    const ok = only(findings, 'SG_OK');
    assert.equal(ok.status, 'pass');
    assert.match(ok.message, /sg-0app-strict/);
    assert.match(ok.message, /sg-0ep-ref/);
    assertFixOnNonPass(findings);
  });

  test('uses the endpoint Groups, not the default group moto lists on the ENI', () => {
    const findings = checkSecurityGroups(input(target('ecr.dkr', 'vpce-0ecr')));
    const denied = only(findings, 'SG_ENDPOINT_INGRESS_DENIED');
    assert.equal(denied.status, 'fail');
    assert.match(denied.message, /sg-0ep-cidr on vpce-0ecr/);
    assert.match(denied.message, /10\.9\.0\.0\/16/);
    assert.match(denied.message, /10\.0\.1\.10 \(sg-0app\)/);
    assert.equal(
      denied.fix,
      'aws ec2 authorize-security-group-ingress --group-id sg-0ep-cidr --protocol tcp --port 443 --source-group sg-0app',
    );
    assert.equal(
      findings.some((f) => f.code === 'SG_AGENT_EGRESS_DENIED'),
      false,
    );
  });

  test('reports agent egress denied when the agent group allows only the other endpoint group', () => {
    const findings = checkSecurityGroups(
      input(target('ecr.dkr', 'vpce-0ecr'), { context: { securityGroupIds: ['sg-0app-strict'] } }),
    );
    const denied = only(findings, 'SG_AGENT_EGRESS_DENIED');
    assert.match(denied.message, /10\.0\.11\.31:443/);
    assert.match(
      denied.fix!,
      /authorize-security-group-egress --group-id sg-0app-strict --protocol tcp --port 443 --source-group sg-0ep-cidr/,
    );
    assertFixOnNonPass(findings);
  });

  test('gateway targets check agent egress only, to the resolved addresses', () => {
    const s3 = target('s3', 'vpce-0s3gw');
    const ok = checkSecurityGroups(
      input(s3, {
        context: { securityGroupIds: ['sg-0app-strict'] },
        observations: resolved(['52.216.4.1']),
      }),
    );
    assert.equal(only(ok, 'SG_OK').status, 'pass');
    const denied = checkSecurityGroups(
      input(s3, { context: { securityGroupIds: ['sg-0edge-442'] }, observations: resolved(['52.216.4.1']) }),
    );
    const finding = only(denied, 'SG_AGENT_EGRESS_DENIED');
    assert.match(finding.fix!, /PrefixListId=pl-63a5400a/);
    assert.equal(
      denied.some((f) => f.code === 'SG_ENDPOINT_INGRESS_DENIED'),
      false,
    );
  });

  test('gateway targets without resolved addresses are judged over every prefix-list entry', () => {
    const findings = checkSecurityGroups(
      input(target('s3', 'vpce-0s3gw'), { context: { securityGroupIds: ['sg-0app-strict'] } }),
    );
    const ok = only(findings, 'SG_OK');
    assert.equal((ok.evidence['flows'] as unknown[]).length, 4);
  });

  test('answers unknown naming ec2:DescribeSecurityGroups when groups are a gap', () => {
    const findings = checkSecurityGroups(
      input(target('secretsmanager', 'vpce-0sm'), {
        inventory: { securityGroups: { ok: false, gap: gap('DescribeSecurityGroups') } },
      }),
    );
    assert.equal(findings.length, 1);
    assert.equal(findings[0]!.status, 'unknown');
    assert.match(findings[0]!.message, /ec2:DescribeSecurityGroups/);
  });

  test('never passes a flow that only an unread prefix list could allow, even when prefix lists loaded', () => {
    const findings = checkSecurityGroups(
      input(target('s3', 'vpce-0s3gw'), {
        context: { securityGroupIds: ['sg-0app-strict'] },
        observations: resolved(['52.216.4.1']),
        inventory: { prefixLists: { ok: true, value: [] } },
      }),
    );
    assert.deepEqual(
      findings.map((f) => [f.code, f.status]),
      [['SG_UNKNOWN', 'unknown']],
    );
    assert.match(findings[0]!.message, /pl-63a5400a/);
    assert.match(findings[0]!.fix!, /describe-managed-prefix-lists --prefix-list-ids pl-63a5400a/);
  });

  test('answers unknown when a rule needs a prefix list whose entries are a gap', () => {
    const findings = checkSecurityGroups(
      input(target('s3', 'vpce-0s3gw'), {
        context: { securityGroupIds: ['sg-0app-strict'] },
        observations: resolved(['52.216.4.1']),
        inventory: { prefixLists: { ok: false, gap: gap('DescribePrefixLists') } },
      }),
    );
    assert.deepEqual(
      findings.map((f) => [f.code, f.status]),
      [['SG_UNKNOWN', 'unknown']],
    );
    assert.match(findings[0]!.message, /ec2:DescribePrefixLists/);
  });
});

describe('checkSecurityGroups: the agent security groups are not known', () => {
  // Context from the environment without VPCE_DOCTOR_SECURITY_GROUP_IDS, or a discovery that
  // could not read the agent's ENI: the list is empty because nothing was read.
  const unknownGroups = { securityGroupIds: [] as string[] };
  /** The fixture groups, with sg-0ep-ref also admitting the VPC's CIDR (a common mixed rule set). */
  const withVpcCidr = securityGroups.map((group) =>
    group.GroupId === 'sg-0ep-ref'
      ? {
          ...group,
          IpPermissions: [
            ...(group.IpPermissions ?? []),
            { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '10.0.0.0/16' }] },
          ],
        }
      : group,
  );

  const cases: Array<{
    name: string;
    target: ReturnType<typeof target>;
    inventory?: NonNullable<Parameters<typeof input>[1]>['inventory'];
    observations?: ReturnType<typeof resolved>;
    codes: Array<[string, string]>;
    ingress: Array<boolean | null>;
  }> = [
    {
      name: 'endpoint ingress by group reference only: egress and ingress both unknown',
      target: target('secretsmanager', 'vpce-0sm'),
      codes: [['SG_UNKNOWN', 'unknown']],
      ingress: [false, false],
    },
    {
      name: 'endpoint ingress by a CIDR holding the agent: ingress allowed, egress unknown',
      target: target('secretsmanager', 'vpce-0sm'),
      inventory: { securityGroups: { ok: true, value: withVpcCidr } },
      codes: [['SG_UNKNOWN', 'unknown']],
      ingress: [true, true],
    },
    {
      name: 'endpoint ingress by a CIDR not holding the agent and no group reference: ingress denied',
      target: target('ecr.dkr', 'vpce-0ecr'),
      codes: [
        ['SG_UNKNOWN', 'unknown'],
        ['SG_ENDPOINT_INGRESS_DENIED', 'fail'],
      ],
      ingress: [false, false],
    },
    {
      name: 'gateway service: egress unknown, nothing else to judge',
      target: target('s3', 'vpce-0s3gw'),
      observations: resolved(['52.216.4.1']),
      codes: [['SG_UNKNOWN', 'unknown']],
      ingress: [null],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const findings = checkSecurityGroups(
        input(c.target, {
          context: unknownGroups,
          ...(c.inventory ? { inventory: c.inventory } : {}),
          ...(c.observations ? { observations: c.observations } : {}),
        }),
      );
      assert.deepEqual(
        findings.map((f) => [f.code, f.status]),
        c.codes,
      );
      assert.equal(
        findings.some((f) => f.code === 'SG_AGENT_EGRESS_DENIED'),
        false,
      );
      const unknown = only(findings, 'SG_UNKNOWN');
      assert.match(unknown.message, /security groups of 10\.0\.1\.10 are not known/);
      assert.match(unknown.fix!, /VPCE_DOCTOR_SECURITY_GROUP_IDS=sg-/);
      assert.match(unknown.fix!, /ec2:DescribeNetworkInterfaces/);
      const flows = unknown.evidence['flows'] as Array<{
        egress: unknown;
        ingress: { allowed: boolean } | null;
      }>;
      assert.ok(flows.every((flow) => flow.egress === null));
      assert.deepEqual(
        flows.map((flow) => (flow.ingress === null ? null : flow.ingress.allowed)),
        c.ingress,
      );
      assertFixOnNonPass(findings);
    });
  }

  test('says which endpoint ingress it cannot decide, and which rule admits the agent when one does', () => {
    const open = only(
      checkSecurityGroups(input(target('secretsmanager', 'vpce-0sm'), { context: unknownGroups })),
      'SG_UNKNOWN',
    );
    assert.match(open.message, /nor sg-0ep-ref ingress/);
    const admitted = only(
      checkSecurityGroups(
        input(target('secretsmanager', 'vpce-0sm'), {
          context: unknownGroups,
          inventory: { securityGroups: { ok: true, value: withVpcCidr } },
        }),
      ),
      'SG_UNKNOWN',
    );
    assert.match(admitted.message, /sg-0ep-ref admits it without them \(tcp\/443 from 10\.0\.0\.0\/16\)/);
  });

  test('an ingress denied for want of the agent groups names the address as the source to admit', () => {
    const findings = checkSecurityGroups(input(target('ecr.dkr', 'vpce-0ecr'), { context: unknownGroups }));
    assert.match(
      only(findings, 'SG_ENDPOINT_INGRESS_DENIED').fix!,
      /--group-id sg-0ep-cidr --protocol tcp --port 443 --cidr 10\.0\.1\.10\/32/,
    );
  });
});
