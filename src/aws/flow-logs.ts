// Flow-log REJECT records from CloudWatch Logs (FilterLogEvents), for the runner's `evidence`
// phase: one bounded search per flow log for all failing targets at once (the agent's address
// on either side, REJECT only), then the pure judgement of checks/flow-logs.ts per target.
import { type FilteredLogEvent, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  type FlowLogSearch,
  type FlowLogSource,
  type FlowRecord,
  flowLogSources,
  judgeFlowLogs,
  parseFlowRecord,
  rejectFilterPattern,
} from '../../checks/flow-logs.js';
import type { Gap } from '../model.js';
import type { EvidenceSource } from '../runner.js';
import { classifyAwsError } from './errors.js';
import type { Logs } from './logs.js';

export interface SearchOptions {
  agentIp: string;
  startTime: number;
  endTime: number;
  /** Pages per query (two queries per flow log: the agent as source, as destination). */
  maxPages: number;
  pageSize: number;
  signal: AbortSignal;
}

/** Reads REJECT records with the agent on either side from each source; never throws. */
export async function searchRejects(
  logs: Logs,
  sources: FlowLogSource[],
  options: SearchOptions,
): Promise<Extract<FlowLogSearch, { kind: 'searched' }> | { kind: 'gap'; gap: Gap }> {
  const records: FlowRecord[] = [];
  const seen = new Set<string>();
  let pages = 0;
  let malformed = 0;
  let truncated = false;
  const query = async (source: FlowLogSource, side: 'srcaddr' | 'dstaddr') => {
    let nextToken: string | undefined;
    let page = 0;
    do {
      if (page >= options.maxPages) {
        truncated = true;
        return;
      }
      const out = await logs.send(
        new FilterLogEventsCommand({
          logGroupName: source.logGroup,
          startTime: options.startTime,
          endTime: options.endTime,
          filterPattern: rejectFilterPattern(source.fields, side, options.agentIp),
          limit: options.pageSize,
          ...(nextToken ? { nextToken } : {}),
        }),
        { abortSignal: options.signal },
      );
      page += 1;
      pages += 1;
      for (const event of out.events ?? []) take(source, event);
      nextToken = out.nextToken || undefined;
    } while (nextToken);
  };
  const take = (source: FlowLogSource, event: FilteredLogEvent) => {
    const key = `${source.logGroup}\u0000${event.logStreamName}\u0000${event.eventId ?? event.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    const record = parseFlowRecord(event.message ?? '', source);
    if (!record) {
      malformed += 1;
      return;
    }
    if (event.logStreamName) record.logStream = event.logStreamName;
    records.push(record);
  };
  try {
    await Promise.all(sources.flatMap((s) => [query(s, 'srcaddr'), query(s, 'dstaddr')]));
  } catch (err) {
    const gap = options.signal.aborted
      ? {
          call: 'FilterLogEvents',
          action: 'logs:FilterLogEvents',
          kind: 'timeout' as const,
          errorCode: 'DeadlineExceeded',
          message: 'FilterLogEvents did not finish before the evidence deadline',
        }
      : { ...classifyAwsError(err, 'FilterLogEvents'), action: 'logs:FilterLogEvents' };
    return { kind: 'gap', gap };
  }
  return {
    kind: 'searched',
    sources,
    records,
    windowStart: options.startTime,
    windowEnd: options.endTime,
    pages,
    malformed,
    truncated,
  };
}

export interface FlowLogEvidenceOptions {
  logsFor: (region: string) => Logs;
  /** How far back to look; flow logs arrive 1–10 minutes late (aggregation interval + delivery). */
  windowMinutes?: number;
  maxPages?: number;
  pageSize?: number;
  timeoutMs?: number;
  clock?: () => number;
}

/** The runner's `flowLogEvidence`: one finding per failing target. */
export function createFlowLogEvidence(options: FlowLogEvidenceOptions): EvidenceSource {
  const clock = options.clock ?? Date.now;
  return async ({ context, inventory, targets, signal }) => {
    let search: FlowLogSearch;
    if (!inventory.flowLogs.ok) {
      search = { kind: 'gap', gap: inventory.flowLogs.gap };
    } else {
      const { sources, skipped } = flowLogSources(inventory.flowLogs.value);
      if (sources.length === 0) {
        search = { kind: 'none', skipped };
      } else {
        const endTime = clock();
        search = await searchRejects(options.logsFor(context.region), sources, {
          agentIp: context.privateIp,
          startTime: endTime - (options.windowMinutes ?? 15) * 60_000,
          endTime,
          maxPages: options.maxPages ?? 3,
          pageSize: options.pageSize ?? 1_000,
          signal: AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs ?? 4_000)]),
        });
      }
    }
    return targets.map((target) => [judgeFlowLogs(target, context, inventory, search)]);
  };
}
