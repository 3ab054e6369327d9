// Centralised endpoints (issue 15), as a table over the recorded hub-and-spoke world
// (test/fixtures/hub): the chain is built by the real loaders from recorded Route 53, Resolver
// and EC2 output, every check runs, and the verdict is asserted — status, root cause, and the
// codes that must (and must never) appear. Faults make one call fail as AWS fails it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findingsForGaps } from '../../src/aws/gap-findings.js';
import { createHubSession } from '../../src/aws/hub.js';
import { normalizeDnsName } from '../../src/aws/route53.js';
import { covers, recordFor, tgwRouteFor } from '../../src/eval/hub.js';
import { buildFixes } from '../../src/fixes/index.js';
import type { DnsObservation, Finding, TargetObservations, TargetReport } from '../../src/model.js';
import { judgeTarget } from '../../src/runner.js';
import {
  awsError,
  loadRecorded,
  observed,
  PEERED_SQS,
  recorded,
  recordedChain,
  spokeContext,
  spokeInput,
  spokeInventory,
  spokeTarget,
  tgwTableWith,
  type World,
} from '../fixtures/hub/load.js';

interface Case {
  name: string;
  service: string;
  world?: World;
  observations: TargetObservations;
  status: TargetReport['status'];
  root?: string;
  has?: string[];
  never?: string[];
  /** The chain is not read at all (an agent without the Route 53 clients). */
  noChain?: boolean;
  /** The name the workload resolves, when not SERVICE.us-east-1.amazonaws.com. */
  hostname?: string;
  /** The spoke's table also has a default route to a NAT gateway. */
  nat?: boolean;
  check?: (report: TargetReport) => void;
}

const SM = ['10.0.4.11', '10.0.5.11'];
const host = (service: string) => `${service}.us-east-1.amazonaws.com`;
const noSpokeRoute = tgwTableWith('tgw-rtb-0spokes', [['10.3.0.0/16', 'active']]);
const ruleTarget = (address: string, outcome: DnsObservation['outcome']): DnsObservation => ({
  resolver: { address, source: 'resolver-rule' },
  hostname: host('sts'),
  outcome,
  addresses: [],
  transport: 'udp',
  durationMs: 1500,
});
const finding = (report: TargetReport, code: string): Finding => {
  const found = report.findings.find((f) => f.code === code);
  assert.ok(found, `${code} in ${report.findings.map((f) => f.code).join(', ')}`);
  return found;
};

