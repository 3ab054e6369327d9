import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RouteTable } from '@aws-sdk/client-ec2';
import { checkRoutes } from '../../checks/routes.js';
import { effectiveRouteTable, evaluateRoute, routeTarget } from '../../src/eval/routes.js';
import type { Finding } from '../../src/model.js';
import { byId, gap, input, prefixLists, resolved, routeTables, target } from '../fixtures/ec2/load.js';

const table = (id: string) => byId(routeTables, 'RouteTableId', id);

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
