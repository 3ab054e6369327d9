// checks/ipv6.ts over the recorded dual-stack VPC (test/fixtures/ec2/ipv6), joined by the
// verdict with every other check as the runner does: which IPv6 cause becomes the root cause of
// which observed symptom, and that nothing is said when nothing IPv6 is involved or read.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CHECKS } from '../../checks/index.js';
import { checkIpv6, familyFirst } from '../../checks/ipv6.js';
import { buildFixes } from '../../src/fixes/index.js';
import type {
  CheckInput,
  DnsObservation,
  Finding,
  Ipv6Observations,
  Resolver,
  TargetObservations,
  TcpOutcome,
} from '../../src/model.js';
import { decideTarget } from '../../src/verdict.js';
import {
  input6,
  networkAcls6,
  routeTables6,
  SM_ENI6,
  SSM_ENI6,
  target6,
  withEndpointGroups,
} from '../fixtures/ec2/ipv6/load.js';
import { gap } from '../fixtures/ec2/load.js';

const RESOLVER: Resolver = { address: '10.1.0.2', source: 'resolv.conf' };
const VPC6: Resolver = { address: 'fd00:ec2::253', source: 'link-local' };
const PUBLIC6 = '2600:1f18:7fff:1::443';

function dns(
  hostname: string,
  addresses: string[],
  recordType?: 'AAAA',
  resolver = RESOLVER,
): DnsObservation {
  return {
    resolver,
    hostname,
    ...(recordType ? { recordType } : {}),
    outcome: addresses.length > 0 ? 'answer' : 'nodata',
    addresses,
    transport: 'udp',
    durationMs: 1,
  };
}

function tcp(address: string, outcome: TcpOutcome) {
  return { address, port: 443, outcome, durationMs: outcome === 'timeout' ? 2000 : 1 };
}

function observed(
  hostname: string,
  a: string[],
  aaaa: string[],
  six: Partial<Ipv6Observations> = {},
  ipv4: TcpOutcome = 'connected',
): TargetObservations {
  return {
    dns: [dns(hostname, a)],
    tcp: a.map((address) => tcp(address, ipv4)),
    tls: [],
    ipv6: {
      dns: [dns(hostname, aaaa, 'AAAA'), dns(hostname, aaaa, 'AAAA', VPC6)],
      tcp: [],
      tls: [],
      ...six,
    },
  };
}

/** Every check, then the verdict: what the report would say for the target. */
function judge(input: CheckInput) {
  const findings = Object.values(CHECKS).flatMap((check) => check!(input));
  return { findings, report: decideTarget(input.target, input.observations, findings) };
}

function codes(findings: Finding[]): string[] {
  return findings.map((f) => `${f.code}:${f.status}`);
}

/** The endpoints' subnet with the default ACL (both families allowed) instead of its IPv4-only one. */
const healthyAcls = networkAcls6.map((acl) =>
  acl.NetworkAclId === 'acl-0d6default'
    ? {
        ...acl,
        Associations: [
          ...(acl.Associations ?? []),
          { NetworkAclAssociationId: 'aclassoc-x', NetworkAclId: 'acl-0d6default', SubnetId: 'subnet-0ep6' },
        ],
      }
    : { ...acl, Associations: [] },
);

const sm = target6('secretsmanager', 'vpce-0sm6');

/** secretsmanager behind sg-0ep4 (IPv4 rules only), ACLs allowing both families, with these probe outcomes. */
function ipv4OnlyEndpointGroup(ipv6: TcpOutcome, ipv4: TcpOutcome = 'connected'): CheckInput {
  return input6(sm, observed(sm.hostname, ['10.1.2.15'], [SM_ENI6], { tcp: [tcp(SM_ENI6, ipv6)] }, ipv4), {
    inventory: {
      networkAcls: { ok: true, value: healthyAcls },
      endpoints: { ok: true, value: withEndpointGroups('vpce-0sm6', ['sg-0ep4']) },
    },
  });
}
const kms = target6('kms', 'vpce-0kms4');
const ssm = target6('ssm', 'vpce-0ssm6only');

