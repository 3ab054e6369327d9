// Read-only lookups over an inventory snapshot and the probes' answers, shared by the runner
// and the checks.
import type { NetworkInterface, VpcEndpoint } from '@aws-sdk/client-ec2';
import { LINK_LOCAL_RESOLVER, vpcBasePlusTwo } from './context/resolvers.js';
import type { DnsObservation, Inventory, Resolver, Target } from './model.js';
import { isIpv4 } from './net/ip.js';

/** The endpoint the target names, looked up in the inventory. */
export function targetEndpoint(inventory: Inventory, target: Target): VpcEndpoint | undefined {
  if (!target.endpointId || !inventory.endpoints.ok) return undefined;
  return inventory.endpoints.value.find((endpoint) => endpoint.VpcEndpointId === target.endpointId);
}

/** The endpoint's network interfaces (from DescribeNetworkInterfaces, by the endpoint's ids). */
export function endpointEnis(enis: NetworkInterface[], endpoint: VpcEndpoint): NetworkInterface[] {
  const ids = new Set(endpoint.NetworkInterfaceIds ?? []);
  return enis.filter((eni) => eni.NetworkInterfaceId !== undefined && ids.has(eni.NetworkInterfaceId));
}

/** The private IPv4 addresses of an interface endpoint's ENIs. */
export function interfaceAddresses(inventory: Inventory, target: Target): string[] {
  const endpoint = targetEndpoint(inventory, target);
  if (!endpoint || !inventory.endpointInterfaces.ok) return [];
  return endpointEnis(inventory.endpointInterfaces.value, endpoint)
    .map((eni) => eni.PrivateIpAddress)
    .filter((ip): ip is string => typeof ip === 'string');
}

/** The security groups of an interface endpoint: the endpoint's `Groups`, never the ENI's. */
export function endpointGroupIds(endpoint: VpcEndpoint): string[] {
  return (endpoint.Groups ?? []).flatMap((group) => (group.GroupId ? [group.GroupId] : []));
}

/**
 * The IPv4 addresses the workload resolves for the target: answers from the resolv.conf
 * resolvers (what the OS uses), else from configured resolvers; [] when none answered.
 */
export function workloadAddresses(dns: DnsObservation[]): string[] {
  for (const source of ['resolv.conf', 'config'] as const) {
    const answers = dns
      .filter((dns) => dns.resolver.source === source && dns.outcome === 'answer')
      .flatMap((dns) => dns.addresses)
      .filter(isIpv4);
    if (answers.length > 0) return [...new Set(answers)];
  }
  return [];
}

/** True for AWS services (com.amazonaws.REGION.x), false for endpoint services (com.amazonaws.vpce.…). */
export function isAwsService(serviceName: string): boolean {
  return serviceName.startsWith('com.amazonaws.') && !serviceName.startsWith('com.amazonaws.vpce.');
}

/** The VPC's IPv4 CIDRs (primary first); undefined when the VPC could not be read. */
export function vpcCidrs(inventory: Inventory): string[] | undefined {
  if (!inventory.vpc.ok) return undefined;
  const vpc = inventory.vpc.value;
  const associated = (vpc.CidrBlockAssociationSet ?? []).flatMap((a) => (a.CidrBlock ? [a.CidrBlock] : []));
  return [...new Set([...(vpc.CidrBlock ? [vpc.CidrBlock] : []), ...associated])];
}

/** AmazonProvidedDNS's addresses: the VPC's primary CIDR base + 2, 169.254.169.253, and what context calls so. */
export function amazonResolverAddresses(resolvers: Resolver[], inventory: Inventory): Set<string> {
  const addresses = new Set([LINK_LOCAL_RESOLVER]);
  for (const r of resolvers)
    if (r.source === 'vpc-base-2' || r.source === 'link-local') addresses.add(r.address);
  const base2 = inventory.vpc.ok ? vpcBasePlusTwo(inventory.vpc.value.CidrBlock ?? '') : undefined;
  if (base2) addresses.add(base2);
  return addresses;
}

/** A resolver the workload itself uses: resolv.conf's, or one the configuration names. */
export function isWorkloadResolver(resolver: Resolver): boolean {
  return resolver.source === 'resolv.conf' || resolver.source === 'config';
}
