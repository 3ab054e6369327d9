// The real probes, wired once: every DNS query of the agent shares one rate limiter.

import { queryA, queryAaaa } from './net/dns.js';
import { probeHttps } from './net/https-canary.js';
import { RateLimiter } from './net/rate-limit.js';
import { connectTcp, probeTcp } from './net/tcp.js';
import { handshakeTls, probeTls } from './net/tls.js';
import type { Probes } from './probe-plan.js';

export interface ProbeOptions {
  queriesPerSecond?: number;
  /** Resolver port: 53 in a VPC; tests point it elsewhere. */
  dnsPort?: number;
  /** The limiter every query waits on (default: createDnsLimiter). */
  limiter?: RateLimiter;
  /** Trust only these roots in TLS and the canary (default: Node's store plus NODE_EXTRA_CA_CERTS). */
  ca?: string;
}

/**
 * A report may send a burst of 100 queries, then 100 per second: at most 200 in any second, 20%
 * of the 1024 packets per second AmazonProvidedDNS accepts per ENI, which the workload shares.
 * A 50-endpoint VPC's report (about 60 names) fits in the burst instead of waiting 100 ms for
 * its last ten (issue 17); the bucket refills in one second, far less than serve's interval.
 */
export const DNS_BURST = 100;

export function createDnsLimiter(queriesPerSecond = 100): RateLimiter {
  return new RateLimiter({ ratePerSecond: queriesPerSecond, burst: DNS_BURST });
}

export function createProbes(options: ProbeOptions = {}): Probes {
  const limiter = options.limiter ?? createDnsLimiter(options.queriesPerSecond);
  const ca = options.ca !== undefined ? { ca: options.ca } : {};
  return {
    queryA: (resolver, hostname, o) =>
      queryA(resolver, hostname, { ...o, limiter, ...(options.dnsPort ? { port: options.dnsPort } : {}) }),
    queryAaaa: (resolver, hostname, o) =>
      queryAaaa(resolver, hostname, { ...o, limiter, ...(options.dnsPort ? { port: options.dnsPort } : {}) }),
    probeTcp: (address, port, o) => probeTcp(address, port, o),
    probeTls: (address, port, servername, o) => probeTls(address, port, servername, { ...o, ...ca }),
    probeTcpTls: async (address, port, servername, o) => {
      const signal = o.signal ? { signal: o.signal } : {};
      const { observation: tcp, socket } = await connectTcp(address, port, {
        timeoutMs: o.tcpTimeoutMs,
        keep: true,
        ...signal,
      });
      if (!socket) return { tcp };
      const { observation: tls, socket: verified } = await handshakeTls(address, port, servername, {
        timeoutMs: o.tlsTimeoutMs,
        socket,
        keep: o.canary !== undefined,
        ...signal,
        ...ca,
        ...(o.sessions ? { sessions: o.sessions } : {}),
      });
      if (!verified || !o.canary) return { tcp, tls };
      const http = await probeHttps(address, port, servername, o.canary.request, {
        timeoutMs: o.canary.timeoutMs,
        socket: verified,
        ...signal,
      });
      return { tcp, tls, http };
    },
    probeHttps: (address, port, hostname, request, o) =>
      probeHttps(address, port, hostname, request, { ...o, ...ca }),
    // The STS client loads with the first signed call (opt-in canary.signed), not with the agent.
    callerIdentity: async (region, o) => (await import('./aws/sts-canary.js')).callCallerIdentity(region, o),
  };
}
