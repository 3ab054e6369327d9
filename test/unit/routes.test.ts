import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { RouteTable } from '@aws-sdk/client-ec2';
import { checkRoutes } from '../../checks/routes.js';
import { effectiveRouteTable, evaluateRoute, routeTarget } from '../../src/eval/routes.js';
import type { Finding, PrefixListInfo } from '../../src/model.js';
import { byId, gap, input, prefixLists, resolved, routeTables, target } from '../fixtures/ec2/load.js';

const table = (id: string) => byId(routeTables, 'RouteTableId', id);

/** A public subnet's table (0.0.0.0/0 → igw-0pub), recorded as describe-route-tables returns it. */
const publicTables = (
  JSON.parse(
    readFileSync(new URL('../fixtures/ec2/describe-route-tables-public.json', import.meta.url), 'utf8'),
  ) as { RouteTables: RouteTable[] }
).RouteTables;

/** The recorded prefix lists with the S3 list's entries unread (as when GetManagedPrefixListEntries is denied). */
const s3Unread: PrefixListInfo[] = prefixLists.map((pl) =>
  pl.prefixListId === 'pl-63a5400a' ? { ...pl, cidrs: [], gap: gap('GetManagedPrefixListEntries') } : pl,
);

/** Route codes that name a cause or a pass: none may rest on an unread prefix list. */
const DECIDED = [
  'ROUTE_GATEWAY_OK',
  'ROUTE_GATEWAY_MISSING',
  'ROUTE_MORE_SPECIFIC_OVERRIDES',
  'ROUTE_IP_NOT_IN_PREFIX_LIST',
  'ROUTE_BLACKHOLE',
  'ROUTE_NO_PATH',
  'ROUTE_VIA_NAT',
  'ROUTE_VIA_OTHER_TARGET',
  'ROUTE_LOCAL_OK',
  'ROUTE_IGW_NO_PUBLIC_IP',
];

function only(findings: Finding[], code: string): Finding {
  const hits = findings.filter((f) => f.code === code);
  assert.equal(hits.length, 1, `expected one ${code} in ${JSON.stringify(findings.map((f) => f.code))}`);
  return hits[0]!;
}

function assertFixOnNonPass(findings: Finding[]) {
  for (const finding of findings) {
    if (finding.status === 'pass')
      assert.equal(finding.fix, undefined, `${finding.code} is a pass with a fix`);
    else assert.ok(finding.fix && finding.fix.length > 0, `${finding.code} (${finding.status}) has no fix`);
    assert.equal(finding.check, 'route');
  }
}

describe('effectiveRouteTable', () => {
  test('a subnet with an explicit association uses that table', () => {
    const effective = effectiveRouteTable(routeTables, 'subnet-0app', 'vpc-0a1b');
    assert.equal(effective?.table.RouteTableId, 'rtb-0app');
    assert.equal(effective?.association, 'explicit');
  });

  test('a subnet without an explicit association uses its own VPC main table, not the default VPC one', () => {
    const effective = effectiveRouteTable(routeTables, 'subnet-0main', 'vpc-0a1b');
    assert.equal(effective?.table.RouteTableId, 'rtb-0main');
    assert.equal(effective?.association, 'main');
  });

  test('no table at all when the VPC has neither an association nor a main table', () => {
    assert.equal(effectiveRouteTable(routeTables, 'subnet-0app', 'vpc-0nowhere'), undefined);
  });
});

