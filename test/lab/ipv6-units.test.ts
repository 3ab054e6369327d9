// The IPv6 lab's pure parts (issue 16): the closure rules for IPv6 in a namespace, the VPC
// resolver's AAAA answers from the endpoints' DnsRecordIpType, the wiring an IPv6 scenario gets
// (and that every other scenario gets none), ip6tables faults, and the scenarios' shape.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  eniIpv6Address,
  IPV6_ELSEWHERE,
  type Ipv6State,
  ipv6NetworkScript,
  ipv6Problems,
  type Ns6Facts,
  withIpv6Answers,
  within6,
} from './ipv6.js';
import { iptablesCommands } from './lab.js';
import { findScenario, HUB_SCENARIOS, SCENARIOS } from './scenarios.js';
import { IPV6_SCENARIOS } from './scenarios-ipv6.js';
import type { AwsState, EndpointState } from './state.js';
import { labAwsState } from './test-support.js';

const NAME = 'secretsmanager.us-east-1.amazonaws.com';

function endpoint(overrides: Partial<EndpointState> = {}): EndpointState {
  return {
    id: 'vpce-1',
    serviceName: 'com.amazonaws.us-east-1.secretsmanager',
    type: 'Interface',
    state: 'available',
    privateDns: true,
    subnetIds: [],
    routeTableIds: [],
    securityGroupIds: [],
    eniIps: ['10.0.11.20', '10.0.12.21'],
    ...overrides,
  };
}

const SIX: Ipv6State = {
  vpcCidr: 'fd10::/56',
  subnetCidrs: { 'agent-a': 'fd10:0:0:1::/64', 'endpoints-a': 'fd10:0:0:11::/64' },
  agentAddress: 'fd10:0:0:1::10',
  aaaaElsewhere: [],
};

function aws(e: EndpointState, ipv6: Ipv6State | null = SIX): AwsState {
  return labAwsState({ endpoints: { secretsmanager: e }, ...(ipv6 ? { ipv6 } : {}) });
}

const names = { secretsmanager: [NAME] };
const a = new Map([[NAME, ['10.0.11.20', '10.0.12.21']]]);

function facts(overrides: Partial<Ns6Facts>): Ns6Facts {
  return {
    ns: 'vdl-agent-a',
    veth: 'vdl-aga',
    allowed: true,
    disabled: '0',
    forwarding: '0',
    addresses: [
      { local: '::1', prefixlen: 128 },
      { local: 'fd10:0:0:1::10', prefixlen: 56 },
      { local: 'fe80::1', prefixlen: 64 },
    ],
    routes: [
      { dst: 'fd10::/56', dev: 'vdl-aga' },
      { dst: 'fd00:ec2::253', dev: 'vdl-aga' },
      { dst: 'fe80::/64', dev: 'vdl-aga' },
      { dst: '::1', dev: 'lo' },
      { dst: 'fd10:0:0:1::10', dev: 'vdl-aga', table: 'local', type: 'local' },
      { dst: 'ff00::/8', dev: 'vdl-aga', table: 'local', type: 'multicast' },
    ],
    ...overrides,
  };
}

describe('the IPv6 closure of a namespace', () => {
  test('a lab namespace with only lab addresses and on-link lab routes is closed', () => {
    assert.deepEqual(ipv6Problems(facts({})), []);
  });
  test('IPv6 off with no routes is closed; IPv6 on where it may not be is a problem', () => {
    assert.deepEqual(ipv6Problems(facts({ disabled: '1', routes: [] })), []);
    assert.deepEqual(ipv6Problems(facts({ ns: 'vdl-aws', allowed: false })), ['vdl-aws has IPv6 enabled']);
  });
  const leaks: Array<[string, Partial<Ns6Facts>, RegExp]> = [
    [
      'a default route',
      { routes: [{ dst: 'default', dev: 'vdl-aga', gateway: 'fd10::1' }] },
      /default route/,
    ],
    ['::/0 on-link', { routes: [{ dst: '::/0', dev: 'vdl-aga' }] }, /default route/],
    ['a gateway', { routes: [{ dst: 'fd10:1::/64', dev: 'vdl-aga', gateway: 'fd10::1' }] }, /gateway/],
    ['a global route', { routes: [{ dst: '2600:1f18::/32', dev: 'vdl-aga' }] }, /outside the lab/],
    [
      'a route one bit wider than the VPC block',
      { routes: [{ dst: 'fd10::/55', dev: 'vdl-aga' }] },
      /outside/,
    ],
    ['a route through another device', { routes: [{ dst: 'fd10::/56', dev: 'eth0' }] }, /not its veth/],
    ['a global address', { addresses: [{ local: '2600:1f18::5', prefixlen: 64 }] }, /outside the lab/],
    ['forwarding', { forwarding: '1' }, /forwards IPv6/],
    [
      'an unreachable route in table local',
      { routes: [{ dst: '::/1', table: 'local', type: 'unreachable' }] },
      /table local/,
    ],
  ];
  for (const [what, overrides, problem] of leaks) {
    test(`${what} fails the self-check`, () => {
      const problems = ipv6Problems(facts(overrides));
      assert.equal(problems.length, 1, problems.join('; '));
      assert.match(problems[0]!, problem);
    });
  }
  test('an IPv6 route in a namespace with IPv6 off is a problem', () => {
    assert.deepEqual(ipv6Problems(facts({ disabled: '1', routes: [{ dst: 'fd10::/56', dev: 'vdl-aga' }] })), [
      'vdl-agent-a has an IPv6 route fd10::/56',
    ]);
  });
  test('range edges', () => {
    assert.ok(within6('fd10:0:0:ff::1', 'fd10::/56'));
    assert.ok(!within6('fd10:0:0:100::1', 'fd10::/56'));
    assert.ok(within6('fd00:ec2::253', 'fd00:ec2::253/128'));
    assert.ok(!within6('fd00:ec2::254', 'fd00:ec2::253/128'));
    assert.ok(!within6('fd10::/48', 'fd10::/56'));
  });
});