const CASES: Case[] = [
  {
    name: 'a healthy hub endpoint behind an alias record passes, named as centralised',
    service: 'secretsmanager',
    observations: observed(host('secretsmanager'), SM),
    status: 'pass',
    has: ['DNS_HUB_OK', 'ROUTE_VIA_TRANSIT_GATEWAY', 'HUB_ENDPOINT_OK'],
    never: ['DNS_NO_LOCAL_ENDPOINT', 'DNS_RESOLVES_UNEXPECTED_PRIVATE', 'ROUTE_VIA_OTHER_TARGET'],
    check: (report) => {
      const dns = finding(report, 'DNS_HUB_OK');
      assert.equal(dns.evidence['hostedZoneId'], 'Z0SMHUB11111');
      assert.equal(dns.evidence['hubEndpointId'], 'vpce-0ab5e1');
      assert.equal(dns.evidence['hubVpcId'], 'vpc-0hub');
      const route = finding(report, 'ROUTE_VIA_TRANSIT_GATEWAY');
      assert.equal(route.evidence['transitGatewayPath'], 'read');
      assert.equal(route.evidence['spokeTable'], 'tgw-rtb-0spokes');
      assert.equal(route.evidence['returnTable'], 'tgw-rtb-0hub');
      assert.deepEqual(route.evidence['addresses'], SM, 'one finding for both ENIs');
    },
  },
  {
    name: 'an A record that holds the answer is a hub answer too',
    service: 'kms',
    world: { answers: { 'hub:DescribeSecurityGroups': { SecurityGroups: [] } } },
    observations: observed(host('kms'), ['10.0.4.21']),
    status: 'pass',
    has: ['DNS_HUB_OK'],
  },
  {
    name: 'an A-record answer the zone does not hold is not explained by it (no DNS_HUB_OK)',
    service: 'kms',
    observations: observed(host('kms'), ['10.0.9.99']),
    status: 'warn',
    has: ['DNS_NO_LOCAL_ENDPOINT', 'ROUTE_VIA_OTHER_TARGET'],
    never: ['DNS_HUB_OK', 'ROUTE_VIA_TRANSIT_GATEWAY'],
  },
  {
    name: "the hub endpoint's group admits other spokes only: its cause for the timeout",
    service: 'kms',
    observations: observed(host('kms'), ['10.0.4.21'], 'timeout'),
    status: 'fail',
    root: 'HUB_SG_EXCLUDES_SPOKE',
    never: ['HUB_ENDPOINT_OK', 'PROBE_CONTRADICTS_CONFIG'],
    check: (report) => {
      const sg = finding(report, 'HUB_SG_EXCLUDES_SPOKE');
      assert.equal(sg.evidence['groupId'], 'sg-0hubkms');
      assert.equal(sg.evidence['spokeCidr'], '10.1.0.0/16');
      assert.match(
        sg.fix ?? '',
        /authorize-security-group-ingress --group-id sg-0hubkms .*--cidr 10\.1\.0\.0\/16/,
      );
    },
  },
  {
    name: 'a group reading that working probes contradict is a warning about our reading',
    service: 'kms',
    observations: observed(host('kms'), ['10.0.4.21']),
    status: 'warn',
    root: 'CONFIG_CONTRADICTS_PROBE',
  },
  {
    name: 'a hub zone not associated with the spoke explains a public answer without a path',
    service: 'ssm',
    observations: observed(host('ssm'), ['52.46.1.1'], 'timeout'),
    status: 'fail',
    root: 'HUB_ZONE_NOT_ASSOCIATED',
    check: (report) => {
      const zone = finding(report, 'HUB_ZONE_NOT_ASSOCIATED');
      assert.equal(zone.evidence['hostedZoneId'], 'Z0SSMHUB4444');
      assert.equal(zone.evidence['crossAccount'], true);
      assert.match(zone.fix ?? '', /create-vpc-association-authorization --hosted-zone-id Z0SSMHUB4444/);
      assert.match(
        zone.fix ?? '',
        /associate-vpc-with-hosted-zone --hosted-zone-id Z0SSMHUB4444 --vpc VPCRegion=us-east-1,VPCId=vpc-0spoke/,
      );
    },
  },
  {
    name: 'a broad private zone not associated is not taken for the one that would answer',
    service: 'ssm',
    world: {
      answers: {
        'hub:ListHostedZonesByName': {
          HostedZones: [
            {
              Id: '/hostedzone/Z0BROAD77777',
              Name: 'us-east-1.amazonaws.com.',
              Config: { PrivateZone: true },
            },
          ],
          IsTruncated: false,
        },
      },
    },
    observations: observed(host('ssm'), ['52.46.1.1'], 'timeout'),
    status: 'fail',
    root: 'ROUTE_NO_PATH',
    never: ['HUB_ZONE_NOT_ASSOCIATED'],
  },
  {
    name: "a wildcard service's own zone not associated is the one that would answer",
    service: 'ecr.dkr',
    hostname: '111122223333.dkr.ecr.us-east-1.amazonaws.com',
    world: {
      answers: {
        'hub:ListHostedZonesByName': {
          HostedZones: [
            {
              Id: '/hostedzone/Z0DKR8888888',
              Name: 'dkr.ecr.us-east-1.amazonaws.com.',
              Config: { PrivateZone: true },
            },
          ],
          IsTruncated: false,
        },
      },
    },
    observations: observed('111122223333.dkr.ecr.us-east-1.amazonaws.com', [], 'none', 'nxdomain'),
    status: 'fail',
    root: 'HUB_ZONE_NOT_ASSOCIATED',
  },
  {
    name: 'a hub zone not associated while the public answer connects is a warning',
    service: 'ssm',
    nat: true,
    observations: observed(host('ssm'), ['52.46.1.1']),
    status: 'warn',
    root: 'HUB_ZONE_NOT_ASSOCIATED',
  },
  {
    name: "a zone found by name is not called unassociated when this VPC's associations could not be read",
    service: 'ssm',
    world: { faults: { 'agent:ListHostedZonesByVPC': awsError('AccessDenied') } },
    observations: observed(host('ssm'), ['52.46.1.1'], 'timeout'),
    status: 'fail',
    root: 'ROUTE_NO_PATH',
    never: ['HUB_ZONE_NOT_ASSOCIATED'],
  },
  {
    name: 'unreadable zone associations and a timeout to private addresses over the transit gateway: unknown, the route is no cause',
    service: 'secretsmanager',
    world: { faults: { 'agent:ListHostedZonesByVPC': awsError('AccessDenied') } },
    observations: observed(host('secretsmanager'), SM, 'timeout'),
    status: 'unknown',
    root: 'HUB_UNREADABLE',
    has: ['ROUTE53_UNREADABLE', 'ROUTE_UNKNOWN'],
    never: ['ROUTE_VIA_OTHER_TARGET', 'PROBE_CONTRADICTS_CONFIG', 'HUB_SG_EXCLUDES_SPOKE'],
    check: (report) => assert.match(finding(report, 'HUB_UNREADABLE').message, /ListHostedZonesByVPC/),
  },
  {
    name: 'a private foreign answer no associated zone or rule gives is not called centralised, and Profiles are named as unread',
    service: 'secretsmanager',
    world: {
      answers: {
        'agent:ListHostedZonesByVPC': { HostedZoneSummaries: [] },
        'agent:ListResolverRuleAssociations': { ResolverRuleAssociations: [] },
      },
    },
    observations: observed(host('secretsmanager'), SM),
    status: 'warn',
    root: 'ROUTE_VIA_OTHER_TARGET',
    never: ['DNS_HUB_OK', 'ROUTE53_UNREADABLE'],
    check: (report) =>
      assert.match(finding(report, 'DNS_NO_LOCAL_ENDPOINT').message, /Route 53 Profile.*not read/),
  },
  {
    name: 'a hub zone is not named when the hub role cannot be assumed: whether one exists is unknown',
    service: 'ssm',
    world: { assume: awsError('AccessDenied') },
    observations: observed(host('ssm'), [], 'none', 'nxdomain'),
    status: 'fail',
    root: 'DNS_NXDOMAIN',
    has: ['ROUTE53_UNREADABLE'],
    never: ['HUB_ZONE_NOT_ASSOCIATED'],
  },
  {
    name: 'a shared forward rule not associated explains NXDOMAIN',
    service: 'logs',
    observations: observed(host('logs'), [], 'none', 'nxdomain'),
    status: 'fail',
    root: 'HUB_RULE_NOT_ASSOCIATED',
    check: (report) => {
      assert.match(
        finding(report, 'HUB_RULE_NOT_ASSOCIATED').fix ?? '',
        /associate-resolver-rule --resolver-rule-id rslvr-rr-0logs1111 --vpc-id vpc-0spoke/,
      );
    },
  },
  {
    name: 'an unreadable rule list names no rule cause',
    service: 'logs',
    world: { faults: { 'agent:ListResolverRules': awsError('AccessDeniedException') } },
    observations: observed(host('logs'), [], 'none', 'nxdomain'),
    status: 'fail',
    root: 'DNS_NXDOMAIN',
    has: ['ROUTE53_UNREADABLE'],
    never: ['HUB_RULE_NOT_ASSOCIATED'],
  },
  {
    name: 'an answer through an associated forward rule is a hub answer',
    service: 'sts',
    observations: observed(host('sts'), ['10.0.4.31']),
    status: 'pass',
    has: ['DNS_HUB_OK', 'ROUTE_VIA_TRANSIT_GATEWAY'],
    check: (report) =>
      assert.equal(finding(report, 'DNS_HUB_OK').evidence['resolverRuleId'], 'rslvr-rr-0sts22222'),
  },
  {
    name: "rule targets that do not answer directly explain the VPC resolver's timeout",
    service: 'sts',
    observations: {
      ...observed(host('sts'), [], 'none', 'timeout'),
      ruleTargets: [ruleTarget('10.0.4.53', 'timeout'), ruleTarget('10.0.5.53', 'timeout')],
    },
    status: 'fail',
    root: 'HUB_RULE_TARGETS_DOWN',
  },
  {
    name: 'a rule target that answers directly leaves the timeout its own cause',
    service: 'sts',
    observations: {
      ...observed(host('sts'), [], 'none', 'timeout'),
      ruleTargets: [
        ruleTarget('10.0.4.53', 'timeout'),
        { ...ruleTarget('10.0.5.53', 'answer'), addresses: ['10.0.4.31'] },
      ],
    },
    status: 'fail',
    root: 'DNS_TIMEOUT',
    never: ['HUB_RULE_TARGETS_DOWN'],
  },
  {
    name: "no route for the hub in the spoke attachment's table explains the timeout",
    service: 'secretsmanager',
    world: noSpokeRoute,
    observations: observed(host('secretsmanager'), SM, 'timeout'),
    status: 'fail',
    root: 'TGW_ROUTE_MISSING',
    never: ['ROUTE_VIA_TRANSIT_GATEWAY'],
    check: (report) =>
      assert.equal(
        finding(report, 'TGW_ROUTE_MISSING').evidence['transitGatewayRouteTableId'],
        'tgw-rtb-0spokes',
      ),
  },
  {
    name: 'a blackhole route for the hub is a missing route',
    service: 'secretsmanager',
    world: tgwTableWith('tgw-rtb-0spokes', [['10.0.0.0/16', 'blackhole']]),
    observations: observed(host('secretsmanager'), SM, 'timeout'),
    status: 'fail',
    root: 'TGW_ROUTE_MISSING',
  },
  {
    name: "no route back in the hub attachment's table explains the timeout",
    service: 'secretsmanager',
    world: tgwTableWith('tgw-rtb-0hub', [['10.3.0.0/16', 'active']]),
    observations: observed(host('secretsmanager'), SM, 'timeout'),
    status: 'fail',
    root: 'TGW_RETURN_ROUTE_MISSING',
    check: (report) => {
      const back = finding(report, 'TGW_RETURN_ROUTE_MISSING');
      assert.equal(back.evidence['transitGatewayRouteTableId'], 'tgw-rtb-0hub');
      assert.equal(back.evidence['spokeAttachmentId'], 'tgw-attach-0spoke');
    },
  },
  {
    name: 'unreadable transit gateway tables and a timeout: unknown, naming what was not read',
    service: 'secretsmanager',
    world: { faults: { 'hub:SearchTransitGatewayRoutes': awsError('UnauthorizedOperation') } },
    observations: observed(host('secretsmanager'), SM, 'timeout'),
    status: 'unknown',
    root: 'HUB_UNREADABLE',
    never: ['TGW_ROUTE_MISSING', 'TGW_RETURN_ROUTE_MISSING', 'PROBE_CONTRADICTS_CONFIG'],
  },
  {
    name: 'unreadable records and a timeout at the hub: unknown, never a contradiction',
    service: 'kms',
    world: {
      faults: {
        'agent:ListResourceRecordSets': awsError('AccessDenied'),
        'hub:ListResourceRecordSets': awsError('AccessDenied'),
      },
    },
    observations: observed(host('kms'), ['10.0.4.21'], 'timeout'),
    status: 'unknown',
    root: 'HUB_UNREADABLE',
    has: ['DNS_HUB_OK'],
    never: ['HUB_SG_EXCLUDES_SPOKE', 'PROBE_CONTRADICTS_CONFIG'],
  },
  {
    name: 'a timeout at a hub endpoint behind a forward rule: unknown, the endpoint is not looked up',
    service: 'sts',
    observations: observed(host('sts'), ['10.0.4.31'], 'timeout'),
    status: 'unknown',
    root: 'HUB_UNREADABLE',
    never: ['PROBE_CONTRADICTS_CONFIG'],
  },
  {
    name: "this VPC's attachments unreadable and a timeout: unknown, never a contradiction",
    service: 'secretsmanager',
    world: { faults: { 'agent:DescribeTransitGatewayAttachments': awsError('UnauthorizedOperation') } },
    observations: observed(host('secretsmanager'), SM, 'timeout'),
    status: 'unknown',
    root: 'HUB_UNREADABLE',
    never: ['TGW_ROUTE_MISSING', 'PROBE_CONTRADICTS_CONFIG'],
    check: (report) => {
      const unread = finding(report, 'HUB_UNREADABLE');
      assert.match(unread.message, /with the agent's role: ec2:DescribeTransitGatewayAttachments denied/);
      assert.match(unread.fix ?? '', /agent's IAM policy/);
    },
  },
  {
    name: "an empty table for the spoke's attachment is a missing route",
    service: 'secretsmanager',
    world: tgwTableWith('tgw-rtb-0spokes', []),
    observations: observed(host('secretsmanager'), SM, 'timeout'),
    status: 'fail',
    root: 'TGW_ROUTE_MISSING',
  },
  {
    name: 'a transit gateway path only an unread prefix list could route, and a timeout: unknown',
    service: 'secretsmanager',
    world: {
      answers: {
        'hub:SearchTransitGatewayRoutes:tgw-rtb-0spokes': {
          Routes: [{ PrefixListId: 'pl-0hubnets', Type: 'static', State: 'active' }],
        },
      },
    },
    observations: observed(host('secretsmanager'), SM, 'timeout'),
    status: 'unknown',
    root: 'HUB_UNREADABLE',
    never: ['TGW_ROUTE_MISSING', 'PROBE_CONTRADICTS_CONFIG'],
  },
  {
    name: 'an unreadable peering and a timeout: unknown, never PEERING_NOT_ACTIVE',
    service: 'sqs',
    world: {
      answers: PEERED_SQS.answers!,
      faults: { 'agent:DescribeVpcPeeringConnections': awsError('UnauthorizedOperation') },
    },
    observations: observed(host('sqs'), ['10.2.0.15'], 'timeout'),
    status: 'unknown',
    root: 'HUB_UNREADABLE',
    never: ['PEERING_NOT_ACTIVE', 'PROBE_CONTRADICTS_CONFIG'],
  },
  {
    name: 'a hub role that cannot be assumed and a timeout: unknown, never the group cause',
    service: 'kms',
    world: { assume: awsError('AccessDenied') },
    observations: observed(host('kms'), ['10.0.4.21'], 'timeout'),
    status: 'unknown',
    root: 'HUB_UNREADABLE',
    has: ['DNS_HUB_OK'],
    never: ['HUB_SG_EXCLUDES_SPOKE', 'TGW_ROUTE_MISSING', 'PROBE_CONTRADICTS_CONFIG'],
    check: (report) => {
      const unread = finding(report, 'HUB_UNREADABLE');
      assert.match(unread.message, /sts:AssumeRole denied/);
      assert.match(finding(report, 'DNS_HUB_OK').message, /records unread/);
    },
  },
  {
    name: 'unreadable zones: a private foreign answer is not called centralised, and says why; working probes pass',
    service: 'secretsmanager',
    world: { faults: { 'agent:ListHostedZonesByVPC': awsError('AccessDenied') } },
    observations: observed(host('secretsmanager'), SM),
    status: 'pass',
    has: ['DNS_NO_LOCAL_ENDPOINT', 'ROUTE53_UNREADABLE', 'ROUTE_UNKNOWN'],
    never: ['DNS_HUB_OK', 'DNS_RESOLVES_UNEXPECTED_PRIVATE', 'ROUTE_VIA_OTHER_TARGET', 'HUB_UNREADABLE'],
  },
  {
    name: 'a peering pending acceptance explains the timeout',
    service: 'sqs',
    world: PEERED_SQS,
    observations: observed(host('sqs'), ['10.2.0.15'], 'timeout'),
    status: 'fail',
    root: 'PEERING_NOT_ACTIVE',
  },
  {
    name: 'without the chain, a spoke judges as before',
    service: 'secretsmanager',
    noChain: true,
    observations: observed(host('secretsmanager'), SM),
    status: 'warn',
    has: ['DNS_NO_LOCAL_ENDPOINT', 'ROUTE_VIA_OTHER_TARGET'],
    never: ['DNS_HUB_OK', 'ROUTE53_UNREADABLE', 'HUB_UNREADABLE'],
  },
];

describe('centralised endpoints over the recorded hub-and-spoke world', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const chain = await recordedChain(c.world);
      const input = spokeInput(
        spokeTarget(c.service, c.hostname ? { hostname: c.hostname } : {}),
        chain,
        c.observations,
      );
      if (c.noChain) delete input.inventory.chain;
      if (c.nat && input.inventory.routeTables.ok) {
        input.inventory.routeTables = {
          ok: true,
          value: input.inventory.routeTables.value.map((t) => ({
            ...t,
            Routes: [
              ...(t.Routes ?? []),
              { DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: 'nat-0spoke', State: 'active' },
            ],
          })),
        };
      }
      const report = judgeTarget(input.target, input.context, input.inventory, input.observations);
      const codes = report.findings.map((f) => f.code);
      assert.equal(
        report.status,
        c.status,
        `status; findings ${codes.join(', ')}; root ${report.rootCause?.code}`,
      );
      if (c.root) assert.equal(report.rootCause?.code, c.root, codes.join(', '));
      for (const code of c.has ?? []) assert.ok(codes.includes(code), `${code} in ${codes.join(', ')}`);
      for (const code of c.never ?? [])
        assert.ok(!codes.includes(code), `${code} not in ${codes.join(', ')}`);
      c.check?.(report);
    });
  }
});

