// Flow-log evidence end to end against moto (EC2 and CloudWatch Logs): the runner with fake
// probes (no packet leaves the process), a VPC with a flow log to CloudWatch Logs, and REJECT
// lines the test writes into the flow log's group. Moto ignores space-delimited filter patterns
// (it returns every event in the window), so the agent's own parsing is what is tested here;
// the pattern sent is checked separately.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateFlowLogsCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  DescribeNetworkInterfacesCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import {
  DEFAULT_FLOW_LOG_FORMAT,
  parseFlowRecord,
  parseLogFormat,
  rejectFilterPattern,
} from '../../checks/flow-logs.js';
import { createEc2Client } from '../../src/aws/ec2-client.js';
import { createFlowLogEvidence } from '../../src/aws/flow-logs.js';
import { validateConfig } from '../../src/config.js';
import type { AgentContext, Finding, Report } from '../../src/model.js';
import type { Probes } from '../../src/probe-plan.js';
import { createRunner } from '../../src/runner.js';
import { type LogsFaultProxy, startLogsFaultProxy } from '../support/logs-fault-proxy.js';
import { type Moto, motoEnv, startMoto } from '../support/moto.js';

const REGION = 'us-east-1';
const AGENT_IP = '10.30.1.10';
const DEFAULT_GROUP = '/vpc/flow-logs/default';
const CUSTOM_GROUP = '/vpc/flow-logs/custom';
const CUSTOM_FORMAT =
  // biome-ignore lint/suspicious/noTemplateCurlyInString: AWS's LogFormat syntax, not a template
  '${vpc-id} ${interface-id} ${srcaddr} ${dstaddr} ${dstport} ${action} ${flow-direction}';

let moto: Moto;
let proxy: LogsFaultProxy;
let ec2: EC2Client;
let logs: CloudWatchLogsClient;

before(async () => {
  moto = await startMoto();
  Object.assign(process.env, motoEnv(moto.url, REGION));
  proxy = await startLogsFaultProxy(moto.url);
  ec2 = createEc2Client({ region: REGION });
  logs = new CloudWatchLogsClient({ region: REGION, endpoint: proxy.url, maxAttempts: 1 });
});
after(async () => {
  await proxy?.stop();
  await moto?.stop();
});
beforeEach(async () => {
  await moto.reset();
  proxy.setFaults({});
});

interface World {
  vpcId: string;
  subnetId: string;
  agentSg: string;
  endpointId: string;
  eniId: string;
  eniIp: string;
}

async function buildVpc(): Promise<World> {
  const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.30.0.0/16' }))).Vpc!.VpcId!;
  const subnetId = (
    await ec2.send(
      new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.30.1.0/24', AvailabilityZone: 'us-east-1a' }),
    )
  ).Subnet!.SubnetId!;
  const endpointSubnet = (
    await ec2.send(
      new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.30.11.0/24', AvailabilityZone: 'us-east-1a' }),
    )
  ).Subnet!.SubnetId!;
  const agentSg = (
    await ec2.send(new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: 'agent', Description: 'agent' }))
  ).GroupId!;
  const endpointSg = (
    await ec2.send(new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: 'ep', Description: 'endpoint' }))
  ).GroupId!;
  const endpoint = (
    await ec2.send(
      new CreateVpcEndpointCommand({
        VpcId: vpcId,
        ServiceName: `com.amazonaws.${REGION}.secretsmanager`,
        VpcEndpointType: 'Interface',
        SubnetIds: [endpointSubnet],
        SecurityGroupIds: [endpointSg],
        PrivateDnsEnabled: true,
      }),
    )
  ).VpcEndpoint!;
  const eniId = endpoint.NetworkInterfaceIds![0]!;
  const eni = (await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eniId] })))
    .NetworkInterfaces![0]!;
  return {
    vpcId,
    subnetId,
    agentSg,
    endpointId: endpoint.VpcEndpointId!,
    eniId,
    eniIp: eni.PrivateIpAddress!,
  };
}

