// Which services a run checks: every endpoint of the agent's VPC (discovery is the default),
// plus what the workload profiles require, plus what the configuration names.
import type { VpcEndpoint } from '@aws-sdk/client-ec2';
import type { Config, ServiceConfig } from './config.js';
import { isAwsService } from './inventory-view.js';
import type { AgentContext, EndpointType, Inventory, Target } from './model.js';
import { profileTargets, serviceHostname } from './profiles.js';

const AWS_SERVICE = /^com\.amazonaws\.([a-z0-9-]+)\.(.+)$/;
const ENDPOINT_SERVICE = /^com\.amazonaws\.vpce\.[a-z0-9-]+\.(vpce-svc-[0-9a-f]+)$/;
const ENDPOINT_STATES_GONE = new Set(['deleted', 'deleting']);

/** `secretsmanager` for com.amazonaws.us-east-1.secretsmanager; `vpce-svc-…` for an endpoint service. */
export function shortServiceName(service: string): string {
  const own = ENDPOINT_SERVICE.exec(service);
  if (own) return own[1]!;
  const aws = AWS_SERVICE.exec(service);
  return aws ? aws[2]! : service;
}

/** An endpoint service of your own (PrivateLink to an NLB), as opposed to an AWS service. */
export function isEndpointService(service: string): boolean {
  return !isAwsService(service);
}

/** The full service name for a short name the user typed. */
export function fullServiceName(name: string, region: string): string {
  if (name.includes('.') && (name.startsWith('com.amazonaws.') || name.startsWith('aws.'))) return name;
  if (name.startsWith('vpce-svc-')) return `com.amazonaws.vpce.${region}.${name}`;
  return `com.amazonaws.${region}.${name}`;
}

export interface TargetOptions {
  config: Config;
  /** --service: narrow to these (short or full names). */
  only?: string[];
}

// S3 and DynamoDB are offered both as gateway and as interface endpoints, and a VPC may hold one
// of each: both are targets. The gateway endpoint keeps the plain short name (`s3`); the
// interface endpoint is `s3-interface`, whether or not a gateway endpoint exists beside it, so
// its name (a table row, a metric label) does not change when one is added.
const GATEWAY_CAPABLE = new Set(['s3', 'dynamodb']);
const INTERFACE_SUFFIX = '-interface';

/** One target per service and endpoint type. */
function targetKey(service: string, type: EndpointType): string {
  return `${service} ${type}`;
}

function isGone(endpoint: VpcEndpoint): boolean {
  return ENDPOINT_STATES_GONE.has(String(endpoint.State ?? '').toLowerCase());
}

function isAvailable(endpoint: VpcEndpoint): boolean {
  return String(endpoint.State ?? '').toLowerCase() === 'available';
}

/** True when an interface endpoint's private DNS answers only Route 53 Resolver inbound endpoints (on-premises clients). */
export function isInboundResolverOnly(endpoint: VpcEndpoint | undefined): boolean {
  return endpoint?.DnsOptions?.PrivateDnsOnlyForInboundResolverEndpoint === true;
}

/**
 * Which of a service's endpoints a workload inside the VPC uses, for lookups by service name
 * (profiles, `services:` and --service). An interface endpoint whose private DNS answers the
 * whole VPC takes the service's public name, so it carries the traffic. Otherwise the gateway
 * endpoint does: the public name keeps resolving publicly and the route sends it to the gateway —
 * also when an S3/DynamoDB interface endpoint has private DNS only for inbound resolver endpoints
 * (that one serves on-premises clients). Otherwise any interface endpoint. Available ones first.
 */
function workloadEndpoint(endpoints: VpcEndpoint[], service: string): VpcEndpoint | undefined {
  const rank = (endpoint: VpcEndpoint): number => {
    const state = isAvailable(endpoint) ? 0 : 3;
    if (
      endpoint.VpcEndpointType === 'Interface' &&
      endpoint.PrivateDnsEnabled === true &&
      !isInboundResolverOnly(endpoint)
    )
      return state;
    return state + (endpoint.VpcEndpointType === 'Gateway' ? 1 : 2);
  };
  return endpoints
    .filter((e) => e.ServiceName === service && !isGone(e) && e.VpcEndpointType !== 'GatewayLoadBalancer')
    .sort((a, b) => rank(a) - rank(b))[0];
}

