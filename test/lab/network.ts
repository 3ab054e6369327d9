// The lab's wiring: namespaces, the address-less bridge, veths, addresses and routes; the sweep
// that removes everything named vdl-*; and the self-check that proves the lab is closed.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { IPV6_NODES, ipv6Problems } from './ipv6.js';
import { inNs, run, runOk, runScript, sleep } from './shell.js';
import type { AwsState } from './state.js';
import {
  BRIDGE,
  CUSTOM_DNS,
  HUB_ANSWERING,
  HUB_INBOUND_DNS,
  HUB_NODES,
  type HubNodeName,
  LINK_LOCAL_DNS,
  MOTO_ADDRESS,
  NODE_NAMES,
  NODES,
  type NodeName,
  PREFIX,
  SPOKE_BRIDGE,
  SPOKE_CIDR,
  SPOKE_DNS,
  STATE_DIR,
  TGW_HUB_ADDRESS,
  TGW_HUB_LEG,
  TGW_SPOKE_ADDRESS,
  VPC_CIDR,
  VPC_PREFIX_LENGTH,
} from './topology.js';

const AGENTS: NodeName[] = ['agent-a', 'agent-b'];

/** Creates the namespaces, the bridge and the veths with each namespace's fixed addresses. */
export async function createNetwork(resolvConf: Record<NodeName, string>): Promise<void> {
  const lines = [
    `ip link add ${BRIDGE} type bridge`,
    `sysctl -qw net.ipv6.conf.${BRIDGE}.disable_ipv6=1`,
    `ip link set ${BRIDGE} up`,
  ];
  for (const name of NODE_NAMES) {
    const node = NODES[name];
    lines.push(
      `ip netns add ${node.ns}`,
      // Before the veth arrives, so it is born without IPv6.
      `ip netns exec ${node.ns} sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 net.ipv4.ip_forward=0`,
      `ip link add ${node.hostVeth} type veth peer name ${node.veth} netns ${node.ns}`,
      `sysctl -qw net.ipv6.conf.${node.hostVeth}.disable_ipv6=1`,
      `ip link set ${node.hostVeth} master ${BRIDGE} up`,
      `ip -n ${node.ns} link set lo up`,
      `ip -n ${node.ns} link set ${node.veth} up`,
      `mkdir -p /etc/netns/${node.ns}`,
      `printf 'nameserver %s\\n' ${resolvConf[name]} > /etc/netns/${node.ns}/resolv.conf`,
    );
    if (node.address)
      lines.push(`ip -n ${node.ns} addr add ${node.address}/${VPC_PREFIX_LENGTH} dev ${node.veth}`);
  }
  const dns = NODES.dns;
  lines.push(
    `ip -n ${dns.ns} addr add ${LINK_LOCAL_DNS}/32 dev ${dns.veth}`,
    `ip -n ${dns.ns} addr add ${CUSTOM_DNS}/${VPC_PREFIX_LENGTH} dev ${dns.veth}`,
  );
  for (const name of AGENTS) {
    const node = NODES[name];
    lines.push(`ip -n ${node.ns} route add ${LINK_LOCAL_DNS}/32 dev ${node.veth} scope link`);
  }
  await runScript(lines);
}

const HUB_NODE_NAMES = Object.keys(HUB_NODES) as HubNodeName[];
const TGW = HUB_NODES.tgw;
/** The lab's two VPC ranges: the only addresses the router may forward between. */
export const LAB_RANGES = [VPC_CIDR, SPOKE_CIDR];

/**
 * The spoke and the transit gateway (hub scenarios): the spoke bridge, vdl-spoke (the agent),
 * vdl-sdns (the spoke's AmazonProvidedDNS) and vdl-tgw, the router with a leg on each bridge. The
 * router drops every forwarded packet until `applyTgwForwarding` gives it the routes moto holds;
 * the hub namespaces that answer the spoke route its /16 via the router, and nothing else.
 */