describe('evaluateRoute (longest prefix across CIDR and prefix-list routes)', () => {
  const cases: Array<[string, string, string, string, string?]> = [
    // table, address, kind, target, matched CIDR
    ['rtb-0app', '10.0.11.23', 'local', 'local', '10.0.0.0/16'],
    ['rtb-0app', '52.216.4.1', 'gateway-endpoint', 'vpce-0s3gw', '52.216.0.0/15'],
    ['rtb-0app', '52.216.8.9', 'nat', 'nat-0egress', '52.216.8.0/24'],
    ['rtb-0app', '54.231.1.5', 'nat', 'nat-0egress', '54.231.0.0/16'],
    ['rtb-0app', '3.5.0.1', 'gateway-endpoint', 'vpce-0s3gw', '3.5.0.0/19'],
    ['rtb-0app', '8.8.8.8', 'nat', 'nat-0egress', '0.0.0.0/0'],
    ['rtb-0app', '10.0.12.40', 'tgw', 'tgw-0hub', '10.0.12.40/32'],
    ['rtb-0app', '10.0.12.41', 'local', 'local', '10.0.0.0/16'],
    ['rtb-0hole', '52.216.4.1', 'blackhole', 'nat-0gone', '52.216.0.0/16'],
    ['rtb-0hole', '52.217.0.1', 'gateway-endpoint', 'vpce-0s3gw', '52.216.0.0/15'],
    ['rtb-0hole', '8.8.8.8', 'blackhole', 'nat-0gone', '0.0.0.0/0'],
    ['rtb-0main', '52.216.4.1', 'nat', 'nat-0egress', '0.0.0.0/0'],
  ];
  for (const [id, ip, kind, via, cidr] of cases) {
    test(`${ip} in ${id} takes the ${kind} route to ${via}`, () => {
      const decision = evaluateRoute(table(id), ip, prefixLists);
      assert.equal(decision.kind, kind);
      assert.equal(routeTarget(decision.route!), via);
      assert.equal(decision.matchedCidr, cidr);
    });
  }

  test('a CIDR route ties with a prefix-list entry of the same length and wins (static before prefix list)', () => {
    const decision = evaluateRoute(table('rtb-0app'), '54.231.200.1', prefixLists);
    assert.equal(decision.prefixLength, 16);
    assert.equal(decision.route?.DestinationCidrBlock, '54.231.0.0/16');
  });

  test('a prefix-list route beats a propagated route of the same length', () => {
    const t: RouteTable = {
      Routes: [
        {
          DestinationCidrBlock: '52.216.0.0/15',
          GatewayId: 'vgw-0onprem',
          Origin: 'EnableVgwRoutePropagation',
          State: 'active',
        },
        {
          DestinationPrefixListId: 'pl-63a5400a',
          GatewayId: 'vpce-0s3gw',
          Origin: 'CreateRoute',
          State: 'active',
        },
      ],
    };
    assert.equal(evaluateRoute(t, '52.216.4.1', prefixLists).kind, 'gateway-endpoint');
  });

  test('an isolated table has no route for a public address', () => {
    const decision = evaluateRoute(table('rtb-0dark'), '8.8.8.8', prefixLists);
    assert.equal(decision.kind, 'none');
    assert.equal(decision.route, undefined);
  });

  test('a prefix-list route whose entries are unknown is reported as unresolved', () => {
    const decision = evaluateRoute(table('rtb-0app'), '3.5.0.1', []);
    assert.equal(decision.kind, 'nat');
    assert.deepEqual(decision.unresolvedPrefixLists, ['pl-63a5400a']);
  });
});

