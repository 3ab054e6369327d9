// The lab's wiring: namespaces, the address-less bridge, veths, addresses and routes; the sweep
// that removes everything named vdl-*; and the self-check that proves the lab is closed.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { inNs, run, runOk, runScript, sleep } from './shell.js';
import {
  BRIDGE,
  CUSTOM_DNS,
  LINK_LOCAL_DNS,
  NODE_NAMES,
  NODES,
  type NodeName,
  PREFIX,
  STATE_DIR,
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

/**
 * Proves the lab is closed. Returns the violations (empty when closed):
 * the bridge or a host-side veth has an address; a lab namespace has a default route, forwards,
 * or has IPv6 on; an agent route leads anywhere but the VPC /16 on its veth or a /32 owned by
 * a lab namespace; the bridge has a port that is not a lab veth; the host routes into the bridge.
 */
export async function selfCheck(): Promise<string[]> {
  const problems: string[] = [];
  const bridgeAddrs = await ipJson<IpAddr[]>(['addr', 'show', 'dev', BRIDGE]);
  for (const a of bridgeAddrs.flatMap((l) => l.addr_info)) {
    problems.push(`bridge ${BRIDGE} has address ${a.local}/${a.prefixlen}`);
  }
  const hostVeths = new Set(NODE_NAMES.map((n) => NODES[n].hostVeth));
  const ports = await ipJson<IpLink[]>(['-d', 'link', 'show', 'master', BRIDGE]);
  for (const port of ports) {
    if (!hostVeths.has(port.ifname) || port.linkinfo?.info_kind !== 'veth') {
      problems.push(`bridge ${BRIDGE} has a port that is not a lab veth: ${port.ifname}`);
    }
  }
  for (const veth of hostVeths) {
    const addrs = await ipJson<IpAddr[]>(['addr', 'show', 'dev', veth]);
    for (const a of addrs.flatMap((l) => l.addr_info))
      problems.push(`host veth ${veth} has address ${a.local}`);
  }
  const hostRoutes = await ipJson<IpRoute[]>(['route', 'show', 'table', 'all']);
  for (const r of hostRoutes) {
    if (r.dev === BRIDGE || (r.dev && hostVeths.has(r.dev)))
      problems.push(`host routes ${r.dst} into the lab via ${r.dev}`);
  }

  const owned = new Set<string>();
  const routesByNs = new Map<NodeName, IpRoute[]>();
  await Promise.all(
    NODE_NAMES.map(async (name) => {
      const ns = NODES[name].ns;
      const [addrs, routes, routes6, sysctl] = await Promise.all([
        ipJson<IpAddr[]>(['-n', ns, '-4', 'addr', 'show']),
        ipJson<IpRoute[]>(['-n', ns, '-4', 'route', 'show', 'table', 'all']),
        ipJson<IpRoute[]>(['-n', ns, '-6', 'route', 'show', 'table', 'all']),
        runOk(inNs(ns, ['cat', '/proc/sys/net/ipv4/ip_forward', '/proc/sys/net/ipv6/conf/all/disable_ipv6'])),
      ]);
      for (const a of addrs.flatMap((l) => l.addr_info)) {
        if (!a.local.startsWith('127.')) owned.add(a.local);
      }
      routesByNs.set(name, routes);
      const [forward, noV6] = sysctl.trim().split('\n');
      if (forward !== '0') problems.push(`${ns} forwards IPv4 (ip_forward=${forward})`);
      if (noV6 !== '1') problems.push(`${ns} has IPv6 enabled`);
      for (const r of routes6) problems.push(`${ns} has an IPv6 route ${r.dst}`);
      for (const r of routes) {
        if (r.dst === 'default' || r.dst === '0.0.0.0/0')
          problems.push(`${ns} has a default route via ${r.gateway ?? r.dev}`);
        if (r.gateway) problems.push(`${ns} routes ${r.dst} via a gateway ${r.gateway}`);
      }
    }),
  );
  for (const name of AGENTS) {
    const node = NODES[name];
    for (const r of routesByNs.get(name) ?? []) {
      if (r.table === 'local') {
        const local = r.type === 'local' || r.type === 'broadcast';
        if (!local) problems.push(`${node.ns} has a ${r.type ?? 'unicast'} route ${r.dst} in table local`);
        continue;
      }
      if (r.dev !== node.veth) {
        problems.push(`${node.ns} routes ${r.dst} via ${r.dev ?? '?'}, not its veth`);
        continue;
      }
      if (r.dst === VPC_CIDR) continue;
      const host = r.dst.includes('/') ? (r.dst.endsWith('/32') ? r.dst.slice(0, -3) : undefined) : r.dst;
      if (!host) {
        problems.push(`${node.ns} routes ${r.dst}: only the VPC /16 and /32s owned by the lab are allowed`);
      } else if (!owned.has(host)) {
        problems.push(`${node.ns} routes ${host}/32 but no lab namespace owns ${host}`);
      }
    }
  }
  return problems;
}
