// Runs the data-plane probes for every target: DNS through each resolver, then TCP to the
// addresses the workload would use, then TLS where TCP connected. The only module of the
// runner that touches the network, through the probe functions it is handed.

import { interfaceAddresses } from './inventory-view.js';
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
  const own = resolvers.filter((r) => r.source === 'resolv.conf' || r.source === 'config');
  return own.length > 0 ? own : resolvers;
}

/** The addresses a connection to the target goes to: the endpoint's ENIs, or what the workload resolves. */
export function probeAddresses(
  target: Target,
  inventory: Inventory,
  dns: DnsObservation[],
  resolvers: Resolver[],
): string[] {
  if (target.endpointType === 'Interface' || target.endpointType === 'GatewayLoadBalancer') {
    const enis = target.endpointId ? interfaceAddresses(inventory, target.endpointId) : [];
    if (enis.length > 0) return enis;
  }
  const workload = new Set(workloadResolvers(resolvers).map((r) => r.address));
  const answered = dns.filter((o) => o.outcome === 'answer');
  const preferred = answered.filter((o) => workload.has(o.resolver.address));
  const source = preferred.length > 0 ? preferred : answered;
  return [...new Set(source.flatMap((o) => o.addresses))].sort();
}

/** A small pool so that a VPC with hundreds of ENIs does not open hundreds of sockets at once. */
export async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  });
  await Promise.all(workers);
  return results;
}

export async function observeTarget(
  target: Target,
  context: AgentContext,
  inventory: Inventory,
  probes: Probes,
  timeouts: ProbeTimeouts,
  signal: AbortSignal,
): Promise<TargetObservations> {
  const dns = await Promise.all(
    context.resolvers.map((resolver) =>
      probes.queryA(resolver, target.hostname, { timeoutMs: timeouts.dnsMs, signal }),
    ),
  );
  const addresses = probeAddresses(target, inventory, dns, context.resolvers);
  const pairs = addresses.flatMap((address) => target.ports.map((port) => ({ address, port })));
  const tcp = await mapLimited(pairs, 16, ({ address, port }) =>
    probes.probeTcp(address, port, { timeoutMs: timeouts.tcpMs, signal }),
  );
  let tls: TlsObservation[] = [];
  if (target.tls) {
    const connected = tcp.filter((o) => o.outcome === 'connected');
    tls = await mapLimited(connected, 16, (o) =>
      probes.probeTls(o.address, o.port, target.hostname, { timeoutMs: timeouts.tlsMs, signal }),
    );
  }
  return { dns, tcp, tls };
}
