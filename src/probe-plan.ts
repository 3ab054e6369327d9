// Runs the data-plane probes for every target: DNS through each resolver, then TCP to the
// addresses the workload would use, then TLS where TCP connected. The only module of the
// runner that touches the network, through the probe functions it is handed.

import { associatedRule, isHubServed } from './eval/hub.js';
import { canaryRequest } from './eval/l7-canary.js';
import {
  amazonResolverAddresses,
  interfaceAddresses,
  isWorkloadResolver,
  workloadAddresses,
} from './inventory-view.js';
import { agentSubnetHasIpv6 } from './ipv6-view.js';
import type {
  AgentContext,
  DnsObservation,
  HttpObservation,
  Inventory,
  Resolver,
  SdkNameObservation,
  SignedCallObservation,
  Target,
  TargetObservations,
  TcpObservation,
  TlsObservation,
} from './model.js';
import type { CanaryRequest } from './net/https-canary.js';
import { ipInCidr, isLinkLocalIpv4, isLoopbackIpv4 } from './net/ip.js';
import { type TlsSessionCache, tlsSessionKey } from './net/tls.js';
import { observeIpv6 } from './probe-ipv6.js';
import { sdkNameVariants, servedPrivateNames } from './sdk-names.js';
import { followAnswer, isEndpointService } from './targets.js';

