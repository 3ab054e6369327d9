// The IPv6 evaluators (src/eval/ipv6-path.ts) as tables over the recorded dual-stack VPC
// (test/fixtures/ec2/ipv6): prefix lengths /0 /56 /64 /128, the first and last address of a
// block and one past each edge, rule order, and the families kept apart.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NetworkAcl, RouteTable, SecurityGroup } from '@aws-sdk/client-ec2';
import {
  decideAcl6,
  describeAclEntry6,
  evaluateAcl6,
  evaluateRoute6,
  evaluateSecurityGroups6,
} from '../../src/eval/ipv6-path.js';
import type { PrefixListInfo } from '../../src/model.js';
import {
  AGENT_BLOCK,
  networkAcls6,
  routeTables6,
  SM_ENI6,
  securityGroups6,
} from '../fixtures/ec2/ipv6/load.js';
import { gap } from '../fixtures/ec2/load.js';

/** A prefix list whose entries could not be read (GetManagedPrefixListEntries denied). */
function unreadList(prefixListId: string): PrefixListInfo {
  return { prefixListId, name: prefixListId, cidrs: [], gap: gap('GetManagedPrefixListEntries') };
}

function group(id: string): SecurityGroup {
  const found = securityGroups6.find((g) => g.GroupId === id);
  if (!found) throw new Error(`no ${id}`);
  return found;
}

function ingressFrom(cidrIpv6: string): SecurityGroup {
  return {
    GroupId: 'sg-table',
    IpPermissions: [
      {
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
        IpRanges: [{ CidrIp: '0.0.0.0/0' }],
        Ipv6Ranges: [{ CidrIpv6: cidrIpv6 }],
      },
    ],
  };
}

describe('security groups over IPv6', () => {
  // [rule block, peer (address or the agent's block), decision]
  const table: Array<[string, string, string]> = [
    ['::/0', '2600:1f18:4e2:ab01::10', 'allowed'],
    ['::/0', AGENT_BLOCK, 'allowed'],
    ['2600:1f18:4e2:ab00::/56', '2600:1f18:4e2:ab00::', 'allowed'], // first address of the /56
    ['2600:1f18:4e2:ab00::/56', '2600:1f18:4e2:abff:ffff:ffff:ffff:ffff', 'allowed'], // last
    ['2600:1f18:4e2:ab00::/56', '2600:1f18:4e2:aaff:ffff:ffff:ffff:ffff', 'denied'], // one before
    ['2600:1f18:4e2:ab00::/56', '2600:1f18:4e2:ac00::', 'denied'], // one past
    ['2600:1f18:4e2:ab00::/56', AGENT_BLOCK, 'allowed'], // the /64 inside the /56
    ['2600:1f18:4e2:ab01::/64', AGENT_BLOCK, 'allowed'],
    ['2600:1f18:4e2:ab02::/64', AGENT_BLOCK, 'denied'], // the neighbouring /64
    ['2600:1f18:4e2:ab01::10/128', '2600:1f18:4e2:ab01::10', 'allowed'],
    ['2600:1f18:4e2:ab01::10/128', '2600:1f18:4e2:ab01::11', 'denied'],
    // A /128 inside the agent's /64: whether it is the agent's address is not known.
    ['2600:1f18:4e2:ab01::10/128', AGENT_BLOCK, 'undecided'],
    ['2600:1f18:4e2:ab01:8000::/65', AGENT_BLOCK, 'undecided'],
  ];
  for (const [rule, peer, decision] of table) {
    test(`a rule from ${rule} decides ${peer}: ${decision}`, () => {
      const result = evaluateSecurityGroups6(
        [ingressFrom(rule)],
        { direction: 'ingress', port: 443, peer, peerGroupIds: [] },
        [],
      );
      assert.equal(result.decision, decision);
    });
  }

  test('an IPv4 rule never admits IPv6: the endpoint group with IpRanges only denies the agent block', () => {
    const result = evaluateSecurityGroups6(
      [group('sg-0ep4')],
      { direction: 'ingress', port: 443, peer: AGENT_BLOCK, peerGroupIds: [] },
      [],
    );
    assert.equal(result.decision, 'denied');
    const dual = evaluateSecurityGroups6(
      [group('sg-0ep6')],
      { direction: 'ingress', port: 443, peer: AGENT_BLOCK, peerGroupIds: [] },
      [],
    );
    assert.equal(dual.decision, 'allowed');
    assert.equal(dual.matchedRule?.text, 'tcp/443 from 2600:1f18:4e2:ab00::/56');
  });

  test('a security-group reference admits the group whatever the family', () => {
    const referencing: SecurityGroup = {
      GroupId: 'sg-ref',
      IpPermissions: [
        { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, UserIdGroupPairs: [{ GroupId: 'sg-0app6' }] },
      ],
    };
    const result = evaluateSecurityGroups6(
      [referencing],
      { direction: 'ingress', port: 443, peer: AGENT_BLOCK, peerGroupIds: ['sg-0app6'] },
      [],
    );
    assert.equal(result.decision, 'allowed');
  });

  test('ports and protocols: -1 admits tcp/443, a port range edge admits its last port, icmpv6 admits nothing', () => {
    const rule = (IpProtocol: string, FromPort?: number, ToPort?: number): SecurityGroup => ({
      GroupId: 'sg-p',
      IpPermissionsEgress: [
        {
          IpProtocol,
          ...(FromPort !== undefined ? { FromPort, ToPort } : {}),
          Ipv6Ranges: [{ CidrIpv6: '::/0' }],
        },
      ],
    });
    const egress = (g: SecurityGroup) =>
      evaluateSecurityGroups6([g], { direction: 'egress', port: 443, peer: SM_ENI6, peerGroupIds: [] }, [])
        .decision;
    assert.equal(egress(rule('-1')), 'allowed');
    assert.equal(egress(rule('tcp', 400, 443)), 'allowed');
    assert.equal(egress(rule('tcp', 444, 500)), 'denied');
    assert.equal(egress(rule('58', -1, -1)), 'denied');
    assert.equal(egress(group('sg-0app4')), 'denied', 'IPv4 egress only');
    assert.equal(egress(group('sg-0app6')), 'allowed');
  });

  test('a prefix list: its IPv6 entries decide, its IPv4 entries never do, and an unread list is undecided', () => {
    const withList: SecurityGroup = {
      GroupId: 'sg-pl',
      IpPermissionsEgress: [
        { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, PrefixListIds: [{ PrefixListId: 'pl-0v6' }] },
      ],
    };
    const lists = (cidrs: string[]): PrefixListInfo[] => [{ prefixListId: 'pl-0v6', name: 'corp', cidrs }];
    const egress = (pl: PrefixListInfo[]) =>
      evaluateSecurityGroups6(
        [withList],
        { direction: 'egress', port: 443, peer: SM_ENI6, peerGroupIds: [] },
        pl,
      );
    assert.equal(egress(lists(['2600:1f18:4e2:ab02::/64'])).decision, 'allowed');
    assert.equal(egress(lists(['10.1.0.0/16', '2600:1f18:4e2:ab03::/64'])).decision, 'denied');
    const unread = egress([unreadList('pl-0v6')]);
    assert.equal(unread.decision, 'undecided');
    assert.deepEqual(unread.unresolvedPrefixLists, ['pl-0v6']);
  });
});