async function addFlowLog(world: World, group: string, format?: string): Promise<void> {
  await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
  await ec2.send(
    new CreateFlowLogsCommand({
      ResourceType: 'VPC',
      ResourceIds: [world.vpcId],
      TrafficType: 'ALL',
      LogDestinationType: 'cloud-watch-logs',
      LogGroupName: group,
      DeliverLogsPermissionArn: 'arn:aws:iam::123456789012:role/flow-logs',
      ...(format ? { LogFormat: format } : {}),
    }),
  );
}

async function writeLines(group: string, stream: string, lines: string[], agoMs = 60_000): Promise<void> {
  await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream }));
  const at = Date.now() - agoMs;
  await logs.send(
    new PutLogEventsCommand({
      logGroupName: group,
      logStreamName: stream,
      logEvents: lines.map((message) => ({ timestamp: at, message })),
    }),
  );
}

function defaultLine(
  src: string,
  dst: string,
  sport: number,
  dport: number,
  action: string,
  eni: string,
): string {
  const start = Math.floor(Date.now() / 1000) - 120;
  return `2 123456789012 ${eni} ${src} ${dst} ${sport} ${dport} 6 3 180 ${start} ${start + 60} ${action} OK`;
}

/** Probes that answer from memory: DNS gives the ENI address, TCP connects or times out. */
function fakeProbes(world: World, tcp: 'connected' | 'timeout'): Probes {
  return {
    queryA: async (resolver, hostname) => ({
      resolver,
      hostname,
      outcome: 'answer',
      addresses: [world.eniIp],
      transport: 'udp',
      durationMs: 1,
    }),
    probeTcp: async (address, port) => ({
      address,
      port,
      outcome: tcp,
      durationMs: tcp === 'connected' ? 2 : 1000,
    }),
    probeTls: async (address, port, servername) => ({
      address,
      port,
      servername,
      outcome: 'ok',
      certNames: [servername],
      durationMs: 3,
    }),
  };
}

async function runReport(world: World, tcp: 'connected' | 'timeout', withEvidence = true): Promise<Report> {
  const context: AgentContext = {
    region: REGION,
    vpcId: world.vpcId,
    subnetId: world.subnetId,
    availabilityZone: 'us-east-1a',
    privateIp: AGENT_IP,
    securityGroupIds: [world.agentSg],
    resolvers: [{ address: '10.30.0.2', source: 'vpc-base-2' }],
    sources: {},
  };
  const runner = createRunner({
    ec2,
    env: {},
    config: validateConfig({}),
    probes: fakeProbes(world, tcp),
    version: 'test',
    discover: async () => ({ context: structuredClone(context), findings: [] }),
    ...(withEvidence ? { flowLogEvidence: createFlowLogEvidence({ logsFor: () => logs }) } : {}),
  });
  return runner.run({ timeoutMs: 20_000 });
}

function flowFindings(report: Report): Finding[] {
  return report.targets.flatMap((t) => t.findings.filter((f) => f.check === 'flowlog'));
}

