// What the L7 canary sends to a service, and whether what came back is AWS. Pure.
//
// An unsigned request never reaches a service's operation: AWS's front end rejects it with an
// error document in the service's protocol, and that document (or AWS's request-id headers) is
// something a proxy, a firewall's block page or a login portal does not produce. So an AWS error
// here is the good outcome: it proves AWS answers behind the endpoint ENI.
import type { HttpObservation } from '../model.js';

/**
 * The wire protocol of a service's API, as botocore's data/<service>/<version>/service-2.json
 * `metadata.protocol` names it (json, query, ec2, rest-xml, rest-json), plus the Docker
 * Registry HTTP API V2 that ecr.dkr speaks. JSON services differ in their content type only
 * (`metadata.jsonVersion`).
 */
export type ApiProtocol =
  | 'json1.0'
  | 'json1.1'
  | 'query'
  | 'ec2'
  | 'rest-xml'
  | 'rest-json'
  | 'docker-registry';

/**
 * The protocol by endpoint short name (botocore service-2.json `metadata.protocol` and
 * `jsonVersion`; ecr.dkr: the Docker Registry HTTP API V2, whose base check is `GET /v2/`).
 * A service not listed gets `GET /`: every AWS front end answers it with an error document.
 */
export const SERVICE_PROTOCOL: Readonly<Record<string, ApiProtocol>> = {
  secretsmanager: 'json1.1',
  ssm: 'json1.1',
  logs: 'json1.1',
  'ecr.api': 'json1.1',
  kms: 'json1.1',
  ecs: 'json1.1',
  events: 'json1.1',
  kinesis: 'json1.1',
  'kinesis-streams': 'json1.1',
  dynamodb: 'json1.0',
  sqs: 'json1.0',
  states: 'json1.0',
  sts: 'query',
  sns: 'query',
  elasticloadbalancing: 'query',
  autoscaling: 'query',
  cloudformation: 'query',
  rds: 'query',
  ec2: 'ec2',
  s3: 'rest-xml',
  lambda: 'rest-json',
  'execute-api': 'rest-json',
  elasticfilesystem: 'rest-json',
  eks: 'rest-json',
  'ecr.dkr': 'docker-registry',
};

