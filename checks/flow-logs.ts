// Flow-log evidence for a failing target: which VPC flow logs can answer, how their records read
// (default or custom LogFormat), and what the REJECT records found between the agent and the
// endpoint's addresses say. Pure; the search itself is src/aws/flow-logs.ts, run by the
// runner's `evidence` phase after the verdicts (only failing targets need it).
import type { FlowLog } from '@aws-sdk/client-ec2';
import { interfaceAddresses } from '../src/inventory-view.js';
import type { AgentContext, Finding, Gap, Inventory, TargetReport } from '../src/model.js';

export const DEFAULT_FLOW_LOG_FORMAT =
  // biome-ignore lint/suspicious/noTemplateCurlyInString: AWS's LogFormat syntax, not a template
  '${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}';

/** Fields a record needs to be read as evidence. */
const NEEDED_FIELDS = ['srcaddr', 'dstaddr', 'action'];
const MAX_RECORDS_IN_EVIDENCE = 20;

/** The field names of a LogFormat (`${a} ${b}`), or undefined when it is not one. */
export function parseLogFormat(format: string | undefined): string[] | undefined {
  const text = (format ?? '').trim() || DEFAULT_FLOW_LOG_FORMAT;
  const tokens = text.split(/\s+/);
  const fields = tokens.map((t) => /^\$\{([a-z0-9-]+)\}$/.exec(t)?.[1]);
  if (fields.some((f) => f === undefined)) return undefined;
  return fields as string[];
}

/** A flow log whose records the agent can search: delivered to CloudWatch Logs, REJECTs included. */
export interface FlowLogSource {
  flowLogId: string;
  logGroup: string;
  fields: string[];
  trafficType: string;
}

export interface FlowLogSources {
  sources: FlowLogSource[];
  /** Why each other flow log of the VPC cannot help. */
  skipped: Array<{ flowLogId: string; reason: string }>;
}

export function flowLogSources(flowLogs: FlowLog[]): FlowLogSources {
  const sources: FlowLogSource[] = [];
  const skipped: FlowLogSources['skipped'] = [];
  for (const log of flowLogs) {
    const flowLogId = log.FlowLogId ?? '?';
    const type = log.LogDestinationType ?? (log.LogGroupName ? 'cloud-watch-logs' : 'unknown');
    const fields = parseLogFormat(log.LogFormat);
    let reason: string | undefined;
    if (type !== 'cloud-watch-logs') reason = `delivered to ${type}, not CloudWatch Logs`;
    else if (!log.LogGroupName) reason = 'no log group';
    else if (log.TrafficType === 'ACCEPT') reason = 'records ACCEPT traffic only';
    else if (log.DeliverLogsStatus === 'FAILED')
      reason = `delivery FAILED (${log.DeliverLogsErrorMessage ?? 'no detail'})`;
    else if (!fields) reason = `LogFormat not readable: ${log.LogFormat}`;
    else if (!NEEDED_FIELDS.every((f) => fields.includes(f)))
      reason = `LogFormat lacks ${NEEDED_FIELDS.filter((f) => !fields.includes(f)).join(', ')}`;
    if (reason) skipped.push({ flowLogId, reason });
    else
      sources.push({
        flowLogId,
        logGroup: log.LogGroupName!,
        fields: fields!,
        trafficType: log.TrafficType ?? 'ALL',
      });
  }
  return { sources, skipped };
}

export interface FlowRecord {
  flowLogId: string;
  logGroup: string;
  logStream?: string;
  srcaddr: string;
  dstaddr: string;
  srcport?: number;
  dstport?: number;
  protocol?: number;
  action: string;
  interfaceId?: string;
  /** Start of the capture window, epoch seconds. */
  start?: number;
  raw: string;
}

const IPV4 = /^(\d{1,3}\.){3}\d{1,3}$/;

function integer(value: string | undefined): number | undefined {
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}