describe('flow-log evidence in the runner (moto EC2 + Logs)', () => {
  test('a failing target gets its REJECT records from the default-format flow log, both directions, malformed lines ignored', async () => {
    const world = await buildVpc();
    await addFlowLog(world, DEFAULT_GROUP);
    await writeLines(DEFAULT_GROUP, `${world.eniId}-all`, [
      defaultLine(AGENT_IP, world.eniIp, 51234, 443, 'REJECT', world.eniId),
      defaultLine(world.eniIp, AGENT_IP, 443, 51234, 'REJECT', world.eniId),
      defaultLine(AGENT_IP, world.eniIp, 51235, 443, 'ACCEPT', world.eniId),
      defaultLine('10.30.1.99', world.eniIp, 40000, 443, 'REJECT', world.eniId),
      'this is not a flow log record',
      `2 123456789012 ${world.eniId} ${AGENT_IP} REJECT`,
      `2 123456789012 ${world.eniId} - - - - - - - 1700000000 1700000060 - NODATA`,
    ]);
    const report = await runReport(world, 'timeout');
    const target = report.targets.find((t) => t.shortName === 'secretsmanager')!;
    assert.equal(target.status, 'fail', JSON.stringify(target.rootCause));
    const [finding] = flowFindings(report);
    assert.equal(finding?.code, 'FLOWLOG_REJECT_SEEN', finding?.message);
    assert.equal(finding.status, 'fail');
    assert.equal(finding.evidence['count'], 2);
    assert.equal(finding.evidence['malformedLines'], 3);
    assert.deepEqual(finding.evidence['interfaces'], [world.eniId]);
    assert.match(
      finding.message,
      new RegExp(`${AGENT_IP.replaceAll('.', '\\.')}:51234 → ${world.eniIp.replaceAll('.', '\\.')}:443 tcp`),
    );
    assert.ok(report.phases['evidence'] !== undefined, 'the evidence phase is timed');
    assert.ok(proxy.count('FilterLogEvents') >= 2, 'one query per direction');
  });

  test('a custom LogFormat is read by its own field order', async () => {
    const world = await buildVpc();
    await addFlowLog(world, CUSTOM_GROUP, CUSTOM_FORMAT);
    await writeLines(CUSTOM_GROUP, `${world.eniId}-all`, [
      `${world.vpcId} ${world.eniId} ${AGENT_IP} ${world.eniIp} 443 REJECT ingress`,
      `${world.vpcId} ${world.eniId} ${AGENT_IP} ${world.eniIp} 443 ACCEPT ingress`,
      defaultLine(AGENT_IP, world.eniIp, 1, 443, 'REJECT', world.eniId), // another format: malformed here
    ]);
    const report = await runReport(world, 'timeout');
    const [finding] = flowFindings(report);
    assert.equal(finding?.code, 'FLOWLOG_REJECT_SEEN', finding?.message);
    assert.equal(finding.evidence['count'], 1);
    assert.equal(finding.evidence['malformedLines'], 1);
    assert.deepEqual(finding.evidence['logGroups'], [CUSTOM_GROUP]);
  });

  test('REJECT records of other agents and addresses are not evidence: FLOWLOG_NO_REJECT_SEEN', async () => {
    const world = await buildVpc();
    await addFlowLog(world, DEFAULT_GROUP);
    await writeLines(DEFAULT_GROUP, `${world.eniId}-all`, [
      defaultLine('10.30.1.99', world.eniIp, 40000, 443, 'REJECT', world.eniId),
      defaultLine(AGENT_IP, '10.30.99.9', 40000, 443, 'REJECT', 'eni-0other'),
    ]);
    const report = await runReport(world, 'timeout');
    const [finding] = flowFindings(report);
    assert.equal(finding?.code, 'FLOWLOG_NO_REJECT_SEEN', finding?.message);
    assert.equal(finding.status, 'info');
    assert.equal('fix' in finding, false);
  });

  test('records older than the window are not read', async () => {
    const world = await buildVpc();
    await addFlowLog(world, DEFAULT_GROUP);
    await writeLines(
      DEFAULT_GROUP,
      `${world.eniId}-all`,
      [defaultLine(AGENT_IP, world.eniIp, 51234, 443, 'REJECT', world.eniId)],
      60 * 60_000,
    );
    const report = await runReport(world, 'timeout');
    assert.equal(flowFindings(report)[0]?.code, 'FLOWLOG_NO_REJECT_SEEN');
  });

  test('a healthy target gets no flow-log search at all, even with REJECT lines present', async () => {
    const world = await buildVpc();
    await addFlowLog(world, DEFAULT_GROUP);
    await writeLines(DEFAULT_GROUP, `${world.eniId}-all`, [
      defaultLine(AGENT_IP, world.eniIp, 51234, 443, 'REJECT', world.eniId),
    ]);
    proxy.setFaults({});
    const report = await runReport(world, 'connected');
    // The endpoint's group allows nothing here, so the verdict is CONFIG_CONTRADICTS_PROBE (warn):
    // anything but a failure is "healthy" for the evidence phase.
    assert.notEqual(report.targets.find((t) => t.shortName === 'secretsmanager')?.status, 'fail');
    assert.deepEqual(flowFindings(report), []);
    assert.equal(proxy.count('FilterLogEvents'), 0);
    assert.equal(report.phases['evidence'], undefined);
  });

  test('FilterLogEvents denied: FLOWLOG_NOT_AVAILABLE unknown naming logs:FilterLogEvents; the verdict stands', async () => {
    const world = await buildVpc();
    await addFlowLog(world, DEFAULT_GROUP);
    proxy.setFaults({ FilterLogEvents: { kind: 'deny' } });
    const report = await runReport(world, 'timeout');
    const target = report.targets.find((t) => t.shortName === 'secretsmanager')!;
    assert.equal(target.status, 'fail');
    const [finding] = flowFindings(report);
    assert.equal(finding?.code, 'FLOWLOG_NOT_AVAILABLE');
    assert.equal(finding.status, 'unknown');
    assert.match(finding.message, /lacks logs:FilterLogEvents/);
  });

  test('a VPC with no flow log to CloudWatch Logs: FLOWLOG_NOT_AVAILABLE info with the create-flow-logs command', async () => {
    const world = await buildVpc();
    const report = await runReport(world, 'timeout');
    const [finding] = flowFindings(report);
    assert.equal(finding?.code, 'FLOWLOG_NOT_AVAILABLE');
    assert.equal(finding.status, 'info');
    assert.match(
      finding.fix!,
      new RegExp(`aws ec2 create-flow-logs --resource-type VPC --resource-ids ${world.vpcId}`),
    );
  });

  test('without an evidence source the runner adds no flow-log findings', async () => {
    const world = await buildVpc();
    await addFlowLog(world, DEFAULT_GROUP);
    const report = await runReport(world, 'timeout', false);
    assert.deepEqual(flowFindings(report), []);
  });
});