export async function createHubNetwork(): Promise<void> {
  const lines = [
    `ip link add ${SPOKE_BRIDGE} type bridge`,
    `sysctl -qw net.ipv6.conf.${SPOKE_BRIDGE}.disable_ipv6=1`,
    `ip link set ${SPOKE_BRIDGE} up`,
  ];
  const veth = (
    ns: string,
    inside: string,
    host: string,
    bridge: string,
    address: string,
    prefix: number,
  ) => [
    `ip link add ${host} type veth peer name ${inside} netns ${ns}`,
    `sysctl -qw net.ipv6.conf.${host}.disable_ipv6=1`,
    `ip link set ${host} master ${bridge} up`,
    `ip -n ${ns} link set ${inside} up`,
    `ip -n ${ns} addr add ${address}/${prefix} dev ${inside}`,
  ];
  for (const name of HUB_NODE_NAMES) {
    const node = HUB_NODES[name];
    lines.push(
      `ip netns add ${node.ns}`,
      `ip netns exec ${node.ns} sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 net.ipv4.ip_forward=0`,
      `ip -n ${node.ns} link set lo up`,
      ...veth(node.ns, node.veth, node.hostVeth, node.bridge, node.address, 16),
      `mkdir -p /etc/netns/${node.ns}`,
      `printf 'nameserver %s\\n' ${SPOKE_DNS} > /etc/netns/${node.ns}/resolv.conf`,
    );
  }
  // The router: its hub leg, and a FORWARD policy of DROP before anything can be forwarded.
  lines.push(
    ...veth(TGW.ns, TGW_HUB_LEG.veth, TGW_HUB_LEG.hostVeth, TGW_HUB_LEG.bridge, TGW_HUB_LEG.address, 16),
    `ip netns exec ${TGW.ns} iptables -w -P FORWARD DROP`,
  );
  const spoke = HUB_NODES.spoke;
  const sdns = HUB_NODES['spoke-dns'];
  lines.push(
    `ip -n ${sdns.ns} addr add ${LINK_LOCAL_DNS}/32 dev ${sdns.veth}`,
    `ip -n ${spoke.ns} route add ${LINK_LOCAL_DNS}/32 dev ${spoke.veth} scope link`,
    `ip -n ${spoke.ns} route add ${VPC_CIDR} via ${TGW_SPOKE_ADDRESS} dev ${spoke.veth}`,
    `ip -n ${sdns.ns} route add ${VPC_CIDR} via ${TGW_SPOKE_ADDRESS} dev ${sdns.veth}`,
    ...HUB_INBOUND_DNS.map(
      (a) => `ip -n ${NODES.dns.ns} addr add ${a}/${VPC_PREFIX_LENGTH} dev ${NODES.dns.veth}`,
    ),
    ...HUB_ANSWERING.map(
      // onlink: vdl-endpoints gets its (ENI) addresses only after moto has drawn them.
      (n) =>
        `ip -n ${NODES[n].ns} route add ${SPOKE_CIDR} via ${TGW_HUB_ADDRESS} dev ${NODES[n].veth} onlink`,
    ),
  );
  await runScript(lines);
}

/** The part of `cidr` inside one of the lab's ranges (the range itself when `cidr` is wider), or none. */
export function clampToLab(cidr: string): string[] {
  return LAB_RANGES.flatMap((range) => {
    if (cidrWithin(range, cidr)) return [range];
    if (cidrWithin(cidr, range)) return [cidr];
    return [];
  });
}