/** One record in the flow log's own field order; undefined for a line that is not one. */
export function parseFlowRecord(line: string, source: FlowLogSource): FlowRecord | undefined {
  const values = line.trim().split(/\s+/);
  if (values.length !== source.fields.length) return undefined;
  const get = (field: string) => {
    const i = source.fields.indexOf(field);
    const value = i === -1 ? undefined : values[i];
    return value === '-' ? undefined : value;
  };
  const srcaddr = get('srcaddr');
  const dstaddr = get('dstaddr');
  const action = get('action');
  if (!srcaddr || !dstaddr || !IPV4.test(srcaddr) || !IPV4.test(dstaddr)) return undefined;
  if (action !== 'ACCEPT' && action !== 'REJECT') return undefined;
  const record: FlowRecord = {
    flowLogId: source.flowLogId,
    logGroup: source.logGroup,
    srcaddr,
    dstaddr,
    action,
    raw: line,
  };
  const srcport = integer(get('srcport'));
  const dstport = integer(get('dstport'));
  const protocol = integer(get('protocol'));
  const start = integer(get('start'));
  const interfaceId = get('interface-id');
  if (srcport !== undefined) record.srcport = srcport;
  if (dstport !== undefined) record.dstport = dstport;
  if (protocol !== undefined) record.protocol = protocol;
  if (start !== undefined) record.start = start;
  if (interfaceId) record.interfaceId = interfaceId;
  return record;
}

/**
 * A CloudWatch Logs filter pattern for the flow log's REJECT records with `agentIp` on one side:
 * a space-delimited pattern with one name per field of the LogFormat.
 */
export function rejectFilterPattern(fields: string[], side: 'srcaddr' | 'dstaddr', agentIp: string): string {
  const terms = fields.map((field) => {
    const name = field.replace(/[^a-z0-9]/gi, '_');
    if (field === 'action') return `${name}="REJECT"`;
    if (field === side) return `${name}="${agentIp}"`;
    return name;
  });
  return `[${terms.join(', ')}]`;
}

/** The addresses traffic to a target goes to: its endpoint's ENIs and whatever the probes used. */
export function targetAddresses(target: TargetReport, inventory: Inventory): string[] {
  const enis = target.endpointId
    ? interfaceAddresses(inventory, {
        service: target.service,
        shortName: target.shortName,
        hostname: target.hostname,
        endpointId: target.endpointId,
        endpointType: target.endpointType,
        ports: [],
        tls: false,
        required: target.required,
        origin: [],
        profiles: [],
      })
    : [];
  return [...new Set([...enis, ...(target.probe?.addresses ?? [])])].sort();
}

/** The records between the agent and these addresses, in either direction. */
export function recordsBetween(records: FlowRecord[], agentIp: string, addresses: string[]): FlowRecord[] {
  const wanted = new Set(addresses);
  return records.filter(
    (r) =>
      r.action === 'REJECT' &&
      ((r.srcaddr === agentIp && wanted.has(r.dstaddr)) || (r.dstaddr === agentIp && wanted.has(r.srcaddr))),
  );
}

/** What the search found, for all failing targets at once (one search per flow log). */
export type FlowLogSearch =
  | { kind: 'none'; skipped: FlowLogSources['skipped'] }
  | { kind: 'gap'; gap: Gap }
  | {
      kind: 'searched';
      sources: FlowLogSource[];
      records: FlowRecord[];
      windowStart: number;
      windowEnd: number;
      pages: number;
      malformed: number;
      /** The page bound was reached: older records in the window were not read. */
      truncated: boolean;
    };

const PROTOCOLS: Record<number, string> = { 6: 'tcp', 17: 'udp', 1: 'icmp' };

function describeRecord(r: FlowRecord): string {
  const from = r.srcport !== undefined ? `${r.srcaddr}:${r.srcport}` : r.srcaddr;
  const to = r.dstport !== undefined ? `${r.dstaddr}:${r.dstport}` : r.dstaddr;
  const proto = r.protocol !== undefined ? ` ${PROTOCOLS[r.protocol] ?? `proto ${r.protocol}`}` : '';
  const on = r.interfaceId ? ` on ${r.interfaceId}` : '';
  const at = r.start !== undefined ? ` at ${new Date(r.start * 1000).toISOString()}` : '';
  return `${from} → ${to}${proto}${on}${at}`;
}

function minutes(ms: number): string {
  return `${Math.round(ms / 60_000)} min`;
}

