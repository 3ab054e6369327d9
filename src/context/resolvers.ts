import type { Resolver } from '../model.js';
import { formatIpv4, isIpv4, parseCidr } from '../net/ip.js';

/** AmazonProvidedDNS also answers here, from any VPC. */
export const LINK_LOCAL_RESOLVER = '169.254.169.253';

/** AmazonProvidedDNS at the VPC's primary CIDR base + 2 (10.0.0.0/16 → 10.0.0.2). */
export function vpcBasePlusTwo(cidr: string): string | undefined {
  const parsed = parseCidr(cidr);
  if (!parsed || parsed.prefix > 30) return undefined;
  return formatIpv4((parsed.base + 2) >>> 0);
}

/** The `nameserver` lines of a resolv.conf, IPv4 only (the probes and the lab are IPv4). */
export function parseNameservers(resolvConf: string): string[] {
  const out: string[] = [];
  for (const raw of resolvConf.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [keyword, address] = line.split(/\s+/);
    if (keyword === 'nameserver' && address && isIpv4(address) && !out.includes(address)) out.push(address);
  }
  return out;
}

/**
 * The resolvers to ask: what the OS uses (resolv.conf), then AmazonProvidedDNS at base+2 and
 * link-local. An address listed in resolv.conf keeps that source: it says the workload uses it.
 */
export function readResolvers(resolvConfText: string, vpcCidr?: string): Resolver[] {
  const resolvers: Resolver[] = parseNameservers(resolvConfText).map((address) => ({
    address,
    source: 'resolv.conf',
  }));
  const add = (address: string | undefined, source: Resolver['source']) => {
    if (address && !resolvers.some((r) => r.address === address)) resolvers.push({ address, source });
  };
  add(vpcCidr ? vpcBasePlusTwo(vpcCidr) : undefined, 'vpc-base-2');
  add(LINK_LOCAL_RESOLVER, 'link-local');
  return resolvers;
}
