// Which services a run checks: every endpoint of the agent's VPC (discovery is the default),
// plus what the workload profiles require, plus what the configuration names.
import type { ServiceDetail, VpcEndpoint } from '@aws-sdk/client-ec2';
import type { Config, ServiceConfig } from './config.js';
import { isAwsService } from './inventory-view.js';
import type {
  AgentContext,
  EndpointType,
  Inventory,
  OffPathEndpoint,
  OffPathReason,
  Target,
} from './model.js';
import { byCodeUnits } from './order.js';
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

/** The endpoint that carries a service's traffic from inside the VPC, and the others beside it. */
export interface ServicePath {
  path?: VpcEndpoint;
  offPath: Array<{ endpoint: VpcEndpoint; reason: OffPathReason; pathId?: string }>;
}

function ownsPrivateName(endpoint: VpcEndpoint): boolean {
  return (
    endpoint.VpcEndpointType === 'Interface' &&
    endpoint.PrivateDnsEnabled === true &&
    !isInboundResolverOnly(endpoint)
  );
}

/**
 * Which of a service's endpoints the VPC's own workloads use. Only one interface endpoint per
 * service and VPC can own the private DNS name; the one that does takes the service's name, and
 * with it every workload. Without one, a gateway endpoint carries the public name's traffic by
 * its route (S3, DynamoDB). Otherwise an interface endpoint with private DNS off is reached by
 * its own DNS names and is the only candidate. An endpoint whose private DNS answers inbound
 * Resolver endpoints only (S3, DynamoDB) serves on-premises clients and is never the VPC's path.
 * Available endpoints first, then by id, so the choice is stable whatever order the API lists.
 */
export function servicePath(endpoints: VpcEndpoint[]): ServicePath {
  const live = endpoints
    .filter((e) => !isGone(e) && e.VpcEndpointType !== 'GatewayLoadBalancer')
    .sort(
      (a, b) =>
        Number(isAvailable(b)) - Number(isAvailable(a)) ||
        byCodeUnits(String(a.VpcEndpointId), String(b.VpcEndpointId)),
    );
  const path =
    live.find(ownsPrivateName) ??
    live.find((e) => e.VpcEndpointType === 'Gateway') ??
    live.find((e) => e.VpcEndpointType !== 'Gateway' && !isInboundResolverOnly(e));
  const offPath = live
    .filter((e) => e !== path)
    .map((endpoint) => {
      const pathId = path?.VpcEndpointId;
      const reason: OffPathReason = isInboundResolverOnly(endpoint)
        ? 'inbound-resolver-only'
        : endpoint.VpcEndpointType === 'Gateway'
          ? path?.VpcEndpointType === 'Gateway'
            ? 'same-kind-elsewhere'
            : 'name-on-interface'
          : path && ownsPrivateName(path)
            ? 'private-dns-elsewhere'
            : 'same-kind-elsewhere';
      return pathId ? { endpoint, reason, pathId } : { endpoint, reason };
    });
  return path ? { path, offPath } : { offPath };
}