/** What an IPv4-only client sees of the IPv6-only ssm endpoint: NODATA for A, its ENI for AAAA. */
function ipv6OnlyAnswers(): TargetObservations {
  return {
    dns: [dns(ssm.hostname, [])],
    tcp: [],
    tls: [],
    ipv6: { dns: [dns(ssm.hostname, [SSM_ENI6], 'AAAA')], tcp: [], tls: [] },
  };
}

describe('checks/ipv6: nothing IPv6, nothing said', () => {
  test('no AAAA asked: no finding, and the IPv4 report is what it was', () => {
    const input = input6(kms, {
      dns: [dns(kms.hostname, ['10.1.2.20'])],
      tcp: [tcp('10.1.2.20', 'connected')],
      tls: [],
    });
    assert.deepEqual(checkIpv6(input), []);
  });

  test('a public AAAA seen from a subnet without IPv6 (or unread subnets), IPv4-only endpoint: no finding', () => {
    const seen = observed(kms.hostname, ['10.1.2.20'], ['2600:1f18:7fff:1::443']);
    assert.deepEqual(checkIpv6(input6(kms, seen, { context: { subnetId: 'subnet-0v4only' } })), []);
    const unread = { subnets: { ok: false as const, gap: gap('DescribeSubnets') } };
    assert.deepEqual(checkIpv6(input6(kms, seen, { inventory: unread })), []);
  });

  test('AAAA asked, NODATA, IPv4-only endpoint, no IPv6 probe: no finding', () => {
    assert.deepEqual(checkIpv6(input6(kms, observed(kms.hostname, ['10.1.2.20'], []))), []);
  });
});

describe('checks/ipv6: a healthy dual-stack endpoint', () => {
  const observations = observed(sm.hostname, ['10.1.2.15'], [SM_ENI6], {
    tcp: [tcp(SM_ENI6, 'connected')],
    tls: [
      {
        address: SM_ENI6,
        port: 443,
        servername: sm.hostname,
        outcome: 'ok',
        certNames: [sm.hostname],
        durationMs: 3,
      },
    ],
  });
  const input = input6(sm, observations, { inventory: { networkAcls: { ok: true, value: healthyAcls } } });

  test('says IPv6 goes first, and passes TCP, TLS, groups, ACLs and routes over IPv6', () => {
    const findings = checkIpv6(input);
    assert.deepEqual(codes(findings), [
      'DNS_FAMILY_ORDER:info',
      'TCP_CONNECT_OK:pass',
      'TLS_OK:pass',
      'SG_IPV6_OK:pass',
      'NACL_IPV6_OK:pass',
      'ROUTE_IPV6_OK:pass',
    ]);
    assert.equal(findings[0]!.evidence['first'], 'ipv6');
    assert.equal(findings[1]!.evidence['family'], 'ipv6');
    assert.match(findings[1]!.message, /\[2600:1f18:4e2:ab02::15\]:443.*over IPv6/);
  });

  test('the target passes', () => {
    const { report } = judge(input);
    assert.equal(report.status, 'pass', JSON.stringify(codes(report.findings)));
  });
});

