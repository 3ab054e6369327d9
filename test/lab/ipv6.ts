// IPv6 in the lab (issue 16): the addresses, the wiring and the closure rules of the scenarios
// that ask for it (`Scenario.ipv6`). Every other scenario keeps IPv6 off everywhere and pays
// nothing for this. All IPv6 addresses are unique-local (fd00::/8) and live only inside the lab's
// namespaces on the address-less bridge: no namespace has a gateway or a default route, and the
// self-check (`ipv6Problems`) fails the lab on any address or route outside these ranges.
import type { Answers } from './dns-config.js';
import type { AwsState } from './state.js';
import { BRIDGE, NODES, type NodeName } from './topology.js';

/** The VPC's IPv6 block: moto's "Amazon-provided" /56, pinned by the launcher to this ULA. */
export const VPC_IPV6_CIDR = 'fd10::/56';
export const VPC_IPV6_PREFIX_LENGTH = 56;
/** Each lab subnet's /64 (the IPv4 subnet's third octet as the fourth group). */
export const SUBNET_IPV6: Record<string, string> = {
  'agent-a': 'fd10:0:0:1::/64',
  'agent-b': 'fd10:0:0:2::/64',
  'endpoints-a': 'fd10:0:0:11::/64',
  'endpoints-b': 'fd10:0:0:12::/64',
};
/** AmazonProvidedDNS over IPv6 (the engine's VPC_RESOLVER_IPV6): owned by vdl-dns in these scenarios. */
export const VPC_RESOLVER_IPV6 = 'fd00:ec2::253';
/** vdl-dns's own address in the VPC block, so its answers route back to the agents on-link. */
export const VPC_DNS_IPV6 = 'fd10::2';
/**
 * Where a name's AAAA points "elsewhere" (standing for a public AWS IPv6 address): outside the
 * VPC block, owned by vdl-endpoints, which drops everything sent to it (a silent address).
 */
export const IPV6_ELSEWHERE = 'fd99::10';
/** The lab's IPv6 ranges: nothing outside them may be an address or a route of a lab namespace. */
export const LAB_IPV6_RANGES = [VPC_IPV6_CIDR, `${VPC_RESOLVER_IPV6}/128`, `${IPV6_ELSEWHERE}/128`];

/** The namespaces that may have IPv6 on (only in a scenario with `ipv6`); vdl-aws and the hub's never. */
export const IPV6_NODES: NodeName[] = ['agent-a', 'agent-b', 'endpoints', 'dns'];

export type IpAddressType = 'ipv4' | 'dualstack' | 'ipv6';

/** What an IPv6 scenario asks for; the scenario's IPv4 side (`aws`) is made as always. */
export interface Ipv6Spec {
  /** Lab subnets that get their /64 (SUBNET_IPV6). */
  subnets: Array<'agent-a' | 'agent-b' | 'endpoints-a' | 'endpoints-b'>;
  /** The endpoints' security group admits tcp/443 from the VPC's IPv6 block (default true). */
  endpointsIngress?: boolean;
  /** The endpoint subnets get an ACL with IPv4 allow-all entries only (IPv6 meets the default deny). */
  endpointsAclIpv4Only?: boolean;
  /** ::/0 → an egress-only internet gateway in route table A (the agent's). */
  egressOnlyDefaultRoute?: boolean;
  /** Services whose name also answers AAAA IPV6_ELSEWHERE (not an ENI of theirs). */
  aaaaElsewhere?: string[];
}

/** What configure-ipv6 made, as moto reports it. */
export interface Ipv6State {
  vpcCidr: string;
  /** by lab subnet name */
  subnetCidrs: Record<string, string>;
  agentAddress?: string;
  egressOnlyInternetGatewayId?: string;
  endpointsAclId?: string;
  aaaaElsewhere: string[];
}

/** The lab's address for an ENI in `subnet`: the subnet's /64 with the IPv4 address's last octet. */
export function eniIpv6Address(subnet: string, ipv4: string): string | undefined {
  const cidr = SUBNET_IPV6[subnet];
  if (!cidr) return undefined;
  return `${cidr.slice(0, -'::/64'.length)}::${ipv4.split('.')[3]}`;
}