function toNumber(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

/** `inner` lies inside `outer` (both a.b.c.d/n). */
export function cidrWithin(inner: string, outer: string): boolean {
  const [ia, il] = inner.split('/');
  const [oa, ol] = outer.split('/');
  const innerLen = Number(il ?? 32);
  const outerLen = Number(ol ?? 32);
  if (innerLen < outerLen) return false;
  const block = 2 ** (32 - outerLen);
  return Math.floor(toNumber(ia!) / block) === Math.floor(toNumber(oa!) / block);
}

/**
 * What vdl-tgw forwards, from moto's transit gateway: spoke → hub for each active route of the
 * table associated with the spoke's attachment that leads to the hub's attachment; hub → spoke
 * likewise from the hub attachment's table. A missing or blackhole route is no rule: the packet
 * drops (a TCP timeout, as in AWS). Two paths do not depend on the tables: the agent's AWS API
 * (moto, in vdl-aws), and the spoke resolver's forwarded queries to the rule targets — in AWS
 * those leave from the rule's outbound endpoint inside the hub and never cross the spoke's
 * attachment. Every rule names a source and a destination inside the lab's ranges.
 */
export function tgwForwardRules(aws: AwsState): string[][] {
  const hub = aws.hub;
  if (!hub) return [];
  const rule = (spec: string[]): string[] => ['iptables', '-w', '-A', 'FORWARD', ...spec, '-j', 'ACCEPT'];
  const toHub = ['-i', TGW.veth, '-o', TGW_HUB_LEG.veth];
  const toSpoke = ['-i', TGW_HUB_LEG.veth, '-o', TGW.veth];
  const rules: string[][] = [];
  const api = ['-p', 'tcp', '-m', 'multiport'];
  rules.push(
    rule([...toHub, '-s', SPOKE_CIDR, '-d', `${MOTO_ADDRESS}/32`, ...api, '--dports', '5000,5001']),
    rule([...toSpoke, '-s', `${MOTO_ADDRESS}/32`, '-d', SPOKE_CIDR, ...api, '--sports', '5000,5001']),
  );
  for (const target of HUB_INBOUND_DNS) {
    for (const proto of ['udp', 'tcp']) {
      rules.push(
        rule([...toHub, '-s', `${SPOKE_DNS}/32`, '-d', `${target}/32`, '-p', proto, '--dport', '53']),
        rule([...toSpoke, '-s', `${target}/32`, '-d', `${SPOKE_DNS}/32`, '-p', proto, '--sport', '53']),
      );
    }
  }
  const routed = (routes: typeof hub.routeTables.spoke.routes, attachment: string): string[] =>
    routes
      .filter((r) => r.state === 'active' && r.attachmentId === attachment)
      .flatMap((r) => clampToLab(r.cidr));
  for (const cidr of routed(hub.routeTables.spoke.routes, hub.attachments.hub)) {
    if (cidrWithin(cidr, VPC_CIDR)) rules.push(rule([...toHub, '-s', SPOKE_CIDR, '-d', cidr]));
  }
  for (const cidr of routed(hub.routeTables.hub.routes, hub.attachments.spoke)) {
    if (cidrWithin(cidr, SPOKE_CIDR)) rules.push(rule([...toSpoke, '-s', VPC_CIDR, '-d', cidr]));
  }
  return rules;
}

/** The router's filter table for iptables-restore: FORWARD DROP and the rules, in one process, not one per rule. */
export function tgwRuleset(aws: AwsState): string {
  const rules = tgwForwardRules(aws).map((argv) => argv.slice(argv.indexOf('-A')).join(' '));
  return [
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD DROP [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ...rules,
    'COMMIT',
    '',
  ].join('\n');
}

/** Gives the router its rules, then lets it forward. */
export async function applyTgwForwarding(aws: AwsState): Promise<void> {
  await runOk(['ip', 'netns', 'exec', TGW.ns, 'iptables-restore'], { input: tgwRuleset(aws) });
  await runOk(['ip', 'netns', 'exec', TGW.ns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
}

/**
 * Gives vdl-endpoints the ENI IPs (on the VPC /16) and the gateway-service addresses (/32), and
 * gives each agent an on-link /32 route to every gateway address and nothing wider.
 */
export async function addEndpointAddresses(eniIps: string[], gatewayAddresses: string[]): Promise<void> {
  const ep = NODES.endpoints;
  const lines: string[] = [];
  for (const ip of eniIps) lines.push(`ip -n ${ep.ns} addr add ${ip}/${VPC_PREFIX_LENGTH} dev ${ep.veth}`);
  for (const ip of gatewayAddresses) {
    lines.push(`ip -n ${ep.ns} addr add ${ip}/32 dev ${ep.veth}`);
    for (const name of AGENTS) {
      const node = NODES[name];
      lines.push(`ip -n ${node.ns} route add ${ip}/32 dev ${node.veth} scope link`);
    }
  }
  if (lines.length > 0) await runScript(lines);
}

interface IpLink {
  ifname: string;
  link_type?: string;
  linkinfo?: { info_kind?: string; info_slave_kind?: string };
}

interface IpAddr {
  ifname: string;
  addr_info: Array<{ family: string; local: string; prefixlen: number }>;
}

interface IpRoute {
  type?: string;
  dst: string;
  dev?: string;
  gateway?: string;
  table?: string;
  scope?: string;
}

async function ipJson<T>(argv: string[]): Promise<T> {
  const out = await runOk(['ip', '-j', ...argv]);
  return (out.trim() ? JSON.parse(out) : []) as T;
}

export async function labNamespaces(): Promise<string[]> {
  const out = await run(['ip', 'netns', 'list']);
  return out.stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.startsWith(PREFIX));
}

export async function labLinks(): Promise<string[]> {
  const links = await ipJson<IpLink[]>(['link', 'show']);
  return links.map((l) => l.ifname).filter((n) => n.startsWith(PREFIX));
}

/** Every process running inside a vdl-* namespace. */
export async function labNamespacePids(): Promise<number[]> {
  const pids: number[] = [];
  for (const ns of await labNamespaces()) {
    const out = await run(['ip', 'netns', 'pids', ns]);
    for (const line of out.stdout.split('\n')) {
      const pid = Number(line.trim());
      if (pid > 0) pids.push(pid);
    }
  }
  return pids;
}

/** Running, not a zombie: the daemons outlive the `lab up` that started them, and their reaper may be slow. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/**
 * Kills the lab's processes and waits until they are gone. SIGKILL straight away: none of them
 * keeps state worth flushing (moto, dnsmasq, the TLS server), and a graceful moto takes ~1.5 s.
 */
export async function killPids(pids: number[]): Promise<void> {
  const targets = [...new Set(pids)].filter((p) => p > 1 && p !== process.pid && alive(p));
  for (const pid of targets) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + 5000;
  while (targets.some(alive) && Date.now() < deadline) await sleep(10);
}

/**
 * Removes everything the lab makes, found by name rather than by record, so it also cleans up
 * after a crash: processes (pid files and whatever runs in a vdl-* namespace), namespaces,
 * host-side veths and the bridge, /etc/netns/vdl-*, the state dir.
 */
export async function sweep(): Promise<void> {
  const pids: number[] = [];
  if (existsSync(STATE_DIR)) {
    for (const file of readdirSync(STATE_DIR).filter((f) => f.endsWith('.pid'))) {
      const pid = Number(readFileSync(join(STATE_DIR, file), 'utf8').trim());
      if (pid > 0) pids.push(pid);
    }
  }
  pids.push(...(await labNamespacePids()));
  await killPids(pids);

  for (const ns of await labNamespaces()) await run(['ip', 'netns', 'del', ns]);
  // Deleting a namespace frees its veth end asynchronously; delete the host side ourselves and
  // wait until the kernel has let go of every vdl- link, or the next `up` meets "File exists".
  const deadline = Date.now() + 5000;
  for (;;) {
    const links = await labLinks();
    if (links.length === 0) break;
    for (const link of links) await run(['ip', 'link', 'del', link]);
    if (Date.now() > deadline) throw new Error(`links still present after down: ${links.join(', ')}`);
    await sleep(20);
  }
  if (existsSync('/etc/netns')) {
    for (const dir of readdirSync('/etc/netns').filter((d) => d.startsWith(PREFIX))) {
      rmSync(join('/etc/netns', dir), { recursive: true, force: true });
    }
  }
  rmSync(STATE_DIR, { recursive: true, force: true });
}

/** What is left of the lab on this machine: empty lists after a clean down. */
export async function leftovers(): Promise<{
  namespaces: string[];
  links: string[];
  pids: number[];
  etcNetns: string[];
  stateDir: boolean;
}> {
  const etcNetns = existsSync('/etc/netns')
    ? readdirSync('/etc/netns').filter((d) => d.startsWith(PREFIX))
    : [];
  return {
    namespaces: await labNamespaces(),
    links: await labLinks(),
    pids: await labNamespacePids(),
    etcNetns,
    stateDir: existsSync(STATE_DIR),
  };
}

/** The router's FORWARD chain: problems unless its policy is DROP and every rule accepts lab → lab only. */
export function forwardChainProblems(rules: string): string[] {
  const problems: string[] = [];
  const lines = rules.trim().split('\n').filter(Boolean);
  if (!lines.includes('-P FORWARD DROP')) problems.push(`${TGW.ns} FORWARD policy is not DROP`);
  for (const line of lines.filter((l) => l.startsWith('-A '))) {
    const src = /(?:^| )-s (\S+)/.exec(line)?.[1];
    const dst = /(?:^| )-d (\S+)/.exec(line)?.[1];
    const inLab = (cidr: string | undefined) =>
      cidr !== undefined && LAB_RANGES.some((r) => cidrWithin(cidr, r));
    if (!line.startsWith('-A FORWARD ')) problems.push(`${TGW.ns} has a rule outside FORWARD: ${line}`);
    else if (!line.endsWith('-j ACCEPT'))
      continue; // a DROP or REJECT only narrows
    else if (!inLab(src) || !inLab(dst)) problems.push(`${TGW.ns} forwards beyond the lab's ranges: ${line}`);
  }
  return problems;
}

/**
 * Proves the lab is closed. Returns the violations (empty when closed):
 * a bridge or a host-side veth has an address; a lab namespace has a default route, forwards
 * (only the router vdl-tgw may, and only lab → lab), or has IPv6 on; a route has a gateway other
 * than the router's address toward the other VPC's /16; an agent route leads anywhere but its
 * VPC /16 on its veth, the other VPC through the router, or a /32 owned by a lab namespace; a
 * bridge has a port that is not a lab veth; the host routes into a bridge.
 */
export async function selfCheck(): Promise<string[]> {
  const problems: string[] = [];
  const namespaces = await labNamespaces();
  const hubNames = HUB_NODE_NAMES.filter((n) => namespaces.includes(HUB_NODES[n].ns));
  const withHub = hubNames.length > 0 || (await labLinks()).includes(SPOKE_BRIDGE);
  if (withHub && hubNames.length !== HUB_NODE_NAMES.length)
    problems.push(
      `the spoke is partly up: ${hubNames.map((n) => HUB_NODES[n].ns).join(', ') || 'only its bridge'}`,
    );

  const bridges: Array<{ bridge: string; ports: string[] }> = [
    {
      bridge: BRIDGE,
      ports: [...NODE_NAMES.map((n) => NODES[n].hostVeth), ...(withHub ? [TGW_HUB_LEG.hostVeth] : [])],
    },
    ...(withHub ? [{ bridge: SPOKE_BRIDGE, ports: HUB_NODE_NAMES.map((n) => HUB_NODES[n].hostVeth) }] : []),
  ];
  const hostVeths = new Set(bridges.flatMap((b) => b.ports));
  for (const { bridge, ports } of bridges) {
    const bridgeAddrs = await ipJson<IpAddr[]>(['addr', 'show', 'dev', bridge]);
    for (const a of bridgeAddrs.flatMap((l) => l.addr_info)) {
      problems.push(`bridge ${bridge} has address ${a.local}/${a.prefixlen}`);
    }
    const seen = await ipJson<IpLink[]>(['-d', 'link', 'show', 'master', bridge]);
    for (const port of seen) {
      if (!ports.includes(port.ifname) || port.linkinfo?.info_kind !== 'veth') {
        problems.push(`bridge ${bridge} has a port that is not a lab veth: ${port.ifname}`);
      }
    }
  }
  for (const veth of hostVeths) {
    const addrs = await ipJson<IpAddr[]>(['addr', 'show', 'dev', veth]);
    for (const a of addrs.flatMap((l) => l.addr_info))
      problems.push(`host veth ${veth} has address ${a.local}`);
  }
  const hostRoutes = [
    ...(await ipJson<IpRoute[]>(['route', 'show', 'table', 'all'])),
    ...(await ipJson<IpRoute[]>(['-6', 'route', 'show', 'table', 'all'])),
  ];
  for (const r of hostRoutes) {
    if (r.dev === BRIDGE || r.dev === SPOKE_BRIDGE || (r.dev && hostVeths.has(r.dev)))
      problems.push(`host routes ${r.dst} into the lab via ${r.dev}`);
  }

  /** Every namespace with the gateway routes it may have (the other VPC's /16 via the router). */
  const checked: Array<{ ns: string; gateways: Record<string, string> }> = [
    ...NODE_NAMES.map((n) => ({
      ns: NODES[n].ns,
      gateways: withHub && HUB_ANSWERING.includes(n) ? { [SPOKE_CIDR]: TGW_HUB_ADDRESS } : {},
    })),
    ...(withHub
      ? HUB_NODE_NAMES.map((n) => ({
          ns: HUB_NODES[n].ns,
          gateways: n === 'tgw' ? {} : { [VPC_CIDR]: TGW_SPOKE_ADDRESS },
        }))
      : []),
  ];
  const owned = new Set<string>();
  const routesByNs = new Map<string, IpRoute[]>();
  await Promise.all(
    checked.map(async ({ ns, gateways }) => {
      const [addrs, routes, routes6, sysctl] = await Promise.all([
        ipJson<IpAddr[]>(['-n', ns, '-4', 'addr', 'show']),
        ipJson<IpRoute[]>(['-n', ns, '-4', 'route', 'show', 'table', 'all']),
        ipJson<IpRoute[]>(['-n', ns, '-6', 'route', 'show', 'table', 'all']),
        runOk(
          inNs(ns, [
            'cat',
            '/proc/sys/net/ipv4/ip_forward',
            '/proc/sys/net/ipv6/conf/all/disable_ipv6',
            '/proc/sys/net/ipv6/conf/all/forwarding',
          ]),
        ),
      ]);
      for (const a of addrs.flatMap((l) => l.addr_info)) {
        if (!a.local.startsWith('127.')) owned.add(a.local);
      }
      routesByNs.set(ns, routes);
      const [forward, noV6, forward6] = sysctl.trim().split('\n');
      if (forward !== '0' && ns !== TGW.ns) problems.push(`${ns} forwards IPv4 (ip_forward=${forward})`);
      // IPv6 is off unless an IPv6 scenario turned it on in one of IPV6_NODES, inside the lab's ranges.
      const node = IPV6_NODES.find((n) => NODES[n].ns === ns);
      const addrs6 = noV6 === '1' ? [] : await ipJson<IpAddr[]>(['-n', ns, '-6', 'addr', 'show']);
      problems.push(
        ...ipv6Problems({
          ns,
          veth: node ? NODES[node].veth : '',
          allowed: node !== undefined,
          disabled: noV6 ?? '',
          forwarding: forward6 ?? '',
          addresses: addrs6.flatMap((l) => l.addr_info),
          routes: routes6,
        }),
      );
      for (const r of routes) {
        if (r.dst === 'default' || r.dst === '0.0.0.0/0')
          problems.push(`${ns} has a default route via ${r.gateway ?? r.dev}`);
        else if (r.gateway && gateways[r.dst] !== r.gateway)
          problems.push(`${ns} routes ${r.dst} via a gateway ${r.gateway}`);
      }
    }),
  );
  if (withHub && namespaces.includes(TGW.ns)) {
    problems.push(...forwardChainProblems(await runOk(inNs(TGW.ns, ['iptables', '-w', '-S']))));
    // The router routes exactly the two VPC ranges, each on its own leg.
    const legs: Record<string, string> = { [VPC_CIDR]: TGW_HUB_LEG.veth, [SPOKE_CIDR]: TGW.veth };
    for (const r of routesByNs.get(TGW.ns) ?? []) {
      if (r.table === 'local') continue;
      if (legs[r.dst] !== r.dev) problems.push(`${TGW.ns} routes ${r.dst} via ${r.dev ?? '?'}`);
    }
  }

  const agents = [
    ...AGENTS.map((n) => ({ ns: NODES[n].ns, veth: NODES[n].veth, own: VPC_CIDR, other: SPOKE_CIDR })),
    ...(withHub
      ? [{ ns: HUB_NODES.spoke.ns, veth: HUB_NODES.spoke.veth, own: SPOKE_CIDR, other: VPC_CIDR }]
      : []),
  ];
  for (const agent of agents) {
    for (const r of routesByNs.get(agent.ns) ?? []) {
      if (r.table === 'local') {
        const local = r.type === 'local' || r.type === 'broadcast';
        if (!local) problems.push(`${agent.ns} has a ${r.type ?? 'unicast'} route ${r.dst} in table local`);
        continue;
      }
      if (r.dev !== agent.veth) {
        problems.push(`${agent.ns} routes ${r.dst} via ${r.dev ?? '?'}, not its veth`);
        continue;
      }
      if (r.dst === agent.own) continue;
      if (r.gateway) continue; // checked above: only the other VPC, only via the router
      const host = r.dst.includes('/') ? (r.dst.endsWith('/32') ? r.dst.slice(0, -3) : undefined) : r.dst;
      if (!host) {
        problems.push(
          `${agent.ns} routes ${r.dst}: only its VPC /16, the other through the router and /32s owned by the lab are allowed`,
        );
      } else if (!owned.has(host)) {
        problems.push(`${agent.ns} routes ${host}/32 but no lab namespace owns ${host}`);
      }
    }
  }
  return problems;
}