describe('checkRoutes for a gateway endpoint', () => {
  const s3 = target('s3', 'vpce-0s3gw');

  test('passes when the resolved address takes the prefix-list route to the endpoint', () => {
    const findings = checkRoutes(input(s3, { observations: resolved(['52.216.4.1']) }));
    const ok = only(findings, 'ROUTE_GATEWAY_OK');
    assert.equal(ok.status, 'pass');
    assert.match(ok.message, /rtb-0app/);
    assert.match(ok.message, /pl-63a5400a → vpce-0s3gw/);
    assert.equal(findings.length, 1);
    assertFixOnNonPass(findings);
  });

  test('names both routes when a more specific NAT route beats the prefix list', () => {
    const findings = checkRoutes(input(s3, { observations: resolved(['52.216.8.9', '52.216.4.1']) }));
    const override = only(findings, 'ROUTE_MORE_SPECIFIC_OVERRIDES');
    assert.equal(override.status, 'warn');
    assert.match(override.message, /52\.216\.8\.0\/24 → nat-0egress/);
    assert.match(override.message, /pl-63a5400a → vpce-0s3gw/);
    assert.match(override.message, /52\.216\.8\.9/);
    assert.match(
      override.fix!,
      /aws ec2 delete-route --route-table-id rtb-0app --destination-cidr-block 52\.216\.8\.0\/24/,
    );
    assert.equal(
      findings.some((f) => f.code === 'ROUTE_GATEWAY_OK'),
      false,
    );
    assertFixOnNonPass(findings);
  });

  test('without resolved addresses, samples every prefix-list entry and finds the overriding routes', () => {
    const findings = checkRoutes(input(s3));
    const overrides = findings.filter((f) => f.code === 'ROUTE_MORE_SPECIFIC_OVERRIDES');
    assert.equal(overrides.length, 2, 'one finding per overriding route');
    const sampled = overrides.flatMap((f) =>
      (f.evidence['addresses'] as Array<{ ip: string }>).map((a) => a.ip),
    );
    assert.deepEqual(sampled.sort(), ['52.216.8.0', '54.231.0.0']);
    assert.equal(
      findings.some((f) => f.code === 'ROUTE_GATEWAY_OK'),
      false,
    );
  });

  test('without the prefix-list route in a main table, traffic that goes via NAT is a warning whose fix adds the route', () => {
    const findings = checkRoutes(
      input(s3, {
        context: { subnetId: 'subnet-0main', privateIp: '10.0.2.10' },
        observations: resolved(['52.216.4.1']),
      }),
    );
    assert.equal(
      findings.filter((f) => f.code === 'ROUTE_GATEWAY_MISSING').length,
      0,
      'NAT carries it: not a dead end',
    );
    const nat = only(findings, 'ROUTE_VIA_NAT');
    assert.equal(nat.status, 'warn');
    assert.match(nat.message, /nat-0egress/);
    assert.equal(
      nat.fix,
      'aws ec2 modify-vpc-endpoint --vpc-endpoint-id vpce-0s3gw --add-route-table-ids rtb-0main',
    );
    assertFixOnNonPass(findings);
  });

  test('a blackhole route more specific than the prefix list fails', () => {
    const findings = checkRoutes(
      input(s3, { context: { subnetId: 'subnet-0hole' }, observations: resolved(['52.216.4.1']) }),
    );
    const hole = only(findings, 'ROUTE_BLACKHOLE');
    assert.equal(hole.status, 'fail');
    assert.match(hole.message, /52\.216\.0\.0\/16 → nat-0gone \(blackhole\)/);
    assert.match(hole.fix!, /rtb-0hole/);
  });

  test('an address outside the prefix list cannot use the gateway route', () => {
    const findings = checkRoutes(input(s3, { observations: resolved(['8.8.8.8']) }));
    const outside = only(findings, 'ROUTE_IP_NOT_IN_PREFIX_LIST');
    assert.equal(outside.status, 'warn');
    assert.match(outside.message, /8\.8\.8\.8/);
    assert.match(outside.message, /pl-63a5400a/);
  });

  test('a gateway endpoint not routed from an isolated subnet has no path at all', () => {
    const ddb = target('dynamodb', 'vpce-0ddb');
    const findings = checkRoutes(
      input(ddb, { context: { subnetId: 'subnet-0dark' }, observations: resolved(['52.94.0.10']) }),
    );
    assert.equal(only(findings, 'ROUTE_GATEWAY_MISSING').status, 'fail');
    assert.equal(only(findings, 'ROUTE_NO_PATH').status, 'fail');
    assertFixOnNonPass(findings);
  });
});

describe('checkRoutes for an interface endpoint', () => {
  test('every ENI reached through the local route passes', () => {
    const findings = checkRoutes(input(target('secretsmanager', 'vpce-0sm')));
    const ok = only(findings, 'ROUTE_LOCAL_OK');
    assert.equal(ok.status, 'pass');
    assert.match(ok.message, /10\.0\.11\.23/);
    assert.match(ok.message, /10\.0\.12\.23/);
  });

  test('an ENI address behind a /32 route to a transit gateway fails, naming the route', () => {
    const findings = checkRoutes(input(target('kms', 'vpce-0kms')));
    const override = only(findings, 'ROUTE_MORE_SPECIFIC_OVERRIDES');
    assert.equal(override.status, 'fail');
    assert.match(override.message, /10\.0\.12\.40\/32 → tgw-0hub/);
    assert.match(override.message, /10\.0\.0\.0\/16 → local/);
    assert.match(override.message, /vpce-0kms/);
    assertFixOnNonPass(findings);
  });

  test('answers unknown naming the IAM action when the ENIs could not be read', () => {
    const findings = checkRoutes(
      input(target('secretsmanager', 'vpce-0sm'), {
        inventory: { endpointInterfaces: { ok: false, gap: gap('DescribeNetworkInterfaces') } },
      }),
    );
    assert.equal(findings.length, 1);
    assert.equal(findings[0]!.status, 'unknown');
    assert.match(findings[0]!.message, /ec2:DescribeNetworkInterfaces/);
  });
});

