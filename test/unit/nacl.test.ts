import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NetworkAcl } from '@aws-sdk/client-ec2';
import { checkNacl } from '../../checks/nacl.js';
import { aclForSubnet, evaluateAcl } from '../../src/eval/nacl.js';
import type { Finding } from '../../src/model.js';
import { byId, gap, input, networkAcls, resolved, target } from '../fixtures/ec2/load.js';

const acl = (id: string) => byId(networkAcls, 'NetworkAclId', id);
const EPHEMERAL = { from: 32768, to: 60999 };

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
    assert.equal(finding.check, 'nacl');
  }
}

describe('aclForSubnet', () => {
  test('finds the ACL the subnet is associated with', () => {
    assert.equal(aclForSubnet(networkAcls, 'subnet-0app')?.NetworkAclId, 'acl-0app');
  });
  test("falls back to the VPC's own default ACL, not another VPC's", () => {
    assert.equal(aclForSubnet(networkAcls, 'subnet-0new', 'vpc-0a1b')?.NetworkAclId, 'acl-0default');
    assert.equal(aclForSubnet(networkAcls, 'subnet-0new', 'vpc-0default')?.NetworkAclId, 'acl-0other');
  });
});

describe('evaluateAcl', () => {
  test('an earlier deny wins over a later allow (rule order, not specificity)', () => {
    const decision = evaluateAcl(acl('acl-0strict'), {
      egress: false,
      protocol: 6,
      ports: EPHEMERAL,
      cidrIp: '10.0.11.23',
    });
    assert.equal(decision.allowed, false);
    assert.equal(decision.deniedBy?.RuleNumber, 90);
    assert.deepEqual(decision.deniedPorts, EPHEMERAL);
  });

  test('the same ACL allows the return traffic from an address outside the denied CIDR', () => {
    const decision = evaluateAcl(acl('acl-0strict'), {
      egress: false,
      protocol: 6,
      ports: EPHEMERAL,
      cidrIp: '52.216.4.1',
    });
    assert.equal(decision.allowed, true);
    assert.deepEqual(
      decision.allowedBy.map((e) => e.RuleNumber),
      [100],
    );
  });

  test('an ephemeral range only partly allowed is denied by the default rule for the rest', () => {
    const decision = evaluateAcl(acl('acl-0partial'), {
      egress: false,
      protocol: 6,
      ports: EPHEMERAL,
      cidrIp: '10.0.12.50',
    });
    assert.equal(decision.allowed, false);
    assert.equal(decision.deniedBy?.RuleNumber, 32767);
    assert.deepEqual(decision.deniedPorts, { from: 50001, to: 60999 });
  });

  test('one observed local port inside the allowed part is allowed', () => {
    const decision = evaluateAcl(acl('acl-0partial'), {
      egress: false,
      protocol: 6,
      ports: { from: 40000, to: 40000 },
      cidrIp: '10.0.12.50',
    });
    assert.equal(decision.allowed, true);
  });

  const edges: Array<[number, boolean]> = [
    [442, false],
    [443, true],
    [444, false],
  ];
  for (const [port, allowed] of edges) {
    test(`acl-0app ${allowed ? 'allows' : 'denies'} outbound tcp ${port} to the internet`, () => {
      const decision = evaluateAcl(acl('acl-0app'), {
        egress: true,
        protocol: 6,
        ports: { from: port, to: port },
        cidrIp: '52.216.4.1',
      });
      assert.equal(decision.allowed, allowed);
      if (!allowed) assert.equal(decision.deniedBy?.RuleNumber, 32767);
    });
  }

  test('a protocol -1 rule allows tcp on every port', () => {
    const decision = evaluateAcl(acl('acl-0default'), {
      egress: false,
      protocol: 6,
      ports: { from: 0, to: 65535 },
      cidrIp: '10.0.1.10',
    });
    assert.equal(decision.allowed, true);
  });

  test('an ACL listed without its 32767 entry still ends in the default deny', () => {
    const bare: NetworkAcl = {
      NetworkAclId: 'acl-0bare',
      Entries: [
        {
          RuleNumber: 100,
          Egress: true,
          Protocol: '6',
          PortRange: { From: 443, To: 443 },
          CidrBlock: '0.0.0.0/0',
          RuleAction: 'allow',
        },
      ],
    };
    const decision = evaluateAcl(bare, { egress: false, protocol: 6, ports: EPHEMERAL, cidrIp: '10.0.1.10' });
    assert.equal(decision.allowed, false);
    assert.equal(decision.deniedBy?.RuleNumber, 32767);
  });
});

