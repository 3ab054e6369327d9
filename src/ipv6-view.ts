// Read-only IPv6 lookups over an inventory snapshot (issue 16): the agent subnet's IPv6 blocks,
// the endpoint ENIs' IPv6 addresses, the endpoint's address and DNS record types. Kept apart
// from src/inventory-view.ts, whose IPv4 lookups are unchanged.
import type { Subnet, VpcEndpoint } from '@aws-sdk/client-ec2';
import { endpointEnis, targetEndpoint } from './inventory-view.js';
import type { Inventory, Target } from './model.js';
import { canonicalIpv6 } from './net/ip.js';

/** AmazonProvidedDNS's IPv6 address on Nitro instances (AWS VPC User Guide, "Amazon DNS server"). */
export const VPC_RESOLVER_IPV6 = 'fd00:ec2::253';

/** The subnet's associated IPv6 blocks; [] for an IPv4-only subnet. */
export function subnetIpv6Cidrs(subnet: Subnet | undefined): string[] {
  return (subnet?.Ipv6CidrBlockAssociationSet ?? [])
    .filter((a) => a.Ipv6CidrBlockState?.State === undefined || a.Ipv6CidrBlockState.State === 'associated')
    .flatMap((a) => (a.Ipv6CidrBlock ? [a.Ipv6CidrBlock] : []));
}

/** A subnet by id, or undefined when the subnets were not read or it is not among them. */
export function findSubnet(inventory: Inventory, subnetId: string): Subnet | undefined {
  return inventory.subnets.ok ? inventory.subnets.value.find((s) => s.SubnetId === subnetId) : undefined;
}

/**
 * Whether the agent's subnet has an IPv6 block: true or false when the subnets were read,
 * undefined when they were not (then nothing is decided about IPv6 from the configuration).
 */
export function agentSubnetHasIpv6(inventory: Inventory, subnetId: string): boolean | undefined {
  if (!inventory.subnets.ok) return undefined;
  return subnetIpv6Cidrs(findSubnet(inventory, subnetId)).length > 0;
}

/** The IPv6 addresses of an interface endpoint's ENIs (NetworkInterface.Ipv6Addresses), canonical. */
export function interfaceIpv6Addresses(inventory: Inventory, target: Target): string[] {
  const endpoint = targetEndpoint(inventory, target);
  if (!endpoint || !inventory.endpointInterfaces.ok) return [];
  return endpointEnis(inventory.endpointInterfaces.value, endpoint)
    .flatMap((eni) => eni.Ipv6Addresses ?? [])
    .flatMap((a) => {
      const canonical = a.Ipv6Address ? canonicalIpv6(a.Ipv6Address) : undefined;
      return canonical ? [canonical] : [];
    });
}

/**
 * The endpoint's IP address type: `ipv4`, `dualstack` or `ipv6`. EC2 omits it for endpoints made
 * before dual-stack existed (and for gateway endpoints), which are IPv4: absent reads as ipv4.
 */
export function endpointIpAddressType(endpoint: VpcEndpoint): string {
  return endpoint.IpAddressType ?? 'ipv4';
}

/**
 * The record types the endpoint's DNS names answer: `ipv4` (A), `dualstack` (A and AAAA),
 * `ipv6` (AAAA), `service-defined`; absent in DnsOptions reads as ipv4, as EC2's default is.
 */
export function endpointDnsRecordIpType(endpoint: VpcEndpoint): string {
  return endpoint.DnsOptions?.DnsRecordIpType ?? 'ipv4';
}
