// Findings from the recorded describe-* fixtures, as the runner makes them: every check over a
// scenario that breaks one thing, so the fixes are built from what the checks really emit.
import { readFileSync } from 'node:fs';
import type { NetworkAcl, RouteTable, Subnet, VpcEndpoint } from '@aws-sdk/client-ec2';
import { CHECKS } from '../../checks/index.js';
import { findingsForGaps } from '../../src/aws/gap-findings.js';
import { buildFixes, type FixScope } from '../../src/fixes/index.js';
import type {
  CheckInput,
  DnsObservation,
  Finding,
  Ipv6Observations,
  Report,
  Resolver,
  Target,
  TargetObservations,
} from '../../src/model.js';
import { buildReport } from '../../src/report.js';
import { judgeTarget } from '../../src/runner.js';
import { input6, SM_ENI6, SSM_ENI6, target6, withEndpointGroups } from '../fixtures/ec2/ipv6/load.js';
import {
  endpoints,
  gap,
  input,
  networkAcls,
  resolved,
  routeTables,
  subnets,
  target,
} from '../fixtures/ec2/load.js';
import {
  observed,
  PEERED_SQS,
  recordedChain,
  spokeInput,
  spokeTarget,
  tgwTableWith,
} from '../fixtures/hub/load.js';
import { TEAM_BUCKET_ONLY } from '../fixtures/policies.js';