describe('the chain loaders over recorded output', () => {
  it("reads another account's zone records with the hub role when its own credentials may not", async () => {
    const { chain, log } = await loadRecorded();
    assert.ok(log.includes('agent:ListResourceRecordSets') && log.includes('hub:ListResourceRecordSets'));
    const zones = chain.associatedZones.ok ? chain.associatedZones.value : [];
    const sm = zones.find((z) => z.id === 'Z0SMHUB11111');
    assert.ok(sm?.records?.ok, 'records read through the hub role');
    // The corporate zone answers no service name: its records are not read.
    assert.equal(zones.find((z) => z.id === 'Z0CORP333333')?.records, undefined);
  });

  it('keeps only private zones, and marks which are associated', async () => {
    const chain = await recordedChain();
    const hub = chain.hub.zones?.ok ? chain.hub.zones.value : [];
    assert.deepEqual(
      hub.map((z) => [z.id, z.associated]),
      [
        ['Z0KMSHUB2222', true],
        ['Z0SMHUB11111', true],
        ['Z0SSMHUB4444', false],
      ],
    );
  });

  it('a throttled call is a gap of its part only', async () => {
    const chain = await recordedChain({
      faults: { 'agent:ListResolverRuleAssociations': awsError('ThrottlingException') },
    });
    assert.equal(chain.ruleAssociations.ok, false);
    if (!chain.ruleAssociations.ok) {
      assert.equal(chain.ruleAssociations.gap.kind, 'throttled');
      assert.equal(chain.ruleAssociations.gap.action, 'route53resolver:ListResolverRuleAssociations');
    }
    assert.equal(chain.resolverRules.ok, true);
    assert.equal(chain.associatedZones.ok, true);
  });

  it('a record without a value or alias makes its part a gap, not an empty zone', async () => {
    const chain = await recordedChain({
      answers: {
        'hub:ListResourceRecordSets:Z0KMSHUB2222': {
          ResourceRecordSets: [{ Name: 'kms.us-east-1.amazonaws.com.', Type: 'A', TTL: 60 }],
        },
      },
    });
    const kms = chain.associatedZones.ok
      ? chain.associatedZones.value.find((z) => z.id === 'Z0KMSHUB2222')
      : undefined;
    assert.equal(kms?.records?.ok, false);
  });

  it('without a hub role the hub side is read with the agent\u2019s own credentials', async () => {
    const { chain, log } = await loadRecorded({ hubRole: false });
    assert.ok(!log.some((c) => c.startsWith('hub:')), log.join(', '));
    assert.equal(chain.hub.role, 'none');
    assert.equal(chain.hub.zones, undefined, "no hub account's zones without its role");
  });

  it("without a hub role another account's transit gateway is not searched: a working spoke is not unknown for a read nobody configured", async () => {
    // The recorded gateway is 999988887777's, shared with the spoke's 111122223333.
    const { chain, log } = await loadRecorded({ hubRole: false });
    assert.ok(!log.includes('agent:SearchTransitGatewayRoutes'), log.join(', '));
    assert.deepEqual(chain.transitGateways, []);
    assert.deepEqual(findingsForGaps(spokeInventory(chain)), [], 'no gap: nothing was refused');
    const judge = (tcp: 'connected' | 'timeout') => {
      const input = spokeInput(
        spokeTarget('secretsmanager'),
        chain,
        observed(host('secretsmanager'), SM, tcp),
      );
      return judgeTarget(input.target, input.context, input.inventory, input.observations);
    };
    assert.equal(judge('connected').status, 'pass');
    const silent = judge('timeout');
    assert.equal(silent.status, 'unknown');
    assert.equal(silent.rootCause?.code, 'HUB_UNREADABLE');
    assert.match(silent.rootCause?.message ?? '', /belongs to account 999988887777.*hub\.roleArn/);
  });

  it("with the gateway in the spoke's own account and no hub role, the agent searches its tables itself", async () => {
    const own = recorded<{ TransitGatewayAttachments: Array<Record<string, unknown>> }>(
      'describe-transit-gateway-attachments-spoke',
    );
    const { chain } = await loadRecorded({
      hubRole: false,
      answers: {
        'agent:DescribeTransitGatewayAttachments': {
          TransitGatewayAttachments: own.TransitGatewayAttachments.map((a) => ({
            ...a,
            TransitGatewayOwnerId: a['ResourceOwnerId'],
          })),
        },
      },
    });
    assert.equal(chain.transitGateways[0]?.readBy, 'agent');
  });
});

