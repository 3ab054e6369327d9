// The HTTP API of `vpce-doctor serve`, built once from the runner; it never listens (server.ts
// does). Nothing a request says reaches the runner except `fresh`: names in `?service=` only
// narrow the rendered report to targets the run already has (no SSRF).
//
// Closed unless opened: the health routes are open (load balancers, container health checks);
// every other route needs the bearer token when one is set, and without a token answers only
// clients on loopback — the task's own containers, which share its network namespace.
import { createHash, timingSafeEqual } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  LogController,
} from 'fastify';
import { GAP_CODES } from './aws/gap-findings.js';
import { explain } from './catalogue.js';
import { createHistory, type History } from './history.js';
import { createMetrics, type Metrics } from './metrics.js';
import type { Finding, Report, TargetReport } from './model.js';
import { escapeHtml, renderHtml, STATUS_PAGE_CSP } from './render/html.js';
import { renderMarkdown } from './render/markdown.js';
import { wasChecked } from './render/summary.js';
import { renderText } from './render/text.js';
import { createReportKeeper, type Latest, type ReportKeeper, type ReportSource } from './schedule.js';
import { fullServiceName, matchesName } from './targets.js';
import { overallStatus } from './verdict.js';

declare module 'fastify' {
  interface FastifyInstance {
    reports: ReportKeeper;
    metrics: Metrics;
    history: History;
  }
}

export type UnhealthyOn = 'fail' | 'warn';

export interface AppOptions {
  runner: ReportSource;
  version: string;
  /**
   * When set, `Authorization: Bearer <token>` is required on all but the health routes. When not,
   * those routes answer loopback clients only (403 to others).
   */
  token?: string;
  unhealthyOn?: UnhealthyOn;
  /** /health judges only targets a profile or the configuration marks required. */
  healthRequiredOnly?: boolean;
  /** The report deadline handed to every run. */
  runTimeoutMs?: number;
  freshMinIntervalMs?: number;
  metrics?: Metrics;
  /** The runs the status page plots; every report the app's runs produce is recorded in it. */
  history?: History;
  logger?: FastifyBaseLogger;
  /** Whole-request deadline (default 30 s) and idle-socket deadline (default 10 s). */
  requestTimeoutMs?: number;
  connectionTimeoutMs?: number;
  /** Sockets held at once (default 1,024); past it, new connections are closed at accept. */
  maxConnections?: number;
  clock?: () => number;
}

/** Routes a load balancer or container health check must reach without a token. */
export const OPEN_ROUTES = new Set(['/healthz', '/readyz', '/health']);

export const REQUEST_TIMEOUT_MS = 30_000;
export const CONNECTION_TIMEOUT_MS = 10_000;
export const BODY_LIMIT_BYTES = 1024;
export const MAX_HEADER_BYTES = 16 * 1024;
/**
 * A sidecar serves a health check, a scraper and an engineer with curl. 1,024 leaves room for a
 * load test and bounds what slow clients can hold: 15,000 of them took 83 MB, 1,024 hold about 6.
 */
export const MAX_CONNECTIONS = 1024;
/** The longest path parameter: finding codes are at most 64 characters. */
export const MAX_PARAM_LENGTH = 64;
/** On close, requests in flight get this long before every connection is cut (half-sent ones too). */
export const CLOSE_GRACE_MS = 500;

const SERVICE_LIST = '^[A-Za-z0-9][A-Za-z0-9._,-]{0,255}$';
const reportQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    service: { type: 'array', maxItems: 32, items: { type: 'string', pattern: SERVICE_LIST } },
    fresh: { type: 'string', enum: ['1', '0', 'true', 'false'] },
  },
} as const;
const noQuery = { type: 'object', additionalProperties: false, properties: {} } as const;
const codeParams = {
  type: 'object',
  properties: { code: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_]{0,63}$' } },
  required: ['code'],
} as const;

interface ReportQuery {
  service?: string[];
  fresh?: '1' | '0' | 'true' | 'false';
}

type Format = 'json' | 'text' | 'markdown';

const CONTENT_TYPES: Record<Format, string> = {
  json: 'application/json; charset=utf-8',
  text: 'text/plain; charset=utf-8',
  markdown: 'text/markdown; charset=utf-8',
};

class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