describe('checks/ipv6: causes and the symptoms they explain', () => {
  test('endpoint group with IPv4 rules only, IPv6 probe timed out: SG_IPV6_RULE_MISSING is the root cause', () => {
    const input = ipv4OnlyEndpointGroup('timeout');
    const { findings, report } = judge(input);
    assert.ok(codes(findings).includes('SG_OK:pass'), 'IPv4 allows');
    assert.equal(report.status, 'fail');
    assert.equal(report.rootCause?.code, 'SG_IPV6_RULE_MISSING');
    assert.match(report.rootCause?.fix ?? '', /--group-id sg-0ep4 .*CidrIpv6=2600:1f18:4e2:ab01::\/64/);
  });

  test('the same groups while the IPv6 probe connected: our reading is contradicted, never a failure', () => {
    const input = ipv4OnlyEndpointGroup('connected');
    const { report } = judge(input);
    assert.equal(report.status, 'warn');
    assert.equal(report.rootCause?.code, 'CONFIG_CONTRADICTS_PROBE');
  });

  test('an IPv6 denial never explains an IPv4 timeout', () => {
    const input = ipv4OnlyEndpointGroup('connected', 'timeout');
    const { report } = judge(input);
    assert.equal(report.status, 'fail');
    assert.notEqual(report.rootCause?.code, 'SG_IPV6_RULE_MISSING');
    // A path denial that cannot explain the symptom leaves it its own cause (src/verdict.ts).
    assert.equal(report.rootCause?.code, 'TCP_TIMEOUT');
  });

  test("endpoint subnet's ACL with IPv4 rules only, IPv6 probe timed out: NACL_IPV6_RULE_MISSING", () => {
    const input = input6(
      sm,
      observed(sm.hostname, ['10.1.2.15'], [SM_ENI6], { tcp: [tcp(SM_ENI6, 'timeout')] }),
    );
    const { findings, report } = judge(input);
    assert.ok(codes(findings).includes('NACL_OK:pass'), 'IPv4 allows');
    assert.equal(report.rootCause?.code, 'NACL_IPV6_RULE_MISSING');
    assert.match(
      report.rootCause?.message ?? '',
      /acl-0ep6v4rules \(subnet-0ep6\) drops inbound tcp 443-443 from 2600:1f18:4e2:ab01::\/64: rule \* deny/,
    );
    assert.match(
      report.rootCause?.fix ?? '',
      /--network-acl-id acl-0ep6v4rules --ingress .*--ipv6-cidr-block 2600:1f18:4e2:ab01::\/64/,
    );
  });

  for (const [outcome, status] of [
    ['connected', 'warn'],
    ['timeout', 'fail'],
  ] as const) {
    test(`IPv4-only endpoint, public AAAA, IPv6 ${outcome} through the egress-only gateway: ENDPOINT_IPV4_ONLY_AAAA_FIRST (${status})`, () => {
      const input = input6(
        kms,
        observed(kms.hostname, ['10.1.2.20'], [PUBLIC6], { tcp: [tcp(PUBLIC6, outcome)] }),
      );
      const { findings, report } = judge(input);
      const six = checkIpv6(input);
      assert.ok(codes(six).includes(`ENDPOINT_IPV4_ONLY_AAAA_FIRST:${status}`), codes(six).join(' '));
      assert.ok(codes(six).includes(`ROUTE_IPV6_VIA_EGRESS_ONLY_IGW:${status}`), codes(six).join(' '));
      assert.equal(findings.find((f) => f.code === 'DNS_FAMILY_ORDER')?.evidence['first'], 'ipv6');
      assert.equal(report.status, status);
      assert.equal(report.rootCause?.code, 'ENDPOINT_IPV4_ONLY_AAAA_FIRST');
    });
  }

  test('no ::/0 route (the main table): ROUTE_IPV6_NO_PATH beside the endpoint cause', () => {
    const mainOnly = routeTables6.filter((t) => t.RouteTableId === 'rtb-0d6main');
    const input = input6(
      kms,
      observed(kms.hostname, ['10.1.2.20'], [PUBLIC6], { tcp: [tcp(PUBLIC6, 'unreachable')] }),
      {
        inventory: { routeTables: { ok: true, value: mainOnly } },
      },
    );
    const six = checkIpv6(input);
    assert.ok(codes(six).includes('ROUTE_IPV6_NO_PATH:fail'), codes(six).join(' '));
    assert.equal(judge(input).report.rootCause?.code, 'ENDPOINT_IPV4_ONLY_AAAA_FIRST');
  });

  test('IPv6-only endpoint seen from an IPv4-only subnet, the A query answered NODATA: ENDPOINT_IPV6_ONLY_AGENT_IPV4', () => {
    const observations = ipv6OnlyAnswers();
    const input = input6(ssm, observations, {
      context: { subnetId: 'subnet-0v4only', privateIp: '10.1.3.10' },
    });
    const { findings, report } = judge(input);
    assert.ok(codes(findings).includes('ENDPOINT_IPV6_ONLY_AGENT_IPV4:fail'), codes(findings).join(' '));
    assert.equal(findings.find((f) => f.code === 'DNS_FAMILY_ORDER')?.evidence['first'], 'ipv4');
    assert.equal(report.status, 'fail');
    assert.equal(report.rootCause?.code, 'ENDPOINT_IPV6_ONLY_AGENT_IPV4');
  });
});