describe('the hub role session', () => {
  const credentials = (expiresAt: number) => ({
    Credentials: {
      AccessKeyId: 'ASIATESTTESTTESTTEST',
      SecretAccessKey: 'secret',
      SessionToken: 'token',
      Expiration: new Date(expiresAt),
    },
    $metadata: {},
  });

  it('assumes once while the credentials live, again shortly before they expire', async () => {
    let now = 0;
    let calls = 0;
    const session = createHubSession(
      { roleArn: 'arn:aws:iam::210987654321:role/vpce-doctor-hub-read', externalId: 'ext-1' },
      {
        sts: {
          send: (async (command: { input: Record<string, unknown> }) => {
            calls += 1;
            assert.equal(command.input['ExternalId'], 'ext-1');
            return credentials(now + 3_600_000);
          }) as never,
        },
        build: () => ({
          ec2: { send: async () => ({}) } as never,
          route53: { send: async () => ({}) } as never,
        }),
        clock: () => now,
      },
    );
    const signal = new AbortController().signal;
    const first = await session.clients(signal);
    assert.ok(first.ok && first.value.accountId === '210987654321');
    now = 3_600_000 - 6 * 60_000;
    await session.clients(signal);
    assert.equal(calls, 1, 'cached until five minutes before expiry');
    now = 3_600_000 - 4 * 60_000;
    await session.clients(signal);
    assert.equal(calls, 2, 'renewed in the last five minutes');
  });

  it('a refusal is a gap naming sts:AssumeRole, and is asked again next time', async () => {
    let calls = 0;
    const session = createHubSession(
      { roleArn: 'arn:aws:iam::210987654321:role/vpce-doctor-hub-read' },
      {
        sts: {
          send: (async () => {
            calls += 1;
            throw awsError(
              'AccessDenied',
              'User: arn:aws:sts::111122223333:assumed-role/app/x is not authorized to perform: sts:AssumeRole',
            );
          }) as never,
        },
        build: () => ({
          ec2: { send: async () => ({}) } as never,
          route53: { send: async () => ({}) } as never,
        }),
      },
    );
    const signal = new AbortController().signal;
    const part = await session.clients(signal);
    assert.equal(part.ok, false);
    if (!part.ok) {
      assert.equal(part.gap.action, 'sts:AssumeRole');
      assert.equal(part.gap.kind, 'permission');
      assert.doesNotMatch(part.gap.message, /111122223333/, 'redacted');
    }
    await session.clients(signal);
    assert.equal(calls, 2);
  });
});

