// The real probes, wired once: every DNS query of the agent shares one rate limiter.

import { callCallerIdentity } from './aws/sts-canary.js';
import { queryA, queryAaaa } from './net/dns.js';
import { probeHttps } from './net/https-canary.js';
import { RateLimiter } from './net/rate-limit.js';
import { probeTcp } from './net/tcp.js';
import { probeTls } from './net/tls.js';
import type { Probes } from './probe-plan.js';

export interface ProbeOptions {
  queriesPerSecond?: number;
  /** Resolver port: 53 in a VPC; tests point it elsewhere. */
  dnsPort?: number;
  /** The limiter every query waits on (default: createDnsLimiter). */
  limiter?: RateLimiter;
}

/**
 * A report may send a burst of 50 queries, then 100 per second: at most 15% of the 1024
 * packets per second AmazonProvidedDNS accepts per ENI, which the workload shares.
 */
export function createDnsLimiter(queriesPerSecond = 100): RateLimiter {
  return new RateLimiter({ ratePerSecond: queriesPerSecond, burst: 50 });
}

export function createProbes(options: ProbeOptions = {}): Probes {
  const limiter = options.limiter ?? createDnsLimiter(options.queriesPerSecond);
  return {
    queryA: (resolver, hostname, o) =>
      queryA(resolver, hostname, { ...o, limiter, ...(options.dnsPort ? { port: options.dnsPort } : {}) }),
    queryAaaa: (resolver, hostname, o) =>
      queryAaaa(resolver, hostname, { ...o, limiter, ...(options.dnsPort ? { port: options.dnsPort } : {}) }),
    probeTcp: (address, port, o) => probeTcp(address, port, o),
    probeTls: (address, port, servername, o) => probeTls(address, port, servername, o),
    probeHttps: (address, port, hostname, request, o) => probeHttps(address, port, hostname, request, o),
    callerIdentity: (region, o) => callCallerIdentity(region, o),
  };
}
