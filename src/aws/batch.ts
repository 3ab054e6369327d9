// How one snapshot issues its calls: deadline, pagination, call records, and the turning of
// every failure or untrustworthy response into a Gap. Only src/aws/ uses it.
import { setMaxListeners } from 'node:events';
import type { CallRecord, Gap, Part } from '../model.js';
import { type AbortState, classifyAwsError, MalformedResponseError } from './errors.js';

export interface Paged {
  NextToken?: string | undefined;
  $metadata: { requestId?: string | undefined };
}

export interface Batch {
  signal: AbortSignal;
  abort: AbortState;
  calls: CallRecord[];
  maxPages: number;
  /** MaxResults for paginated calls; unset lets AWS choose (it returns everything on most Describe calls). */
  pageSize?: number;
}

export function createBatch(options: {
  signal?: AbortSignal;
  timeoutMs: number;
  maxPages?: number;
  pageSize?: number;
}): Batch {
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
  // Every request of the snapshot (a dozen and more at once) listens on this one signal.
  setMaxListeners(0, signal);
  return {
    signal,
    abort: options.signal ? { deadline, caller: options.signal } : { deadline },
    calls: [],
    maxPages: options.maxPages ?? 20,
    ...(options.pageSize ? { pageSize: options.pageSize } : {}),
  };
}

export function maxResults(batch: Batch): { MaxResults?: number } {
  return batch.pageSize ? { MaxResults: batch.pageSize } : {};
}

export interface ItemRules<T> {
  /** What one item is called in messages: "an endpoint". */
  noun: string;
  /** Fields without which an item is unusable. */
  required: Array<keyof T & string>;
  /** Fill missing arrays so checks never meet undefined. */
  normalize?: (item: T) => T;
}

function checkItems<T>(call: string, items: T[], rules: ItemRules<T>): T[] {
  return items.map((item) => {
    for (const key of rules.required) {
      const value = item[key];
      if (value === undefined || value === null || value === '') {
        throw new MalformedResponseError(`${call} returned ${rules.noun} with no ${key}`);
      }
    }
    return rules.normalize ? rules.normalize(item) : item;
  });
}

function record(batch: Batch, call: string, started: number, pages: number, gap?: Gap): void {
  const durationMs = Math.round((performance.now() - started) * 10) / 10;
  batch.calls.push(
    gap
      ? { call, durationMs, ok: false, pages, errorCode: gap.errorCode }
      : { call, durationMs, ok: true, pages },
  );
}

/** One paginated call: follows NextToken up to maxPages; the part holds every item or a gap. */
export async function collect<O extends Paged, T>(
  batch: Batch,
  call: string,
  page: (token: string | undefined, abortSignal: AbortSignal) => Promise<O>,
  list: (out: O) => T[] | undefined,
  rules: ItemRules<T>,
): Promise<Part<T[]>> {
  const started = performance.now();
  const items: T[] = [];
  let pages = 0;
  let token: string | undefined;
  try {
    do {
      // A truncated list would make checks answer wrongly with confidence: fail the part instead.
      if (pages >= batch.maxPages) {
        throw new MalformedResponseError(`${call} still had more results after ${batch.maxPages} pages`);
      }
      const out = await page(token, batch.signal);
      pages += 1;
      const value = list(out);
      if (value === undefined && !out.$metadata.requestId) {
        throw new MalformedResponseError(`${call} returned an empty or malformed response`);
      }
      if (value !== undefined && !Array.isArray(value)) {
        throw new MalformedResponseError(`${call} returned a malformed list`);
      }
      items.push(...checkItems(call, value ?? [], rules));
      const next = out.NextToken || undefined;
      if (next && next === token)
        throw new MalformedResponseError(`${call} returned the same NextToken twice`);
      token = next;
    } while (token);
  } catch (err) {
    const gap = classifyAwsError(err, call, batch.abort);
    record(batch, call, started, pages, gap);
    return { ok: false, gap };
  }
  record(batch, call, started, pages);
  return { ok: true, value: items };
}

/** One unpaginated call whose answer is one value picked from the output. */
export async function single<O extends Paged, T>(
  batch: Batch,
  call: string,
  send: (abortSignal: AbortSignal) => Promise<O>,
  pick: (out: O) => T | undefined,
  missing: string,
): Promise<Part<T>> {
  const started = performance.now();
  try {
    const out = await send(batch.signal);
    const value = pick(out);
    if (value === undefined) throw new MalformedResponseError(`${call} returned ${missing}`);
    record(batch, call, started, 1);
    return { ok: true, value };
  } catch (err) {
    const gap = classifyAwsError(err, call, batch.abort);
    record(batch, call, started, 1, gap);
    return { ok: false, gap };
  }
}

export function chunk<T>(values: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < values.length; i += size) out.push(values.slice(i, i + size));
  return out;
}
