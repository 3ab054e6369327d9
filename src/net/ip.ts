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

// IPv6 addresses and CIDR blocks as unsigned 128-bit bigints. Kept beside the IPv4 helpers, not
// merged into them: the IPv4 evaluators' numbers and behaviour stay exactly as they were.

/** A parsed IPv6 CIDR block: first address (host bits cleared), prefix length and the text it came from. */
export interface Cidr6 {
  base: bigint;
  prefix: number;
  text: string;
}

const HEXTET = /^[0-9a-fA-F]{1,4}$/;
const ALL_ONES_128 = (1n << 128n) - 1n;

/**
 * Parses an IPv6 address (RFC 4291 §2.2: `::` zero compression once, an embedded dotted quad
 * as the last 32 bits, hex in either case) to a 128-bit bigint; undefined for anything else,
 * zone ids (`%eth0`) and brackets included: AWS never stores those.
 */
export function parseIpv6(text: string): bigint | undefined {
  if (text.length < 2 || text.length > 45 || !text.includes(':')) return undefined;
  let head = text;
  let tail4: number | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    tail4 = parseIpv4(text.slice(lastColon + 1));
    if (tail4 === undefined) return undefined;
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string): string[] | undefined => {
    if (part === '') return [];
    const items = part.split(':');
    return items.every((item) => HEXTET.test(item)) ? items : undefined;
  };
  const left = groups(halves[0]!);
  const right = halves.length === 2 ? groups(halves[1]!) : [];
  if (left === undefined || right === undefined) return undefined;
  const present = left.length + right.length;
  if (halves.length === 1 ? present !== 8 : present > 7) return undefined;
  const all = [...left, ...Array<string>(8 - present).fill('0'), ...right];
  let value = 0n;
  for (const group of all) value = (value << 16n) | BigInt(Number.parseInt(group, 16));
  if (tail4 !== undefined) value = (value & ~0xffffffffn) | BigInt(tail4);
  return value;
}

/** True when `text` is an IPv6 address in any of its textual forms. */
export function isIpv6(text: string): boolean {
  return parseIpv6(text) !== undefined;
}

/**
 * The canonical text of an IPv6 address (RFC 5952): lower case, no leading zeros, the longest
 * run of two or more zero groups (the first of equal runs) compressed to `::`.
 */
export function formatIpv6(value: bigint): string {
  const groups: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(Number((value >> shift) & 0xffffn));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** The canonical form of an IPv6 address text (RFC 5952), or undefined when it is not one. */
export function canonicalIpv6(text: string): string | undefined {
  const value = parseIpv6(text);
  return value === undefined ? undefined : formatIpv6(value);
}

/** The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:10.0.1.5`), else undefined. */
export function mappedIpv4(text: string): string | undefined {
  const value = parseIpv6(text);
  if (value === undefined || value >> 32n !== 0xffffn) return undefined;
  return formatIpv4(Number(value & 0xffffffffn));
}

/** The network mask of an IPv6 prefix length (/0 → 0). */
export function maskOf6(prefix: number): bigint {
  return prefix === 0 ? 0n : (ALL_ONES_128 << BigInt(128 - prefix)) & ALL_ONES_128;
}

/** Parses `2600:1f18::/56`; host bits are cleared (AWS stores blocks that way). Undefined when malformed. */
export function parseCidr6(text: string): Cidr6 | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const address = parseIpv6(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (address === undefined || !/^(0|[1-9][0-9]{0,2})$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > 128) return undefined;
  return { base: address & maskOf6(prefix), prefix, text };
}

/** The last address of an IPv6 block. */
export function lastAddress6(cidr: Cidr6): bigint {
  return cidr.base | (~maskOf6(cidr.prefix) & ALL_ONES_128);
}

/** True when the IPv6 block contains the address. */
export function cidr6ContainsAddress(cidr: Cidr6, address: bigint): boolean {
  return (address & maskOf6(cidr.prefix)) === cidr.base;
}

/** True when `outer` contains every address of `inner`. */
export function cidr6Covers(outer: Cidr6, inner: Cidr6): boolean {
  return outer.prefix <= inner.prefix && cidr6ContainsAddress(outer, inner.base);
}

/**
 * True when the IP text lies in the CIDR text, in either family; false when either is malformed
 * or they are of different families. An IPv4-mapped address is not matched against IPv4 blocks:
 * AWS keeps IPv4 and IPv6 rules, routes and ACL entries apart, and so does the kernel on the wire.
 */
export function ipInCidrAnyFamily(ip: string, cidr: string): boolean {
  if (!cidr.includes(':')) return ipInCidr(ip, cidr);
  const address = parseIpv6(ip);
  const block = parseCidr6(cidr);
  return address !== undefined && block !== undefined && cidr6ContainsAddress(block, address);
}

/** The address family of an IP or CIDR text: 4, 6, or undefined when it is neither. */
export function familyOf(text: string): 4 | 6 | undefined {
  const address = text.includes('/') ? text.slice(0, text.indexOf('/')) : text;
  if (parseIpv4(address) !== undefined) return 4;
  if (parseIpv6(address) !== undefined) return 6;
  return undefined;
}

/**
 * Addresses the agent never connects to whatever a resolver answers: unspecified, loopback,
 * IPv4-mapped (an IPv4 address in disguise), link-local, multicast, and AWS's own link-local
 * services at fd00:ec2::/64 (IMDS fd00:ec2::254, the resolver fd00:ec2::253, NTP fd00:ec2::123).
 */
export function isReservedIpv6(ip: string): boolean {
  const value = parseIpv6(ip);
  if (value === undefined) return true;
  return ['::/127', '::ffff:0:0/96', 'fe80::/10', 'ff00::/8', 'fd00:ec2::/64'].some((block) =>
    ipInCidrAnyFamily(ip, block),
  );
}

/** `address:port`, with an IPv6 address in brackets (RFC 3986), so the port cannot read as its last group. */
export function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** The prefix length of an IPv6 CIDR text, undefined when malformed. */
export function prefixLength6(cidr: string): number | undefined {
  return parseCidr6(cidr)?.prefix;
}
