// The hub-and-spoke lab's pure parts (issue 15): what the spoke's resolver answers and forwards,
// what the transit gateway router forwards, the router's closure check, the fault proxy's
// actions and errors for the non-EC2 services, and the hub scenarios as data.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  accessDenied,
  faultsFromPath,
  isDenied,
  requestAction,
  signingService,
} from '../support/fault-proxy.js';
import { renderDnsmasqConfig, spokeResolver, vpcResolverAnswers } from './dns-config.js';
import { clampToLab, forwardChainProblems, tgwForwardRules, tgwRuleset } from './network.js';
import { findScenario, HUB_SCENARIOS, SCENARIOS } from './scenarios.js';
import type { AwsState, EndpointState, HubState } from './state.js';
import { labAwsState } from './test-support.js';

const VPCE = 'vpce-0aaa-abcd.secretsmanager.us-east-1.vpce.amazonaws.com';

function endpoint(service: string, eniIps: string[], dnsNames: string[] = []): EndpointState {
  return {
    id: `vpce-${service}`,
    serviceName: `com.amazonaws.us-east-1.${service}`,
    type: 'Interface',
    state: 'available',
    privateDns: service === 'logs',
    subnetIds: [],
    routeTableIds: [],
    securityGroupIds: [],
    eniIps,
    dnsNames,
  };
}

function hubState(overrides: Partial<HubState> = {}): HubState {
  return {
    spokeVpcId: 'vpc-spoke',
    spokeSubnetId: 'subnet-spoke',
    spokeRouteTableId: 'rtb-spoke',
    spokeAgentEni: 'eni-spoke',
    spokeAgentSg: 'sg-spoke',
    transitGatewayId: 'tgw-1',
    attachments: { hub: 'tgw-attach-hub', spoke: 'tgw-attach-spoke' },
    routeTables: {
      spoke: {
        id: 'tgw-rtb-spoke',
        routes: [{ cidr: '10.0.0.0/16', state: 'active', attachmentId: 'tgw-attach-hub' }],
      },
      hub: {
        id: 'tgw-rtb-hub',
        routes: [{ cidr: '10.1.0.0/16', state: 'active', attachmentId: 'tgw-attach-spoke' }],
      },
    },
    zones: [
      {
        id: 'Z1',
        name: 'secretsmanager.us-east-1.amazonaws.com',
        vpcIds: ['vpc-hub', 'vpc-spoke'],
        records: [{ name: 'secretsmanager.us-east-1.amazonaws.com', aliasDnsName: VPCE }],
      },
      {
        id: 'Z2',
        name: 'ssm.us-east-1.amazonaws.com',
        vpcIds: ['vpc-hub', 'vpc-spoke'],
        records: [{ name: 'ssm.us-east-1.amazonaws.com', addresses: ['10.0.11.50', '10.0.12.50'] }],
      },
    ],
    rules: [
      {
        id: 'rslvr-rr-1',
        domain: 'logs.us-east-1.amazonaws.com',
        targets: ['10.0.4.53', '10.0.5.53'],
        vpcIds: ['vpc-spoke'],
      },
    ],
    inboundEndpointId: 'rslvr-in-1',
    outboundEndpointId: 'rslvr-out-1',
    roleArn: 'arn:aws:iam::123456789012:role/vpce-doctor-hub-read',
    ...overrides,
  };
}

function awsState(hub: HubState): AwsState {
  return labAwsState({
    vpcId: 'vpc-hub',
    endpoints: {
      secretsmanager: endpoint('secretsmanager', ['10.0.11.20', '10.0.12.20'], [VPCE]),
      ssm: endpoint('ssm', ['10.0.11.50', '10.0.12.50']),
      logs: endpoint('logs', ['10.0.11.30', '10.0.12.30']),
    },
    hub,
  });
}