/** Every IPv6 address vdl-endpoints owns: the ENIs' and, when a name answers it, IPV6_ELSEWHERE. */
export function endpointIpv6Addresses(aws: AwsState): string[] {
  const enis = [...Object.values(aws.endpoints), ...Object.values(aws.additionalEndpoints ?? {})].flatMap(
    (e) => e.eniIpv6 ?? [],
  );
  return aws.ipv6?.aaaaElsewhere.length ? [...enis, IPV6_ELSEWHERE] : enis;
}

/**
 * The VPC resolver's AAAA answers, as Route 53 Resolver gives them from the endpoint's
 * DnsRecordIpType: dual-stack adds the ENIs' IPv6 addresses to the A records, ipv6 answers them
 * alone; IPv4 names keep no AAAA. A name in `aaaaElsewhere` also answers IPV6_ELSEWHERE.
 */
export function withIpv6Answers(aws: AwsState, answers: Answers, names: Record<string, string[]>): Answers {
  if (!aws.ipv6) return answers;
  const out: Answers = new Map(answers);
  for (const [short, endpoint] of Object.entries(aws.endpoints)) {
    const v6 = endpoint.eniIpv6 ?? [];
    const type = endpoint.dnsRecordIpType ?? 'ipv4';
    for (const name of names[short] ?? []) {
      const a = out.get(name) ?? [];
      const ownsName = a.length > 0 && a.every((ip) => endpoint.eniIps.includes(ip));
      let next = a;
      if (ownsName && v6.length > 0 && type === 'dualstack') next = [...a, ...v6];
      if (ownsName && v6.length > 0 && type === 'ipv6') next = v6;
      if (aws.ipv6.aaaaElsewhere.includes(short)) next = [...next, IPV6_ELSEWHERE];
      out.set(name, next);
    }
  }
  return out;
}

/** The shell lines that turn IPv6 on in one namespace without router advertisements, SLAAC or DAD. */
function enableIpv6(ns: string, veth: string): string[] {
  const conf = (key: string, value: number) =>
    ['all', 'default', 'lo', veth].map((dev) => `net.ipv6.conf.${dev}.${key}=${value}`).join(' ');
  return [
    `ip netns exec ${ns} sysctl -qw ${conf('accept_ra', 0)} ${conf('autoconf', 0)} ${conf('accept_dad', 0)} ${conf('router_solicitations', 0)} ${conf('forwarding', 0)}`,
    `ip netns exec ${ns} sysctl -qw ${conf('disable_ipv6', 0)}`,
  ];
}

/**
 * The IPv6 wiring of an IPv6 scenario: the agents with an address in their subnet's /64 (only
 * where the subnet has one), on-link to the VPC's /56 and to the resolver's /128; vdl-dns with
 * fd00:ec2::253 and fd10::2; vdl-endpoints with the ENIs' IPv6 addresses (and IPV6_ELSEWHERE,
 * which the agents reach on-link). No gateway, no default route, nothing forwards.
 */
export function ipv6NetworkScript(aws: AwsState): string[] {
  const six = aws.ipv6;
  if (!six) return [];
  const lines = [`ip link set ${BRIDGE} type bridge mcast_snooping 0`];
  const agents = (['agent-a', 'agent-b'] as const).filter((n) => six.subnetCidrs[n]);
  const addr = (node: NodeName, address: string, prefix: number) =>
    `ip -n ${NODES[node].ns} -6 addr add ${address}/${prefix} dev ${NODES[node].veth} nodad`;
  for (const node of [...agents, 'dns' as const, 'endpoints' as const]) {
    lines.push(...enableIpv6(NODES[node].ns, NODES[node].veth));
  }
  for (const node of agents) {
    const address = `${six.subnetCidrs[node]!.slice(0, -'::/64'.length)}::10`;
    lines.push(
      addr(node, address, VPC_IPV6_PREFIX_LENGTH),
      `ip -n ${NODES[node].ns} -6 route add ${VPC_RESOLVER_IPV6}/128 dev ${NODES[node].veth}`,
    );
    if (six.aaaaElsewhere.length > 0)
      lines.push(`ip -n ${NODES[node].ns} -6 route add ${IPV6_ELSEWHERE}/128 dev ${NODES[node].veth}`);
  }
  lines.push(addr('dns', VPC_DNS_IPV6, VPC_IPV6_PREFIX_LENGTH), addr('dns', VPC_RESOLVER_IPV6, 128));
  for (const address of endpointIpv6Addresses(aws)) {
    lines.push(addr('endpoints', address, address === IPV6_ELSEWHERE ? 128 : VPC_IPV6_PREFIX_LENGTH));
  }
  if (six.aaaaElsewhere.length > 0)
    lines.push(`ip netns exec ${NODES.endpoints.ns} ip6tables -w -A INPUT -d ${IPV6_ELSEWHERE} -j DROP`);
  return lines;
}

