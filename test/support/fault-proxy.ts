// A small HTTP proxy on loopback in front of moto that makes EC2 faults real: it reads the
// Query API `Action` from the form body and answers chosen actions with an AWS-shaped error,
// a stall, or a broken body; everything else passes through to moto.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listenOnLoopback } from './loopback-server.js';

export type FaultMode =
  | { kind: 'deny'; code?: string } // HTTP 403 UnauthorizedOperation (or the code given)
  | { kind: 'throttle'; times: number } // HTTP 503 RequestLimitExceeded `times` times, then pass
  | { kind: 'stall' } // never answers
  | { kind: 'garbage' } // HTTP 200 with a body that is not XML
  | { kind: 'empty' } // HTTP 200 with an empty body
  | { kind: 'drop-field'; element: string }; // HTTP 200 from moto, with every <element>…</element> removed

export interface FaultProxy {
  url: string;
  /** Requests seen per EC2 action (including the ones answered with a fault). */
  counts: Map<string, number>;
  /** Actions in the order the proxy saw them. */
  seen: string[];
  /** The form parameters of every request, in order. */
  requests: URLSearchParams[];
  setFaults(faults: Record<string, FaultMode>): void;
  stop(): Promise<void>;
}

function errorXml(code: string, message: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors>` +
    `<RequestID>fault-proxy-${Math.random().toString(16).slice(2)}</RequestID></Response>`
  );
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  let faults: Record<string, FaultMode> = {};
  const throttled = new Map<string, number>();
  const counts = new Map<string, number>();
  const seen: string[] = [];
  const requests: URLSearchParams[] = [];

  const forward = async (req: IncomingMessage, body: Buffer) => {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string' && !['host', 'connection', 'content-length'].includes(name))
        headers[name] = value;
    }
    const response = await fetch(new URL(req.url ?? '/', upstream), {
      method: req.method ?? 'POST',
      headers,
      ...(body.length > 0 ? { body: new Uint8Array(body) } : {}),
    });
    return {
      status: response.status,
      type: response.headers.get('content-type') ?? 'text/xml',
      text: await response.text(),
    };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    const params = new URLSearchParams(body.toString('utf8'));
    const action = params.get('Action') ?? '';
    requests.push(params);
    counts.set(action, (counts.get(action) ?? 0) + 1);
    seen.push(action);
    const fault = faults[action];
    const send = (status: number, text: string, type = 'text/xml') => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    switch (fault?.kind) {
      case 'deny':
        return send(
          403,
          errorXml(
            fault.code ?? 'UnauthorizedOperation',
            `You are not authorized to perform this operation. (${action})`,
          ),
        );
      case 'throttle': {
        const used = throttled.get(action) ?? 0;
        if (used < fault.times) {
          throttled.set(action, used + 1);
          return send(503, errorXml('RequestLimitExceeded', 'Request limit exceeded.'));
        }
        break;
      }
      case 'stall':
        return; // the socket stays open until the client gives up or the proxy stops
      case 'garbage':
        return send(200, '}}} this is not XML {{{', 'text/plain');
      case 'empty':
        return send(200, '');
      case 'drop-field': {
        const upstreamAnswer = await forward(req, body);
        const pattern = new RegExp(
          `<${fault.element}>[\\s\\S]*?</${fault.element}>|<${fault.element}/>`,
          'g',
        );
        return send(upstreamAnswer.status, upstreamAnswer.text.replace(pattern, ''), upstreamAnswer.type);
      }
      default:
        break;
    }
    const answer = await forward(req, body);
    send(answer.status, answer.text, answer.type);
  };

  const server = await listenOnLoopback((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`fault-proxy: ${String(err)}`);
      }
    });
  });

  return {
    url: server.url,
    counts,
    seen,
    requests,
    setFaults(next) {
      faults = next;
      throttled.clear();
      counts.clear();
      seen.length = 0;
      requests.length = 0;
    },
    stop: server.stop,
  };
}
