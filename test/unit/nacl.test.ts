import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { NetworkAcl, Subnet } from '@aws-sdk/client-ec2';
import { checkNacl } from '../../checks/nacl.js';
import { aclForSubnet, EPHEMERAL_PORTS, evaluateAcl, evaluateAclRange } from '../../src/eval/nacl.js';
import type { ClientKind, Finding } from '../../src/model.js';
import { byId, gap, input, networkAcls, resolved, subnets, target } from '../fixtures/ec2/load.js';

/** ACLs that admit part of an ephemeral range, as describe-network-acls lists them, and their subnets. */
function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/ec2/${name}.json`, import.meta.url), 'utf8')) as T;
}
const ephemeralAcls = fixture<{ NetworkAcls: NetworkAcl[] }>('describe-network-acls-ephemeral').NetworkAcls;
const ephemeralSubnets = fixture<{ Subnets: Subnet[] }>('describe-subnets-ephemeral').Subnets;
/** The base VPC plus those ACLs; with `narrowEndpointAcl`, acl-0epnarrow takes subnet-0ep1b over from the default ACL. */
function ephemeralInventory(narrowEndpointAcl = false) {
  const base = narrowEndpointAcl
    ? networkAcls.map((a) => ({
        ...a,
        Associations: (a.Associations ?? []).filter((x) => x.SubnetId !== 'subnet-0ep1b'),
      }))
    : networkAcls;
  const extra = ephemeralAcls.filter((a) => narrowEndpointAcl || a.NetworkAclId !== 'acl-0epnarrow');
  return {
    networkAcls: { ok: true as const, value: [...base, ...extra] },
    subnets: { ok: true as const, value: [...subnets, ...ephemeralSubnets] },
  };
}

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

  test('a partly admitted ephemeral range warns NACL_EPHEMERAL_PARTIAL naming the dropped ports, not a failure', () => {
    const findings = checkNacl(
      input(target('logs', 'vpce-0logs'), {
        context: { subnetId: 'subnet-0partial', privateIp: '10.0.5.10' },
      }),
    );
    assert.deepEqual(
      findings.map((f) => [f.code, f.status]),
      [['NACL_EPHEMERAL_PARTIAL', 'warn']],
    );
    const partial = findings[0]!;
    assert.match(partial.message, /Linux's default ephemeral range 32768-60999/);
    assert.match(partial.message, /source port falls in 50001-60999/);
    assert.match(partial.message, /intermittent/);
    assert.deepEqual(partial.evidence['droppedPorts'], ['50001-60999']);
    assert.match(
      partial.fix!,
      /replace-network-acl-entry --network-acl-id acl-0partial --ingress --rule-number 100 --protocol tcp --port-range From=32768,To=60999 --cidr-block 0\.0\.0\.0\/0 --rule-action allow/,
    );
    assertFixOnNonPass(findings);
  });

  test("the probe's local port is evidence, never the range judged: one admitted port still warns", () => {
    const findings = checkNacl(
      input(target('logs', 'vpce-0logs'), {
        context: { subnetId: 'subnet-0partial', privateIp: '10.0.5.10' },
        observations: resolved([], { '10.0.12.50': 40000 }),
      }),
    );
    const partial = only(findings, 'NACL_EPHEMERAL_PARTIAL');
    assert.match(partial.message, /the probe drew 40000, in the admitted part/);
    const legs = partial.evidence['legs'] as Array<{
      ports: string;
      probeLocalPort: number | null;
      probeLocalPortAdmitted: boolean | null;
    }>;
    assert.deepEqual(
      legs.map((leg) => [leg.ports, leg.probeLocalPort, leg.probeLocalPortAdmitted]),
      [['32768-60999', 40000, true]],
    );
  });

  test("a probe whose local port fell in the dropped part says so: that is the timeout's explanation", () => {
    const findings = checkNacl(
      input(target('logs', 'vpce-0logs'), {
        context: { subnetId: 'subnet-0partial', privateIp: '10.0.5.10' },
        observations: resolved([], { '10.0.12.50': 55123 }),
      }),
    );
    const partial = only(findings, 'NACL_EPHEMERAL_PARTIAL');
    assert.match(partial.message, /the probe drew 55123, in the dropped part/);
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
    const finding = only(denied, 'NACL_EPHEMERAL_PARTIAL');
    assert.match(finding.message, /return traffic from 52\.216\.4\.1:443/);
    const refused = checkNacl(
      input(s3, {
        context: { subnetId: 'subnet-0ep1a', privateIp: '10.0.11.99' },
        observations: resolved(['52.216.4.1']),
      }),
    );
    const deniedCodes = refused.filter((f) => f.code === 'NACL_AGENT_SUBNET_DENIED');
    assert.deepEqual(
      deniedCodes.map((f) => (f.evidence['legs'] as Array<{ direction: string }>)[0]!.direction),
      ['outbound', 'inbound'],
    );
    for (const f of deniedCodes) assert.match(f.fix!, /--cidr-block 52\.216\.0\.0\/15/);
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

describe('evaluateAclRange: every port of the range, as intervals', () => {
  const range = (id: string, from: number, to: number, cidrIp = '10.0.12.50') =>
    evaluateAclRange(byId(ephemeralAcls, 'NetworkAclId', id), {
      egress: false,
      protocol: 6,
      ports: { from, to },
      cidrIp,
    });
  const dropped = (coverage: ReturnType<typeof evaluateAclRange>) =>
    coverage.denied.map((d) => [d.ports.from, d.ports.to, d.rule.RuleNumber]);

  test('an allow for part of the range leaves the rest to the default deny', () => {
    const coverage = range('acl-0eph45000', 32768, 60999);
    assert.deepEqual(coverage.allowed, [{ from: 32768, to: 45000 }]);
    assert.deepEqual(dropped(coverage), [[45001, 60999, 32767]]);
  });

  test('a lower-numbered deny inside a broader allow cuts a hole (rule order, not specificity)', () => {
    const coverage = range('acl-0ephhole', 1024, 65535);
    assert.deepEqual(coverage.allowed, [
      { from: 1024, to: 49999 },
      { from: 51000, to: 65535 },
    ]);
    assert.deepEqual(dropped(coverage), [[50000, 50999, 90]]);
  });

  test('two adjacent allow rules cover the range as one', () => {
    const coverage = range('acl-0ephsplit', 1024, 65535);
    assert.deepEqual(coverage.allowed, [{ from: 1024, to: 65535 }]);
    assert.deepEqual(coverage.denied, []);
    assert.deepEqual(
      coverage.allowedBy.map((rule) => rule.RuleNumber),
      [100, 110],
    );
  });

  test('a rule whose CIDR does not hold the peer decides nothing', () => {
    const coverage = range('acl-0ephlinux', 32768, 60999, '52.216.4.1');
    assert.deepEqual(coverage.allowed, []);
    assert.deepEqual(dropped(coverage), [[32768, 60999, 32767]]);
  });

  test('evaluateAcl names the lowest-numbered rule that drops part of the range', () => {
    const decision = evaluateAcl(byId(ephemeralAcls, 'NetworkAclId', 'acl-0ephhole'), {
      egress: false,
      protocol: 6,
      ports: { from: 1024, to: 65535 },
      cidrIp: '10.0.12.50',
    });
    assert.equal(decision.allowed, false);
    assert.equal(decision.deniedBy?.RuleNumber, 90);
    assert.deepEqual(decision.deniedPorts, { from: 50000, to: 50999 });
  });
});

describe('the ephemeral range of each client kind', () => {
  test('is the one AWS documents for it', () => {
    const ranges = Object.fromEntries(
      Object.entries(EPHEMERAL_PORTS).map(([kind, { ports }]) => [kind, `${ports.from}-${ports.to}`]),
    );
    assert.deepEqual(ranges, {
      linux: '32768-60999',
      lambda: '1024-65535',
      'nat-gateway': '1024-65535',
      'load-balancer': '1024-65535',
      windows: '49152-65535',
    });
  });
});

describe('checkNacl: the return path over the whole ephemeral range', () => {
  const logs = target('logs', 'vpce-0logs');
  const cases: Array<{
    subnetId: string;
    clientKind?: ClientKind;
    code: string;
    status: string;
    dropped?: string[];
    fix?: RegExp;
  }> = [
    {
      // The case: 32768-45000 admitted, NACL_OK before; 45001-60999 drop intermittently.
      subnetId: 'subnet-0eph45000',
      code: 'NACL_EPHEMERAL_PARTIAL',
      status: 'warn',
      dropped: ['45001-60999'],
      fix: /replace-network-acl-entry --network-acl-id acl-0eph45000 --ingress --rule-number 100 --protocol tcp --port-range From=32768,To=60999 --cidr-block 0\.0\.0\.0\/0 --rule-action allow/,
    },
    {
      subnetId: 'subnet-0eph45000',
      clientKind: 'lambda',
      code: 'NACL_EPHEMERAL_PARTIAL',
      status: 'warn',
      dropped: ['1024-32767', '45001-65535'],
      fix: /--rule-number 100 --protocol tcp --port-range From=1024,To=65535 /,
    },
    { subnetId: 'subnet-0ephlinux', code: 'NACL_OK', status: 'pass' },
    {
      subnetId: 'subnet-0ephlinux',
      clientKind: 'lambda',
      code: 'NACL_EPHEMERAL_PARTIAL',
      status: 'warn',
      dropped: ['1024-32767', '61000-65535'],
      fix: /--port-range From=1024,To=65535 --cidr-block 10\.0\.0\.0\/16 /,
    },
    {
      subnetId: 'subnet-0ephlinux',
      clientKind: 'windows',
      code: 'NACL_EPHEMERAL_PARTIAL',
      status: 'warn',
      dropped: ['61000-65535'],
      fix: /--port-range From=32768,To=65535 /,
    },
    {
      subnetId: 'subnet-0ephhole',
      code: 'NACL_EPHEMERAL_PARTIAL',
      status: 'warn',
      dropped: ['50000-50999'],
      fix: /create-network-acl-entry --network-acl-id acl-0ephhole --ingress --rule-number 89 --protocol tcp --port-range From=50000,To=50999 --cidr-block 10\.0\.12\.0\/24 --rule-action allow \(before rule 90\)/,
    },
    {
      subnetId: 'subnet-0ephnone',
      code: 'NACL_AGENT_SUBNET_DENIED',
      status: 'fail',
      fix: /create-network-acl-entry --network-acl-id acl-0ephnone --ingress --rule-number 110 .*From=1024,To=65535/,
    },
    { subnetId: 'subnet-0ephsplit', clientKind: 'lambda', code: 'NACL_OK', status: 'pass' },
    { subnetId: 'subnet-0ephsplit', clientKind: 'windows', code: 'NACL_OK', status: 'pass' },
  ];
  for (const c of cases) {
    test(`${c.subnetId} for a ${c.clientKind ?? 'linux (default)'} client: ${c.code}`, () => {
      const findings = checkNacl(
        input(logs, {
          context: {
            subnetId: c.subnetId,
            privateIp: '10.0.21.10',
            ...(c.clientKind ? { clientKind: c.clientKind } : {}),
          },
          inventory: ephemeralInventory(),
        }),
      );
      assert.deepEqual(
        findings.map((f) => [f.code, f.status]),
        [[c.code, c.status]],
      );
      const finding = findings[0]!;
      if (c.dropped) assert.deepEqual(finding.evidence['droppedPorts'], c.dropped);
      if (c.fix) assert.match(finding.fix!, c.fix);
      assertFixOnNonPass(findings);
    });
  }

  test("the endpoint subnet's ACL letting only part of the return traffic out warns on the endpoint side", () => {
    const findings = checkNacl(input(logs, { inventory: ephemeralInventory(true) }));
    assert.deepEqual(
      findings.map((f) => [f.code, f.status]),
      [['NACL_EPHEMERAL_PARTIAL', 'warn']],
    );
    const partial = findings[0]!;
    assert.match(partial.message, /^acl-0epnarrow \(endpoint subnet-0ep1b\)/);
    assert.deepEqual(partial.evidence['droppedPorts'], ['40001-60999']);
    assert.match(
      partial.fix!,
      /replace-network-acl-entry --network-acl-id acl-0epnarrow --egress --rule-number 100 --protocol tcp --port-range From=32768,To=60999 --cidr-block 10\.0\.0\.0\/16/,
    );
  });

  test('an agent in the endpoint subnet is not judged by that subnet ACL at all', () => {
    const findings = checkNacl(
      input(logs, {
        context: { subnetId: 'subnet-0ep1b', privateIp: '10.0.12.99' },
        inventory: ephemeralInventory(true),
      }),
    );
    const ok = only(findings, 'NACL_OK');
    assert.match(ok.message, /not evaluated/);
  });
});