describe('checks/ipv6: the rule of trust', () => {
  test('security groups unread: SG_UNKNOWN naming the action, never an IPv6 SG cause', () => {
    const input = input6(
      sm,
      observed(sm.hostname, ['10.1.2.15'], [SM_ENI6], { tcp: [tcp(SM_ENI6, 'timeout')] }),
      {
        inventory: {
          networkAcls: { ok: true, value: healthyAcls },
          securityGroups: { ok: false, gap: gap('DescribeSecurityGroups') },
        },
      },
    );
    const six = checkIpv6(input);
    const sg = six.filter((f) => f.check === 'sg');
    assert.deepEqual(codes(sg), ['SG_UNKNOWN:unknown']);
    assert.match(sg[0]!.message, /ec2:DescribeSecurityGroups/);
    assert.notEqual(judge(input).report.rootCause?.code, 'SG_IPV6_RULE_MISSING');
  });

  test('subnets unread: whether the agent has IPv6 is unknown, so no IPv6 endpoint cause is named', () => {
    const observations = ipv6OnlyAnswers();
    const input = input6(ssm, observations, {
      context: { subnetId: 'subnet-0v4only' },
      inventory: { subnets: { ok: false, gap: gap('DescribeSubnets') } },
    });
    assert.ok(!codes(checkIpv6(input)).some((c) => c.startsWith('ENDPOINT_IPV6_ONLY')));
  });

  test("a rule covering part of the agent's /64 leaves the IPv6 ingress undecided", () => {
    const groups = [
      {
        GroupId: 'sg-0narrow',
        IpPermissions: [
          {
            IpProtocol: 'tcp',
            FromPort: 443,
            ToPort: 443,
            Ipv6Ranges: [{ CidrIpv6: '2600:1f18:4e2:ab01::10/128' }],
          },
        ],
      },
      {
        GroupId: 'sg-0app6',
        IpPermissionsEgress: [{ IpProtocol: '-1', Ipv6Ranges: [{ CidrIpv6: '::/0' }] }],
      },
    ];
    const input = input6(
      sm,
      observed(sm.hostname, ['10.1.2.15'], [SM_ENI6], { tcp: [tcp(SM_ENI6, 'timeout')] }),
      {
        inventory: {
          networkAcls: { ok: true, value: healthyAcls },
          securityGroups: { ok: true, value: groups },
          endpoints: { ok: true, value: withEndpointGroups('vpce-0sm6', ['sg-0narrow']) },
        },
      },
    );
    assert.deepEqual(codes(checkIpv6(input).filter((f) => f.check === 'sg')), ['SG_UNKNOWN:unknown']);
  });
});

describe('checks/ipv6: SDK dual-stack names', () => {
  test('a dual-stack name with public AAAA and no endpoint serving it: SDK_DUALSTACK_NO_ENDPOINT', () => {
    const s3 = target6('s3', 'vpce-0sm6', { endpointType: 'Interface' });
    const hostname = 's3.dualstack.us-east-1.amazonaws.com';
    const observations: TargetObservations = {
      dns: [],
      tcp: [],
      tls: [],
      sdkNames: [
        {
          kind: 'dualstack',
          hostname,
          endpointServes: false,
          dns: dns(hostname, ['52.217.1.1']),
          aaaa: dns(hostname, ['2600:1fa0:80b4::1'], 'AAAA'),
        },
      ],
    };
    assert.deepEqual(codes(checkIpv6(input6(s3, observations))), ['SDK_DUALSTACK_NO_ENDPOINT:warn']);
    // From a subnet without IPv6 the SDK cannot use the AAAA answer: nothing to say.
    assert.deepEqual(checkIpv6(input6(s3, observations, { context: { subnetId: 'subnet-0v4only' } })), []);
  });
});

