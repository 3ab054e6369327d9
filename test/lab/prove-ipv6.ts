// What an IPv6 scenario claims, shown to real clients in vdl-agent-a: dig AAAA at the VPC
// resolver's IPv6 address (fd00:ec2::253, owned by vdl-dns), nc and openssl to the addresses an
// IPv6 connection goes to (the endpoint ENIs' IPv6 addresses, else the name's other AAAA).
import { isDeepStrictEqual } from 'node:util';
import { IPV6_ELSEWHERE, VPC_RESOLVER_IPV6 } from './ipv6.js';
import { dig, type ProofLine, tcpConnect, tlsHandshake } from './prove.js';
import type { TcpExpect, TlsExpect } from './scenarios.js';
import type { LabState } from './state.js';
import { labServices, NODES, VPC_DNS } from './topology.js';

/** A name's AAAA: the endpoint ENIs' IPv6 addresses, the lab's "elsewhere" address, or no AAAA record. */
export type AaaaExpect = 'eni' | 'elsewhere' | 'none';

export interface Ipv6Proof {
  aaaa: Record<string, AaaaExpect>;
  tcp: Record<string, TcpExpect>;
  tls?: Record<string, TlsExpect>;
}

const AGENT_NS = NODES['agent-a'].ns;

/**
 * The AAAA records `dig` sees at the VPC resolver (sorted), or the failure: at its IPv6 address,
 * or at its IPv4 one from an agent subnet without IPv6 (the namespace has no IPv6 to ask from).
 */
export async function digAaaa(name: string, server = VPC_RESOLVER_IPV6): Promise<string[] | string> {
  const seen = await dig(name, server, AGENT_NS, 'AAAA');
  return seen.outcome === 'answer' ? seen.addresses : seen.outcome;
}

function classifyAaaa(seen: string[] | string, eni: string[]): string {
  if (typeof seen === 'string') return seen;
  if (seen.length === 0) return 'none';
  if (eni.length > 0 && isDeepStrictEqual(seen, [...eni].sort())) return 'eni';
  if (isDeepStrictEqual(seen, [IPV6_ELSEWHERE])) return 'elsewhere';
  return `unexpected ${seen.join(',')}`;
}

/** The proof's jobs: one AAAA lookup per named service, TCP (and TLS) to each of its IPv6 addresses. */
export function ipv6ProofJobs(state: LabState, proof: Ipv6Proof): Array<() => Promise<ProofLine>> {
  const services = labServices(state.aws.extraServices);
  const jobs: Array<() => Promise<ProofLine>> = [];
  const addressesOf = (short: string): string[] => {
    const enis = state.aws.endpoints[short]?.eniIpv6 ?? [];
    if (enis.length > 0) return enis;
    return state.aws.ipv6?.aaaaElsewhere.includes(short) ? [IPV6_ELSEWHERE] : [];
  };
  const server = state.aws.ipv6?.subnetCidrs['agent-a'] ? VPC_RESOLVER_IPV6 : VPC_DNS;
  for (const [short, expected] of Object.entries(proof.aaaa)) {
    const service = services.find((s) => s.shortName === short);
    if (!service) throw new Error(`IPv6 proof names ${short}, which is not a lab service`);
    jobs.push(async () => {
      const observed = classifyAaaa(
        await digAaaa(service.hostname, server),
        state.aws.endpoints[short]?.eniIpv6 ?? [],
      );
      return {
        check: 'dns',
        subject: `${short} ${service.hostname} AAAA @${server}`,
        expected,
        observed,
        ok: observed === expected,
      };
    });
  }
  for (const [short, expected] of Object.entries(proof.tcp)) {
    const service = services.find((s) => s.shortName === short)!;
    const addresses = addressesOf(short);
    if (addresses.length === 0) throw new Error(`IPv6 proof: ${short} has no IPv6 address to connect to`);
    for (const address of addresses) {
      jobs.push(async () => {
        const observed = await tcpConnect(address);
        return {
          check: 'tcp',
          subject: `${short} [${address}]:443`,
          expected,
          observed,
          ok: observed === expected,
        };
      });
      const tls = proof.tls?.[short];
      if (!tls || tls === 'skip') continue;
      jobs.push(async () => {
        const observed = await tlsHandshake(`[${address}]`, service.hostname, state.caPath);
        return {
          check: 'tls',
          subject: `${short} [${address}] sni ${service.hostname}`,
          expected: tls,
          observed,
          ok: observed === tls,
        };
      });
    }
  }
  return jobs;
}
