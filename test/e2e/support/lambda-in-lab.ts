// Runs inside the lab's agent namespace (through labExec), where moto is reachable as EC2 and
// CloudWatch Logs. `setup` gives the VPC a flow log delivered to CloudWatch Logs holding REJECT
// records between the agent and the given addresses, and makes the report log group;
// `invoke` loads dist/lambda.js as the Lambda runtime does and calls its handler once, writing
// the outcome to OUT; `reports` prints the events shipped to the report log group.
import { writeFileSync } from 'node:fs';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  FilterLogEventsCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { CreateFlowLogsCommand, EC2Client } from '@aws-sdk/client-ec2';

const FLOW_LOG_GROUP = '/vpc/flow-logs';
const REPORT_GROUP = 'vpce-doctor-reports';

const [mode, ...args] = process.argv.slice(2);
const logs = new CloudWatchLogsClient({});

if (mode === 'setup') {
  const [vpcId, agentIp, addresses] = args as [string, string, string];
  await logs.send(new CreateLogGroupCommand({ logGroupName: FLOW_LOG_GROUP }));
  await logs.send(new CreateLogGroupCommand({ logGroupName: REPORT_GROUP }));
  await new EC2Client({}).send(
    new CreateFlowLogsCommand({
      ResourceType: 'VPC',
      ResourceIds: [vpcId],
      TrafficType: 'ALL',
      LogDestinationType: 'cloud-watch-logs',
      LogGroupName: FLOW_LOG_GROUP,
      DeliverLogsPermissionArn: 'arn:aws:iam::123456789012:role/flow-logs',
    }),
  );
  const start = Math.floor(Date.now() / 1000) - 120;
  // Default format v2: what the endpoint's ENI records when its security group drops the agent.
  const lines = addresses
    .split(',')
    .map(
      (ip) => `2 123456789012 eni-0lab ${agentIp} ${ip} 40000 443 6 3 180 ${start} ${start + 60} REJECT OK`,
    );
  await logs.send(
    new CreateLogStreamCommand({ logGroupName: FLOW_LOG_GROUP, logStreamName: 'eni-0lab-all' }),
  );
  await logs.send(
    new PutLogEventsCommand({
      logGroupName: FLOW_LOG_GROUP,
      logStreamName: 'eni-0lab-all',
      logEvents: lines.map((message) => ({ timestamp: Date.now() - 60_000, message })),
    }),
  );
} else if (mode === 'invoke') {
  const { handler } = (await import(new URL(`file://${process.cwd()}/dist/lambda.js`).href)) as {
    handler: (event: unknown, context: unknown) => Promise<unknown>;
  };
  const context = {
    awsRequestId: 'req-1',
    functionName: 'vpce-doctor',
    getRemainingTimeInMillis: () => 30_000,
  };
  let outcome: unknown;
  try {
    outcome = { ok: true, result: await handler({}, context) };
  } catch (error) {
    outcome = { ok: false, errorType: (error as Error).name, errorMessage: (error as Error).message };
  }
  writeFileSync(process.env['OUT']!, JSON.stringify(outcome));
} else if (mode === 'reports') {
  const out = await logs.send(new FilterLogEventsCommand({ logGroupName: REPORT_GROUP }));
  process.stdout.write(
    JSON.stringify(out.events?.map((e) => ({ stream: e.logStreamName, message: e.message })) ?? []),
  );
} else {
  throw new Error(`unknown mode ${mode}`);
}
