// A small HTTP proxy on loopback in front of moto that makes AWS faults real: it finds the action
// of each request (the Query API `Action` of EC2, STS and IAM; the X-Amz-Target of JSON services
// such as Route 53 Resolver; the REST path of Route 53) and answers chosen actions with an
// AWS-shaped error in that service's protocol, a stall, or a broken body; everything else passes
// through to moto.
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
  /** The signing name of the service (ec2, sts, route53, route53resolver…), when the request was signed. */
  service?: string;
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
  // The SDK joins the endpoint's path and a REST operation's path with a slash of its own (…/x//2013-04-01/…):
  // a leading `//` would make the forwarded URL protocol-relative.
  const rest = `/${path.slice(match?.[0].length ?? 1).replace(/^\/+/, '')}`;
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

/** The service a request is signed for: the credential scope's fourth part. */
export function signingService(authorization: string | undefined): string | undefined {
  return /Credential=[^/,\s]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(authorization ?? '')?.[1];
}

/** Route 53's REST operations the agent may call, by method and path (ids replaced by `{id}`). */
const ROUTE53_OPERATIONS: Record<string, string> = {
  'GET /2013-04-01/hostedzonesbyvpc': 'ListHostedZonesByVPC',
  'GET /2013-04-01/hostedzonesbyname': 'ListHostedZonesByName',
  'GET /2013-04-01/hostedzone': 'ListHostedZones',
  'GET /2013-04-01/hostedzone/{id}': 'GetHostedZone',
  'GET /2013-04-01/hostedzone/{id}/rrset': 'ListResourceRecordSets',
  'POST /2013-04-01/hostedzone/{id}/associatevpc': 'AssociateVPCWithHostedZone',
};

/** The API action of a request, whatever its protocol; '' when it has none the proxy knows. */
export function requestAction(
  method: string,
  path: string,
  headers: Record<string, string | string[] | undefined>,
  form: URLSearchParams,
): string {
  const fromForm = form.get('Action');
  if (fromForm) return fromForm;
  const target = headers['x-amz-target'];
  if (typeof target === 'string' && target.includes('.')) return target.slice(target.lastIndexOf('.') + 1);
  const route = path.split('?')[0]!.replace(/\/hostedzone\/[^/]+/, '/hostedzone/{id}');
  return ROUTE53_OPERATIONS[`${method} ${route}`] ?? '';
}

/** Whether a deny list names this call: by its bare action (as EC2's always were) or as `service:Action`. */
export function isDenied(deny: readonly string[], action: string, service: string | undefined): boolean {
  if (action === '') return false;
  return deny.includes(action) || (service !== undefined && deny.includes(`${service}:${action}`));
}

/** An access-denied answer in the protocol of the service: EC2's, the other XML services', or JSON. */
export function accessDenied(
  service: string | undefined,
  action: string,
  code?: string,
): { status: number; text: string; type: string; headers?: Record<string, string> } {
  const message = `User is not authorized to perform: ${service ?? 'ec2'}:${action}`;
  if (service === undefined || service === 'ec2')
    return {
      status: 403,
      type: 'text/xml',
      text: errorXml(
        code ?? 'UnauthorizedOperation',
        `You are not authorized to perform this operation. (${action})`,
      ),
    };
  if (service === 'route53resolver') {
    const type = code ?? 'AccessDeniedException';
    return {
      status: 400,
      type: 'application/x-amz-json-1.1',
      text: JSON.stringify({ __type: type, message }),
      headers: { 'x-amzn-errortype': type },
    };
  }
  // STS, IAM (Query) and Route 53 (REST-XML) share this error document.
  return {
    status: 403,
    type: 'text/xml',
    text:
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
      `<ErrorResponse><Error><Type>Sender</Type><Code>${code ?? 'AccessDenied'}</Code><Message>${message}</Message></Error>` +
      `<RequestId>fault-proxy-${Math.random().toString(16).slice(2)}</RequestId></ErrorResponse>`,
  };
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
    const fromPath = options.faultsFromPath ? faultsFromPath(req.url ?? '/') : undefined;
    const path = fromPath?.rest ?? req.url ?? '/';
    const service = signingService(req.headers.authorization);
    const action = requestAction(req.method ?? 'POST', path, req.headers, params);
    requests.push(params);
    counts.set(action, (counts.get(action) ?? 0) + 1);
    seen.push(action);
    const fault: FaultMode | undefined =
      fromPath && isDenied(fromPath.deny, action, service) ? { kind: 'deny' } : faults[action];
    if (action !== '')
      options.onCall?.({
        ...(fromPath?.run ? { run: fromPath.run } : {}),
        action,
        denied: fault?.kind === 'deny',
        ...(service ? { service } : {}),
      });
    const send = (status: number, text: string, type = 'text/xml', extra: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text), ...extra });
      res.end(text);
    };
    switch (fault?.kind) {
      case 'deny': {
        const denied = accessDenied(service, action, fault.code);
        return send(denied.status, denied.text, denied.type, denied.headers);
      }
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