export function buildTargets(context: AgentContext, inventory: Inventory, options: TargetOptions): Target[] {
  const { config } = options;
  const region = context.region;
  const byKey = new Map<string, Target>();
  const endpoints = inventory.endpoints.ok ? inventory.endpoints.value : [];

  if (config.discover) {
    for (const endpoint of endpoints) {
      if (!endpoint.ServiceName || isGone(endpoint)) continue;
      // A Gateway Load Balancer endpoint is a route target for inspection, not a service with a
      // name to resolve and a port to connect to.
      if (endpoint.VpcEndpointType === 'GatewayLoadBalancer') continue;
      const key = targetKey(endpoint.ServiceName, endpointTypeOf(endpoint.VpcEndpointType));
      // Two endpoints of one type for one service: keep the one that is available.
      if (byKey.get(key)?.endpointId && !isAvailable(endpoint)) continue;
      byKey.set(key, targetForEndpoint(endpoint, context, inventory, 'discovered'));
    }
  }

  /** The target a service name (or a target's short name, e.g. `s3-interface`) stands for, made if new. */
  const lookup = (name: string): Target => {
    const named = [...byKey.values()].find(
      (t) => t.shortName === name && t.shortName !== shortServiceName(t.service),
    );
    if (named) return named;
    const service = fullServiceName(name, region);
    const endpoint = workloadEndpoint(endpoints, service);
    const key = targetKey(service, endpoint ? endpointTypeOf(endpoint.VpcEndpointType) : 'none');
    const target =
      byKey.get(key) ??
      (endpoint
        ? targetForEndpoint(endpoint, context, inventory, 'discovered', false)
        : targetForService(service, context));
    byKey.set(key, target);
    return target;
  };

  for (const profile of config.profiles) {
    for (const need of profileTargets(profile, region)) {
      const target = lookup(need.service);
      target.required ||= need.required;
      if (!target.profiles.includes(profile)) target.profiles.push(profile);
      addOrigin(target, 'profile');
    }
  }

  for (const wanted of config.services) {
    const target = lookup(wanted.name);
    applyServiceConfig(target, wanted);
    addOrigin(target, 'config');
  }

  let targets = [...byKey.values()];
  if (options.only && options.only.length > 0) {
    const only = options.only;
    targets = targets.filter((t) => only.some((name) => matchesName(t, name, region)));
  }
  return targets.sort((a, b) => a.shortName.localeCompare(b.shortName));
}

/** A name given with --service matches a target by service (both S3 targets for `s3`) or by short name (`s3-interface`). */
function matchesName(target: Target, name: string, region: string): boolean {
  return target.shortName === name || target.service === fullServiceName(name, region);
}

/** Names given with --service that match no target, so the CLI can say so. */
export function unmatchedServices(targets: Target[], only: string[], region: string): string[] {
  return only.filter((name) => !targets.some((t) => matchesName(t, name, region)));
}

/** A service the VPC has no endpoint for. An endpoint service without one has no known DNS name. */
function targetForService(service: string, context: AgentContext): Target {
  const short = shortServiceName(service);
  const own = isEndpointService(service);
  return {
    service,
    shortName: short,
    hostname: own ? '' : serviceHostname(short, context.region, context.accountId),
    endpointType: 'none',
    ports: [443],
    tls: !own,
    required: false,
    origin: [],
    profiles: [],
  };
}

function targetForEndpoint(
  endpoint: VpcEndpoint,
  context: AgentContext,
  inventory: Inventory,
  origin: 'discovered',
  withOrigin = true,
): Target {
  const service = endpoint.ServiceName!;
  const short = shortServiceName(service);
  const own = isEndpointService(service);
  const type = endpointTypeOf(endpoint.VpcEndpointType);
  return {
    service,
    shortName: type === 'Interface' && GATEWAY_CAPABLE.has(short) ? `${short}${INTERFACE_SUFFIX}` : short,
    hostname: own
      ? endpointServiceHostname(endpoint, inventory)
      : serviceHostname(short, context.region, context.accountId),
    ...(endpoint.VpcEndpointId ? { endpointId: endpoint.VpcEndpointId } : {}),
    endpointType: type,
    ports: [443],
    tls: !own,
    required: false,
    origin: withOrigin ? [origin] : [],
    profiles: [],
  };
}

/**
 * An endpoint service is reached by its private DNS name when it has one, else by the endpoint's
 * own DNS name (DnsEntries, regional first). The service name (`com.amazonaws.vpce.…`) is not a
 * DNS name: with neither, the hostname is '' — the target stays (TCP to its ENIs still runs), DNS
 * cannot be probed, and checks/endpoint.ts says so (ENDPOINT_NO_DNS_NAME).
 */
function endpointServiceHostname(endpoint: VpcEndpoint, inventory: Inventory): string {
  const detail = inventory.services.ok
    ? inventory.services.value.find((s) => s.ServiceName === endpoint.ServiceName)
    : undefined;
  const privateName = endpoint.PrivateDnsEnabled ? (detail?.PrivateDnsName ?? undefined) : undefined;
  const name = privateName ?? endpoint.DnsEntries?.find((d) => d.DnsName)?.DnsName;
  return name ? name.replace(/^\*\./, 'probe.') : '';
}

function endpointTypeOf(type: string | undefined): EndpointType {
  switch (type) {
    case 'Interface':
    case 'Gateway':
    case 'GatewayLoadBalancer':
      return type;
    default:
      return 'Interface';
  }
}

function applyServiceConfig(target: Target, wanted: ServiceConfig): void {
  if (wanted.hostname) target.hostname = wanted.hostname;
  if (wanted.ports) target.ports = [...wanted.ports];
  if (wanted.tls !== undefined) target.tls = wanted.tls;
  target.required = wanted.required ?? true;
}

function addOrigin(target: Target, origin: Target['origin'][number]): void {
  if (!target.origin.includes(origin)) target.origin.push(origin);
}