describe("the VPC resolver's AAAA answers", () => {
  const v6 = ['fd10:0:0:11::20', 'fd10:0:0:12::21'];
  test('dual-stack records add the ENIs’ IPv6 addresses to their IPv4 ones', () => {
    const out = withIpv6Answers(aws(endpoint({ dnsRecordIpType: 'dualstack', eniIpv6: v6 })), a, names);
    assert.deepEqual(out.get(NAME), ['10.0.11.20', '10.0.12.21', ...v6]);
  });
  test('IPv6 records answer the IPv6 addresses only; IPv4 records keep no AAAA', () => {
    assert.deepEqual(
      withIpv6Answers(aws(endpoint({ dnsRecordIpType: 'ipv6', eniIpv6: v6 })), a, names).get(NAME),
      v6,
    );
    assert.deepEqual(withIpv6Answers(aws(endpoint({ eniIpv6: v6 })), a, names).get(NAME), a.get(NAME));
  });
  test("a name with AAAA elsewhere answers the lab's silent address beside its A records", () => {
    const out = withIpv6Answers(aws(endpoint(), { ...SIX, aaaaElsewhere: ['secretsmanager'] }), a, names);
    assert.deepEqual(out.get(NAME), [...a.get(NAME)!, IPV6_ELSEWHERE]);
  });
  test('a lab without IPv6 answers what it answered before', () => {
    const state = aws(endpoint({ dnsRecordIpType: 'dualstack', eniIpv6: v6 }), null);
    assert.equal(withIpv6Answers(state, a, names), a);
    assert.deepEqual(ipv6NetworkScript(state), []);
  });
});

describe('the IPv6 wiring', () => {
  test("an ENI's address is its subnet's /64 with its IPv4 last octet", () => {
    assert.equal(eniIpv6Address('endpoints-b', '10.0.12.72'), 'fd10:0:0:12::72');
    assert.equal(eniIpv6Address('nowhere', '10.0.12.72'), undefined);
  });
  test('no address outside the lab ranges, no gateway, no default route, DAD and RAs off', () => {
    const state = aws(endpoint({ eniIpv6: ['fd10:0:0:11::20'] }), {
      ...SIX,
      aaaaElsewhere: ['secretsmanager'],
    });
    const script = ipv6NetworkScript(state).join('\n');
    assert.doesNotMatch(script, /\bvia\b|route add default|::\/0/);
    assert.match(script, /accept_ra=0/);
    for (const address of [...script.matchAll(/addr add (\S+)\//g)].map((m) => m[1]!)) {
      assert.ok(
        ['fd10::/56', 'fd00:ec2::253/128', `${IPV6_ELSEWHERE}/128`].some((r) => within6(address, r)),
        address,
      );
    }
    assert.match(script, /vdl-agent-a -6 addr add fd10:0:0:1::10\/56/);
    assert.match(script, new RegExp(`ip6tables -w -A INPUT -d ${IPV6_ELSEWHERE} -j DROP`));
  });
  test('a fault of family 6 is an ip6tables rule', () => {
    const [argv] = iptablesCommands(
      {
        node: 'endpoints',
        chain: 'INPUT',
        proto: 'tcp',
        dport: 443,
        src: 'fd10::/56',
        action: 'DROP',
        family: 6,
      },
      aws(endpoint()),
    );
    assert.equal(argv?.join(' '), 'ip6tables -w -A INPUT -p tcp -s fd10::/56 --dport 443 -j DROP');
  });
});

describe('the IPv6 scenarios', () => {
  test('at least a healthy dual-stack one and three broken ones, each found by name, proven and expected', () => {
    assert.ok(IPV6_SCENARIOS.length >= 4);
    assert.equal(IPV6_SCENARIOS.filter((s) => s.expect.exitCode === 0).length >= 1, true);
    assert.ok(IPV6_SCENARIOS.filter((s) => s.expect.status === 'fail').length >= 3);
    for (const s of IPV6_SCENARIOS) {
      assert.match(s.name, /^ipv6-/);
      assert.equal(findScenario(s.name), s);
      assert.ok(s.ipv6 && s.proof.ipv6 && (s.proof.aws?.length ?? 0) > 0, s.name);
    }
  });
  test('no other scenario turns IPv6 on', () => {
    for (const s of [...SCENARIOS, ...HUB_SCENARIOS]) assert.equal(s.ipv6, undefined, s.name);
    assert.equal(findScenario('scale-8')?.ipv6, undefined);
  });
});