describe('which family a dual-stack client tries first', () => {
  const cases: Array<[string[], string[], boolean, 'ipv4' | 'ipv6']> = [
    [[SM_ENI6], ['10.1.2.15'], true, 'ipv6'], // global IPv6 (precedence 40) before IPv4 (35)
    [['fd12:3456::15'], ['10.1.2.15'], true, 'ipv6'], // glibc's table has no ULA row: ::/0 (40) before IPv4 (10)
    [[SM_ENI6], ['10.1.2.15'], false, 'ipv4'], // no IPv6 address on the host: AI_ADDRCONFIG
    [[SM_ENI6], [], true, 'ipv6'],
    [[], ['10.1.2.15'], true, 'ipv4'],
  ];
  for (const [aaaa, a, hostHasIpv6, first] of cases) {
    test(`AAAA ${aaaa.join(',') || '-'}, A ${a.join(',') || '-'}, host ${hostHasIpv6 ? 'with' : 'without'} IPv6: ${first} first`, () => {
      assert.equal(familyFirst(aaaa, a, hostHasIpv6).first, first);
    });
  }
});

describe('checks/ipv6: fixes as code with the real ids', () => {
  test('SG_IPV6_RULE_MISSING: an Ipv6Ranges rule on the endpoint group from the agent block, in all three kinds', () => {
    const input = ipv4OnlyEndpointGroup('timeout');
    const finding = checkIpv6(input).find((f) => f.code === 'SG_IPV6_RULE_MISSING')!;
    const fixes = buildFixes(finding, { context: input.context, target: sm, inventory: input.inventory })!;
    assert.match(
      fixes.cli ?? '',
      /authorize-security-group-ingress --group-id sg-0ep4 --ip-permissions .*CidrIpv6=2600:1f18:4e2:ab01::\/64/,
    );
    assert.match(
      fixes.terraform ?? '',
      /aws_vpc_security_group_ingress_rule[\s\S]*cidr_ipv6\s+= "2600:1f18:4e2:ab01::\/64"/,
    );
    assert.match(
      fixes.cloudformation ?? '',
      /CidrIpv6: 2600:1f18:4e2:ab01::\/64|CidrIpv6: "2600:1f18:4e2:ab01::\/64"|CidrIpv6: '2600:1f18:4e2:ab01::\/64'/,
    );
  });

  test('NACL_IPV6_RULE_MISSING: IPv6 entries numbered before the IPv6 default deny, both legs of the endpoint subnet', () => {
    const input = input6(
      sm,
      observed(sm.hostname, ['10.1.2.15'], [SM_ENI6], { tcp: [tcp(SM_ENI6, 'timeout')] }),
    );
    const finding = checkIpv6(input).find((f) => f.code === 'NACL_IPV6_RULE_MISSING')!;
    const fixes = buildFixes(finding, { context: input.context, target: sm, inventory: input.inventory })!;
    const lines = (fixes.cli ?? '').split('\n').filter((l) => l.includes('create-network-acl-entry'));
    assert.equal(lines.length, 2, fixes.cli);
    // Rule 100 is taken by the IPv4 entries in each direction: IPv6 takes the next free number.
    assert.match(
      lines[0]!,
      /--network-acl-id acl-0ep6v4rules --ingress --rule-number 101 --protocol tcp --port-range From=443,To=443 --ipv6-cidr-block 2600:1f18:4e2:ab01::\/64/,
    );
    assert.match(
      lines[1]!,
      /--egress --rule-number 101 .*From=32768,To=60999 --ipv6-cidr-block 2600:1f18:4e2:ab01::\/64/,
    );
    assert.match(fixes.terraform ?? '', /ipv6_cidr_block\s+= "2600:1f18:4e2:ab01::\/64"/);
    assert.doesNotMatch(fixes.terraform ?? '', /\bcidr_block\b/);
  });

  test('ENDPOINT_IPV4_ONLY_AAAA_FIRST: the endpoint made dual-stack', () => {
    const input = input6(
      kms,
      observed(kms.hostname, ['10.1.2.20'], [PUBLIC6], { tcp: [tcp(PUBLIC6, 'timeout')] }),
    );
    const finding = checkIpv6(input).find((f) => f.code === 'ENDPOINT_IPV4_ONLY_AAAA_FIRST')!;
    assert.equal(
      buildFixes(finding, { context: input.context, target: kms, inventory: input.inventory })?.cli,
      'aws ec2 modify-vpc-endpoint --vpc-endpoint-id vpce-0kms4 --ip-address-type dualstack --dns-options DnsRecordIpType=dualstack',
    );
  });
});
