// A small HTTP proxy on loopback in front of moto that makes EC2 faults real: it reads the
// Query API `Action` from the form body and answers chosen actions with an AWS-shaped error,
// a stall, or a broken body; everything else passes through to moto.
//
// In the lab it runs inside vdl-aws (fault-proxy-daemon.ts), where one proxy serves many agent
// runs at once: each run names its own faults in the endpoint's path, e.g.
// AWS_ENDPOINT_URL=http://10.0.0.250:5001/deny/DescribeVpcEndpoints,DescribeSubnets/run/r7/
// (the SDK keeps an endpoint's path), and `onCall` records which actions each run called.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listenOnLoopback } from './loopback-server.js';

export type FaultMode =
  | { kind: 'deny'; code?: string } // HTTP 403 UnauthorizedOperation (or the code given)
  | { kind: 'throttle'; times: number } // HTTP 503 RequestLimitExceeded `times` times, then pass
  | { kind: 'stall' } // never answers
  | { kind: 'garbage' } // HTTP 200 with a body that is not XML
  | { kind: 'empty' } // HTTP 200 with an empty body
  | { kind: 'drop-field'; element: string }; // HTTP 200 from moto, with every <element>…</element> removed

/** One request as the proxy saw it: the run its path named, the action, what it answered. */
export interface ProxyCall {
  run?: string;
  action: string;
  denied: boolean;
}

export interface FaultProxyOptions {
  /** Listen address (default loopback, any free port). */
  host?: string;
  port?: number;
  /** Read `/deny/ACTION,ACTION/` and `/run/ID/` from the front of each request's path. */
  faultsFromPath?: boolean;
  onCall?: (call: ProxyCall) => void;
}

const PATH_FAULTS = /^\/(?:deny\/([^/]*)\/)?(?:run\/([^/]*)\/)?/;

/**
 * The faults a request's path asks for, the run it names, and the path to forward: the
 * `/deny/A,B/` and `/run/ID/` prefixes (either may be absent) taken off.
 */
export function faultsFromPath(path: string): { deny: string[]; run?: string; rest: string } {
  const match = PATH_FAULTS.exec(path);
  const deny = (match?.[1] ?? '')
    .split(',')
    .map((a) => decodeURIComponent(a).trim())
    .filter((a) => a !== '' && a !== '-');
  const run = match?.[2] ? decodeURIComponent(match[2]) : undefined;
  const rest = `/${path.slice(match?.[0].length ?? 1)}`;
  return { deny, ...(run ? { run } : {}), rest };
}

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

export async function startFaultProxy(
  upstream: string,
  options: FaultProxyOptions = {},
): Promise<FaultProxy> {
  let faults: Record<string, FaultMode> = {};
  const throttled = new Map<string, number>();
  const counts = new Map<string, number>();
  const seen: string[] = [];
  const requests: URLSearchParams[] = [];

  const forward = async (req: IncomingMessage, body: Buffer, path = req.url ?? '/') => {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string' && !['host', 'connection', 'content-length'].includes(name))
        headers[name] = value;
    }
    const response = await fetch(new URL(path, upstream), {
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
    const fromPath = options.faultsFromPath ? faultsFromPath(req.url ?? '/') : undefined;
    const path = fromPath?.rest ?? req.url ?? '/';
    const fault: FaultMode | undefined =
      fromPath?.deny.includes(action) && action !== '' ? { kind: 'deny' } : faults[action];
    if (action !== '')
      options.onCall?.({
        ...(fromPath?.run ? { run: fromPath.run } : {}),
        action,
        denied: fault?.kind === 'deny',
      });
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
        const upstreamAnswer = await forward(req, body, path);
        const pattern = new RegExp(
          `<${fault.element}>[\\s\\S]*?</${fault.element}>|<${fault.element}/>`,
          'g',
        );
        return send(upstreamAnswer.status, upstreamAnswer.text.replace(pattern, ''), upstreamAnswer.type);
      }
      default:
        break;
    }
    const answer = await forward(req, body, path);
    send(answer.status, answer.text, answer.type);
  };

  const server = await listenOnLoopback(
    (req, res) => {
      handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) {
          res.writeHead(502, { 'content-type': 'text/plain' });
          res.end(`fault-proxy: ${String(err)}`);
        }
      });
    },
    options.host,
    options.port,
  );

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