export interface CanaryRequestSpec {
  protocol: ApiProtocol | 'unknown';
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/**
 * One harmless request per protocol. JSON RPC: `POST /` with the protocol's content type and no
 * X-Amz-Target, which AWS rejects before it looks for an operation. Query: a read-only action
 * (STS GetCallerIdentity, EC2 DescribeRegions) in the query string, rejected unsigned with
 * MissingAuthenticationToken / AuthFailure. REST: `GET /`.
 */
export function canaryRequest(shortName: string): CanaryRequestSpec {
  // An S3 or DynamoDB interface endpoint's target is named s3-interface / dynamodb-interface.
  const service = shortName.replace(/-interface$/, '');
  const protocol = SERVICE_PROTOCOL[service] ?? 'unknown';
  switch (protocol) {
    case 'json1.0':
    case 'json1.1':
      return {
        protocol,
        method: 'POST',
        path: '/',
        headers: { 'content-type': `application/x-amz-${protocol.replace('json', 'json-')}` },
        body: '',
      };
    case 'query':
      return {
        protocol,
        method: 'GET',
        path: service === 'sts' ? '/?Action=GetCallerIdentity&Version=2011-06-15' : '/',
        headers: {},
      };
    case 'ec2':
      return { protocol, method: 'GET', path: '/?Action=DescribeRegions&Version=2016-11-15', headers: {} };
    case 'docker-registry':
      return { protocol, method: 'GET', path: '/v2/', headers: {} };
    default:
      return { protocol, method: 'GET', path: '/', headers: {} };
  }
}

export type CanaryVerdict = 'aws' | 'not-aws' | 'no-response' | 'skipped';

export interface CanaryClassification {
  verdict: CanaryVerdict;
  /** Which AWS shape was recognised: xml-error-response, xml-ec2-errors, xml-error, json-type, … */
  shape?: string;
  /** The error code AWS named (MissingAuthenticationToken, AccessDenied, …). */
  code?: string;
  requestId?: string;
}

/**
 * AWS's request-id headers, in the order the JS SDK v3 reads them (@smithy/core
 * HttpProtocol.deserializeMetadata: x-amzn-requestid ?? x-amzn-request-id ?? x-amz-request-id;
 * x-amz-id-2 is S3's extended request id).
 */
const REQUEST_ID_HEADERS = ['x-amzn-requestid', 'x-amzn-request-id', 'x-amz-request-id', 'x-amz-id-2'];

/** Messages AWS front ends send without a code field (API Gateway, Lambda). */
const KNOWN_MESSAGES = new Set(['Missing Authentication Token', 'Forbidden']);

/**
 * The error code in a JSON error, as @aws-sdk/core's loadRestJsonErrorCode finds it: the
 * x-amzn-errortype header, else a `code` key (any case), else `__type`; a value like
 * `com.amazon.coral.service#MissingAuthenticationTokenException` or `Code:http://…` is cut to
 * the name.
 */
function sanitizeCode(raw: string): string {
  let code = raw.split(',')[0]!;
  code = code.split(':')[0]!;
  if (code.includes('#')) code = code.split('#')[1]!;
  return code.trim();
}

function parseJson(body: string): Record<string, unknown> | undefined {
  const text = body.trim();
  if (!text.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function xmlRoot(body: string): string | undefined {
  const text = body
    .replace(/^\uFEFF/, '')
    .replace(/^\s*<\?xml[^>]*\?>/, '')
    .trimStart();
  return /^<([A-Za-z][\w.-]*)[\s>]/.exec(text)?.[1];
}

function xmlCode(body: string): string | undefined {
  return /<Code>\s*([^<\s][^<]{0,127}?)\s*<\/Code>/.exec(body)?.[1];
}

/**
 * The AWS error document shapes (aws-sdk-js-v3 packages/core/src/submodules/protocols):
 * - query (STS, SNS, …): `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`
 *   (AwsQueryProtocol: data.Errors?.Error ?? data.Error);
 * - EC2: `<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>`;
 * - rest-xml (S3): `<Error><Code/><Message/><RequestId/><HostId/></Error>` (loadRestXmlErrorCode);
 * - JSON: `{"__type": "com.amazon.coral.service#MissingAuthenticationTokenException", "message": …}`,
 *   `{"code": …}`, or `{"message": "Missing Authentication Token"}` with x-amzn-ErrorType
 *   (loadRestJsonErrorCode);
 * - Docker Registry V2 (ecr.dkr): `{"errors": [{"code": "DENIED", "message": …}]}`.
 */
function recogniseDocument(
  o: HttpObservation,
  protocol: ApiProtocol | 'unknown',
): { shape: string; code?: string } | undefined {
  const root = xmlRoot(o.body);
  if (root === 'ErrorResponse' && /<Error>/.test(o.body)) {
    return { shape: 'xml-error-response', ...codeField(xmlCode(o.body)) };
  }
  if (root === 'Response' && /<Errors>\s*<Error>/.test(o.body)) {
    return { shape: 'xml-ec2-errors', ...codeField(xmlCode(o.body)) };
  }
  if (root === 'Error' && xmlCode(o.body)) return { shape: 'xml-error', ...codeField(xmlCode(o.body)) };
  const json = parseJson(o.body);
  const errorType = o.headers['x-amzn-errortype'];
  if (json) {
    const codeKey = Object.keys(json).find((k) => k.toLowerCase() === 'code');
    const codeValue = codeKey ? json[codeKey] : undefined;
    if (typeof json['__type'] === 'string') return { shape: 'json-type', code: sanitizeCode(json['__type']) };
    if (typeof codeValue === 'string' && codeValue.length > 0)
      return { shape: 'json-code', code: sanitizeCode(codeValue) };
    const message = json['message'] ?? json['Message'];
    if (typeof message === 'string' && (errorType || KNOWN_MESSAGES.has(message)))
      return { shape: 'json-message', ...codeField(errorType ? sanitizeCode(errorType) : undefined) };
    const errors = json['errors'];
    if (protocol === 'docker-registry' && Array.isArray(errors)) {
      const first = errors[0] as { code?: unknown } | undefined;
      if (typeof first?.code === 'string') return { shape: 'docker-registry-errors', code: first.code };
    }
  }
  if (errorType) return { shape: 'header-errortype', code: sanitizeCode(errorType) };
  return undefined;
}

function codeField(code: string | undefined): { code?: string } {
  return code ? { code } : {};
}

function looksLikeHtml(body: string): boolean {
  return /^\s*(<!doctype html|<html|<head|<body)/i.test(body);
}

/** Whether the canary's answer came from AWS. Pure. */
export function classifyCanary(
  o: HttpObservation,
  protocol: ApiProtocol | 'unknown' = 'unknown',
): CanaryClassification {
  if (o.outcome !== 'response' || o.status === undefined) {
    return { verdict: o.detail === 'aborted by the caller' ? 'skipped' : 'no-response' };
  }
  const requestIdHeader = REQUEST_ID_HEADERS.find((h) => o.headers[h]);
  const requestId = requestIdHeader ? o.headers[requestIdHeader] : undefined;
  const withId = requestId ? { requestId } : {};
  const document = recogniseDocument(o, protocol);
  if (document) return { verdict: 'aws', ...document, ...withId };
  // A request id alone is AWS's too (an empty 4xx body from a front end), unless the body is a
  // page for a browser: no AWS API answers an unsigned API request with HTML.
  if (requestId && !looksLikeHtml(o.body)) return { verdict: 'aws', shape: 'request-id-header', ...withId };
  return { verdict: 'not-aws', ...withId };
}

/** The first bytes of a body for evidence: printable ASCII kept, everything else as \xNN. */
export function escapeBytes(text: string, limit = 160): string {
  let out = '';
  for (const ch of text.slice(0, limit)) {
    const code = ch.charCodeAt(0);
    if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code >= 0x20 && code < 0x7f) out += ch;
    else out += `\\x${code.toString(16).padStart(2, '0')}`;
  }
  return text.length > limit ? `${out}…` : out;
}