/** The flow-log finding for one failing target. */
export function judgeFlowLogs(
  target: TargetReport,
  context: AgentContext,
  inventory: Inventory,
  search: FlowLogSearch,
): Finding {
  const name = `${target.shortName}${target.endpointId ? ` (${target.endpointId})` : ''}`;
  if (search.kind === 'gap') {
    const { gap } = search;
    return {
      check: 'flowlog',
      code: 'FLOWLOG_NOT_AVAILABLE',
      status: 'unknown',
      message: `cannot read flow-log evidence for ${name}: ${gap.call} ${gap.kind === 'permission' ? `denied (${gap.errorCode}); the agent's role lacks ${gap.action}` : `failed (${gap.errorCode}: ${gap.message})`}`,
      fix:
        gap.kind === 'permission'
          ? `Allow ${gap.action} in the agent's role${gap.action.startsWith('logs:') ? " on the flow logs' log group" : ''} (see deploy/)`
          : `Retry; check that this subnet reaches ${gap.action.startsWith('logs:') ? 'CloudWatch Logs (a logs interface endpoint or NAT)' : 'the EC2 API'}`,
      evidence: { gap },
    };
  }
  if (search.kind === 'none') {
    return {
      check: 'flowlog',
      code: 'FLOWLOG_NOT_AVAILABLE',
      status: 'info',
      message: `no VPC flow log of ${context.vpcId} goes to CloudWatch Logs with REJECT records${search.skipped.length ? ` (${search.skipped.map((s) => `${s.flowLogId}: ${s.reason}`).join('; ')})` : ''}: no flow-log evidence for ${name}`,
      fix: `To see REJECT records next time: aws ec2 create-flow-logs --resource-type VPC --resource-ids ${context.vpcId} --traffic-type REJECT --log-destination-type cloud-watch-logs --log-group-name /vpc/flow-logs/${context.vpcId} --deliver-logs-permission-arn arn:aws:iam::ACCOUNT:role/ROLE --max-aggregation-interval 60`,
      evidence: { skipped: search.skipped },
    };
  }
  const addresses = targetAddresses(target, inventory);
  const records = recordsBetween(search.records, context.privateIp, addresses);
  const evidence = {
    agentIp: context.privateIp,
    addresses,
    flowLogIds: search.sources.map((s) => s.flowLogId),
    logGroups: [...new Set(search.sources.map((s) => s.logGroup))],
    window: {
      start: new Date(search.windowStart).toISOString(),
      end: new Date(search.windowEnd).toISOString(),
    },
    pages: search.pages,
    malformedLines: search.malformed,
    truncated: search.truncated,
  };
  const span = minutes(search.windowEnd - search.windowStart);
  if (records.length === 0) {
    return {
      check: 'flowlog',
      code: 'FLOWLOG_NO_REJECT_SEEN',
      status: 'info',
      message: `no REJECT records between ${context.privateIp} and ${name} at ${addresses.join(', ') || 'no known address'} in ${evidence.flowLogIds.join(', ')} over the last ${span}${search.truncated ? ' (page bound reached: older records unread)' : ''}`,
      evidence,
    };
  }
  const interfaces = [...new Set(records.map((r) => r.interfaceId).filter((i): i is string => !!i))];
  return {
    check: 'flowlog',
    code: 'FLOWLOG_REJECT_SEEN',
    status: 'fail',
    message: `${records.length} REJECT record${records.length === 1 ? '' : 's'} between ${context.privateIp} and ${name} in ${records[0]!.logGroup} over the last ${span}, e.g. ${describeRecord(records[0]!)}`,
    fix: `The VPC itself dropped this traffic: a security group or network ACL on ${interfaces.join(', ') || 'the interfaces in the records'} denies it (see this target's sg and nacl findings); inspect with aws ec2 describe-network-interfaces --network-interface-ids ${interfaces.join(' ') || 'eni-…'}`,
    evidence: {
      ...evidence,
      count: records.length,
      interfaces,
      records: records.slice(0, MAX_RECORDS_IN_EVIDENCE).map((r) => ({ ...r, summary: describeRecord(r) })),
    },
  };
}