describe('the spoke resolver, derived from the zones and rules moto associates with the spoke', () => {
  test('an associated zone answers its alias with the hub endpoint ENIs and its A records as they are', () => {
    const { answers } = spokeResolver(awsState(hubState()));
    assert.deepEqual(answers.get('secretsmanager.us-east-1.amazonaws.com'), ['10.0.11.20', '10.0.12.20']);
    assert.deepEqual(answers.get('ssm.us-east-1.amazonaws.com'), ['10.0.11.50', '10.0.12.50']);
  });

  test('a zone associated with the hub only leaves the spoke with the public answer', () => {
    const hub = hubState();
    hub.zones[0]!.vpcIds = ['vpc-hub'];
    const { answers } = spokeResolver(awsState(hub));
    assert.deepEqual(answers.get('secretsmanager.us-east-1.amazonaws.com'), ['52.94.200.10', '52.94.201.10']);
  });

  test('an associated forward rule sends its domain to the targets and keeps no local answer for it', () => {
    const { answers, forwards } = spokeResolver(awsState(hubState()));
    assert.deepEqual(forwards, [
      { domain: 'logs.us-east-1.amazonaws.com', targets: ['10.0.4.53', '10.0.5.53'] },
    ]);
    assert.equal(answers.has('logs.us-east-1.amazonaws.com'), false);
    const conf = renderDnsmasqConfig(['10.1.0.2'], answers, '/dev/null', undefined, forwards);
    assert.match(conf, /^server=\/logs\.us-east-1\.amazonaws\.com\/10\.0\.4\.53$/m);
    assert.match(conf, /^server=\/logs\.us-east-1\.amazonaws\.com\/10\.0\.5\.53$/m);
    assert.doesNotMatch(conf, /host-record=logs\./);
  });

  test('a rule that exists but is not associated with the spoke answers public', () => {
    const hub = hubState();
    hub.rules[0]!.vpcIds = [];
    const { answers, forwards } = spokeResolver(awsState(hub));
    assert.deepEqual(forwards, []);
    assert.deepEqual(answers.get('logs.us-east-1.amazonaws.com'), ['52.94.200.11', '52.94.201.11']);
  });

  test("the hub's own resolver (and its inbound endpoint) answers the zones associated with the hub", () => {
    const answers = vpcResolverAnswers(awsState(hubState()));
    assert.deepEqual(answers.get('secretsmanager.us-east-1.amazonaws.com'), ['10.0.11.20', '10.0.12.20']);
    assert.deepEqual(answers.get('logs.us-east-1.amazonaws.com'), ['10.0.11.30', '10.0.12.30']);
  });
});

