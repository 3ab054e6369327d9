// Runs the data-plane probes for every target: DNS through each resolver, then TCP to the
// addresses the workload would use, then TLS where TCP connected. The only module of the
// runner that touches the network, through the probe functions it is handed.

import {
  amazonResolverAddresses,
  interfaceAddresses,
  isWorkloadResolver,
  workloadAddresses,
} from './inventory-view.js';
import type {
  AgentContext,
  DnsObservation,
  Inventory,
  Resolver,
  Target,
  TargetObservations,
  TcpObservation,
  TlsObservation,
} from './model.js';
import { ipInCidr, isLinkLocalIpv4, isLoopbackIpv4 } from './net/ip.js';
import { followAnswer } from './targets.js';

export interface Probes {
  queryA(
    resolver: Resolver,
    hostname: string,
    options: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<DnsObservation>;
  probeTcp(
    address: string,
    port: number,
    options: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<TcpObservation>;
  probeTls(
    address: string,
    port: number,
    servername: string,
    options: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<TlsObservation>;
}

export interface ProbeTimeouts {
  dnsMs: number;
  tcpMs: number;
  tlsMs: number;
}

/** The resolvers the workload itself uses: resolv.conf, or AmazonProvidedDNS when resolv.conf names none. */
export function workloadResolvers(resolvers: Resolver[]): Resolver[] {
  const own = resolvers.filter(isWorkloadResolver);
  return own.length > 0 ? own : resolvers;
}

/**
 * The resolvers to ask: the workload's own, plus AmazonProvidedDNS once to compare with when
 * the workload uses another. AmazonProvidedDNS at two addresses is one resolver, and its
 * 1024 packets/s per ENI are shared with the workload: it is not asked twice.
 */
export function resolversToQuery(resolvers: Resolver[], inventory: Inventory): Resolver[] {
  const amazon = amazonResolverAddresses(resolvers, inventory);
  const workload = workloadResolvers(resolvers);
  if (workload === resolvers) return resolvers.slice(0, 1);
  if (workload.some((r) => amazon.has(r.address))) return workload;
  const reference =
    resolvers.find((r) => r.source === 'vpc-base-2') ?? resolvers.find((r) => amazon.has(r.address));
  return reference ? [...workload, reference] : workload;
}

/** The addresses a connection to the target goes to: the endpoint's ENIs, or what the workload resolves. */
export function probeAddresses(
  target: Target,
  inventory: Inventory,
  dns: DnsObservation[],
  resolvers: Resolver[],
): string[] {
  if (target.endpointType === 'Interface' || target.endpointType === 'GatewayLoadBalancer') {
    const enis = target.endpointId ? interfaceAddresses(inventory, target) : [];
    if (enis.length > 0) return enis;
  }
  const workload = new Set(workloadResolvers(resolvers).map((r) => r.address));
  const answered = dns.filter((o) => o.outcome === 'answer');
  const preferred = answered.filter((o) => workload.has(o.resolver.address));
  const source = preferred.length > 0 ? preferred : answered;
  return [...new Set(source.flatMap((o) => o.addresses))].filter(isProbeable).sort();
}

/** Whatever a resolver answers, the agent never connects to these (IMDS, loopback, multicast, 0/8). */
export function isProbeable(address: string): boolean {
  return (
    !isLoopbackIpv4(address) &&
    !isLinkLocalIpv4(address) &&
    !['0.0.0.0/8', '224.0.0.0/4', '240.0.0.0/4'].some((cidr) => ipInCidr(address, cidr))
  );
}

/** Runs at most `limit` tasks at once; the rest wait their turn in order. */
export function createPool(limit: number): <R>(task: () => Promise<R>) => Promise<R> {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async <R>(task: () => Promise<R>): Promise<R> => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    active += 1;
    try {
      return await task();
    } finally {
      active -= 1;
      waiting.shift()?.();
    }
  };
}

export type Pool = ReturnType<typeof createPool>;

/** What the probes saw for a target, and the target as the DNS answer showed it (followAnswer). */
export interface ObservedTarget {
  target: Target;
  observations: TargetObservations;
}

export async function observeTarget(
  planned: Target,
  context: AgentContext,
  inventory: Inventory,
  probes: Probes,
  timeouts: ProbeTimeouts,
  signal: AbortSignal,
  sockets: Pool,
): Promise<ObservedTarget> {
  // No DNS name known (an endpoint service without private DNS or DNS entries): only the ENIs
  // can be probed, and TLS has no name to send.
  const named = planned.hostname !== '';
  const dns = named
    ? await Promise.all(
        resolversToQuery(context.resolvers, inventory).map((resolver) =>
          probes.queryA(resolver, planned.hostname, { timeoutMs: timeouts.dnsMs, signal }),
        ),
      )
    : [];
  const target = followAnswer(planned, workloadAddresses(dns), inventory);
  const addresses = probeAddresses(target, inventory, dns, context.resolvers);
  const pairs = addresses.flatMap((address) => target.ports.map((port) => ({ address, port })));
  const tcp = await Promise.all(
    pairs.map(({ address, port }) =>
      sockets(() => probes.probeTcp(address, port, { timeoutMs: timeouts.tcpMs, signal })),
    ),
  );
  let tls: TlsObservation[] = [];
  if (target.tls && named) {
    const connected = tcp.filter((o) => o.outcome === 'connected');
    tls = await Promise.all(
      connected.map((o) =>
        sockets(() =>
          probes.probeTls(o.address, o.port, target.hostname, { timeoutMs: timeouts.tlsMs, signal }),
        ),
      ),
    );
  }
  return { target, observations: { dns, tcp, tls } };
}