describe('checkRoutes for a service without an endpoint', () => {
  test('public addresses through the NAT gateway are a warning', () => {
    const findings = checkRoutes(input(target('ec2'), { observations: resolved(['54.239.28.85']) }));
    const nat = only(findings, 'ROUTE_VIA_NAT');
    assert.equal(nat.status, 'warn');
    assert.match(nat.message, /\$0\.045\/GB/);
    assert.match(nat.fix!, /create-vpc-endpoint .*--service-name com\.amazonaws\.us-east-1\.ec2/);
  });

  test('public addresses from an isolated subnet have no path', () => {
    const findings = checkRoutes(
      input(target('ec2'), {
        context: { subnetId: 'subnet-0dark' },
        observations: resolved(['54.239.28.85']),
      }),
    );
    assert.equal(only(findings, 'ROUTE_NO_PATH').status, 'fail');
  });

  test('answers unknown naming ec2:DescribeRouteTables when the route tables are a gap', () => {
    const findings = checkRoutes(
      input(target('s3', 'vpce-0s3gw'), {
        inventory: { routeTables: { ok: false, gap: gap('DescribeRouteTables') } },
      }),
    );
    assert.equal(findings.length, 1);
    assert.equal(findings[0]!.code, 'ROUTE_UNKNOWN');
    assert.equal(findings[0]!.status, 'unknown');
    assert.match(findings[0]!.message, /ec2:DescribeRouteTables/);
  });
});

describe('evaluateRoute with a prefix list whose entries are unknown', () => {
  // An unread list may hold any entry up to /32: only a /32 static CIDR route is safe from it.
  const cases: Array<{ table: string; ip: string; undecidedBy: string[]; why: string }> = [
    { table: 'rtb-0app', ip: '52.217.1.1', undecidedBy: ['pl-63a5400a'], why: 'only 0.0.0.0/0 matches' },
    {
      table: 'rtb-0app',
      ip: '54.231.1.5',
      undecidedBy: ['pl-63a5400a'],
      why: 'a /16 NAT route can be beaten',
    },
    { table: 'rtb-0app', ip: '10.0.11.23', undecidedBy: ['pl-63a5400a'], why: 'even the local /16 can be' },
    { table: 'rtb-0app', ip: '10.0.12.40', undecidedBy: [], why: 'a /32 static route beats any list entry' },
    { table: 'rtb-0hole', ip: '8.8.8.8', undecidedBy: ['pl-63a5400a'], why: 'a blackhole /0 can be beaten' },
    { table: 'rtb-0main', ip: '52.216.4.1', undecidedBy: [], why: 'the table routes no prefix list' },
  ];
  for (const c of cases) {
    test(`${c.ip} in ${c.table}: ${c.undecidedBy.length ? 'undecided' : 'decided'} (${c.why})`, () => {
      const decision = evaluateRoute(table(c.table), c.ip, s3Unread);
      assert.deepEqual(decision.undecidedBy, c.undecidedBy);
    });
  }

  test('a list missing from the snapshot is as undecided as one with a gap', () => {
    assert.deepEqual(evaluateRoute(table('rtb-0app'), '52.217.1.1', []).undecidedBy, ['pl-63a5400a']);
  });

  test('a /32 prefix-list-sized tie with a propagated route is undecided (the list would win it)', () => {
    const t: RouteTable = {
      Routes: [
        {
          DestinationCidrBlock: '52.217.1.1/32',
          GatewayId: 'vgw-0onprem',
          Origin: 'EnableVgwRoutePropagation',
        },
        { DestinationPrefixListId: 'pl-63a5400a', GatewayId: 'vpce-0s3gw', Origin: 'CreateRoute' },
      ],
    };
    assert.deepEqual(evaluateRoute(t, '52.217.1.1', s3Unread).undecidedBy, ['pl-63a5400a']);
  });
});