export function buildApp(options: AppOptions): FastifyInstance {
  const clock = options.clock ?? Date.now;
  const metrics =
    options.metrics ?? createMetrics({ version: options.version, processMetrics: false, clock });
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    // Request lines go out at debug from the onResponse hook below, not at info.
    logController: new LogController({ disableRequestLogging: true }),
    requestTimeout: options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
    connectionTimeout: options.connectionTimeoutMs ?? CONNECTION_TIMEOUT_MS,
    // Node enforces requestTimeout only when it sweeps connections (every 30 s by default):
    // sweep often so a client that never finishes its request is cut near the deadline.
    http: { connectionsCheckingInterval: 1_000, maxHeaderSize: MAX_HEADER_BYTES },
    keepAliveTimeout: 5_000,
    bodyLimit: BODY_LIMIT_BYTES,
    return503OnClosing: true,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
    schemaErrorFormatter: (errors, dataVar) => new Error(describeSchemaError(errors[0], dataVar)),
    // The router's own errors, in the one-line shape of every other error.
    frameworkErrors: (error, _request, reply) => {
      const code = (error as { code?: string }).code;
      if (code === 'FST_ERR_MAX_PARAM_LENGTH') {
        return sendError(reply, 414, `a path parameter is longer than ${MAX_PARAM_LENGTH} characters`);
      }
      if (code === 'FST_ERR_BAD_URL') return sendError(reply, 400, 'the path is not valid percent-encoding');
      return sendError(reply, 400, 'bad request');
    },
    // What Node's parser rejects before any route: written on the socket, in the same shape.
    clientErrorHandler: (error: Error & { code?: string }, socket: Socket) => {
      if (error.code === 'ECONNRESET' || socket.destroyed) return;
      const [status, message] =
        error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'the request was not complete before the request deadline']
          : error.code === 'HPE_HEADER_OVERFLOW'
            ? [431, `request headers larger than ${MAX_HEADER_BYTES / 1024} KiB`]
            : [400, 'malformed HTTP request'];
      const body = errorBody(message);
      if (socket.writable) {
        socket.write(
          `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${CONTENT_TYPES.json}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        );
      }
      socket.destroy();
    },
  }) as unknown as FastifyInstance;
  app.server.maxConnections = options.maxConnections ?? MAX_CONNECTIONS;
  // server.close() waits for every connection; one holding a half-sent request would hold the
  // shutdown until the request deadline. Requests in flight get a short grace, then all go.
  app.addHook('preClose', (done) => {
    const cut = setTimeout(() => app.server.closeAllConnections(), CLOSE_GRACE_MS);
    cut.unref();
    app.server.once('close', () => clearTimeout(cut));
    done();
  });

  const history = options.history ?? createHistory();
  const keeper = createReportKeeper({
    runner: options.runner,
    clock,
    ...(options.runTimeoutMs !== undefined ? { timeoutMs: options.runTimeoutMs } : {}),
    ...(options.freshMinIntervalMs !== undefined ? { freshMinIntervalMs: options.freshMinIntervalMs } : {}),
    onReport(report, trigger) {
      metrics.observeReport(report, trigger);
      history.record(report, clock());
      app.log.info(
        {
          trigger,
          status: report.status,
          durationMs: report.durationMs,
          summary: report.summary,
          failing: problemsOf(report.targets, ['fail', 'warn', 'unknown']),
          inventoryAgeMs: report.inventory.ageMs,
          gaps: report.inventory.gaps.map((g) => g.action),
        },
        `report ${report.status}`,
      );
    },
    onError(error, trigger) {
      metrics.observeRunError(trigger);
      app.log.error({ trigger, err: error }, 'run failed');
    },
  });
  app.decorate('reports', keeper);
  app.decorate('metrics', metrics);
  app.decorate('history', history);
  const rendered = new WeakMap<Report, Partial<Record<Format, Buffer>>>();

  const expected = options.token ? digest(options.token) : undefined;
  app.addHook('onRequest', async (request, reply) => {
    if (OPEN_ROUTES.has(request.routeOptions.url ?? '')) return;
    if (!expected) {
      if (isLoopback(request.socket.remoteAddress)) return;
      return sendError(
        reply,
        403,
        'this route answers loopback clients only while no token is set: set VPCE_DOCTOR_TOKEN to open it to the network',
      );
    }
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match && timingSafeEqual(digest(match[1]!), expected)) return;
    reply.header(
      'WWW-Authenticate',
      header ? 'Bearer realm="vpce-doctor", error="invalid_token"' : 'Bearer realm="vpce-doctor"',
    );
    return sendError(reply, 401, header ? 'wrong bearer token' : 'missing bearer token');
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.debug(
      { method: request.method, url: request.url, statusCode: reply.statusCode, ms: reply.elapsedTime },
      'request',
    );
  });
  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    const status =
      error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    return sendError(reply, status, status >= 500 ? 'internal error' : error.message);
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, `no route ${request.method} ${request.url.split('?')[0]}`),
  );

  // Routes live in a plugin, registered when the app gets ready: hooks added by a caller before
  // then (the OpenAPI test's onRoute) see every route.
  app.register(async (routes) => {
    routes.get('/healthz', { schema: { querystring: noQuery } }, async (_request, reply) =>
      reply.type(CONTENT_TYPES.text).send('ok\n'),
    );

    routes.get('/readyz', { schema: { querystring: noQuery } }, async (_request, reply) => {
      const latest = keeper.latest();
      if (!latest) return reply.code(503).type(CONTENT_TYPES.text).send('starting: no report yet\n');
      setAgeHeaders(reply, latest, clock());
      return reply.type(CONTENT_TYPES.text).send(`ready: report ${latest.report.status}\n`);
    });

    routes.get('/health', { schema: { querystring: noQuery } }, async (_request, reply) => {
      const latest = keeper.latest();
      if (!latest) return reply.code(503).type(CONTENT_TYPES.text).send('starting: no report yet\n');
      setAgeHeaders(reply, latest, clock());
      const health = judgeHealth(latest.report, {
        unhealthyOn: options.unhealthyOn ?? 'fail',
        requiredOnly: options.healthRequiredOnly ?? false,
      });
      return reply
        .code(health.healthy ? 200 : 503)
        .type(CONTENT_TYPES.text)
        .send(`${health.line}\n`);
    });

    /** The report a request asks for (fresh or not), with the headers saying which; undefined: none yet. */
    async function latestFor(query: ReportQuery, reply: FastifyReply): Promise<Latest | undefined> {
      if (query.fresh !== '1' && query.fresh !== 'true') return keeper.latestOrFirst();
      const outcome = await keeper.fresh();
      if (outcome.kind === 'ran') {
        reply.header('X-Vpce-Doctor-Fresh', 'ran');
      } else if (outcome.kind === 'rate-limited') {
        metrics.observeFreshRateLimited();
        reply.header(
          'X-Vpce-Doctor-Fresh',
          `cached (rate-limited: next fresh run in ${Math.ceil(outcome.retryInMs / 1000)} s)`,
        );
      } else {
        reply.header('X-Vpce-Doctor-Fresh', 'cached (the fresh run failed)');
      }
      return outcome.latest;
    }

    const reportRoute = (format: Format | 'negotiate') =>
      async function reportHandler(
        request: { query: unknown; headers: { accept?: string | undefined } },
        reply: FastifyReply,
      ) {
        const query = request.query as ReportQuery;
        const names = serviceNames(query);
        const latest = await latestFor(query, reply);
        if (!latest) {
          reply.header('Retry-After', '5');
          return sendError(reply, 503, 'no report yet: the first run has not finished');
        }
        const chosen: Format =
          format !== 'negotiate'
            ? format
            : request.headers.accept?.includes('application/json')
              ? 'json'
              : 'text';
        if (format === 'negotiate') reply.header('Vary', 'Accept');
        const report = names.length > 0 ? narrowReport(latest.report, names) : latest.report;
        setAgeHeaders(reply, latest, clock());
        reply.header('X-Vpce-Doctor-Status', report.status);
        return reply.type(CONTENT_TYPES[chosen]).send(render(report, chosen));
      };

    // The status page for a browser; a bare curl gets the text table and a JSON client the
    // report, as from /report. Rendered per request: it says how old the report is.
    const asReport = { json: reportRoute('json'), text: reportRoute('text') };
    routes.get('/', { schema: { querystring: reportQuery } }, async (request, reply) => {
      const wanted = pageFormat(request.headers.accept);
      reply.header('Vary', 'Accept');
      if (wanted !== 'html') return asReport[wanted](request, reply);
      setPageHeaders(reply);
      const query = request.query as ReportQuery;
      const names = serviceNames(query);
      const latest = await latestFor(query, reply);
      if (!latest) {
        reply.header('Retry-After', '5');
        return reply.code(503).type(HTML_TYPE).send(renderStarting());
      }
      const report = names.length > 0 ? narrowReport(latest.report, names) : latest.report;
      const now = clock();
      setAgeHeaders(reply, latest, now);
      reply.header('X-Vpce-Doctor-Status', report.status);
      const page = renderHtml(report, history.runs(), {
        now,
        finishedAt: latest.finishedAt,
        refreshSeconds: PAGE_REFRESH_SECONDS,
        // A reload keeps the services asked for but never asks for a fresh run again.
        refreshUrl: names.length > 0 ? `/?service=${names.map(encodeURIComponent).join(',')}` : '/',
      });
      return reply.type(HTML_TYPE).send(page);
    });

    // Rendered once per report, and kept as bytes: a string with non-ASCII characters (→, —)
    // is encoded again on every response, which cut throughput by five here.
    function render(report: Report, format: Format): Buffer {
      let cache = rendered.get(report);
      if (!cache) {
        cache = {};
        rendered.set(report, cache);
      }
      cache[format] ??= Buffer.from(
        format === 'json'
          ? `${JSON.stringify(report, null, 2)}\n`
          : format === 'markdown'
            ? renderMarkdown(report)
            : renderText(report, { color: false }),
      );
      return cache[format];
    }

    routes.get('/report', { schema: { querystring: reportQuery } }, reportRoute('negotiate'));
    routes.get('/report.json', { schema: { querystring: reportQuery } }, reportRoute('json'));
    routes.get('/report.txt', { schema: { querystring: reportQuery } }, reportRoute('text'));
    routes.get('/report.md', { schema: { querystring: reportQuery } }, reportRoute('markdown'));

    // A scrape storm gets one exposition per second and per report: the reports behind it
    // change once a minute. The requests that arrive while it renders wait for that one render
    // instead of starting their own (200 at once used to render 200 times, stalling the loop).
    let exposition: { at: number; report: Report | undefined; body: Promise<Buffer> } | undefined;
    routes.get('/metrics', { schema: { querystring: noQuery } }, async (_request, reply) => {
      const now = clock();
      const report = keeper.latest()?.report;
      if (!exposition || exposition.report !== report || now - exposition.at >= METRICS_MAX_AGE_MS) {
        const rendering = {
          at: now,
          report,
          body: metrics.registry.metrics().then((text) => Buffer.from(text)),
        };
        exposition = rendering;
        rendering.body.catch(() => {
          if (exposition === rendering) exposition = undefined;
        });
      }
      const body = await exposition.body;
      return reply.type(metrics.registry.contentType).send(body);
    });

    routes.get(
      '/findings/:code',
      { schema: { params: codeParams, querystring: noQuery } },
      async (request, reply) => {
        const { code } = request.params as { code: string };
        const text = explain(code);
        if (!text) return sendError(reply, 404, `unknown finding code '${code}'`);
        return reply.type(CONTENT_TYPES.markdown).send(text);
      },
    );
  });

  return app;
}

const METRICS_MAX_AGE_MS = 1_000;
/** The status page reloads itself this often; the schedule runs every minute by default. */
const PAGE_REFRESH_SECONDS = 30;
const HTML_TYPE = 'text/html; charset=utf-8';

function serviceNames(query: ReportQuery): string[] {
  return (query.service ?? []).flatMap((s) => s.split(',')).filter(Boolean);
}

/** How much an Accept header wants a media type: its q, and how it was named (2 exactly, 1 as type/*, 0 as *\/*). */
function acceptance(accept: string, type: string): { q: number; named: number } {
  let best = { q: 0, named: -1 };
  for (const part of accept.split(',')) {
    const [range = '', ...params] = part.split(';').map((p) => p.trim().toLowerCase());
    const named = range === type ? 2 : range === `${type.split('/')[0]}/*` ? 1 : range === '*/*' ? 0 : -1;
    if (named <= best.named) continue;
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    best = { q: Number.isFinite(q) ? q : 0, named };
  }
  return best;
}

/**
 * What `/` serves: the page to a client that names text/html and wants it at least as much as
 * JSON and text (a browser); the report as JSON to one that names application/json (as /report
 * does); the text table to everyone else, a bare curl (*\/*) included.
 */
export function pageFormat(accept: string | undefined): 'html' | 'json' | 'text' {
  if (!accept) return 'text';
  const page = acceptance(accept, 'text/html');
  const json = acceptance(accept, 'application/json');
  const text = acceptance(accept, 'text/plain');
  if (page.named === 2 && page.q > 0 && page.q >= json.q && page.q >= text.q) return 'html';
  if (json.named === 2 && json.q > 0) return 'json';
  return 'text';
}

/** What a browser must not do with the page: run or load anything, frame it, sniff its type. */
function setPageHeaders(reply: FastifyReply): void {
  reply.header('Content-Security-Policy', STATUS_PAGE_CSP);
  reply.header('X-Content-Type-Options', 'nosniff');
  reply.header('Referrer-Policy', 'no-referrer');
  reply.header('X-Frame-Options', 'DENY');
}

/** Before the first report: a page that says so and reloads until there is one. */
function renderStarting(): string {
  const line = escapeHtml('starting: no report yet (the first run has not finished)');
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5"><title>vpce-doctor: starting</title></head><body><p>${line}</p></body></html>\n`;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Loopback, as the socket sees it: 127.0.0.0/8, ::1, and 127.x mapped into IPv6. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}

/** Every error body: one line of JSON, `{"error":"…"}`. */
function errorBody(message: string): string {
  const line = message.replace(/\s+/g, ' ').trim().slice(0, 300);
  return `${JSON.stringify({ error: line })}\n`;
}

function sendError(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).type(CONTENT_TYPES.json).send(errorBody(message));
}

function setAgeHeaders(reply: FastifyReply, latest: Latest, now: number): void {
  const age = String(Math.max(0, Math.floor((now - latest.finishedAt) / 1000)));
  reply.header('Age', age);
  reply.header('X-Vpce-Doctor-Report-Age-Seconds', age);
  reply.header('X-Vpce-Doctor-Started-At', latest.report.startedAt);
  reply.header('Last-Modified', new Date(latest.finishedAt).toUTCString());
  reply.header('Cache-Control', 'no-store');
}

interface SchemaError {
  keyword: string;
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
}

/** One line naming the parameter: `querystring: unknown parameter 'foo'`. */
export function describeSchemaError(error: SchemaError | undefined, dataVar: string): string {
  if (!error) return `${dataVar}: invalid`;
  if (error.keyword === 'additionalProperties') {
    return `${dataVar}: unknown parameter '${String(error.params['additionalProperty'])}'`;
  }
  const field = error.instancePath.split('/').filter(Boolean)[0] ?? '';
  const where = field ? `${dataVar} parameter '${field}'` : dataVar;
  if (error.keyword === 'enum') {
    return `${where} must be one of ${(error.params['allowedValues'] as unknown[]).join(', ')}`;
  }
  if (error.keyword === 'pattern') return `${where} has characters or a length a name cannot have`;
  return `${where} ${error.message ?? 'is invalid'}`;
}

/** Thrown to the error handler: the one-line 400 for ?service= names that match no target. */
function unknownServices(names: string[], region: string): HttpError {
  const full = names.map((n) => (region ? fullServiceName(n, region) : n));
  return new HttpError(400, `service: no target of this report matches ${full.join(', ')}`);
}

/**
 * A target of the report, as the --service matcher sees targets: the endpoints off its path are
 * the ENDPOINT_NOT_ON_PATH findings it carries (so `s3-interface` selects the gateway's S3 target).
 */
function matchesReport(target: TargetReport, name: string, region: string): boolean {
  const offPath = target.findings
    .filter((f) => f.code === 'ENDPOINT_NOT_ON_PATH')
    .map((f) => ({ endpointType: f.evidence['endpointType'] as TargetReport['endpointType'] }));
  return matchesName({ service: target.service, shortName: target.shortName, offPath }, name, region);
}

/** The report narrowed to the named targets, its status and summary recomputed over them. */
export function narrowReport(report: Report, names: string[]): Report {
  const region = report.context.region;
  const unmatched = names.filter((name) => !report.targets.some((t) => matchesReport(t, name, region)));
  if (unmatched.length > 0) throw unknownServices(unmatched, region);
  const targets = report.targets.filter((t) => names.some((name) => matchesReport(t, name, region)));
  const summary = { pass: 0, warn: 0, fail: 0, unknown: 0 };
  for (const target of targets) if (target.status !== 'info') summary[target.status] += 1;
  const status = overallStatus([...targets.map((t) => t.status), ...report.findings.map((f) => f.status)]);
  return { ...report, status, targets, summary };
}

export interface HealthOptions {
  unhealthyOn: UnhealthyOn;
  requiredOnly: boolean;
}

export interface Health {
  healthy: boolean;
  /**
   * One line, each cause once with what it touches: `fail: SG_ENDPOINT_INGRESS_DENIED (ecr.api,
   * ecr.dkr)`, `ok: 8 pass, 1 warn; warn: ENDPOINT_NOT_IN_AZ (logs)`,
   * `unknown: nothing checked: CONTEXT_UNRESOLVED (missing vpcId, subnetId, privateIp)`.
   */
  line: string;
}

function problemsOf(targets: TargetReport[], statuses: string[]): string[] {
  return targets
    .filter((t) => statuses.includes(t.status))
    .map((t) => `${t.shortName} ${t.rootCause?.code ?? t.status.toUpperCase()}`);
}

/** The code that stands for a target in /health: its root cause, else what left it undecided. */
function causeOf(target: TargetReport): string {
  if (target.rootCause) return target.rootCause.code;
  const undecided =
    target.status === 'unknown' ? target.findings.find((f) => f.status === 'unknown') : undefined;
  return undecided?.code ?? target.status.toUpperCase();
}

function strings(value: unknown): string[] {
  if (typeof value === 'string' && value) return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && v !== '') : [];
}