describe('the transit gateway router, derived from the TGW route tables', () => {
  const accepts = (rules: string[][]) => rules.map((r) => r.join(' '));
  const tableRoutes = (aws: AwsState) =>
    accepts(tgwForwardRules(aws)).filter(
      (r) => !r.includes('--dport') && !r.includes('--sport') && !r.includes('ports'),
    );

  test('both routes present: spoke → hub and hub → spoke are forwarded', () => {
    assert.deepEqual(tableRoutes(awsState(hubState())), [
      'iptables -w -A FORWARD -i vdl-tgws -o vdl-tgwh -s 10.1.0.0/16 -d 10.0.0.0/16 -j ACCEPT',
      'iptables -w -A FORWARD -i vdl-tgwh -o vdl-tgws -s 10.0.0.0/16 -d 10.1.0.0/16 -j ACCEPT',
    ]);
  });

  test("a missing, blackhole or wrongly targeted route in the spoke attachment's table forwards nothing toward the hub", () => {
    for (const routes of [
      [],
      [{ cidr: '10.0.0.0/16', state: 'blackhole' }],
      [{ cidr: '10.0.0.0/16', state: 'active', attachmentId: 'tgw-attach-other' }],
    ]) {
      const hub = hubState();
      hub.routeTables.spoke.routes = routes;
      assert.deepEqual(tableRoutes(awsState(hub)), [
        'iptables -w -A FORWARD -i vdl-tgwh -o vdl-tgws -s 10.0.0.0/16 -d 10.1.0.0/16 -j ACCEPT',
      ]);
    }
  });

  test('the AWS API and the resolver forwarding cross regardless of the tables, each between two lab addresses', () => {
    const hub = hubState();
    hub.routeTables.spoke.routes = [];
    hub.routeTables.hub.routes = [];
    const rules = accepts(tgwForwardRules(awsState(hub)));
    assert.ok(rules.some((r) => r.includes('-d 10.0.0.250/32') && r.includes('--dports 5000,5001')));
    assert.ok(rules.some((r) => r.includes('-s 10.1.0.2/32 -d 10.0.4.53/32 -p udp --dport 53')));
    assert.ok(!rules.some((r) => r.includes('-s 10.1.0.0/16 -d 10.0.0.0/16 -j')));
    assert.deepEqual(
      forwardChainProblems(
        ['-P FORWARD DROP', ...rules.map((r) => r.replace('iptables -w ', ''))].join('\n'),
      ),
      [],
    );
  });

  test('the router gets its table in one iptables-restore: policy DROP and the same rules', () => {
    const aws = awsState(hubState());
    const ruleset = tgwRuleset(aws);
    assert.match(ruleset, /^\*filter\n:INPUT ACCEPT \[0:0\]\n:FORWARD DROP \[0:0\]\n/);
    assert.match(ruleset, /\nCOMMIT\n$/);
    assert.equal(
      ruleset.split('\n').filter((l) => l.startsWith('-A FORWARD ')).length,
      tgwForwardRules(aws).length,
    );
    assert.deepEqual(forwardChainProblems(ruleset.replace(':FORWARD DROP [0:0]', '-P FORWARD DROP')), []);
  });

  test('a route wider than the lab forwards only into the lab range it covers', () => {
    assert.deepEqual(clampToLab('0.0.0.0/0'), ['10.0.0.0/16', '10.1.0.0/16']);
    assert.deepEqual(clampToLab('10.0.11.0/24'), ['10.0.11.0/24']);
    assert.deepEqual(clampToLab('192.168.0.0/16'), []);
  });

  test('the closure check fails an ACCEPT policy and a rule that forwards beyond the lab', () => {
    assert.deepEqual(forwardChainProblems('-P FORWARD ACCEPT'), ['vdl-tgw FORWARD policy is not DROP']);
    const leak = forwardChainProblems('-P FORWARD DROP\n-A FORWARD -s 10.1.0.0/16 -d 8.8.8.8/32 -j ACCEPT');
    assert.equal(leak.length, 1);
    assert.match(leak[0]!, /beyond the lab's ranges/);
    assert.equal(forwardChainProblems('-P FORWARD DROP\n-A FORWARD -i vdl-tgws -j ACCEPT').length, 1);
  });
});

describe('the fault proxy beyond EC2', () => {
  const scope = (service: string) =>
    `AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=x`;

  test("finds each protocol's action: Query, JSON target, Route 53's REST path", () => {
    assert.equal(
      requestAction('POST', '/', {}, new URLSearchParams('Action=AssumeRole&Version=2011-06-15')),
      'AssumeRole',
    );
    assert.equal(
      requestAction(
        'POST',
        '/',
        { 'x-amz-target': 'Route53Resolver.ListResolverRules' },
        new URLSearchParams(),
      ),
      'ListResolverRules',
    );
    const none = new URLSearchParams();
    assert.equal(
      requestAction('GET', '/2013-04-01/hostedzonesbyvpc?vpcid=vpc-1&vpcregion=us-east-1', {}, none),
      'ListHostedZonesByVPC',
    );
    assert.equal(
      requestAction('GET', '/2013-04-01/hostedzone/Z123/rrset', {}, none),
      'ListResourceRecordSets',
    );
    assert.equal(requestAction('GET', '/2013-04-01/hostedzone/Z123', {}, none), 'GetHostedZone');
    assert.equal(signingService(scope('route53resolver')), 'route53resolver');
  });

  test("a REST operation's path after the SDK's extra slash is forwarded as a path, not a host", () => {
    const seen = faultsFromPath('/deny/route53%3AGetHostedZone/run/r1//2013-04-01/hostedzone/Z1?x=1');
    assert.deepEqual(seen, {
      deny: ['route53:GetHostedZone'],
      run: 'r1',
      rest: '/2013-04-01/hostedzone/Z1?x=1',
    });
    assert.equal(new URL(seen.rest, 'http://10.0.0.250:5000').host, '10.0.0.250:5000');
  });

  test('a deny names an action bare (EC2 as before) or as service:Action, which binds it to that service', () => {
    assert.ok(isDenied(['DescribeVpcs'], 'DescribeVpcs', 'ec2'));
    assert.ok(isDenied(['sts:AssumeRole'], 'AssumeRole', 'sts'));
    assert.ok(!isDenied(['sts:AssumeRole'], 'AssumeRole', 'iam'));
    assert.ok(!isDenied(['sts:AssumeRole'], '', 'sts'));
  });

  test("answers in the service's own error shape", () => {
    assert.match(accessDenied('ec2', 'DescribeVpcs').text, /<Code>UnauthorizedOperation<\/Code>/);
    const sts = accessDenied('sts', 'AssumeRole');
    assert.equal(sts.status, 403);
    assert.match(sts.text, /<ErrorResponse><Error><Type>Sender<\/Type><Code>AccessDenied<\/Code>/);
    const resolver = accessDenied('route53resolver', 'ListResolverRules');
    assert.equal(JSON.parse(resolver.text).__type, 'AccessDeniedException');
    assert.equal(resolver.headers?.['x-amzn-errortype'], 'AccessDeniedException');
  });
});

describe('hub scenarios as data', () => {
  test('the healthy hub and the six broken ones, named apart from the other scenarios and found by name', () => {
    const names = HUB_SCENARIOS.map((s) => s.name);
    assert.deepEqual(names, [
      'hub-spoke',
      'hub-spoke-no-zone-association',
      'hub-spoke-rule-not-associated',
      'hub-spoke-tgw-route-missing',
      'hub-spoke-tgw-return-route-missing',
      'hub-spoke-hub-sg-excludes-spoke',
      'hub-spoke-hub-unreadable',
    ]);
    for (const name of names) {
      assert.equal(findScenario(name)?.name, name);
      assert.ok(!SCENARIOS.some((s) => s.name === name), `${name} stays out of the round-robin shards`);
    }
  });

  test('each runs its agent in the spoke with the hub role, proves from the spoke and reads moto back', () => {
    for (const s of HUB_SCENARIOS) {
      assert.equal(s.agentNode, 'spoke', s.name);
      assert.ok(s.proof.hub, `${s.name} has a spoke proof`);
      assert.match(JSON.stringify(s.agentConfig), /"roleArn":"arn:aws:iam::\d{12}:role\//, s.name);
      for (const service of Object.keys(s.proof.hub!.dns))
        assert.ok(
          s.hub?.zones?.[service] || s.hub?.rules?.[service],
          `${s.name}: ${service} is served by the hub`,
        );
      assert.ok(
        s.proof.aws?.some((p) => p.service === 'route53'),
        `${s.name} reads the zones back`,
      );
    }
  });

  test('a broken hub scenario shows its symptom to the spoke: public answers or a TCP timeout', () => {
    for (const s of HUB_SCENARIOS.filter((x) => x.expect.exitCode !== 0)) {
      const hub = s.proof.hub!;
      const symptoms = [
        ...Object.values(hub.dns).filter((d) => d !== 'hub'),
        ...Object.values(hub.tcp).filter((t) => t !== 'connected'),
      ];
      assert.ok(symptoms.length > 0, `${s.name} changes what the spoke sees`);
    }
  });
});
