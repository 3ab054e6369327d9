// Which services a run checks: every endpoint of the agent's VPC (discovery is the default),
// plus what the workload profiles require, plus what the configuration names.
import type { VpcEndpoint } from '@aws-sdk/client-ec2';
import type { Config, ServiceConfig } from './config.js';
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

export function isEndpointService(service: string): boolean {
  return ENDPOINT_SERVICE.test(service) || !service.startsWith('com.amazonaws.');
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

export function buildTargets(context: AgentContext, inventory: Inventory, options: TargetOptions): Target[] {
  const { config } = options;
  const region = context.region;
  const byService = new Map<string, Target>();
  const endpoints = inventory.endpoints.ok ? inventory.endpoints.value : [];

  if (config.discover) {
    for (const endpoint of endpoints) {
      if (!endpoint.ServiceName || ENDPOINT_STATES_GONE.has(String(endpoint.State ?? '').toLowerCase()))
        continue;
      // A Gateway Load Balancer endpoint is a route target for inspection, not a service with a
      // name to resolve and a port to connect to.
      if (endpoint.VpcEndpointType === 'GatewayLoadBalancer') continue;
      const existing = byService.get(endpoint.ServiceName);
      // Two endpoints for one service: keep the one that is available.
      if (existing?.endpointId && String(endpoint.State).toLowerCase() !== 'available') continue;
      byService.set(endpoint.ServiceName, targetForEndpoint(endpoint, context, inventory, 'discovered'));
    }
  }

  for (const profile of config.profiles) {
    for (const need of profileTargets(profile, region)) {
      const target =
        byService.get(need.service) ?? targetForService(need.service, context, inventory, endpoints);
      target.required ||= need.required;
      if (!target.profiles.includes(profile)) target.profiles.push(profile);
      addOrigin(target, 'profile');
      byService.set(need.service, target);
    }
  }

  for (const wanted of config.services) {
    const service = fullServiceName(wanted.name, region);
    const target = byService.get(service) ?? targetForService(service, context, inventory, endpoints);
    applyServiceConfig(target, wanted);
    addOrigin(target, 'config');
    byService.set(service, target);
  }

  let targets = [...byService.values()];
  if (options.only && options.only.length > 0) {
    const wanted = new Set(options.only.map((name) => fullServiceName(name, region)));
    targets = targets.filter((t) => wanted.has(t.service));
  }
  return targets.sort((a, b) => a.shortName.localeCompare(b.shortName));
}

/** Names given with --service that match no target, so the CLI can say so. */
export function unmatchedServices(targets: Target[], only: string[], region: string): string[] {
  const present = new Set(targets.map((t) => t.service));
  return only.filter((name) => !present.has(fullServiceName(name, region)));
}

function targetForService(
  service: string,
  context: AgentContext,
  inventory: Inventory,
  endpoints: VpcEndpoint[],
): Target {
  const endpoint = endpoints.find(
    (e) => e.ServiceName === service && !ENDPOINT_STATES_GONE.has(String(e.State).toLowerCase()),
  );
  if (endpoint) return targetForEndpoint(endpoint, context, inventory, 'discovered', false);
  const short = shortServiceName(service);
  return {
    service,
    shortName: short,
    hostname: isEndpointService(service)
      ? service
      : serviceHostname(short, context.region, context.accountId),
    endpointType: 'none',
    ports: [443],
    tls: !isEndpointService(service),
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
  return {
    service,
    shortName: short,
    hostname: own
      ? endpointServiceHostname(endpoint, inventory)
      : serviceHostname(short, context.region, context.accountId),
    ...(endpoint.VpcEndpointId ? { endpointId: endpoint.VpcEndpointId } : {}),
    endpointType: endpointTypeOf(endpoint.VpcEndpointType),
    ports: [443],
    tls: !own,
    required: false,
    origin: withOrigin ? [origin] : [],
    profiles: [],
  };
}

/** An endpoint service is reached by its private DNS name when it has one, else the endpoint's regional DNS name. */
function endpointServiceHostname(endpoint: VpcEndpoint, inventory: Inventory): string {
  const detail = inventory.services.ok
    ? inventory.services.value.find((s) => s.ServiceName === endpoint.ServiceName)
    : undefined;
  const privateName = endpoint.PrivateDnsEnabled ? (detail?.PrivateDnsName ?? undefined) : undefined;
  if (privateName) return privateName.replace(/^\*\./, 'probe.');
  const entry = endpoint.DnsEntries?.find((d) => d.DnsName)?.DnsName;
  return entry ?? endpoint.ServiceName ?? 'unknown';
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