function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/ec2/${name}.json`, import.meta.url), 'utf8')) as T;
}

const ephemeralAcls = fixture<{ NetworkAcls: NetworkAcl[] }>('describe-network-acls-ephemeral').NetworkAcls;
const ephemeralSubnets = fixture<{ Subnets: Subnet[] }>('describe-subnets-ephemeral').Subnets;
const publicTables = fixture<{ RouteTables: RouteTable[] }>('describe-route-tables-public').RouteTables;

/** The ACLs and subnets of the ephemeral-range fixture beside the base VPC's. */
const ephemeralInventory = {
  networkAcls: {
    ok: true as const,
    value: [
      ...networkAcls.filter((a) => !ephemeralAcls.some((e) => e.NetworkAclId === a.NetworkAclId)),
      ...ephemeralAcls,
    ],
  },
  subnets: { ok: true as const, value: [...subnets, ...ephemeralSubnets] },
};

/** subnet-0app on the public table (an internet gateway for the default route). */
const publicInventory = {
  routeTables: {
    ok: true as const,
    value: [...routeTables.filter((t) => t.RouteTableId !== 'rtb-0app'), ...publicTables],
  },
};

function withPolicy(endpointId: string, policy: object): { ok: true; value: VpcEndpoint[] } {
  return {
    ok: true,
    value: endpoints.map((e) =>
      e.VpcEndpointId === endpointId ? { ...e, PolicyDocument: JSON.stringify(policy) } : e,
    ),
  };
}

const DENY_ALL = {
  Version: '2012-10-17',
  Statement: [{ Sid: 'DenyAll', Effect: 'Deny', Principal: '*', Action: '*', Resource: '*' }],
};

const fargate = (shortName: string, endpointId?: string, extra: Partial<Target> = {}) =>
  target(shortName, endpointId, { profiles: ['ecs-fargate'], origin: ['discovered', 'profile'], ...extra });

const CUSTOM_RESOLVER: Resolver = { address: '10.0.3.53', source: 'resolv.conf' };
const AMAZON_RESOLVER: Resolver = { address: '10.0.0.2', source: 'vpc-base-2' };
const answer = (resolver: Resolver, addresses: string[]): DnsObservation => ({
  resolver,
  hostname: 'secretsmanager.us-east-1.amazonaws.com',
  outcome: 'answer',
  addresses,
  transport: 'udp',
  durationMs: 1,
});

export interface Scenario {
  name: string;
  input: CheckInput;
}

const scenario = (name: string, t: Target, options: Parameters<typeof input>[1] = {}): Scenario => ({
  name,
  input: input(t, options),
});
const seen = (addresses: string[]): TargetObservations => resolved(addresses);

/** Centralised endpoints (issue 15), over the recorded hub-and-spoke world (test/fixtures/hub). */
async function hubScenarios(): Promise<Scenario[]> {
  const chain = await recordedChain();
  const noReturn = await recordedChain(tgwTableWith('tgw-rtb-0hub', [['10.3.0.0/16', 'active']]));
  const peered = await recordedChain(PEERED_SQS);
  const hub = (name: string, input: CheckInput): Scenario => ({ name, input });
  return [
    hub(
      'a hub zone not associated with the spoke',
      spokeInput(
        spokeTarget('ssm'),
        chain,
        observed('ssm.us-east-1.amazonaws.com', ['52.46.1.1'], 'timeout'),
      ),
    ),
    hub(
      'a shared Resolver rule not associated with the spoke',
      spokeInput(
        spokeTarget('logs'),
        chain,
        observed('logs.us-east-1.amazonaws.com', [], 'none', 'nxdomain'),
      ),
    ),
    hub(
      "the hub endpoint's group admits other spokes only",
      spokeInput(
        spokeTarget('kms'),
        chain,
        observed('kms.us-east-1.amazonaws.com', ['10.0.4.21'], 'timeout'),
      ),
    ),
    hub(
      "the hub attachment's transit gateway table has no route back",
      spokeInput(
        spokeTarget('secretsmanager'),
        noReturn,
        observed('secretsmanager.us-east-1.amazonaws.com', ['10.0.4.11', '10.0.5.11'], 'timeout'),
      ),
    ),
    hub(
      'a peering to the hub pending acceptance',
      spokeInput(
        spokeTarget('sqs'),
        peered,
        observed('sqs.us-east-1.amazonaws.com', ['10.2.0.15'], 'timeout'),
      ),
    ),
  ];
}

export const SCENARIOS: Scenario[] = [
  scenario('endpoint SG admits only another CIDR', target('ecr.dkr', 'vpce-0ecr')),
  scenario('agent SG allows no egress to the endpoint', target('ecr.dkr', 'vpce-0ecr'), {
    context: { securityGroupIds: ['sg-0app-strict'] },
  }),
  scenario('agent SG egress misses the S3 prefix list', target('s3', 'vpce-0s3gw'), {
    context: { securityGroupIds: ['sg-0edge-442'] },
    observations: seen(['52.216.4.1']),
  }),
  scenario('agent SG egress misses a resolved public address', target('ec2'), {
    context: { securityGroupIds: ['sg-0edge-442'] },
    observations: seen(['54.239.28.85']),
  }),
  scenario('agent groups unknown: the endpoint SG admits a CIDR only', target('ecr.dkr', 'vpce-0ecr'), {
    context: { securityGroupIds: [] },
  }),
  scenario('no ECR endpoint for a Fargate task, NAT carries it', fargate('ecr.dkr'), {
    observations: seen(['54.239.28.85']),
  }),
  scenario('no S3 endpoint for a Fargate task in a dark subnet', fargate('s3'), {
    context: { subnetId: 'subnet-0dark' },
    observations: seen(['52.216.4.1']),
  }),
  scenario('no ECR endpoint in a dark subnet', fargate('ecr.api'), {
    context: { subnetId: 'subnet-0dark' },
    observations: seen(['54.239.28.85']),
  }),
  scenario('endpoint rejected by the service owner', target('ssm', 'vpce-0ssm')),
  scenario(
    'endpoint waiting for acceptance',
    target('svc', 'vpce-0svc', { service: 'com.amazonaws.vpce.us-east-1.vpce-svc-0abc123' }),
  ),
  scenario('private DNS off', target('sts', 'vpce-0sts')),
  scenario('endpoint in another AZ only', target('logs', 'vpce-0logs')),
  scenario('VPC DNS attributes off', target('secretsmanager', 'vpce-0sm'), {
    inventory: { dnsSupport: { ok: true, value: false }, dnsHostnames: { ok: true, value: false } },
  }),
  scenario('S3 gateway policy admits only the team bucket', fargate('s3', 'vpce-0s3gw'), {
    inventory: { endpoints: withPolicy('vpce-0s3gw', TEAM_BUCKET_ONLY) },
  }),
  scenario(
    "a configured caller's call the S3 policy does not admit",
    target('s3', 'vpce-0s3gw', {
      actions: [
        {
          action: 's3:PutObject',
          resource: 'arn:aws:s3:::data-lake/*',
          principal: 'arn:aws:iam::111122223333:role/app',
        },
      ],
    }),
    { inventory: { endpoints: withPolicy('vpce-0s3gw', TEAM_BUCKET_ONLY) } },
  ),
  scenario('ECR policy denies everything', fargate('ecr.dkr', 'vpce-0ecr'), {
    inventory: { endpoints: withPolicy('vpce-0ecr', DENY_ALL) },
  }),
  scenario('KMS policy denies everything, no calls known', target('kms', 'vpce-0kms'), {
    inventory: { endpoints: withPolicy('vpce-0kms', DENY_ALL) },
  }),
  scenario('S3 gateway route missing in a main table, NAT carries it', target('s3', 'vpce-0s3gw'), {
    context: { subnetId: 'subnet-0main', privateIp: '10.0.2.10' },
    observations: seen(['52.216.4.1']),
  }),
  scenario('DynamoDB gateway route missing in a dark subnet', target('dynamodb', 'vpce-0ddb'), {
    context: { subnetId: 'subnet-0dark' },
    observations: seen(['52.94.0.10']),
  }),
  scenario('S3 route to a blackhole', target('s3', 'vpce-0s3gw'), {
    context: { subnetId: 'subnet-0hole' },
    observations: seen(['52.216.4.1']),
  }),
  scenario('a more specific route beats the S3 prefix list', target('s3', 'vpce-0s3gw'), {
    observations: seen(['52.216.8.9', '52.216.4.1']),
  }),
  scenario('a more specific route covers the KMS ENIs', target('kms', 'vpce-0kms')),
  scenario('no EC2 endpoint, NAT carries it', target('ec2'), { observations: seen(['54.239.28.85']) }),
  scenario('no EC2 endpoint in an isolated subnet', target('ec2'), {
    context: { subnetId: 'subnet-0dark' },
    observations: seen(['54.239.28.85']),
  }),
  scenario('a Lambda function behind an internet gateway', target('ec2'), {
    context: { publicIp: null, sources: { publicIp: 'lambda' } },
    inventory: publicInventory,
    observations: seen(['52.217.1.1']),
  }),
  scenario('S3 gateway route missing, no public IP', target('s3', 'vpce-0s3gw'), {
    context: { publicIp: null, sources: { publicIp: 'imds' } },
    inventory: publicInventory,
    observations: seen(['52.217.1.1']),
  }),
  scenario('an agent with a public IP through the internet gateway', target('ec2'), {
    context: { publicIp: '203.0.113.7', sources: { publicIp: 'ec2' } },
    inventory: publicInventory,
    observations: seen(['52.217.1.1']),
  }),
  scenario("the agent subnet's ACL drops the return traffic", target('secretsmanager', 'vpce-0sm'), {
    context: { subnetId: 'subnet-0main', privateIp: '10.0.2.10' },
  }),
  scenario("the endpoint subnet's ACL drops the return traffic", target('secretsmanager', 'vpce-0sm'), {
    context: { subnetId: 'subnet-0b', privateIp: '10.0.6.10', availabilityZone: 'us-east-1b' },
  }),
  scenario('part of the ephemeral range dropped', target('logs', 'vpce-0logs'), {
    context: { subnetId: 'subnet-0partial', privateIp: '10.0.5.10' },
    inventory: ephemeralInventory,
  }),
  scenario(
    'custom DNS servers that do not forward to AmazonProvidedDNS',
    target('secretsmanager', 'vpce-0sm'),
    {
      context: { resolvers: [CUSTOM_RESOLVER, AMAZON_RESOLVER] },
      inventory: {
        dhcpOptions: {
          ok: true,
          value: {
            DhcpOptionsId: 'dopt-0custom',
            DhcpConfigurations: [
              { Key: 'domain-name-servers', Values: [{ Value: '10.0.3.53' }] },
              { Key: 'domain-name', Values: [{ Value: 'corp.example.com' }] },
            ],
          },
        },
      },
      observations: {
        dns: [
          { ...answer(CUSTOM_RESOLVER, ['52.94.1.1']) },
          { ...answer(AMAZON_RESOLVER, ['10.0.11.23', '10.0.12.23']) },
        ],
        tcp: [],
        tls: [],
      },
    },
  ),
  ...(await hubScenarios()),
  scenario('security groups unreadable', target('secretsmanager', 'vpce-0sm'), {
    inventory: { securityGroups: { ok: false, gap: gap('DescribeSecurityGroups') } },
  }),
  scenario('route tables unreadable', target('s3', 'vpce-0s3gw'), {
    inventory: { routeTables: { ok: false, gap: gap('DescribeRouteTables') } },
  }),
  // IPv6 (issue 16), over the recorded dual-stack VPC (test/fixtures/ec2/ipv6).
  ...ipv6Scenarios(),
];

function ipv6Scenarios(): Scenario[] {
  const v6 = (hostname: string, addresses: string[], tcp: string[]): Ipv6Observations => ({
    dns: [
      {
        resolver: { address: '10.1.0.2', source: 'resolv.conf' },
        hostname,
        recordType: 'AAAA',
        outcome: 'answer',
        addresses,
        transport: 'udp',
        durationMs: 1,
      },
    ],
    tcp: tcp.map((address) => ({ address, port: 443, outcome: 'timeout' as const, durationMs: 2000 })),
    tls: [],
  });
  const sm = target6('secretsmanager', 'vpce-0sm6');
  const kms = target6('kms', 'vpce-0kms4');
  const ssm = target6('ssm', 'vpce-0ssm6only');
  const a = (hostname: string, addresses: string[]) => ({
    dns: [
      {
        resolver: { address: '10.1.0.2', source: 'resolv.conf' as const },
        hostname,
        outcome: addresses.length > 0 ? ('answer' as const) : ('nodata' as const),
        addresses,
        transport: 'udp' as const,
        durationMs: 1,
      },
    ],
    tcp: addresses.map((address) => ({ address, port: 443, outcome: 'connected' as const, durationMs: 1 })),
    tls: [],
  });
  return [
    {
      name: 'IPv6: endpoint SG admits IPv4 only, endpoint subnet ACL has IPv4 entries only',
      input: input6(
        sm,
        { ...a(sm.hostname, ['10.1.2.15']), ipv6: v6(sm.hostname, [SM_ENI6], [SM_ENI6]) },
        { inventory: { endpoints: { ok: true, value: withEndpointGroups('vpce-0sm6', ['sg-0ep4']) } } },
      ),
    },
    {
      name: 'IPv6: IPv4-only endpoint while the name has a public AAAA',
      input: input6(kms, {
        ...a(kms.hostname, ['10.1.2.20']),
        ipv6: v6(kms.hostname, ['2600:1f18:7fff:1::443'], ['2600:1f18:7fff:1::443']),
      }),
    },
    {
      name: 'IPv6: IPv6-only endpoint seen from an IPv4-only subnet',
      input: input6(
        ssm,
        { ...a(ssm.hostname, []), ipv6: v6(ssm.hostname, [SSM_ENI6], []) },
        { context: { subnetId: 'subnet-0v4only', privateIp: '10.1.3.10' } },
      ),
    },
  ];
}

export interface Judged {
  scenario: string;
  finding: Finding;
  scope: FixScope;
}

/** Every finding of every check over every scenario, and the inventory's gap findings. */
export function judgeScenarios(): Judged[] {
  return SCENARIOS.flatMap(({ name, input: i }) => {
    const scope: FixScope = { context: i.context, target: i.target, inventory: i.inventory };
    const findings = [...Object.values(CHECKS).flatMap((check) => check(i)), ...findingsForGaps(i.inventory)];
    return findings.map((finding) => ({ scenario: name, finding, scope }));
  });
}

/** The judged findings with the fixes the report would attach. */
export function fixedScenarios(): Array<Judged & { fixed: Finding }> {
  return judgeScenarios().map((j) => {
    const fixes = buildFixes(j.finding, j.scope);
    return { ...j, fixed: fixes ? { ...j.finding, fixes } : j.finding };
  });
}

/** The report of one scenario with these TCP outcomes (and the target changed), fixes attached. */
export function scenarioReport(
  name: string,
  tcp: TargetObservations['tcp'],
  targetChange: Partial<Target> = {},
): Report {
  const s = SCENARIOS.find((x) => x.name === name);
  if (!s) throw new Error(`no scenario "${name}"`);
  const { context, inventory, target: t, observations } = s.input;
  return buildReport({
    version: '9.9.9',
    startedAt: 0,
    finishedAt: 1,
    context,
    inventory,
    phases: {},
    findings: [],
    targets: [judgeTarget({ ...t, ...targetChange }, context, inventory, { ...observations, tcp })],
  });
}