export interface Probes {
  queryA(
    resolver: Resolver,
    hostname: string,
    options: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<DnsObservation>;
  /** AAAA through the same rate limiter (issue 16); without it nothing IPv6 is asked or probed. */
  queryAaaa?(
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
    options: { timeoutMs: number; signal?: AbortSignal; sessions?: TlsSessionCache },
  ): Promise<TlsObservation>;
  /**
   * TCP, then TLS, then the canary's request when one is given and TLS passed, all over one
   * connection (issue 17): the observations probeTcp, probeTls and probeHttps would make, without
   * a connection and a handshake each. Without it, they run apart.
   */
  probeTcpTls?(
    address: string,
    port: number,
    servername: string,
    options: {
      tcpTimeoutMs: number;
      tlsTimeoutMs: number;
      signal?: AbortSignal;
      sessions?: TlsSessionCache;
      canary?: { request: CanaryRequest; timeoutMs: number };
    },
  ): Promise<{ tcp: TcpObservation; tls?: TlsObservation; http?: HttpObservation }>;
  /** The L7 canary (src/net/https-canary.ts); without it the canary does not run. */
  probeHttps?(
    address: string,
    port: number,
    hostname: string,
    request: CanaryRequest,
    options: { timeoutMs: number; signal?: AbortSignal; session?: Buffer },
  ): Promise<HttpObservation>;
  /** The signed canary (src/aws/sts-canary.ts): run only when the configuration asks. */
  callerIdentity?(
    region: string,
    options: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<SignedCallObservation>;
}

/** What observeTarget runs beyond DNS, TCP and TLS (configuration `canary`). */
export interface ObserveOptions {
  /** The L7 canary through the first ENI that passed TLS (default true). */
  canary?: boolean;
  /** One signed sts:GetCallerIdentity on the STS target (default false). */
  signed?: boolean;
  /** TLS sessions the handshakes resume and keep (src/net/tls.ts says what that can hide). */
  sessions?: TlsSessionCache;
  /** The VPC resolver's IPv6 address (default fd00:ec2::253); tests point it at loopback. */
  vpcResolverIpv6?: string;
}

export interface ProbeTimeouts {
  dnsMs: number;
  tcpMs: number;
  tlsMs: number;
  /** The L7 canary's request once TLS is up (config `timeouts.httpMs`). */
  httpMs: number;
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
  options: ObserveOptions = {},
): Promise<ObservedTarget> {
  // No DNS name known (an endpoint service without private DNS or DNS entries): only the ENIs
  // can be probed, and TLS has no name to send.
  const named = planned.hostname !== '';
  const asked = resolversToQuery(context.resolvers, inventory);
  const dns = named
    ? await Promise.all(
        asked.map((resolver) =>
          probes.queryA(resolver, planned.hostname, { timeoutMs: timeouts.dnsMs, signal }),
        ),
      )
    : [];
  const target = followAnswer(planned, workloadAddresses(dns), inventory);
  const ruleTargets = named
    ? queryRuleTargets(target, context, inventory, dns, probes, timeouts, signal)
    : undefined;
  // AAAA and the IPv6 probes run beside the IPv4 ones, through the same limiter and socket pool.
  const ipv6 = observeIpv6(
    target,
    context,
    inventory,
    asked,
    workloadResolvers(context.resolvers),
    probes,
    timeouts,
    signal,
    sockets,
    {
      ...(options.vpcResolverIpv6 ? { vpcResolverIpv6: options.vpcResolverIpv6 } : {}),
      ...(options.sessions ? { sessions: options.sessions } : {}),
    },
  );
  // The SDK's other names go out beside TCP and TLS, through the same rate-limited resolver.
  const sdkNames = named ? resolveSdkNames(target, context, inventory, probes, timeouts, signal) : undefined;
  const addresses = probeAddresses(target, inventory, dns, context.resolvers);
  const pairs = addresses.flatMap((address) => target.ports.map((port) => ({ address, port })));
  const handshakes = target.tls && named;
  const hub = target.endpointType === 'none' && isHubServed(inventory.chain, target.hostname, addresses);
  let tcp: TcpObservation[];
  let tls: TlsObservation[] = [];
  // The canary's request over the first address's own verified connection, when that passes.
  let carried: HttpObservation | undefined;
  if (handshakes && probes.probeTcpTls) {
    const probeTcpTls = probes.probeTcpTls.bind(probes);
    const request = canaryRequestFor(target, hub, options, probes);
    const both = await Promise.all(
      pairs.map(({ address, port }, i) =>
        sockets(() =>
          probeTcpTls(address, port, target.hostname, {
            tcpTimeoutMs: timeouts.tcpMs,
            tlsTimeoutMs: timeouts.tlsMs,
            signal,
            ...(options.sessions ? { sessions: options.sessions } : {}),
            ...(request && i === 0 ? { canary: { request, timeoutMs: timeouts.httpMs } } : {}),
          }),
        ),
      ),
    );
    tcp = both.map((o) => o.tcp);
    tls = both.flatMap((o) => (o.tls ? [o.tls] : []));
    carried = both[0]?.http;
  } else {
    tcp = await Promise.all(
      pairs.map(({ address, port }) =>
        sockets(() => probes.probeTcp(address, port, { timeoutMs: timeouts.tcpMs, signal })),
      ),
    );
    if (handshakes) {
      const connected = tcp.filter((o) => o.outcome === 'connected');
      tls = await Promise.all(
        connected.map((o) =>
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
  }
  const observations: TargetObservations = { dns, tcp, tls };
  if (named)
    Object.assign(
      observations,
      carried
        ? { http: [carried] }
        : await runCanary(target, tls, probes, timeouts, signal, sockets, options, hub),
    );
  if (named && options.signed && probes.callerIdentity && isSignedCanaryTarget(target, context.region, tls)) {
    // The SDK resolves and connects by itself, as the workload's SDK does: one call, one deadline.
    observations.signed = await probes.callerIdentity(context.region, {
      timeoutMs: timeouts.tcpMs + timeouts.tlsMs,
      signal,
    });
  }
  const variants = await sdkNames;
  if (variants && variants.length > 0) observations.sdkNames = variants;
  const direct = await ruleTargets;
  if (direct && direct.length > 0) observations.ruleTargets = direct;
  const seen6 = await ipv6;
  if (seen6) observations.ipv6 = seen6;
  return { target, observations };
}

/**
 * An AWS service reached through an interface endpoint's ENIs, here or in a hub VPC (an
 * associated zone or rule answers its name): where the canary proves who answers.
 */
function isCanaryTarget(target: Target, hub: boolean): boolean {
  return (
    target.tls &&
    (target.endpointType === 'Interface' || hub) &&
    target.service.startsWith('com.amazonaws.') &&
    !isEndpointService(target.service)
  );
}

/** The regional STS target of the agent's own Region, whose TLS passed somewhere. */
function isSignedCanaryTarget(target: Target, region: string, tls: TlsObservation[]): boolean {
  return target.service === `com.amazonaws.${region}.sts` && tls.some((o) => o.outcome === 'ok');
}

/** The canary's request for a target that gets one (isCanaryTarget, not switched off), else undefined. */
function canaryRequestFor(
  target: Target,
  hub: boolean,
  options: ObserveOptions,
  probes: Probes,
): CanaryRequest | undefined {
  if (!isCanaryTarget(target, hub) || options.canary === false || !probes.probeHttps) return undefined;
  const { protocol: _protocol, ...request } = canaryRequest(target.shortName);
  return request;
}

/**
 * One unsigned request through the first ENI whose TLS handshake passed: one per target, so a
 * report adds at most one request per endpoint. Nothing when TLS failed (that is the finding).
 * observeTarget sends it over the first address's own verified connection when the probes can
 * (probeTcpTls) and that handshake passed; this is the request for every other case.
 */
async function runCanary(
  target: Target,
  tls: TlsObservation[],
  probes: Probes,
  timeouts: ProbeTimeouts,
  signal: AbortSignal,
  sockets: Pool,
  options: ObserveOptions,
  hub = false,
): Promise<Pick<TargetObservations, 'http' | 'httpSkipped'>> {
  if (!isCanaryTarget(target, hub)) return {};
  const first = tls.find((o) => o.outcome === 'ok');
  if (!first) return {};
  if (options.canary === false)
    return { httpSkipped: 'switched off in the configuration (canary.l7: false)' };
  const request = canaryRequestFor(target, hub, options, probes);
  if (!request || !probes.probeHttps) return {};
  const probeHttps = probes.probeHttps.bind(probes);
  // The TLS probe's session for this ENI and name, when it kept one: the handshake resumes.
  const session = options.sessions?.get(tlsSessionKey(first.address, first.port, target.hostname))?.session;
  const observation = await sockets(() =>
    probeHttps(first.address, first.port, target.hostname, request, {
      timeoutMs: timeouts.httpMs,
      signal,
      ...(session ? { session } : {}),
    }),
  );
  return { http: [observation] };
}

/** Rule targets asked at most, and the port the DNS probe speaks on. */
const RULE_TARGETS_MAX = 4;
const DNS_PORT = 53;

/**
 * When the VPC resolver timed out or failed for a name that an associated Resolver rule forwards
 * (issue 15), its targets (the hub's inbound endpoint) are asked directly: whether they answer
 * tells a dead forwarding target from a resolver problem. Addresses come from the rule the
 * inventory read, never from an answer.
 */
async function queryRuleTargets(
  target: Target,
  context: AgentContext,
  inventory: Inventory,
  dns: DnsObservation[],
  probes: Probes,
  timeouts: ProbeTimeouts,
  signal: AbortSignal,
): Promise<DnsObservation[]> {
  if (target.endpointType !== 'none' || !inventory.chain) return [];
  const workload = new Set(workloadResolvers(context.resolvers).map((r) => r.address));
  const failed = dns.some(
    (o) => workload.has(o.resolver.address) && (o.outcome === 'timeout' || o.outcome === 'servfail'),
  );
  if (!failed) return [];
  const rule = associatedRule(inventory.chain, target.hostname);
  if (!rule) return [];
  const addresses = rule.targetIps
    .filter((t) => t.port === DNS_PORT && isProbeable(t.ip))
    .map((t) => t.ip)
    .slice(0, RULE_TARGETS_MAX);
  return Promise.all(
    addresses.map((address) =>
      probes.queryA({ address, source: 'resolver-rule' }, target.hostname, {
        timeoutMs: timeouts.dnsMs,
        signal,
      }),
    ),
  );
}

/** The SDK name variants of a target (src/sdk-names.ts), each asked once of the workload's resolver. */
async function resolveSdkNames(
  target: Target,
  context: AgentContext,
  inventory: Inventory,
  probes: Probes,
  timeouts: ProbeTimeouts,
  signal: AbortSignal,
): Promise<SdkNameObservation[]> {
  const names = sdkNameVariants(target, context.region, servedPrivateNames(inventory, target));
  const resolver = workloadResolvers(context.resolvers)[0];
  if (names.length === 0 || !resolver) return [];
  // The dual-stack names are judged only from a subnet with IPv6 (checks/ipv6.ts): AAAA elsewhere is load.
  const queryAaaa =
    agentSubnetHasIpv6(inventory, context.subnetId) === true ? probes.queryAaaa?.bind(probes) : undefined;
  return Promise.all(
    names.map(async (name) => {
      const query = { timeoutMs: timeouts.dnsMs, signal };
      const [dns, aaaa] = await Promise.all([
        probes.queryA(resolver, name.hostname, query),
        queryAaaa ? queryAaaa(resolver, name.hostname, query) : undefined,
      ]);
      return { ...name, dns, ...(aaaa ? { aaaa } : {}) };
    }),
  );
}