export function buildTargets(context: AgentContext, inventory: Inventory, options: TargetOptions): Target[] {
  const { config } = options;
  const region = context.region;
  const byKey = new Map<string, Target>();
  const endpoints = inventory.endpoints.ok ? inventory.endpoints.value : [];
  const paths = new Map<string, ServicePath>();
  for (const service of new Set(endpoints.flatMap((e) => (e.ServiceName ? [e.ServiceName] : [])))) {
    paths.set(service, servicePath(endpoints.filter((e) => e.ServiceName === service)));
  }

  /** The target of a service: its path endpoint's, or one without an endpoint; made if new. */
  const targetOf = (service: string): Target => {
    const { path, offPath } = paths.get(service) ?? { offPath: [] };
    const key = targetKey(service, path ? endpointTypeOf(path.VpcEndpointType) : 'none');
    let target = byKey.get(key);
    if (!target) {
      target = path
        ? targetForEndpoint(path, context, inventory)
        : targetForService(service, context, inventory);
      if (offPath.length > 0) target.offPath = offPath.map(describeOffPath);
      byKey.set(key, target);
    }
    return target;
  };

  if (config.discover) {
    for (const [service, { path, offPath }] of paths) {
      // A Gateway Load Balancer endpoint is a route target for inspection, not a service with a
      // name to resolve and a port to connect to; a service whose endpoints are all gone has none.
      if (path || offPath.length > 0) addOrigin(targetOf(service), 'discovered');
    }
  }

  /** The target a name stands for: a service's short or full name, or a target's (`s3-interface`). */
  const lookup = (name: string): Target => {
    const named = [...byKey.values()].find(
      (t) => t.shortName === name && t.shortName !== shortServiceName(t.service),
    );
    return named ?? targetOf(fullServiceName(name.replace(INTERFACE_NAME, ''), region));
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

  // With the endpoints unreadable, a service named on the command line is still checked from
  // the data plane: an IAM gap is no reason to refuse the question.
  const only = options.only ?? [];
  if (!inventory.endpoints.ok) {
    for (const name of only) {
      if (![...byKey.values()].some((t) => matchesName(t, name, region))) lookup(name);
    }
  }

  const targets = [...byKey.values()].filter(
    (t) => only.length === 0 || only.some((name) => matchesName(t, name, region)),
  );
  return targets.sort((a, b) => byCodeUnits(a.shortName, b.shortName));
}

/** `s3-interface` → `s3`: the interface endpoint of a gateway-capable service, named as a target. */
const INTERFACE_NAME = new RegExp(`(?<=^(?:${[...GATEWAY_CAPABLE].join('|')}))${INTERFACE_SUFFIX}$`);

function describeOffPath(entry: ServicePath['offPath'][number]): OffPathEndpoint {
  return {
    endpointId: entry.endpoint.VpcEndpointId ?? '?',
    endpointType: endpointTypeOf(entry.endpoint.VpcEndpointType),
    reason: entry.reason,
    ...(entry.pathId ? { pathId: entry.pathId } : {}),
  };
}

/** What a service name is matched against: a target, or one in a report (serve's `?service=`). */
export interface NamedTarget {
  service: string;
  shortName: string;
  /** The service's endpoints off the VPC's path (a report has them as ENDPOINT_NOT_ON_PATH findings). */
  offPath?: ReadonlyArray<Pick<OffPathEndpoint, 'endpointType'>>;
}

/**
 * A name given with --service or `?service=` matches a target by service (`s3` matches the S3
 * target whichever endpoint is its path), by short name, or as `s3-interface` when the S3
 * target is the gateway's (the interface endpoint is then listed in it, off the VPC's path).
 */
export function matchesName(target: NamedTarget, name: string, region: string): boolean {
  return (
    target.shortName === name ||
    target.service === fullServiceName(name, region) ||
    (INTERFACE_NAME.test(name) &&
      target.service === fullServiceName(name.replace(INTERFACE_NAME, ''), region) &&
      (target.offPath ?? []).some((e) => e.endpointType === 'Interface'))
  );
}

/** Names given with --service that match no target, so the CLI can say so. */
export function unmatchedServices(targets: Target[], only: string[], region: string): string[] {
  return only.filter((name) => !targets.some((t) => matchesName(t, name, region)));
}

/** A service with no endpoint on the VPC's path. An endpoint service without one has no known DNS name. */
function targetForService(service: string, context: AgentContext, inventory: Inventory): Target {
  const short = shortServiceName(service);
  const own = isEndpointService(service);
  return {
    service,
    shortName: short,
    hostname: own ? '' : awsServiceHostname(service, context, inventory),
    endpointType: 'none',
    ports: [443],
    tls: !own,
    required: false,
    origin: [],
    profiles: [],
  };
}

function targetForEndpoint(endpoint: VpcEndpoint, context: AgentContext, inventory: Inventory): Target {
  const service = endpoint.ServiceName!;
  const short = shortServiceName(service);
  const own = isEndpointService(service);
  const type = endpointTypeOf(endpoint.VpcEndpointType);
  return {
    service,
    shortName: type === 'Interface' && GATEWAY_CAPABLE.has(short) ? `${short}${INTERFACE_SUFFIX}` : short,
    hostname: own
      ? endpointServiceHostname(endpoint, inventory)
      : awsServiceHostname(service, context, inventory),
    ...(endpoint.VpcEndpointId ? { endpointId: endpoint.VpcEndpointId } : {}),
    endpointType: type,
    ports: [443],
    tls: !own,
    required: false,
    origin: [],
    profiles: [],
  };
}

function serviceDetail(inventory: Inventory, service: string): ServiceDetail | undefined {
  return inventory.services.ok ? inventory.services.value.find((s) => s.ServiceName === service) : undefined;
}

/**
 * The name an AWS service's SDKs call, from the service's own private DNS names: a concrete name
 * before a wildcard (S3's `s3.REGION.amazonaws.com` beside `*.s3.REGION.amazonaws.com`), else the
 * table in profiles.ts.
 */
function awsServiceHostname(service: string, context: AgentContext, inventory: Inventory): string {
  const detail = serviceDetail(inventory, service);
  const names = [
    ...(detail?.PrivateDnsNames ?? []).map((n) => n.PrivateDnsName),
    detail?.PrivateDnsName,
  ].filter((n): n is string => typeof n === 'string' && n !== '');
  const chosen = names.find((n) => !n.startsWith('*.')) ?? names[0];
  return serviceHostname(shortServiceName(service), context.region, context.accountId, chosen);
}

/**
 * An endpoint service is reached by its private DNS name when it has one, else by the endpoint's
 * own DNS name (DnsEntries, regional first). The service name (`com.amazonaws.vpce.…`) is not a
 * DNS name: with neither, the hostname is '' — the target stays (TCP to its ENIs still runs), DNS
 * cannot be probed, and checks/endpoint.ts says so (ENDPOINT_NO_DNS_NAME).
 */
function endpointServiceHostname(endpoint: VpcEndpoint, inventory: Inventory): string {
  const detail = serviceDetail(inventory, endpoint.ServiceName ?? '');
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
  if (wanted.actions) target.actions = [...(target.actions ?? []), ...wanted.actions];
  target.required = wanted.required ?? true;
}

function addOrigin(target: Target, origin: Target['origin'][number]): void {
  if (!target.origin.includes(origin)) target.origin.push(origin);
}

/**
 * When no endpoint of a service owns its private DNS name, the name's answer (a private hosted
 * zone, a resolver rule) decides which endpoint the workload uses: if the workload's resolver
 * answers exactly the ENIs of another endpoint of the service, that endpoint is the path, and
 * the one chosen before the answer was known is listed off the path instead. Pure.
 */
export function followAnswer(target: Target, answered: string[], inventory: Inventory): Target {
  const siblings = (target.offPath ?? []).filter(
    (o) => o.reason === 'same-kind-elsewhere' && o.endpointType === 'Interface',
  );
  if (siblings.length === 0 || answered.length === 0 || !inventory.endpointInterfaces.ok) return target;
  const enis = inventory.endpointInterfaces.value;
  const addressesOf = (endpointId: string | undefined): Set<string> => {
    const endpoint = endpointId ? endpointById(inventory, endpointId) : undefined;
    const ids = new Set(endpoint?.NetworkInterfaceIds ?? []);
    return new Set(
      enis.flatMap((eni) =>
        eni.NetworkInterfaceId && ids.has(eni.NetworkInterfaceId) && eni.PrivateIpAddress
          ? [eni.PrivateIpAddress]
          : [],
      ),
    );
  };
  if (answered.some((ip) => addressesOf(target.endpointId).has(ip))) return target;
  const chosen = siblings.find((s) => answered.every((ip) => addressesOf(s.endpointId).has(ip)));
  if (!chosen || !target.endpointId) return target;
  const offPath: OffPathEndpoint[] = [
    ...(target.offPath ?? []).filter((o) => o !== chosen),
    {
      endpointId: target.endpointId,
      endpointType: target.endpointType,
      reason: 'same-kind-elsewhere' as const,
    },
  ].map((o) => (o.reason === 'same-kind-elsewhere' ? { ...o, pathId: chosen.endpointId } : o));
  return { ...target, endpointId: chosen.endpointId, offPath };
}

function endpointById(inventory: Inventory, endpointId: string): VpcEndpoint | undefined {
  return inventory.endpoints.ok
    ? inventory.endpoints.value.find((e) => e.VpcEndpointId === endpointId)
    : undefined;
}
