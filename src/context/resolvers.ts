import type { Resolver } from '../model.js';

/** AmazonProvidedDNS also answers here, from any VPC. */
export const LINK_LOCAL_RESOLVER = '169.254.169.253';

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

/** AmazonProvidedDNS at the VPC's primary CIDR base + 2 (10.0.0.0/16 → 10.0.0.2). */
export function vpcBasePlusTwo(cidr: string): string | undefined {
  const [base, bits] = cidr.split('/');
  if (!base || !IPV4.test(base) || bits === undefined) return undefined;
  const prefix = Number(bits);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 30) return undefined;
  const octets = base.split('.').map(Number);
  const value = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const address = ((value & mask) + 2) >>> 0;
  return [address >>> 24, (address >>> 16) & 255, (address >>> 8) & 255, address & 255].join('.');
}

/** The `nameserver` lines of a resolv.conf, IPv4 only (the probes and the lab are IPv4). */
export function parseNameservers(resolvConf: string): string[] {
  const out: string[] = [];
  for (const raw of resolvConf.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [keyword, address] = line.split(/\s+/);
    if (keyword === 'nameserver' && address && IPV4.test(address) && !out.includes(address))
      out.push(address);
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
