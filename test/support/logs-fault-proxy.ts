// A small HTTP proxy on loopback in front of moto for CloudWatch Logs (JSON protocol, the action
// in X-Amz-Target). It enforces PutLogEvents' limits as AWS does (moto does not), records every
// request, and answers chosen actions with an AWS-shaped error; the rest passes through.
import type { IncomingMessage } from 'node:http';
import { listenOnLoopback } from './loopback-server.js';

export type LogsFault =
  | { kind: 'throttle'; times: number } // 400 ThrottlingException `times` times, then pass
  | { kind: 'deny' } // 400 AccessDeniedException
  | { kind: 'stall' }; // never answers

export interface LogsRequest {
  action: string;
  body: Record<string, unknown>;
  /** For PutLogEvents: the call's size as AWS counts it (UTF-8 bytes + 26 per event). */
  batchBytes?: number;
}

export interface LogsFaultProxy {
  url: string;
  requests: LogsRequest[];
  count(action: string): number;
  setFaults(faults: Record<string, LogsFault>): void;
  stop(): Promise<void>;
}

export const AWS_PUT_LIMITS = {
  batchBytes: 1_048_576,
  batchEvents: 10_000,
  eventBytes: 262_144,
  overhead: 26,
};

function limitProblem(body: Record<string, unknown>): string | undefined {
  const events = (body['logEvents'] ?? []) as Array<{ timestamp: number; message: string }>;
  if (events.length === 0) return 'logEvents is empty';
  if (events.length > AWS_PUT_LIMITS.batchEvents) return `${events.length} events in one call`;
  let total = 0;
  let last = 0;
  for (const event of events) {
    const size = Buffer.byteLength(event.message, 'utf8') + AWS_PUT_LIMITS.overhead;
    if (size > AWS_PUT_LIMITS.eventBytes) return `an event of ${size} bytes`;
    if (event.timestamp < last) return 'events not in chronological order';
    last = event.timestamp;
    total += size;
  }
  if (total > AWS_PUT_LIMITS.batchBytes) return `a batch of ${total} bytes`;
  return undefined;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startLogsFaultProxy(upstream: string): Promise<LogsFaultProxy> {
  let faults: Record<string, LogsFault> = {};
  const used = new Map<string, number>();
  const requests: LogsRequest[] = [];

  const server = await listenOnLoopback((req, res) => {
    void (async () => {
      const raw = await readBody(req);
      const target = String(req.headers['x-amz-target'] ?? '');
      const action = target.split('.').pop() ?? '';
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(raw.toString('utf8') || '{}');
      } catch {
        // forwarded as is
      }
      const record: LogsRequest = { action, body };
      if (action === 'PutLogEvents') {
        const events = (body['logEvents'] ?? []) as Array<{ message: string }>;
        record.batchBytes = events.reduce(
          (n, e) => n + Buffer.byteLength(e.message, 'utf8') + AWS_PUT_LIMITS.overhead,
          0,
        );
      }
      requests.push(record);
      const error = (type: string, message: string) => {
        const text = JSON.stringify({ __type: type, message });
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': type });
        res.end(text);
      };
      const fault = faults[action];
      if (fault?.kind === 'stall') return;
      if (fault?.kind === 'deny')
        return error('AccessDeniedException', `User is not authorized to perform: logs:${action}`);
      if (fault?.kind === 'throttle' && (used.get(action) ?? 0) < fault.times) {
        used.set(action, (used.get(action) ?? 0) + 1);
        return error('ThrottlingException', 'Rate exceeded');
      }
      if (action === 'PutLogEvents') {
        const problem = limitProblem(body);
        if (problem) return error('InvalidParameterException', `over the PutLogEvents limits: ${problem}`);
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === 'string' && !['host', 'connection', 'content-length'].includes(name))
          headers[name] = value;
      }
      const answer = await fetch(new URL(req.url ?? '/', upstream), {
        method: req.method ?? 'POST',
        headers,
        ...(raw.length > 0 ? { body: new Uint8Array(raw) } : {}),
      });
      const text = await answer.text();
      const out: Record<string, string> = {
        'content-type': answer.headers.get('content-type') ?? 'application/x-amz-json-1.1',
      };
      const errorType = answer.headers.get('x-amzn-errortype');
      if (errorType) out['x-amzn-errortype'] = errorType;
      res.writeHead(answer.status, out);
      res.end(text);
    })().catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`logs-fault-proxy: ${String(err)}`);
    });
  });
  return {
    url: server.url,
    requests,
    count: (action) => requests.filter((r) => r.action === action).length,
    setFaults(next) {
      faults = next;
      used.clear();
      requests.length = 0;
    },
    stop: server.stop,
  };
}
