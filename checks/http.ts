// The L7 canary's verdict: whether AWS itself answers behind the endpoint ENI. A TLS handshake
// proves a certificate the host trusts; a TLS-inspecting proxy whose CA is trusted, or a
// firewall that answers in the service's place, passes it. An unsigned API request must come
// back as an AWS error document (src/eval/l7-canary.ts).

import { redactAwsText } from '../src/aws/errors.js';
import { LAYER_WORDS, type PolicyLayer } from '../src/eval/access-denied.js';
import {
  type CanaryClassification,
  canaryRequest,
  classifyCanary,
  escapeBytes,
} from '../src/eval/l7-canary.js';
import type { Check, Finding, HttpObservation, SignedCallObservation, Target } from '../src/model.js';

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
  const signed = input.observations.signed;
  return [...checkCanary(input), ...(signed ? checkSigned(input.target, signed) : [])];
};

/**
 * The signed call's verdict. GetCallerIdentity needs no permission (STS API Reference: an
 * identity policy that denies it does not stop it), so a refusal comes from a layer the call
 * passes through; only the one AWS names as the VPC endpoint policy says something about the
 * endpoint every workload shares. Any other layer concerns the agent's own role: a warning.
 */
function checkSigned(target: Target, o: SignedCallObservation): Finding[] {
  // The report is served over HTTP: the caller's ARN, its account and AWS's error text with them
  // stay out of it (issue 13); the layer AWS named and the error code are what it keeps.
  const message = o.message ? redactAwsText(o.message) : undefined;
  const { principal: _principal, ...denied } = o.denied ?? {};
  const evidence: Record<string, unknown> = {
    call: o.call,
    region: o.region,
    outcome: o.outcome,
    ...(o.errorCode ? { errorCode: o.errorCode } : {}),
    ...(o.httpStatus !== undefined ? { httpStatus: o.httpStatus } : {}),
    ...(message ? { message } : {}),
    ...(o.denied ? { denied } : {}),
    durationMs: o.durationMs,
  };
  if (o.outcome === 'ok') {
    return [
      {
        check: 'http',
        code: 'STS_SIGNED_CALL_OK',
        status: 'pass',
        message: `${target.shortName}: a signed sts:GetCallerIdentity through ${target.hostname} answered`,
        evidence,
        durationMs: o.durationMs,
      },
    ];
  }
  if (o.outcome === 'denied') {
    const layer = o.denied?.layer as PolicyLayer | undefined;
    const named = layer ? LAYER_WORDS[layer] : undefined;
    const byEndpoint = layer === 'vpc-endpoint-policy';
    return [
      {
        check: 'http',
        code: 'STS_SIGNED_CALL_DENIED',
        status: byEndpoint ? 'fail' : 'warn',
        message: `${target.shortName}: sts:GetCallerIdentity through ${target.hostname} was refused (${o.errorCode})${named ? `: AWS names ${named}${o.denied?.deny ? ` (${o.denied.deny} deny)` : ''}` : ': the message names no policy layer'}`,
        fix: byEndpoint
          ? `${target.endpointId ?? 'The STS endpoint'}'s policy refuses sts:GetCallerIdentity for the agent's role: add a statement that allows it (and the STS calls the workload makes, e.g. sts:AssumeRole, sts:AssumeRoleWithWebIdentity) for the workload's principals.`
          : `This concerns the agent's own credentials${named ? `: look at ${named}` : ''}; it says nothing certain about the workload's role. The message: ${message ?? o.errorCode}`,
        evidence,
        durationMs: o.durationMs,
      },
    ];
  }
  return [
    {
      check: 'http',
      code: 'STS_SIGNED_CALL_FAILED',
      status: 'unknown',
      message: `${target.shortName}: the signed sts:GetCallerIdentity could not be made (${o.errorCode}: ${message ?? ''})`,
      fix: "Give the agent credentials (its task or instance role) and a Region; if the call timed out, the STS endpoint's probes above say why. Switch the signed canary off with canary.signed: false.",
      evidence,
      durationMs: o.durationMs,
    },
  ];
}

function checkCanary(input: Parameters<Check>[0]): Finding[] {
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
}
