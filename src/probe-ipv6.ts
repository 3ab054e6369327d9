// The IPv6 half of a target's probes (issue 16): AAAA for the name through every resolver the
// A query went to, A and AAAA through the VPC resolver's IPv6 address when the agent's subnet
// has IPv6, then TCP to the addresses an IPv6 connection would go to and TLS where TCP
// connected. Its observations are kept apart (TargetObservations.ipv6) so that the IPv4 checks
// read what they read before; checks/ipv6.ts judges them.

import { targetEndpoint } from './inventory-view.js';
import {
  agentSubnetHasIpv6,
  endpointIpAddressType,
  interfaceIpv6Addresses,
  VPC_RESOLVER_IPV6,
} from './ipv6-view.js';
import type {
  AgentContext,
  DnsObservation,
  Inventory,
  Ipv6Observations,
  Resolver,
  Target,
  TcpObservation,
  TlsObservation,
} from './model.js';
import { isIpv6, isReservedIpv6 } from './net/ip.js';
import type { TlsSessionCache } from './net/tls.js';
import type { Pool, Probes, ProbeTimeouts } from './probe-plan.js';

export interface Ipv6ProbeOptions {
  /** The VPC resolver's IPv6 address; tests point it at a loopback responder. */
  vpcResolverIpv6?: string;
  sessions?: TlsSessionCache;
}

/**
 * The resolvers AAAA goes to: those asked for A, plus AmazonProvidedDNS's IPv6 address when the
 * agent's subnet has an IPv6 block (its Nitro resolver answers there too, and an IPv6-only
 * workload can only use that one). The address is never asked from a subnet without IPv6.
 */
export function ipv6Resolvers(
  asked: Resolver[],
  context: AgentContext,
  inventory: Inventory,
  vpcResolverIpv6 = VPC_RESOLVER_IPV6,
): { aaaa: Resolver[]; vpcIpv6?: Resolver } {
  if (agentSubnetHasIpv6(inventory, context.subnetId) !== true) return { aaaa: asked };
  const known = context.resolvers.find((r) => r.address === vpcResolverIpv6);
  const vpcIpv6: Resolver = known ?? { address: vpcResolverIpv6, source: 'link-local' };
  return {
    aaaa: asked.some((r) => r.address === vpcIpv6.address) ? asked : [...asked, vpcIpv6],
    vpcIpv6,
  };
}

/**
 * Where an IPv6 connection to the target goes: the endpoint ENIs' IPv6 addresses, else what the
 * workload's resolvers answered for AAAA. Nothing when the agent's subnet has no IPv6 block (the
 * agent, like the workload beside it, has no IPv6 address to connect from).
 */
export function ipv6ProbeAddresses(
  target: Target,
  context: AgentContext,
  inventory: Inventory,
  aaaa: DnsObservation[],
  workload: Resolver[],
): string[] {
  if (agentSubnetHasIpv6(inventory, context.subnetId) !== true) return [];
  if (target.endpointType === 'Interface' || target.endpointType === 'GatewayLoadBalancer') {
    const enis = interfaceIpv6Addresses(inventory, target);
    if (enis.length > 0) return enis;
  }
  const own = new Set(workload.map((r) => r.address));
  const answered = aaaa.filter((o) => o.outcome === 'answer');
  const preferred = answered.filter((o) => own.has(o.resolver.address));
  const source = preferred.length > 0 ? preferred : answered;
  return [...new Set(source.flatMap((o) => o.addresses))]
    .filter((a) => isIpv6(a) && !isReservedIpv6(a))
    .sort();
}

/**
 * Whether IPv6 can matter for the target: the agent's subnet has an IPv6 block (read, not
 * guessed), or the target's endpoint is not IPv4-only. Anywhere else no workload connects over
 * IPv6, checks/ipv6.ts judges nothing, and AAAA queries would only double the load on the
 * rate-limited resolver (and wait out a resolver that drops AAAA).
 */
export function ipv6Matters(target: Target, context: AgentContext, inventory: Inventory): boolean {
  if (agentSubnetHasIpv6(inventory, context.subnetId) === true) return true;
  const endpoint = targetEndpoint(inventory, target);
  return endpoint !== undefined && endpointIpAddressType(endpoint) !== 'ipv4';
}

/** Runs the IPv6 half of a target's probes; undefined when the probes cannot ask AAAA or IPv6 cannot matter. */
export async function observeIpv6(
  target: Target,
  context: AgentContext,
  inventory: Inventory,
  asked: Resolver[],
  workload: Resolver[],
  probes: Probes,
  timeouts: ProbeTimeouts,
  signal: AbortSignal,
  sockets: Pool,
  options: Ipv6ProbeOptions = {},
): Promise<Ipv6Observations | undefined> {
  const queryAaaa = probes.queryAaaa?.bind(probes);
  if (!queryAaaa || target.hostname === '' || !ipv6Matters(target, context, inventory)) return undefined;
  const query = { timeoutMs: timeouts.dnsMs, signal };
  const { aaaa: resolvers, vpcIpv6 } = ipv6Resolvers(asked, context, inventory, options.vpcResolverIpv6);
  // The A query to the IPv6 resolver address shows whether it answers at all, beside its AAAA.
  const askA = vpcIpv6 && !asked.some((r) => r.address === vpcIpv6.address);
  const [aaaa, a] = await Promise.all([
    Promise.all(resolvers.map((resolver) => queryAaaa(resolver, target.hostname, query))),
    askA && vpcIpv6 ? probes.queryA(vpcIpv6, target.hostname, query).then((o) => [o]) : Promise.resolve([]),
  ]);
  const addresses = ipv6ProbeAddresses(target, context, inventory, aaaa, workload);
  const pairs = addresses.flatMap((address) => target.ports.map((port) => ({ address, port })));
  const tcp: TcpObservation[] = await Promise.all(
    pairs.map(({ address, port }) =>
      sockets(() => probes.probeTcp(address, port, { timeoutMs: timeouts.tcpMs, signal })),
    ),
  );
  let tls: TlsObservation[] = [];
  if (target.tls) {
    tls = await Promise.all(
      tcp
        .filter((o) => o.outcome === 'connected')
        .map((o) =>
          sockets(() =>
            probes.probeTls(o.address, o.port, target.hostname, {
              timeoutMs: timeouts.tlsMs,
              signal,
              ...(options.sessions ? { sessions: options.sessions } : {}),
            }),
          ),
        ),
    );
  }
  return { dns: [...aaaa, ...a], tcp, tls };
}
