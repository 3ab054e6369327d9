// Whether the TLS handshake with SNI = the service hostname succeeds, with a certificate that
// is trusted and names the host. A wrong name or an unknown CA usually means something else
// answers on the address: a TLS-inspecting proxy, or another service's endpoint.
import type { Check, Finding, TlsObservation, TlsOutcome } from '../src/model.js';
import { hostPort } from '../src/net/ip.js';

/** Which failure names the finding when addresses fail differently. */
const PRECEDENCE: TlsOutcome[] = ['untrusted', 'name_mismatch', 'handshake_failed', 'timeout'];

function where(o: TlsObservation): string {
  return hostPort(o.address, o.port);
}

function describe(o: TlsObservation): string {
  switch (o.outcome) {
    case 'ok':
      return `${where(o)} ok`;
    case 'name_mismatch':
      return `${where(o)} presents a certificate for ${o.certNames.join(', ') || 'no DNS name'}`;
    case 'untrusted':
      return `${where(o)} presents an untrusted certificate (${o.authorizationError ?? 'unverified'}) for ${o.certNames.join(', ') || 'no DNS name'}`;
    case 'handshake_failed':
      return `${where(o)} handshake failed${o.detail ? ` (${o.detail})` : ''}`;
    default:
      return `${where(o)} no handshake${o.detail ? ` (${o.detail})` : ''}`;
  }
}

export const checkTls: Check = (input) => {
  const { target, observations } = input;
  if (!target.tls || !observations.tcp.some((o) => o.outcome === 'connected')) return [];
  const tls = observations.tls;
  if (tls.length === 0) return [];
  const servername = tls[0]!.servername;
  const evidence = {
    servername,
    handshakes: tls.map((o) => ({
      address: o.address,
      port: o.port,
      outcome: o.outcome,
      certNames: o.certNames,
      durationMs: o.durationMs,
      ...(o.authorizationError ? { authorizationError: o.authorizationError } : {}),
      ...(o.detail ? { detail: o.detail } : {}),
    })),
  };
  const durationMs = Math.max(...tls.map((o) => o.durationMs));
  const failing = tls.filter((o) => o.outcome !== 'ok');
  if (failing.length === 0) {
    return [
      {
        check: 'tls',
        code: 'TLS_OK',
        status: 'pass',
        message: `${target.shortName}: TLS with SNI ${servername} ok on ${tls.map(where).join(', ')}; certificate names ${[...new Set(tls.flatMap((o) => o.certNames))].join(', ')}`,
        evidence,
        durationMs,
      },
    ];
  }
  const outcome = PRECEDENCE.find((p) => failing.some((o) => o.outcome === p)) ?? 'handshake_failed';
  const named = failing.filter((o) => o.outcome === outcome);
  const message = `${target.shortName}: SNI ${servername}: ${failing.map(describe).join('; ')}`;
  const addresses = named.map((o) => o.address).join(', ');
  let finding: Finding;
  switch (outcome) {
    case 'name_mismatch':
      finding = {
        check: 'tls',
        code: 'TLS_NAME_MISMATCH',
        status: 'fail',
        message,
        fix: `the certificate on ${addresses} is not for ${servername}: make sure ${servername} resolves to ${target.endpointId ?? 'the endpoint'}'s own addresses (not another service's endpoint or a proxy); for an endpoint service, its private DNS name must match the certificate on the NLB listener`,
        evidence,
        durationMs,
      };
      break;
    case 'untrusted':
      finding = {
        check: 'tls',
        code: 'TLS_UNTRUSTED',
        status: 'fail',
        message,
        fix: `something on the path to ${addresses} presents a certificate no trusted CA issued (a TLS-inspecting proxy or firewall?): exempt ${servername} from inspection, or if the proxy is intended, give the workload its CA (NODE_EXTRA_CA_CERTS, the OS trust store)`,
        evidence,
        durationMs,
      };
      break;
    case 'timeout':
      finding = {
        check: 'tls',
        code: 'TLS_TIMEOUT',
        status: 'fail',
        message,
        fix: `TCP connects but the ClientHello gets no answer from ${addresses}: look for a firewall or inspection appliance that drops TLS, or an MTU problem (large packets dropped: check ICMP "fragmentation needed" is allowed)`,
        evidence,
        durationMs,
      };
      break;
    default:
      finding = {
        check: 'tls',
        code: 'TLS_HANDSHAKE_FAILED',
        status: 'fail',
        message,
        fix: `the peer at ${addresses} did not complete a TLS handshake for ${servername}: check that the port serves TLS (for an endpoint service, a TLS or TCP listener on the NLB) and that no middlebox resets the connection`,
        evidence,
        durationMs,
      };
  }
  return [finding];
};