describe('network ACLs over IPv6', () => {
  const acl = (id: string): NetworkAcl => networkAcls6.find((a) => a.NetworkAclId === id)!;

  test("the default ACL's IPv6 allow (rule 101) admits both legs; its IPv4 rules play no part", () => {
    for (const egress of [true, false]) {
      const coverage = evaluateAcl6(acl('acl-0d6default'), {
        egress,
        ports: { from: 32768, to: 60999 },
        peer: SM_ENI6,
      });
      assert.equal(decideAcl6(coverage), 'allowed');
      assert.deepEqual(
        coverage.allowedBy.map((e) => e.RuleNumber),
        [101],
      );
    }
  });

  test('an ACL with IPv4 rules only drops IPv6 at its IPv6 default deny, listed as 32768 and shown as *', () => {
    const coverage = evaluateAcl6(acl('acl-0ep6v4rules'), {
      egress: false,
      ports: { from: 443, to: 443 },
      peer: AGENT_BLOCK,
    });
    assert.equal(decideAcl6(coverage), 'denied');
    assert.equal(coverage.denied[0]!.rule.RuleNumber, 32768);
    assert.equal(describeAclEntry6(coverage.denied[0]!.rule), 'rule * deny inbound all traffic from ::/0');
  });

  const entries = (
    first: { action: 'allow' | 'deny'; cidr: string; from?: number; to?: number }[],
  ): NetworkAcl => ({
    NetworkAclId: 'acl-table',
    Entries: first.map((e, i) => ({
      RuleNumber: (i + 1) * 10,
      Egress: false,
      Protocol: '6',
      RuleAction: e.action,
      Ipv6CidrBlock: e.cidr,
      PortRange: { From: e.from ?? 0, To: e.to ?? 65535 },
    })),
  });
  // [entries in rule order, peer, ports, decision]
  const table: Array<[Parameters<typeof entries>[0], string, [number, number], string]> = [
    [[{ action: 'allow', cidr: '::/0' }], AGENT_BLOCK, [443, 443], 'allowed'],
    [
      [
        { action: 'deny', cidr: '2600:1f18:4e2:ab01::/64' },
        { action: 'allow', cidr: '::/0' },
      ],
      AGENT_BLOCK,
      [443, 443],
      'denied',
    ],
    [
      [
        { action: 'deny', cidr: '2600:1f18:4e2:ab02::/64' },
        { action: 'allow', cidr: '::/0' },
      ],
      AGENT_BLOCK,
      [443, 443],
      'allowed',
    ],
    [
      [{ action: 'allow', cidr: '2600:1f18:4e2:ab00::/56' }],
      '2600:1f18:4e2:abff:ffff:ffff:ffff:ffff',
      [443, 443],
      'allowed',
    ],
    [[{ action: 'allow', cidr: '2600:1f18:4e2:ab00::/56' }], '2600:1f18:4e2:ac00::', [443, 443], 'denied'],
    [[{ action: 'allow', cidr: `${SM_ENI6}/128` }], SM_ENI6, [443, 443], 'allowed'],
    [
      [
        { action: 'deny', cidr: '2600:1f18:4e2:ab01::10/128' },
        { action: 'allow', cidr: '::/0' },
      ],
      AGENT_BLOCK,
      [443, 443],
      'undecided',
    ],
    // the return range: an allow that stops one port short leaves the last port to the default deny
    [[{ action: 'allow', cidr: '::/0', from: 32768, to: 60998 }], SM_ENI6, [32768, 60999], 'denied'],
    [[{ action: 'allow', cidr: '::/0', from: 1024, to: 65535 }], SM_ENI6, [32768, 60999], 'allowed'],
  ];
  for (const [rules, peer, [from, to], decision] of table) {
    test(`${rules.map((r) => `${r.action} ${r.cidr} ${r.from ?? 0}-${r.to ?? 65535}`).join(', ')} decides ${peer} ports ${from}-${to}: ${decision}`, () => {
      assert.equal(
        decideAcl6(evaluateAcl6(entries(rules), { egress: false, ports: { from, to }, peer })),
        decision,
      );
    });
  }
});