describe('name and route helpers', () => {
  it('normalizes Route 53 names', () => {
    assert.equal(
      normalizeDnsName('Secretsmanager.US-East-1.amazonaws.com.'),
      'secretsmanager.us-east-1.amazonaws.com',
    );
    assert.equal(
      normalizeDnsName('\\052.dkr.ecr.us-east-1.amazonaws.com.'),
      '*.dkr.ecr.us-east-1.amazonaws.com',
    );
    assert.equal(normalizeDnsName('.'), '.');
  });

  it('a domain covers itself and names under it, not names that only end like it', () => {
    assert.ok(covers('kms.us-east-1.amazonaws.com', 'kms.us-east-1.amazonaws.com'));
    assert.ok(covers('ecr.us-east-1.amazonaws.com', 'api.ecr.us-east-1.amazonaws.com'));
    assert.ok(!covers('ms.us-east-1.amazonaws.com', 'kms.us-east-1.amazonaws.com'));
    assert.ok(!covers('.', 'kms.us-east-1.amazonaws.com'));
  });

  it('a wildcard record answers a name under it, the exact record first', () => {
    const records = [
      { name: '*.dkr.ecr.us-east-1.amazonaws.com', type: 'A', values: ['10.0.4.41'] },
      { name: 'dkr.ecr.us-east-1.amazonaws.com', type: 'A', values: ['10.0.4.42'] },
    ];
    assert.deepEqual(recordFor(records, '111122223333.dkr.ecr.us-east-1.amazonaws.com')?.values, [
      '10.0.4.41',
    ]);
    assert.deepEqual(recordFor(records, 'dkr.ecr.us-east-1.amazonaws.com')?.values, ['10.0.4.42']);
  });

  it('the longest transit gateway route wins', () => {
    const routes = [
      { DestinationCidrBlock: '0.0.0.0/0', State: 'active' as const },
      { DestinationCidrBlock: '10.0.4.0/24', State: 'blackhole' as const },
      { DestinationCidrBlock: '10.0.0.0/16', State: 'active' as const },
    ];
    assert.equal(tgwRouteFor(routes, '10.0.4.11').route?.State, 'blackhole');
    assert.equal(tgwRouteFor(routes, '10.0.5.11').route?.DestinationCidrBlock, '10.0.0.0/16');
  });
});