describe('flow-log records and patterns (pure)', () => {
  const source = { flowLogId: 'fl-1', logGroup: 'g', trafficType: 'ALL', fields: parseLogFormat(undefined)! };

  test('an absent LogFormat is the default one; a custom one keeps its order; junk is refused', () => {
    assert.deepEqual(parseLogFormat(undefined), parseLogFormat(DEFAULT_FLOW_LOG_FORMAT));
    assert.equal(parseLogFormat(undefined)!.length, 14);
    assert.deepEqual(parseLogFormat(CUSTOM_FORMAT), [
      'vpc-id',
      'interface-id',
      'srcaddr',
      'dstaddr',
      'dstport',
      'action',
      'flow-direction',
    ]);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: AWS's LogFormat syntax, not a template
    assert.equal(parseLogFormat('${srcaddr} dstaddr'), undefined);
  });

  test('lines with the wrong field count, "-" addresses or an unknown action are not records', () => {
    assert.equal(parseFlowRecord('2 1 eni-1 10.0.0.1 10.0.0.2 1 443 6 1 1 1 1 REJECT', source), undefined);
    assert.equal(parseFlowRecord('2 1 eni-1 - - - - - - - 1 1 - NODATA', source), undefined);
    assert.equal(parseFlowRecord('2 1 eni-1 10.0.0.1 10.0.0.2 1 443 6 1 1 1 1 MAYBE OK', source), undefined);
    assert.equal(
      parseFlowRecord('2 1 eni-1 10.0.0.1 not-an-ip 1 443 6 1 1 1 1 REJECT OK', source),
      undefined,
    );
    const record = parseFlowRecord('2 1 eni-1 10.0.0.1 10.0.0.2 5 443 6 1 1 1700000000 1 REJECT OK', source);
    assert.deepEqual(
      { ...record, raw: undefined },
      {
        flowLogId: 'fl-1',
        logGroup: 'g',
        srcaddr: '10.0.0.1',
        dstaddr: '10.0.0.2',
        srcport: 5,
        dstport: 443,
        protocol: 6,
        action: 'REJECT',
        interfaceId: 'eni-1',
        start: 1700000000,
        raw: undefined,
      },
    );
  });

  test('the filter pattern names every field of the format, REJECT and the agent on the asked side', () => {
    assert.equal(
      rejectFilterPattern(source.fields, 'srcaddr', '10.0.1.10'),
      '[version, account_id, interface_id, srcaddr="10.0.1.10", dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action="REJECT", log_status]',
    );
  });
});
