// IPv4 addresses and CIDR blocks as unsigned 32-bit numbers. IPv4 only: the agent's
// evaluators read the IPv4 side of routes, rules and ACL entries.

/** A parsed IPv4 CIDR block: first address, prefix length and the text it came from. */
export interface Cidr {
  base: number;
  prefix: number;
  text: string;
}

const OCTET = /^(0|[1-9][0-9]{0,2})$/;

/** Parses a dotted-quad IPv4 address to a uint32; undefined for anything else (no octal, no spaces). */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!OCTET.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

/** True when `text` is a dotted-quad IPv4 address. */
export function isIpv4(text: string): boolean {
  return parseIpv4(text) !== undefined;
}

/** Formats a uint32 as a dotted-quad address. */
export function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

/** The network mask of a prefix length as a uint32 (/0 → 0). */
export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Parses `a.b.c.d/n`; host bits are cleared (AWS stores blocks that way). Undefined when malformed. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const address = parseIpv4(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (address === undefined || !/^(0|[1-9][0-9]?)$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > 32) return undefined;
  return { base: (address & maskOf(prefix)) >>> 0, prefix, text };
}

/** Parses an address as a /32 or a CIDR block as itself. */
export function parseAddressOrCidr(text: string): Cidr | undefined {
  if (text.includes('/')) return parseCidr(text);
  const address = parseIpv4(text);
  return address === undefined ? undefined : { base: address, prefix: 32, text };
}

/** The last address of a block. */
export function lastAddress(cidr: Cidr): number {
  return (cidr.base | ~maskOf(cidr.prefix)) >>> 0;
}

/** True when the block contains the address (a uint32). */
export function cidrContainsAddress(cidr: Cidr, address: number): boolean {
  return (address & maskOf(cidr.prefix)) >>> 0 === cidr.base;
}

/** True when the CIDR text contains the address text; false when either is malformed. */
export function ipInCidr(ip: string, cidr: string): boolean {
  const address = parseIpv4(ip);
  const block = parseCidr(cidr);
  return address !== undefined && block !== undefined && cidrContainsAddress(block, address);
}

/** The prefix length of a CIDR text, undefined when malformed. */
export function prefixLength(cidr: string): number | undefined {
  return parseCidr(cidr)?.prefix;
}

/** True when `outer` contains every address of `inner`. */
export function cidrCovers(outer: Cidr, inner: Cidr): boolean {
  return outer.prefix <= inner.prefix && cidrContainsAddress(outer, inner.base);
}

/** True when the two blocks share at least one address. */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return cidrCovers(a, b) || cidrCovers(b, a);
}

/** RFC 1918 private space: 10/8, 172.16/12, 192.168/16. */
export function isPrivateIpv4(ip: string): boolean {
  return ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'].some((block) => ipInCidr(ip, block));
}

/** Link-local 169.254/16 (AmazonProvidedDNS at .253, IMDS at .254). */
export function isLinkLocalIpv4(ip: string): boolean {
  return ipInCidr(ip, '169.254.0.0/16');
}

/** Loopback 127/8. */
export function isLoopbackIpv4(ip: string): boolean {
  return ipInCidr(ip, '127.0.0.0/8');
}

/**
 * The addresses of `range` at which membership in any of `cidrs` can change, starting with the
 * range's first address. Rules and routes are CIDR-shaped, so evaluating every returned address
 * decides the whole range exactly (membership is constant between consecutive points).
 */
export function boundaryAddresses(range: string, cidrs: Iterable<string>): string[] {
  const block = parseAddressOrCidr(range);
  if (block === undefined) return [];
  const first = block.base;
  const last = lastAddress(block);
  const points = new Set<number>([first]);
  for (const text of cidrs) {
    const other = parseCidr(text);
    if (other === undefined) continue;
    const otherFirst = other.base;
    const afterLast = lastAddress(other) + 1;
    if (otherFirst > first && otherFirst <= last) points.add(otherFirst);
    if (afterLast > first && afterLast <= last) points.add(afterLast);
  }
  return [...points].sort((a, b) => a - b).map(formatIpv4);
}
