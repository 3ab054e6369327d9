// deploy/iam-policy.json derived from what the agent really calls: the runner (context discovery,
// inventory, flow-log evidence) and report shipping run against moto through recording proxies,
// and the AWS actions seen on the wire are compared with the policy. The static scan in
// test/unit/iam-policy.test.ts reads the source; this one reads the traffic, so an action
// reached through a path the scan cannot see (a helper, a paginator) still shows up.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CloudWatchLogsClient, CreateLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateFlowLogsCommand,
  CreateRouteCommand,
  CreateTransitGatewayCommand,
  CreateTransitGatewayVpcAttachmentCommand,
  CreateVpcCommand,
  CreateVpcPeeringConnectionCommand,
} from '@aws-sdk/client-ec2';
import { CreateHostedZoneCommand, Route53Client } from '@aws-sdk/client-route-53';
import { createChainClientsFactory } from '../../src/aws/chain-clients.js';
import { createEc2Client, createEc2ClientFactory } from '../../src/aws/ec2-client.js';
import { createLogsClient, shipReport } from '../../src/aws/logs.js';
import { validateConfig } from '../../src/config.js';
import { flowLogEvidenceFor } from '../../src/evidence.js';
import type { Report } from '../../src/model.js';
import type { Probes } from '../../src/probe-plan.js';
import { createRunner } from '../../src/runner.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { type LogsFaultProxy, startLogsFaultProxy } from '../support/logs-fault-proxy.js';
import { type Moto, motoEnv, startMoto } from '../support/moto.js';
import { buildWorld, type World } from './inventory-world.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const REGION = 'us-east-1';
const AGENT_IP = '10.20.1.10';
const REPORT_GROUP = 'vpce-doctor-reports';
const FLOW_GROUP = '/vpc/flow-logs/agent';

/** Policy actions no run against moto can reach, with the reason. Empty: every one is exercised. */
const UNREACHABLE_ON_MOTO: Record<string, string> = {};

const policy = JSON.parse(readFileSync(join(ROOT, 'deploy/iam-policy.json'), 'utf8')) as {
  Statement: Array<{ Effect: string; Action: string[]; Resource: string | string[] }>;
};
const allowed = new Set(policy.Statement.filter((s) => s.Effect === 'Allow').flatMap((s) => s.Action));

// The probes answer from memory: this test is about which AWS actions the agent calls, and the
// endpoint ENI addresses moto hands out are not ours, so no DNS query or connection may leave
// the process. Every target "times out", which makes every target fail, which is what sends the
// runner to the flow logs (FilterLogEvents runs for failing targets only).
const probeCalls = { dns: 0, tcp: 0, tls: 0 };
const silentProbes: Probes = {
  queryA: async (resolver, hostname, { timeoutMs }) => {
    probeCalls.dns += 1;
    return { resolver, hostname, outcome: 'timeout', addresses: [], transport: 'udp', durationMs: timeoutMs };
  },
  probeTcp: async (address, port, { timeoutMs }) => {
    probeCalls.tcp += 1;
    return { address, port, outcome: 'timeout', durationMs: timeoutMs };
  },
  probeTls: async (address, port, servername, { timeoutMs }) => {
    probeCalls.tls += 1;
    return { address, port, servername, outcome: 'timeout', certNames: [], durationMs: timeoutMs };
  },
};