describe("the chain's gaps in the report", () => {
  const scope = { context: spokeContext() };

  it("a hub role's denial is its own finding, fixed in the hub role's policy, never by widening the agent's", async () => {
    const chain = await recordedChain({
      faults: {
        'hub:DescribeSecurityGroups': awsError('UnauthorizedOperation'),
        'agent:ListResolverRules': awsError('AccessDeniedException'),
      },
    });
    const findings = findingsForGaps(spokeInventory(chain));
    const hub = findings.find((f) => f.evidence['via'] === 'hub-role');
    const agent = findings.find((f) => f.evidence['action'] === 'route53resolver:ListResolverRules');
    assert.ok(hub && agent && hub !== agent, findings.map((f) => f.message).join(' | '));
    assert.match(hub.message, /the hub role \(configuration hub\.roleArn\) lacks ec2:DescribeSecurityGroups/);
    assert.match(hub.fix ?? '', /hub-read-policy\.json/);
    assert.equal(buildFixes(hub, scope), undefined, "no put-role-policy on the agent's role");
    assert.match(agent.message, /the agent's role lacks route53resolver:ListResolverRules/);
    assert.ok(buildFixes(agent, scope)?.cli?.includes('route53resolver:ListResolverRules'));
  });

  it('a refused AssumeRole is never fixed by allowing sts:AssumeRole on "*"', async () => {
    const chain = await recordedChain({ assume: awsError('AccessDenied') });
    const findings = findingsForGaps(spokeInventory(chain));
    const assume = findings.find((f) => (f.evidence['actions'] as string[]).includes('sts:AssumeRole'));
    assert.ok(assume, findings.map((f) => f.message).join(' | '));
    assert.match(assume.fix ?? '', /hub role's ARN only/);
    assert.equal(buildFixes(assume, scope), undefined);
  });
});