describe('checkRoutes never names a cause that rests on an unread prefix list (issue 11 case 4)', () => {
  const cases: Array<{
    name: string;
    target: ReturnType<typeof target>;
    subnetId?: string;
    addresses: string[];
    lists: PrefixListInfo[];
  }> = [
    {
      name: 'S3 gateway target, its own list unread: not MORE_SPECIFIC_OVERRIDES via 0.0.0.0/0',
      target: target('s3', 'vpce-0s3gw'),
      addresses: ['52.217.1.1'],
      lists: s3Unread,
    },
    {
      name: 'S3 gateway target, an address under a more specific NAT /16: still undecided',
      target: target('s3', 'vpce-0s3gw'),
      addresses: ['54.231.1.5', '3.5.0.1'],
      lists: s3Unread,
    },
    {
      name: 'S3 gateway target, a blackhole table: not ROUTE_BLACKHOLE',
      target: target('s3', 'vpce-0s3gw'),
      subnetId: 'subnet-0hole',
      addresses: ['8.8.8.8'],
      lists: s3Unread,
    },
    {
      name: 'S3 gateway target, lists missing altogether: not IP_NOT_IN_PREFIX_LIST',
      target: target('s3', 'vpce-0s3gw'),
      addresses: ['52.217.1.1'],
      lists: [],
    },
    {
      name: 'a service without an endpoint in a table routing an unread list: not ROUTE_VIA_NAT',
      target: target('ec2'),
      addresses: ['54.239.28.85'],
      lists: s3Unread,
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const findings = checkRoutes(
        input(c.target, {
          ...(c.subnetId ? { context: { subnetId: c.subnetId } } : {}),
          inventory: { prefixLists: { ok: true, value: c.lists } },
          observations: resolved(c.addresses),
        }),
      );
      const decided = findings.filter((f) => DECIDED.includes(f.code));
      assert.deepEqual(
        decided.map((f) => f.code),
        [],
        'no cause or pass from an unread list',
      );
      const unknown = only(findings, 'ROUTE_UNKNOWN');
      assert.equal(unknown.status, 'unknown');
      assert.match(unknown.message, /pl-63a5400a/);
      for (const ip of c.addresses) assert.match(unknown.message, new RegExp(ip.replaceAll('.', '\\.')));
      if (c.lists.length > 0) {
        assert.match(unknown.message, /ec2:GetManagedPrefixListEntries denied/);
        assert.match(unknown.fix!, /allow ec2:GetManagedPrefixListEntries/);
      }
      assertFixOnNonPass(findings);
    });
  }

  test('a /32 route still decides: the tgw override of an ENI is named although the S3 list is unread', () => {
    const findings = checkRoutes(
      input(target('kms', 'vpce-0kms'), { inventory: { prefixLists: { ok: true, value: s3Unread } } }),
    );
    const codes = findings.map((f) => f.code);
    assert.ok(
      codes.includes('ROUTE_MORE_SPECIFIC_OVERRIDES') || codes.includes('ROUTE_UNKNOWN'),
      codes.join(),
    );
    for (const f of findings.filter((x) => x.code === 'ROUTE_MORE_SPECIFIC_OVERRIDES'))
      assert.match(f.message, /10\.0\.12\.40\/32/);
  });

  test('an interface endpoint ENI behind the local route is undecided while a routed list is unread', () => {
    const findings = checkRoutes(
      input(target('secretsmanager', 'vpce-0sm'), {
        inventory: { prefixLists: { ok: true, value: s3Unread } },
      }),
    );
    assert.deepEqual(
      findings.map((f) => [f.code, f.status]),
      [['ROUTE_UNKNOWN', 'unknown']],
    );
  });

  test('with no resolved address and its list unread, the gateway check says it cannot sample the list', () => {
    const findings = checkRoutes(
      input(target('s3', 'vpce-0s3gw'), { inventory: { prefixLists: { ok: true, value: s3Unread } } }),
    );
    assert.deepEqual(
      findings.map((f) => f.code),
      ['ROUTE_UNKNOWN'],
    );
    assert.match(findings[0]!.message, /pl-63a5400a/);
    assert.match(findings[0]!.message, /ec2:GetManagedPrefixListEntries/);
  });

  test('with every list readable the same addresses are decided again (the test can fail)', () => {
    const findings = checkRoutes(
      input(target('s3', 'vpce-0s3gw'), { observations: resolved(['52.217.1.1']) }),
    );
    assert.deepEqual(
      findings.map((f) => f.code),
      ['ROUTE_GATEWAY_OK'],
    );
  });
});