describe('checkNacl', () => {
  const sm = target('secretsmanager', 'vpce-0sm');

  test('passes when both subnets allow the request and the return traffic', () => {
    const findings = checkNacl(input(sm));
    const ok = only(findings, 'NACL_OK');
    assert.equal(ok.status, 'pass');
    assert.match(ok.message, /acl-0app/);
    assert.equal((ok.evidence['legs'] as unknown[]).length, 8, 'four legs for each of the two ENIs');
    assertFixOnNonPass(findings);
  });

  test("names the agent subnet's ACL, rule number and direction that drop the return traffic", () => {
    const findings = checkNacl(input(sm, { context: { subnetId: 'subnet-0main', privateIp: '10.0.2.10' } }));
    const denied = only(findings, 'NACL_AGENT_SUBNET_DENIED');
    assert.equal(denied.status, 'fail');
    assert.match(denied.message, /acl-0strict/);
    assert.match(denied.message, /rule 90 denies inbound tcp 1024-65535 from 10\.0\.0\.0\/16/);
    assert.match(denied.message, /return traffic from 10\.0\.11\.23:443 to 10\.0\.2\.10:32768-60999/);
    assert.match(
      denied.fix!,
      /aws ec2 create-network-acl-entry --network-acl-id acl-0strict --ingress --rule-number 89 /,
    );
    assertFixOnNonPass(findings);
  });

  test('a partly denied ephemeral range fails by the default rule and says the range is the Linux default', () => {
    const findings = checkNacl(
      input(target('logs', 'vpce-0logs'), {
        context: { subnetId: 'subnet-0partial', privateIp: '10.0.5.10' },
      }),
    );
    const denied = only(findings, 'NACL_AGENT_SUBNET_DENIED');
    assert.match(denied.message, /rule \* denies inbound/);
    assert.match(denied.message, /Linux default/);
    assert.match(denied.fix!, /--rule-number 110 .*From=1024,To=65535/);
  });

  test("the probe's observed local port replaces the Linux default range", () => {
    const findings = checkNacl(
      input(target('logs', 'vpce-0logs'), {
        context: { subnetId: 'subnet-0partial', privateIp: '10.0.5.10' },
        observations: resolved([], { '10.0.12.50': 40000 }),
      }),
    );
    const ok = only(findings, 'NACL_OK');
    const legs = ok.evidence['legs'] as Array<{ ports: string; ephemeralPorts: string | null }>;
    assert.ok(legs.some((leg) => leg.ports === '40000' && /local port/.test(leg.ephemeralPorts ?? '')));
  });

  test("names the endpoint subnet's ACL when it does not let the return traffic out", () => {
    const findings = checkNacl(
      input(sm, {
        context: { subnetId: 'subnet-0b', privateIp: '10.0.6.10', availabilityZone: 'us-east-1b' },
      }),
    );
    const denied = only(findings, 'NACL_ENDPOINT_SUBNET_DENIED');
    assert.match(denied.message, /acl-0ep \(endpoint subnet-0ep1a\)/);
    assert.match(denied.message, /outbound/);
    assert.match(denied.fix!, /--egress .*--cidr-block 10\.0\.6\.0\/24/);
    assert.equal(
      findings.some((f) => f.code === 'NACL_AGENT_SUBNET_DENIED'),
      false,
    );
  });

  test('is not evaluated between the agent and an ENI in the same subnet', () => {
    const findings = checkNacl(
      input(target('sts', 'vpce-0sts'), { context: { subnetId: 'subnet-0ep1a', privateIp: '10.0.11.99' } }),
    );
    const ok = only(findings, 'NACL_OK');
    assert.match(ok.message, /not evaluated/);
    assert.deepEqual(ok.evidence['skippedSameSubnet'], ['eni-0sts1a 10.0.11.60']);
  });

  test('gateway services are checked in the agent subnet only, with the resolved addresses', () => {
    const s3 = target('s3', 'vpce-0s3gw');
    const ok = checkNacl(
      input(s3, {
        context: { subnetId: 'subnet-0main', privateIp: '10.0.2.10' },
        observations: resolved(['52.216.4.1']),
      }),
    );
    assert.equal(only(ok, 'NACL_OK').status, 'pass');
    const denied = checkNacl(
      input(s3, {
        context: { subnetId: 'subnet-0partial', privateIp: '10.0.5.10' },
        observations: resolved(['52.216.4.1']),
      }),
    );
    const finding = only(denied, 'NACL_AGENT_SUBNET_DENIED');
    assert.match(finding.fix!, /--cidr-block 52\.216\.0\.0\/15/);
  });

  test('answers unknown naming ec2:DescribeNetworkAcls when the ACLs are a gap', () => {
    const findings = checkNacl(
      input(sm, { inventory: { networkAcls: { ok: false, gap: gap('DescribeNetworkAcls') } } }),
    );
    assert.deepEqual(
      findings.map((f) => [f.code, f.status]),
      [['NACL_UNKNOWN', 'unknown']],
    );
    assert.match(findings[0]!.message, /ec2:DescribeNetworkAcls/);
  });
});