function parse6(text: string): bigint | undefined {
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const missing = 8 - left.length - right.length;
  if (tail === undefined ? left.length !== 8 : missing < 1) return undefined;
  const groups = [...left, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...right];
  let value = 0n;
  for (const g of groups) {
    if (!/^[0-9a-f]{1,4}$/i.test(g)) return undefined;
    value = (value << 16n) | BigInt(Number.parseInt(g, 16));
  }
  return value;
}

/** `inner` (an address or CIDR) lies inside `outer`, both IPv6. */
export function within6(inner: string, outer: string): boolean {
  const [ia, il] = inner.split('/');
  const [oa, ol] = outer.split('/');
  const innerLen = Number(il ?? 128);
  const outerLen = Number(ol ?? 128);
  const i = parse6(ia ?? '');
  const o = parse6(oa ?? '');
  if (i === undefined || o === undefined || innerLen < outerLen) return false;
  const shift = BigInt(128 - outerLen);
  return i >> shift === o >> shift;
}

export interface Ns6Facts {
  ns: string;
  veth: string;
  /** IPv6 may be on here (an IPV6_NODES namespace of an IPv6 scenario). */
  allowed: boolean;
  /** /proc/sys/net/ipv6/conf/all/disable_ipv6 and …/forwarding */
  disabled: string;
  forwarding: string;
  addresses: Array<{ local: string; prefixlen: number }>;
  routes: Array<{ dst: string; dev?: string; gateway?: string; table?: string; type?: string }>;
}

const LINK_LOCAL = 'fe80::/10';

/**
 * The IPv6 violations of one namespace: IPv6 on where it may not be, forwarding, an address
 * outside the lab's ranges (link-local and loopback aside), a default route, a gateway, a route
 * outside the lab's ranges or through anything but the namespace's own veth.
 */
export function ipv6Problems(f: Ns6Facts): string[] {
  if (f.disabled === '1') {
    return f.routes.map((r) => `${f.ns} has an IPv6 route ${r.dst}`);
  }
  if (!f.allowed) return [`${f.ns} has IPv6 enabled`];
  const problems: string[] = [];
  if (f.forwarding !== '0') problems.push(`${f.ns} forwards IPv6 (forwarding=${f.forwarding})`);
  const inLab = (cidr: string) => LAB_IPV6_RANGES.some((range) => within6(cidr, range));
  for (const a of f.addresses) {
    if (a.local === '::1' || within6(a.local, LINK_LOCAL)) continue;
    if (!inLab(`${a.local}/${a.prefixlen}`))
      problems.push(`${f.ns} has IPv6 address ${a.local}/${a.prefixlen} outside the lab`);
  }
  for (const r of f.routes) {
    const dst = r.dst === 'default' ? '::/0' : r.dst.includes('/') ? r.dst : `${r.dst}/128`;
    if (dst === '::/0') {
      problems.push(`${f.ns} has an IPv6 default route via ${r.gateway ?? r.dev ?? '?'}`);
      continue;
    }
    if (r.gateway) {
      problems.push(`${f.ns} routes ${r.dst} via a gateway ${r.gateway}`);
      continue;
    }
    if (r.table === 'local') {
      if (!['local', 'multicast', 'anycast'].includes(r.type ?? 'unicast'))
        problems.push(`${f.ns} has a ${r.type ?? 'unicast'} IPv6 route ${r.dst} in table local`);
      continue;
    }
    if (r.dev !== f.veth && r.dev !== 'lo') {
      problems.push(`${f.ns} routes ${r.dst} via ${r.dev ?? '?'}, not its veth`);
      continue;
    }
    if (dst === '::1/128' || within6(dst, LINK_LOCAL) || within6(dst, 'ff00::/8')) continue;
    if (!inLab(dst)) problems.push(`${f.ns} routes ${r.dst} outside the lab's IPv6 ranges`);
  }
  return problems;
}