describe('IPv6 routes', () => {
  const table = routeTables6.find((t) => t.RouteTableId === 'rtb-0app6')!;
  const cases: Array<[string, string, string | undefined]> = [
    [SM_ENI6, 'local', '2600:1f18:4e2:ab00::/56'],
    ['2600:1f18:4e2:ab00::', 'local', '2600:1f18:4e2:ab00::/56'],
    ['2600:1f18:4e2:abff:ffff:ffff:ffff:ffff', 'local', '2600:1f18:4e2:ab00::/56'],
    ['2600:1f18:4e2:ac00::', 'eigw', '::/0'],
    ['2600:1f18:4e2:aaff:ffff:ffff:ffff:ffff', 'eigw', '::/0'],
    ['2600:1f18:9999::1', 'igw', '2600:1f18:9999::/48'], // the /48 beats ::/0
    ['2600:1f18:dead::1', 'blackhole', '2600:1f18:dead::/48'],
    ['10.1.2.15', 'none', undefined], // an IPv4 address is never matched by IPv6 routes
  ];
  for (const [address, kind, cidr] of cases) {
    test(`${address} goes ${kind}${cidr ? ` by ${cidr}` : ''}`, () => {
      const decision = evaluateRoute6(table, address, []);
      assert.equal(decision.kind, kind);
      assert.equal(decision.matchedCidr, cidr);
    });
  }

  test('without ::/0, a public IPv6 address has no route: 0.0.0.0/0 does not carry IPv6', () => {
    const main = routeTables6.find((t) => t.RouteTableId === 'rtb-0d6main')!;
    assert.equal(evaluateRoute6(main, '2600:1f18:4e2:ac00::', []).kind, 'none');
  });

  test('a prefix-list route counts its IPv6 entries; an unread list leaves all but a /128 undecided', () => {
    const withList: RouteTable = {
      RouteTableId: 'rtb-pl',
      Routes: [
        { DestinationIpv6CidrBlock: '::/0', EgressOnlyInternetGatewayId: 'eigw-0d6', State: 'active' },
        { DestinationPrefixListId: 'pl-0s3', GatewayId: 'vpce-0s3gw', State: 'active' },
      ],
    };
    const read: PrefixListInfo[] = [
      { prefixListId: 'pl-0s3', name: 's3', cidrs: ['52.216.0.0/15', '2600:1fa0::/40'] },
    ];
    assert.equal(evaluateRoute6(withList, '2600:1fa0:80::1', read).kind, 'gateway-endpoint');
    assert.equal(evaluateRoute6(withList, '2600:1fb0::1', read).kind, 'eigw');
    const unread = evaluateRoute6(withList, '2600:1fa0:80::1', [unreadList('pl-0s3')]);
    assert.deepEqual(unread.undecidedBy, ['pl-0s3']);
  });
});