/** What a report-level finding names in /health: the denied actions, the error, what is missing. */
function labelsOf(finding: Finding): string[] {
  const e = finding.evidence;
  if (GAP_CODES.has(finding.code)) {
    return e['kind'] === 'permission' ? strings(e['actions'] ?? e['action']) : strings(e['errorCode']);
  }
  if (finding.code === 'CONTEXT_UNRESOLVED') {
    const missing = strings(e['missing']);
    return missing.length > 0 ? [`missing ${missing.join(', ')}`] : [];
  }
  if (finding.code === 'REPORT_DEADLINE_EXCEEDED') return strings(e['phase']).map((p) => `${p} phase`);
  return [];
}

/** Each cause once, in the order first met, naming the services (or actions) it touches. */
function causeList(findings: Finding[], targets: TargetReport[]): string[] {
  const causes = new Map<string, string[]>();
  const add = (code: string, labels: string[]) => {
    const known = causes.get(code) ?? [];
    causes.set(code, [...known, ...labels.filter((l) => !known.includes(l))]);
  };
  for (const finding of findings) add(finding.code, labelsOf(finding));
  for (const target of targets) add(causeOf(target), [target.shortName]);
  return [...causes].map(([code, labels]) => (labels.length > 0 ? `${code} (${labels.join(', ')})` : code));
}