describe('checkRoutes through an internet gateway (issue 11 case 9)', () => {
  // subnet-0app now uses the public table: the recorded rtb-0app association is replaced by it.
  const publicInventory = {
    routeTables: {
      ok: true as const,
      value: [...routeTables.filter((t) => t.RouteTableId !== 'rtb-0app'), ...publicTables],
    },
  };
  const cases: Array<{
    name: string;
    target: ReturnType<typeof target>;
    publicIp: string | null | undefined;
    sources?: Record<string, 'lambda' | 'imds' | 'ec2'>;
    codes: Array<[string, string]>;
  }> = [
    {
      name: 'a Lambda function (never a public IP) with no endpoint: ROUTE_IGW_NO_PUBLIC_IP',
      target: target('ec2'),
      publicIp: null,
      sources: { publicIp: 'lambda' },
      codes: [['ROUTE_IGW_NO_PUBLIC_IP', 'fail']],
    },
    {
      name: 'an instance without public-ipv4 whose S3 gateway route is missing: both named',
      target: target('s3', 'vpce-0s3gw'),
      publicIp: null,
      sources: { publicIp: 'imds' },
      codes: [
        ['ROUTE_GATEWAY_MISSING', 'fail'],
        ['ROUTE_IGW_NO_PUBLIC_IP', 'fail'],
      ],
    },
    {
      name: 'an agent with a public IP reaches the service through the internet gateway: a warning',
      target: target('ec2'),
      publicIp: '203.0.113.7',
      sources: { publicIp: 'ec2' },
      codes: [['ROUTE_VIA_OTHER_TARGET', 'warn']],
    },
    {
      name: 'an agent whose public IP is unknown: unknown, never the cause',
      target: target('ec2'),
      publicIp: undefined,
      codes: [['ROUTE_UNKNOWN', 'unknown']],
    },
    {
      name: 'a missing S3 gateway route with an unknown public IP: unknown, no ROUTE_GATEWAY_MISSING fail',
      target: target('s3', 'vpce-0s3gw'),
      publicIp: undefined,
      codes: [['ROUTE_UNKNOWN', 'unknown']],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const findings = checkRoutes(
        input(c.target, {
          context: {
            ...(c.publicIp === undefined ? {} : { publicIp: c.publicIp }),
            sources: c.sources ?? {},
          },
          inventory: publicInventory,
          observations: resolved(['52.217.1.1']),
        }),
      );
      assert.deepEqual(
        findings.map((f) => [f.code, f.status]),
        c.codes,
      );
      assertFixOnNonPass(findings);
      for (const f of findings.filter((x) => x.code === 'ROUTE_IGW_NO_PUBLIC_IP')) {
        assert.match(f.message, /igw-0pub/);
        assert.match(f.message, /no public IPv4/);
        assert.equal(f.evidence['publicIp'], null);
        assert.equal(f.evidence['publicIpSource'], c.sources?.['publicIp']);
      }
      for (const f of findings.filter((x) => x.code === 'ROUTE_UNKNOWN')) {
        assert.match(f.message, /igw-0pub/);
        assert.match(f.message, /public IPv4/);
        assert.match(f.message, /MapPublicIpOnLaunch is no proof/);
        assert.equal(f.evidence['publicIp'], 'unknown');
      }
    });
  }
});