/** Anything that is neither EC2 nor CloudWatch Logs lands here (AWS_ENDPOINT_URL) and is refused. */
async function startCatchAll(): Promise<{ url: string; seen: string[]; server: Server }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url} ${String(req.headers['x-amz-target'] ?? '')}`);
    res.writeHead(400, { 'content-type': 'text/plain' });
    res.end('not a service this test expects');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

describe('the AWS actions the agent calls, recorded on the wire', () => {
  let moto: Moto;
  let ec2Proxy: FaultProxy;
  let logsProxy: LogsFaultProxy;
  let catchAll: Awaited<ReturnType<typeof startCatchAll>>;
  let world: World;
  let report: Report;
  const called = new Set<string>();
  const saved = { ...process.env };

  before(async () => {
    moto = await startMoto();
    // EC2, Route 53 and Route 53 Resolver go through this proxy, which names each call's service.
    ec2Proxy = await startFaultProxy(moto.url, {
      onCall: (call) => called.add(`${call.service ?? 'ec2'}:${call.action}`),
    });
    logsProxy = await startLogsFaultProxy(moto.url);
    catchAll = await startCatchAll();
    // The SDK reads its endpoints from process.env; the agent's own settings come from `env` below.
    Object.assign(process.env, motoEnv(catchAll.url, REGION), {
      AWS_ENDPOINT_URL_EC2: ec2Proxy.url,
      AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: logsProxy.url,
      AWS_ENDPOINT_URL_ROUTE_53: ec2Proxy.url,
      AWS_ENDPOINT_URL_ROUTE53RESOLVER: ec2Proxy.url,
    });

    // Set up straight against moto, so that only the agent's calls are recorded.
    const setupEc2 = createEc2Client({ region: REGION, endpoint: moto.url });
    const setupLogs = new CloudWatchLogsClient({ region: REGION, endpoint: moto.url });
    world = await buildWorld(setupEc2, { interfaceEndpoints: 2, region: REGION });
    // buildWorld's flow log points at a group that did not exist yet, so moto marks its delivery
    // FAILED and the agent skips it: a second one, to a group that exists, is the one searched.
    await setupLogs.send(new CreateLogGroupCommand({ logGroupName: FLOW_GROUP }));
    await setupEc2.send(
      new CreateFlowLogsCommand({
        ResourceType: 'VPC',
        ResourceIds: [world.vpcId],
        TrafficType: 'REJECT',
        LogDestinationType: 'cloud-watch-logs',
        LogGroupName: FLOW_GROUP,
        DeliverLogsPermissionArn: 'arn:aws:iam::123456789012:role/flow-logs',
      }),
    );
    await setupLogs.send(new CreateLogGroupCommand({ logGroupName: REPORT_GROUP }));
    // A spoke: a transit gateway route from the agent's subnet (which makes the agent read the
    // hub-and-spoke chain), a peering, and a private zone for a service name associated with it.
    const tgw = (await setupEc2.send(new CreateTransitGatewayCommand({}))).TransitGateway!.TransitGatewayId!;
    await setupEc2.send(
      new CreateTransitGatewayVpcAttachmentCommand({
        TransitGatewayId: tgw,
        VpcId: world.vpcId,
        SubnetIds: [world.subnetA],
      }),
    );
    await setupEc2.send(
      new CreateRouteCommand({
        RouteTableId: world.routeTableId,
        DestinationCidrBlock: '10.99.0.0/16',
        TransitGatewayId: tgw,
      }),
    );
    const hubVpc = (await setupEc2.send(new CreateVpcCommand({ CidrBlock: '10.99.0.0/16' }))).Vpc!.VpcId!;
    await setupEc2.send(new CreateVpcPeeringConnectionCommand({ VpcId: world.vpcId, PeerVpcId: hubVpc }));
    await new Route53Client({ region: REGION, endpoint: moto.url }).send(
      new CreateHostedZoneCommand({
        Name: `kms.${REGION}.amazonaws.com`,
        CallerReference: 'hub-kms',
        VPC: { VPCId: world.vpcId, VPCRegion: REGION },
        HostedZoneConfig: { PrivateZone: true },
      }),
    );

    const env: NodeJS.ProcessEnv = {
      ...motoEnv(catchAll.url, REGION),
      VPCE_DOCTOR_VPC_ID: world.vpcId,
      VPCE_DOCTOR_SUBNET_ID: world.subnetA,
      VPCE_DOCTOR_SECURITY_GROUP_IDS: world.agentSg,
      VPCE_DOCTOR_PRIVATE_IP: AGENT_IP,
    };
    const runner = createRunner({
      ec2For: createEc2ClientFactory({ maxAttempts: 1 }),
      chainFor: createChainClientsFactory({ env: process.env, maxAttempts: 1 }),
      env,
      config: validateConfig({}),
      probes: silentProbes,
      version: 'test',
      ...flowLogEvidenceFor(env),
    });
    report = await runner.run({ timeoutMs: 30_000 });
    const shipped = await shipReport(createLogsClient({ region: REGION, maxAttempts: 1 }), report, {
      logGroup: REPORT_GROUP,
      runId: 'iam-calls',
    });
    assert.ok(shipped.ok, JSON.stringify(shipped.gap));
    assert.ok(shipped.createdStream, 'the first shipping creates its stream');

    for (const request of logsProxy.requests) called.add(`logs:${request.action}`);
  });
  after(async () => {
    process.env = saved;
    await ec2Proxy?.stop();
    await logsProxy?.stop();
    await new Promise((r) => catchAll?.server.close(r));
    await moto?.stop();
  });

  test('the run reached every phase: targets found, all failing, flow logs searched, no packet sent', () => {
    assert.ok(report.targets.length >= 3, `${report.targets.length} targets`);
    assert.ok(report.targets.every((t) => t.status === 'fail'));
    assert.ok(
      report.targets.every((t) =>
        t.findings.some((f) => f.check === 'flowlog' && f.code !== 'FLOWLOG_NOT_AVAILABLE'),
      ),
      'every failing target has flow-log evidence from a searched flow log',
    );
    assert.ok(logsProxy.count('FilterLogEvents') > 0);
    assert.ok(probeCalls.dns > 0 && probeCalls.tcp > 0, 'the stub probes were used');
    assert.equal(probeCalls.tls, 0, 'no TLS after a TCP timeout');
    assert.deepEqual(catchAll.seen, [], 'no call to any other AWS service');
  });

  test('every action called is in deploy/iam-policy.json', () => {
    assert.ok(called.size >= 10, [...called].join(', '));
    assert.deepEqual([...called].filter((a) => !allowed.has(a)).sort(), []);
  });

  test('every action in deploy/iam-policy.json was called (or is a documented exception)', () => {
    const unused = [...allowed].filter((a) => !called.has(a) && !(a in UNREACHABLE_ON_MOTO)).sort();
    assert.deepEqual(unused, []);
    for (const action of Object.keys(UNREACHABLE_ON_MOTO)) assert.ok(allowed.has(action), action);
  });

  test("every log group the agent touched is inside the policy's scope for it, filled as the templates fill it", () => {
    const values: Record<string, string> = {
      'AWS::Partition': 'aws',
      'AWS::Region': REGION,
      'AWS::AccountId': '123456789012',
      FlowLogGroupName: FLOW_GROUP,
      ReportLogGroupName: REPORT_GROUP,
    };
    const statements = (policy.Statement as Array<{ Action: string[]; Resource: string | string[] }>).map(
      (s) => ({
        actions: s.Action,
        resources: [s.Resource]
          .flat()
          .map((r) => r.replace(/\$\{([^}]+)\}/g, (_, name: string) => values[name]!)),
      }),
    );
    // IAM's matching: `*` is any run of characters, everything else literal.
    const matches = (pattern: string, arn: string) =>
      new RegExp(
        `^${pattern
          .split('*')
          .map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
          .join('.*')}$`,
      ).test(arn);
    const logRequests = logsProxy.requests.filter((r) => typeof r.body['logGroupName'] === 'string');
    assert.ok(logRequests.some((r) => r.action === 'FilterLogEvents'));
    assert.ok(logRequests.some((r) => r.action === 'PutLogEvents'));
    for (const request of logRequests) {
      const group = String(request.body['logGroupName']);
      const stream =
        typeof request.body['logStreamName'] === 'string'
          ? `:log-stream:${request.body['logStreamName']}`
          : '';
      const arn = `arn:aws:logs:${REGION}:123456789012:log-group:${group}${stream}`;
      const allowedBy = statements.filter(
        (s) => s.actions.includes(`logs:${request.action}`) && s.resources.some((r) => matches(r, arn)),
      );
      assert.ok(allowedBy.length > 0, `logs:${request.action} on ${arn} is allowed by a scoped statement`);
    }
    // And the scope is not wider than the group: another group in the same account is outside it.
    const other = `arn:aws:logs:${REGION}:123456789012:log-group:/aws/lambda/payments:log-stream:x`;
    assert.ok(
      !statements.some(
        (s) => s.actions.some((a) => a.startsWith('logs:')) && s.resources.some((r) => matches(r, other)),
      ),
    );
  });

  test('no action was answered with an error by moto (the run saw real answers)', () => {
    // A call moto rejects would still be recorded; the inventory must have no gap for it.
    const gaps = report.findings.filter(
      (f) => f.code === 'AWS_API_ERROR' || f.code === 'AWS_PERMISSION_DENIED',
    );
    assert.deepEqual(
      gaps.map((f) => f.message),
      [],
    );
  });
});

describe('test/unit/iam-policy.test.ts, the static scan', () => {
  const run = promisify(execFile);

  // Runs a copy of the unit test over a copy of src/ and the policy, so that the real tree is never touched.
  async function scanCopy(extra?: string): Promise<{ ok: boolean; output: string }> {
    const dir = mkdtempSync(join(tmpdir(), 'vpce-doctor-iam-'));
    try {
      cpSync(join(ROOT, 'src'), join(dir, 'src'), { recursive: true });
      mkdirSync(join(dir, 'deploy'));
      mkdirSync(join(dir, 'test/unit'), { recursive: true });
      for (const name of ['iam-policy.json', 'hub-read-policy.json', 'hub-assume-policy.json'])
        cpSync(join(ROOT, 'deploy', name), join(dir, 'deploy', name));
      // The hub policies are derived from the recorded hub-and-spoke world.
      cpSync(join(ROOT, 'test/fixtures'), join(dir, 'test/fixtures'), { recursive: true });
      // …whose loaders the copy imports, with the SDK.
      symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
      cpSync(join(ROOT, 'test/unit/iam-policy.test.ts'), join(dir, 'test/unit/iam-policy.test.ts'));
      if (extra) writeFileSync(join(dir, 'src/aws/extra-call.ts'), extra);
      return await run('node', ['--import', 'tsx', '--test', join(dir, 'test/unit/iam-policy.test.ts')], {
        cwd: ROOT,
        // Inside `node --test`, a child that sees NODE_TEST_CONTEXT reports to this runner and exits 0.
        env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_TEST_CONTEXT')),
      }).then(
        ({ stdout }) => ({ ok: true, output: stdout }),
        (err: { stdout?: string }) => ({ ok: false, output: err.stdout ?? '' }),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  test('passes on the tree as it is and fails once the code calls an action the policy lacks', async () => {
    const clean = await scanCopy();
    assert.ok(clean.ok, clean.output);
    const added = await scanCopy(
      "import { DescribeInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';\n" +
        'export const describeInstances = (ec2: EC2Client) => ec2.send(new DescribeInstancesCommand({}));\n',
    );
    assert.equal(added.ok, false);
    assert.match(added.output, /ec2:DescribeInstances/);
  });
});