/**
 * The connectivity verdict as /health serves it. Unknown targets beside checked ones are named
 * but not unhealthy (a missing permission must not block a start), but a report that checked
 * nothing — no targets, or every one undecided — is 503: a start-up gate that passes having
 * checked nothing is worse than none.
 */
export function judgeHealth(report: Report, options: HealthOptions): Health {
  const targets = options.requiredOnly ? report.targets.filter((t) => t.required) : report.targets;
  const byStatus = (status: string) => targets.filter((t) => t.status === status);
  const findingsOf = (status: string) => report.findings.filter((f) => f.status === status);
  const failing = causeList(findingsOf('fail'), byStatus('fail'));
  const warning = causeList([], byStatus('warn'));
  const unknown = causeList(findingsOf('unknown'), byStatus('unknown'));
  // With required-only and no required target, the gate has nothing to judge unless the run as a
  // whole checked nothing either.
  const nothingChecked = targets.length > 0 ? !targets.some(wasChecked) : !report.targets.some(wasChecked);
  const unhealthy =
    nothingChecked || failing.length > 0 || (options.unhealthyOn === 'warn' && warning.length > 0);
  const scope = options.requiredOnly ? ' required' : '';
  const parts: string[] = [];
  if (failing.length > 0) parts.push(`fail: ${failing.join(', ')}`);
  if (warning.length > 0) parts.push(`warn: ${warning.join(', ')}`);
  if (nothingChecked) {
    const why = unknown.length > 0 ? unknown.join(', ') : `no${scope} targets`;
    parts.push(`unknown: nothing checked: ${why}`);
  } else if (unknown.length > 0) {
    parts.push(`unknown: ${unknown.join(', ')}`);
  }
  if (!unhealthy) {
    const counts = { pass: 0, warn: 0, fail: 0, unknown: 0 };
    for (const t of targets) if (t.status !== 'info') counts[t.status] += 1;
    const summary = Object.entries(counts)
      .filter(([, n]) => n > 0)
      .map(([status, n]) => `${n} ${status}`)
      .join(', ');
    parts.unshift(`ok: ${summary || `no${scope} targets`}`);
  }
  return { healthy: !unhealthy, line: parts.join('; ') };
}
