// The L7 canary's verdict: whether AWS itself answers behind the endpoint ENI. A TLS handshake
// proves a certificate the host trusts; a TLS-inspecting proxy whose CA is trusted, or a
// firewall that answers in the service's place, passes it. An unsigned API request must come
// back as an AWS error document (src/eval/l7-canary.ts).
import {
  type CanaryClassification,
  canaryRequest,
  classifyCanary,
  escapeBytes,
} from '../src/eval/l7-canary.js';
import type { Check, Finding, HttpObservation } from '../src/model.js';

function evidenceOf(o: HttpObservation, c: CanaryClassification): Record<string, unknown> {
  return {
    address: o.address,
    port: o.port,
    hostname: o.hostname,
    request: `${o.method} ${o.path}`,
    outcome: o.outcome,
    ...(o.status !== undefined ? { status: o.status } : {}),
    ...(o.headers['server'] ? { server: o.headers['server'] } : {}),
    ...(o.headers['content-type'] ? { contentType: o.headers['content-type'] } : {}),
    ...(c.shape ? { shape: c.shape } : {}),
    ...(c.code ? { errorCode: c.code } : {}),
    ...(c.requestId ? { requestId: c.requestId } : {}),
    ...(o.outcome === 'response' ? { firstBytes: escapeBytes(o.body), bodyBytes: o.bodyBytes } : {}),
    ...(o.truncated ? { truncated: true } : {}),
    ...(o.errorCode ? { netError: o.errorCode } : {}),
    ...(o.detail ? { detail: o.detail } : {}),
    durationMs: o.durationMs,
  };
}

export const checkHttp: Check = (input) => {
  const { target, observations } = input;
  const requests = observations.http;
  if (!requests) {
    if (!observations.httpSkipped) return [];
    return [
      {
        check: 'http',
        code: 'L7_SKIPPED',
        status: 'info',
        message: `${target.shortName}: the L7 canary did not run: ${observations.httpSkipped}`,
        evidence: { reason: observations.httpSkipped },
      },
    ];
  }
  const protocol = canaryRequest(target.shortName).protocol;
  const judged = requests.map((o) => ({ o, c: classifyCanary(o, protocol) }));
  const durationMs = Math.max(0, ...requests.map((o) => o.durationMs));
  const evidence = { protocol, requests: judged.map(({ o, c }) => evidenceOf(o, c)) };
  const notAws = judged.filter(({ c }) => c.verdict === 'not-aws');
  const silent = judged.filter(({ c }) => c.verdict === 'no-response');
  const findings: Finding[] = [];
  if (notAws.length > 0) {
    const { o } = notAws[0]!;
    findings.push({
      check: 'http',
      code: 'L7_NOT_AWS',
      status: 'fail',
      message: `${target.shortName}: something other than AWS answers ${o.hostname} at ${o.address}:${o.port}: ${o.method} ${o.path} got HTTP ${o.status}${o.headers['server'] ? ` from server "${escapeBytes(o.headers['server'], 60)}"` : ''}, no AWS error document and no AWS request id; first bytes "${escapeBytes(o.body, 80)}"`,
      fix: `An endpoint ENI only ever answers as AWS: something on the path answers in its place. Look for a TLS-inspecting proxy or firewall whose CA this host trusts (NODE_EXTRA_CA_CERTS, the OS trust store) and exempt ${o.hostname} from inspection; check HTTPS_PROXY/HTTP_PROXY/NO_PROXY in the workload's environment (add ${o.hostname} and .amazonaws.com to NO_PROXY); check the route tables for a route that sends ${o.address} through an appliance (a firewall or Gateway Load Balancer endpoint).`,
      evidence,
      durationMs,
    });
  } else if (silent.length > 0) {
    const { o } = silent[0]!;
    findings.push({
      check: 'http',
      code: 'L7_NO_RESPONSE',
      status: 'fail',
      message: `${target.shortName}: TLS with ${o.address}:${o.port} completed, but ${o.method} ${o.path} got no HTTP answer (${o.outcome}${o.detail ? `: ${o.detail}` : ''})`,
      fix: `Something lets the handshake through and then drops or resets the request: an inspection appliance or L7 firewall rule matching the SNI/Host ${o.hostname}, or an IPS. Look at its logs for ${o.address}; capture with \`tcpdump -ni any host ${o.address} and port ${o.port}\`.`,
      evidence,
      durationMs,
    });
  } else if (judged.some(({ c }) => c.verdict === 'aws')) {
    const { o, c } = judged.find(({ c }) => c.verdict === 'aws')!;
    findings.push({
      check: 'http',
      code: 'L7_AWS_OK',
      status: 'pass',
      message: `${target.shortName}: AWS answers behind ${o.address}:${o.port}: ${o.method} ${o.path} → HTTP ${o.status}${c.code ? ` ${c.code}` : ''} (${c.shape}${c.requestId ? `, request id ${c.requestId}` : ''})`,
      evidence,
      durationMs,
    });
  } else {
    findings.push({
      check: 'http',
      code: 'L7_SKIPPED',
      status: 'info',
      message: `${target.shortName}: the L7 canary was cut off by the report's deadline`,
      evidence,
    });
  }
  return findings;
};
