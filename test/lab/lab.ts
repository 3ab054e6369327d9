// Brings a scenario up (network, moto, resolvers, TLS listeners, faults, self-check) and down.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeCa, makeLeaf } from './certs.js';
import {
  customResolverAnswers,
  renderDnsmasqConfig,
  spokeResolver,
  vpcResolverAnswers,
} from './dns-config.js';
import { ipv6NetworkScript, VPC_DNS_IPV6, VPC_RESOLVER_IPV6, withIpv6Answers } from './ipv6.js';
import {
  addEndpointAddresses,
  applyTgwForwarding,
  createHubNetwork,
  createNetwork,
  labNamespaces,
  selfCheck,
  sweep,
} from './network.js';
import {
  type AddressRef,
  ENDPOINT_SERVICE_ID,
  ENDPOINT_SERVICE_KEY,
  ENDPOINT_SERVICE_NAME,
  type FirewallRule,
  fillPlaceholders,
  findScenario,
  SCENARIOS,
  type Scenario,
  type TlsSpec,
} from './scenarios.js';
import { inNs, run, runOk, runScript, sleep } from './shell.js';
import { type AwsState, type LabState, readState, STATE_FILE } from './state.js';
import { configDigest, type TlsListener, type TlsServerConfig } from './tls-server.js';
import {
  CUSTOM_DNS,
  FAULT_PROXY_PORT,
  faultProxyUrl,
  HUB_INBOUND_DNS,
  HUB_NODES,
  LINK_LOCAL_DNS,
  labServices,
  MOTO_ADDRESS,
  MOTO_PORT,
  MOTO_URL,
  NODE_NAMES,
  NODES,
  type NodeName,
  REGION,
  SCALE_CERT,
  SERVICES,
  SPOKE_DNS,
  STATE_DIR,
  VPC_DNS,
} from './topology.js';

/** Bad input or a machine that cannot run the lab: one line for the user, exit code 2. */
export class LabUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabUsageError';
  }
}

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const labFile = (name: string): string => fileURLToPath(new URL(`./${name}`, import.meta.url));
const MOTO_LAUNCHER = fileURLToPath(new URL('../support/moto_launcher.py', import.meta.url));
const FAULT_PROXY = fileURLToPath(new URL('../support/fault-proxy-daemon.ts', import.meta.url));
/** Every call the fault proxy saw, one JSON line each ({run, action, denied}). */
export const FAULT_PROXY_LOG = join(STATE_DIR, 'ec2-proxy-calls.jsonl');
const TLS_CONFIG = join(STATE_DIR, 'tls.json');
const AGENT_CONFIG = join(STATE_DIR, 'agent-config.json');

const debug = process.env['VDL_LAB_DEBUG']
  ? (msg: string) => process.stderr.write(`lab: ${msg}\n`)
  : () => {};

export interface MachineFacts {
  uid: number;
  /** `ip netns list` worked */
  ipNetns: boolean;
  ipNetnsError?: string;
}

/** The guard `lab up` applies before touching anything: a message when the machine cannot run the lab. */
export function preflightProblem(facts: MachineFacts): string | undefined {
  if (facts.uid !== 0)
    return `the lab needs root (network namespaces, iptables); running as uid ${facts.uid}`;
  if (!facts.ipNetns)
    return `this machine has no usable \`ip netns\` (${facts.ipNetnsError ?? 'unknown error'})`;
  return undefined;
}

async function machineFacts(): Promise<MachineFacts> {
  const uid = process.getuid?.() ?? 0;
  try {
    const result = await run(['ip', 'netns', 'list'], { timeoutMs: 5000 });
    if (result.code === 0) return { uid, ipNetns: true };
    return {
      uid,
      ipNetns: false,
      ipNetnsError: result.stderr.trim().split('\n')[0] || `exit ${result.code}`,
    };
  } catch (err) {
    return { uid, ipNetns: false, ipNetnsError: err instanceof Error ? err.message : String(err) };
  }
}

async function preflight(): Promise<void> {
  const problem = preflightProblem(await machineFacts());
  if (problem) throw new LabUsageError(problem);
}

interface Daemon {
  name: string;
  child: ChildProcess;
  log: string;
}

/** Starts a long-lived process inside a namespace, detached, logging to STATE_DIR/NAME.log. */
function startDaemon(name: string, ns: string, argv: string[]): Daemon {
  const log = join(STATE_DIR, `${name}.log`);
  const fd = openSync(log, 'a');
  const child = spawn('ip', ['netns', 'exec', ns, ...argv], {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ['ignore', fd, fd],
    env: { ...process.env, PYTHONUNBUFFERED: '1', NODE_NO_WARNINGS: '1' },
  });
  closeSync(fd);
  child.unref();
  if (child.pid) writeFileSync(join(STATE_DIR, `${name}.pid`), `${child.pid}\n`);
  return { name, child, log };
}

function assertRunning(daemons: Daemon[]): void {
  for (const d of daemons) {
    if (d.child.exitCode !== null || d.child.signalCode !== null) {
      const tail = existsSync(d.log)
        ? readFileSync(d.log, 'utf8').trim().split('\n').slice(-5).join(' | ')
        : '';
      throw new Error(`${d.name} exited (${d.child.exitCode ?? d.child.signalCode}): ${tail}`);
    }
  }
}

interface Socket {
  proto: 'tcp' | 'udp';
  address: string;
  port: number;
}

async function listening(ns: string): Promise<Set<string>> {
  const out = await runOk(inNs(ns, ['ss', '-Hlntu']));
  const found = new Set<string>();
  for (const line of out.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length >= 5) found.add(`${cols[0]} ${cols[4]}`);
  }
  return found;
}

/** Waits until every socket listens in `ns`, failing early when one of the daemons died. */
export async function waitForSockets(
  ns: string,
  sockets: Socket[],
  daemons: Daemon[],
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    assertRunning(daemons);
    const found = await listening(ns);
    // ss writes an IPv6 address in brackets.
    const at = (s: Socket) => (s.address.includes(':') ? `[${s.address}]` : s.address);
    const missing = sockets.filter((s) => !found.has(`${s.proto} ${at(s)}:${s.port}`));
    if (missing.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(
        `not listening in ${ns}: ${missing.map((s) => `${s.proto} ${s.address}:${s.port}`).join(', ')}`,
      );
    }
    await sleep(30);
  }
}

function resolveAddresses(ref: AddressRef | undefined, aws: AwsState): Array<string | undefined> {
  if (ref === undefined) return [undefined];
  if (typeof ref === 'string') return [ref];
  if ('gatewayOf' in ref) {
    const address = aws.gatewayAddresses[ref.gatewayOf];
    if (!address) throw new Error(`no gateway address for ${ref.gatewayOf}`);
    return [address];
  }
  const endpoint =
    ref.enisOf === ENDPOINT_SERVICE_KEY
      ? aws.endpointService?.endpoint
      : (aws.endpoints[ref.enisOf] ?? aws.additionalEndpoints?.[ref.enisOf]);
  if (!endpoint) throw new Error(`fault names the ENIs of ${ref.enisOf}, which has no endpoint`);
  return endpoint.eniIps;
}

/** One iptables argv per (source, destination) pair of the rule. */
export function iptablesCommands(rule: FirewallRule, aws: AwsState): string[][] {
  const commands: string[][] = [];
  for (const src of resolveAddresses(rule.src, aws)) {
    for (const dst of resolveAddresses(rule.dst, aws)) {
      const argv = [rule.family === 6 ? 'ip6tables' : 'iptables', '-w', '-A', rule.chain];
      if (rule.proto) argv.push('-p', rule.proto);
      if (src) argv.push('-s', src);
      if (dst) argv.push('-d', dst);
      if (rule.sport !== undefined) argv.push('--sport', String(rule.sport));
      if (rule.dport !== undefined) argv.push('--dport', String(rule.dport));
      argv.push('-j', rule.action);
      if (rule.action === 'REJECT' && rule.proto === 'tcp') argv.push('--reject-with', 'tcp-reset');
      commands.push(argv);
    }
  }
  return commands;
}

/** The faults a scenario implies beyond its explicit rules (resolvers that time out). */
function impliedFaults(scenario: Scenario, aws: AwsState): FirewallRule[] {
  const drops: FirewallRule[] = [];
  const dropDns = (dst: string): void => {
    drops.push({ node: 'dns', chain: 'INPUT', proto: 'udp', dport: 53, dst, action: 'DROP' });
    drops.push({ node: 'dns', chain: 'INPUT', proto: 'tcp', dport: 53, dst, action: 'DROP' });
  };
  if (scenario.dns?.custom === 'timeout') dropDns(CUSTOM_DNS);
  // With enableDnsSupport off, AmazonProvidedDNS does not answer at all.
  if (!aws.dnsSupport) for (const a of [VPC_DNS, LINK_LOCAL_DNS]) dropDns(a);
  // Through an internet gateway, a packet from an address with no public IP leaves and nothing
  // comes back: the internet addresses swallow it.
  for (const address of internetAddresses(scenario)) {
    drops.push({ node: 'endpoints', chain: 'INPUT', dst: address, action: 'DROP' });
  }
  return drops;
}

/**
 * With an internet gateway as the agent subnet's default route, the public addresses of the
 * interface services become reachable destinations (owned by vdl-endpoints, which drops
 * everything sent to them); elsewhere they are routed nowhere and a connect fails locally.
 */
function internetAddresses(scenario: Scenario): string[] {
  if (!scenario.aws?.igwDefaultRoute?.length) return [];
  return SERVICES.flatMap((s) => s.publicAddresses);
}

async function applyFaults(rules: FirewallRule[], aws: AwsState): Promise<void> {
  const lines: string[] = [];
  for (const rule of rules) {
    for (const argv of iptablesCommands(rule, aws))
      lines.push(['ip', 'netns', 'exec', NODES[rule.node].ns, ...argv].join(' '));
  }
  if (lines.length > 0) await runScript(lines);
}

function tlsListeners(aws: AwsState, tls: TlsSpec, certDir: string): TlsListener[] {
  const listeners: TlsListener[] = [];
  for (const service of labServices(aws.extraServices)) {
    if (tls.stopped?.includes(service.shortName)) continue;
    const file = tls.wrongName?.includes(service.shortName)
      ? 'wrong-name'
      : (service.certFile ?? `svc-${service.shortName}`);
    const cert = join(certDir, `${file}.pem`);
    const key = join(certDir, `${file}.key`);
    const addresses =
      service.kind === 'gateway'
        ? [aws.gatewayAddresses[service.shortName]!]
        : [
            ...(aws.endpoints[service.shortName]?.eniIps ?? []),
            ...(aws.endpoints[service.shortName]?.eniIpv6 ?? []),
          ];
    // Every interface endpoint to the service answers for it (a second one, S3's interface one).
    for (const endpoint of Object.values(aws.additionalEndpoints ?? {})) {
      if (endpoint.serviceName === service.serviceName) addresses.push(...endpoint.eniIps);
    }
    const answer = tls.notAws?.includes(service.shortName)
      ? 'not-aws'
      : tls.silent?.includes(service.shortName)
        ? 'silent'
        : undefined;
    for (const address of addresses)
      listeners.push({ address, port: 443, cert, key, ...(answer ? { answer } : {}) });
  }
  return listeners;
}

function execEnv(caPath: string, agentConfig: boolean, scenario: Scenario): Record<string, string> {
  return {
    // A scenario that denies actions sends the agent through the fault proxy.
    AWS_ENDPOINT_URL: scenario.deny?.length ? faultProxyUrl(scenario.deny) : MOTO_URL,
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
    // Everything the agent talks to is in the lab; never hand it to a proxy.
    NO_PROXY: '*',
    no_proxy: '*',
    NODE_EXTRA_CA_CERTS: caPath,
    ...(agentConfig ? { VPCE_DOCTOR_CONFIG: AGENT_CONFIG } : {}),
    ...scenario.env,
  };
}

async function configureMoto(scenario: string): Promise<AwsState> {
  const out = await runOk(
    inNs(NODES.aws.ns, [process.execPath, '--import', 'tsx', labFile('configure-moto.ts'), scenario]),
    { timeoutMs: 60_000, env: { NODE_NO_WARNINGS: '1' } },
  );
  return JSON.parse(out) as AwsState;
}

async function time<T>(label: string, work: Promise<T>): Promise<T> {
  const started = Date.now();
  const value = await work;
  debug(`${label} ${Date.now() - started} ms`);
  return value;
}

/** Brings the scenario up; on any failure removes whatever it made and rethrows. */
export async function labUp(scenarioName = 'healthy'): Promise<LabState> {
  const scenario = findScenario(scenarioName);
  if (!scenario) {
    throw new LabUsageError(
      `unknown scenario "${scenarioName}"; one of: ${SCENARIOS.map((s) => s.name).join(', ')}`,
    );
  }
  await preflight();
  const running = readState();
  if (running || (await labNamespaces()).length > 0) {
    throw new LabUsageError(
      `a lab is already up${running ? ` (scenario ${running.scenario})` : ''}; run \`lab down\` first`,
    );
  }
  try {
    mkdirSync(STATE_DIR, { mode: 0o755 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new LabUsageError(
        `a lab is already up or being brought up (${STATE_DIR} exists); run \`lab down\` first`,
      );
    }
    throw err;
  }
  try {
    return await bringUp(scenario);
  } catch (err) {
    await sweep().catch(() => {});
    throw err;
  }
}

async function bringUp(scenario: Scenario): Promise<LabState> {
  const started = Date.now();
  const aws = scenario.aws ?? {};
  const agentResolver = aws.dhcpDnsServers?.[0] ?? VPC_DNS;
  const resolvConf = Object.fromEntries(
    NODE_NAMES.map((n) => [n, n === 'agent-a' || n === 'agent-b' ? agentResolver : VPC_DNS]),
  ) as Record<NodeName, string>;
  const certDir = join(STATE_DIR, 'certs');
  mkdirSync(certDir);

  const certsReady = time(
    'certs',
    makeCa(certDir).then((ca) =>
      Promise.all([
        ...SERVICES.map((s) => makeLeaf(certDir, `svc-${s.shortName}`, s.certNames, ca)),
        makeLeaf(certDir, 'wrong-name', ['wrong.example.internal'], ca),
      ]).then(() => ca),
    ),
  );
  await time('network', createNetwork(resolvConf));

  const moto = startDaemon('moto', NODES.aws.ns, [
    'python3',
    MOTO_LAUNCHER,
    '-H',
    MOTO_ADDRESS,
    '-p',
    String(MOTO_PORT),
  ]);
  const proxy = startDaemon('ec2-proxy', NODES.aws.ns, [
    process.execPath,
    '--import',
    'tsx',
    FAULT_PROXY,
    MOTO_ADDRESS,
    String(FAULT_PROXY_PORT),
    MOTO_URL,
    FAULT_PROXY_LOG,
  ]);
  const daemons: Daemon[] = [moto, proxy];
  const [awsState] = await Promise.all([
    time(
      'moto',
      configureMoto(scenario.name).catch((err: unknown) => {
        assertRunning([moto]);
        throw err;
      }),
    ),
    scenario.hub ? time('spoke network', createHubNetwork()) : undefined,
  ]);
  const ca = await certsReady;
  const generated = new Map<string, string[]>();
  for (const s of labServices(awsState.extraServices)) {
    if (s.certFile?.startsWith(`${SCALE_CERT}-`))
      generated.set(s.certFile, [...(generated.get(s.certFile) ?? []), ...s.certNames]);
  }
  if (generated.size > 0) {
    await time(
      'scale certificates',
      Promise.all([...generated].map(([file, names]) => makeLeaf(certDir, file, names, ca))),
    );
  }

  const eniIps = [
    ...Object.values(awsState.endpoints),
    ...Object.values(awsState.additionalEndpoints ?? {}),
  ].flatMap((e) => e.eniIps);
  if (awsState.endpointService) eniIps.push(...awsState.endpointService.endpoint.eniIps);
  await time(
    'addresses',
    addEndpointAddresses(eniIps, [
      ...Object.values(awsState.gatewayAddresses),
      ...internetAddresses(scenario),
    ]),
  );
  if (awsState.ipv6) await time('ipv6', runScript(ipv6NetworkScript(awsState)));
  if (scenario.localPortRange) {
    const [low, high] = scenario.localPortRange;
    await runScript(
      (['agent-a', 'agent-b'] as const).map(
        (n) => `ip netns exec ${NODES[n].ns} sysctl -qw net.ipv4.ip_local_port_range="${low} ${high}"`,
      ),
    );
  }

  // Resolvers and listeners.
  const overrides = scenario.dns?.overrides ?? {};
  const vpcConf = join(STATE_DIR, 'dns-vpc.conf');
  // In a hub, the same resolver answers the inbound Resolver endpoint's addresses (the hub's view).
  const vpcListen = [
    VPC_DNS,
    LINK_LOCAL_DNS,
    ...(awsState.hub ? HUB_INBOUND_DNS : []),
    ...(awsState.ipv6 ? [VPC_RESOLVER_IPV6, VPC_DNS_IPV6] : []),
  ];
  const names = Object.fromEntries(labServices(awsState.extraServices).map((s) => [s.shortName, s.dnsNames]));
  writeFileSync(
    vpcConf,
    renderDnsmasqConfig(
      vpcListen,
      withIpv6Answers(awsState, vpcResolverAnswers(awsState, overrides), names),
      join(STATE_DIR, 'dns-vpc.log'),
    ),
  );
  daemons.push(
    startDaemon('dns-vpc', NODES.dns.ns, [
      'dnsmasq',
      '--keep-in-foreground',
      '--pid-file=',
      `--conf-file=${vpcConf}`,
    ]),
  );
  if (scenario.dns?.custom === 'servfail') {
    daemons.push(
      startDaemon('dns-custom', NODES.dns.ns, [
        process.execPath,
        '--import',
        'tsx',
        labFile('dns-responder.ts'),
        CUSTOM_DNS,
      ]),
    );
  } else {
    const customConf = join(STATE_DIR, 'dns-custom.conf');
    writeFileSync(
      customConf,
      renderDnsmasqConfig(
        [CUSTOM_DNS],
        customResolverAnswers(awsState, overrides),
        join(STATE_DIR, 'dns-custom.log'),
        scenario.dns?.custom === 'forward' ? VPC_DNS : undefined,
      ),
    );
    daemons.push(
      startDaemon('dns-custom', NODES.dns.ns, [
        'dnsmasq',
        '--keep-in-foreground',
        '--pid-file=',
        `--conf-file=${customConf}`,
      ]),
    );
  }
  const spokeListen = [SPOKE_DNS, LINK_LOCAL_DNS];
  if (awsState.hub) {
    const spoke = spokeResolver(awsState);
    const spokeConf = join(STATE_DIR, 'dns-spoke.conf');
    writeFileSync(
      spokeConf,
      renderDnsmasqConfig(
        spokeListen,
        spoke.answers,
        join(STATE_DIR, 'dns-spoke.log'),
        undefined,
        spoke.forwards,
      ),
    );
    daemons.push(
      startDaemon('dns-spoke', HUB_NODES['spoke-dns'].ns, [
        'dnsmasq',
        '--keep-in-foreground',
        '--pid-file=',
        `--conf-file=${spokeConf}`,
      ]),
    );
  }
  const listeners = tlsListeners(awsState, scenario.tls ?? {}, certDir);
  writeFileSync(TLS_CONFIG, JSON.stringify({ listeners } satisfies TlsServerConfig, null, 2));
  daemons.push(
    startDaemon('tls', NODES.endpoints.ns, [
      process.execPath,
      '--import',
      'tsx',
      labFile('tls-server.ts'),
      TLS_CONFIG,
    ]),
  );

  await time(
    'faults',
    Promise.all([
      applyFaults([...(scenario.faults ?? []), ...impliedFaults(scenario, awsState)], awsState),
      awsState.hub ? applyTgwForwarding(awsState) : undefined,
    ]),
  );
  await time(
    'listeners',
    Promise.all([
      waitForSockets(
        NODES.dns.ns,
        [...vpcListen, CUSTOM_DNS].flatMap((address) => [
          { proto: 'udp' as const, address, port: 53 },
          { proto: 'tcp' as const, address, port: 53 },
        ]),
        daemons,
      ),
      waitForSockets(
        NODES.endpoints.ns,
        listeners.map((l) => ({ proto: 'tcp' as const, address: l.address, port: l.port })),
        daemons,
      ),
      awsState.hub
        ? waitForSockets(
            HUB_NODES['spoke-dns'].ns,
            spokeListen.flatMap((address) => [
              { proto: 'udp' as const, address, port: 53 },
              { proto: 'tcp' as const, address, port: 53 },
            ]),
            daemons,
          )
        : undefined,
      waitForSockets(
        NODES.aws.ns,
        [{ proto: 'tcp', address: MOTO_ADDRESS, port: FAULT_PROXY_PORT }],
        daemons,
      ),
    ]),
  );

  const problems = await time('self-check', selfCheck());
  if (problems.length > 0) throw new Error(`the lab is not closed: ${problems.join('; ')}`);

  const placeholders: Record<string, string> = {
    VPC_ID: awsState.vpcId,
    DHCP_OPTIONS_ID: awsState.dhcpOptionsId,
    RT_MAIN: awsState.routeTables.main,
    RT_A: awsState.routeTables.a,
    NAT_GATEWAY_ID: awsState.natGatewayId ?? '',
    IGW_ID: awsState.internetGatewayId ?? '',
    EIGW_ID: awsState.ipv6?.egressOnlyInternetGatewayId ?? '',
    SG_AGENT: awsState.securityGroups['vdl-agent'] ?? '',
    SG_ENDPOINTS: awsState.securityGroups['vdl-endpoints'] ?? '',
    SUBNET_AGENT_A: awsState.subnets['agent-a'] ?? '',
    SUBNET_AGENT_B: awsState.subnets['agent-b'] ?? '',
    SUBNET_ENDPOINTS_A: awsState.subnets['endpoints-a'] ?? '',
    SUBNET_ENDPOINTS_B: awsState.subnets['endpoints-b'] ?? '',
    [ENDPOINT_SERVICE_NAME.slice(2, -2)]: awsState.endpointService?.serviceName ?? '',
    [ENDPOINT_SERVICE_ID.slice(2, -2)]: awsState.endpointService?.serviceId ?? '',
    ...hubPlaceholders(awsState),
  };
  const agentConfig = scenario.agentConfig ? fillPlaceholders(scenario.agentConfig, placeholders) : undefined;
  if (agentConfig) writeFileSync(AGENT_CONFIG, `${JSON.stringify(agentConfig, null, 2)}\n`);

  const eniIpsByService: Record<string, string[]> = Object.fromEntries(
    Object.entries(awsState.endpoints)
      .filter(([, e]) => e.type === 'Interface')
      .map(([name, e]) => [name, e.eniIps]),
  );
  const endpointIds: Record<string, string> = Object.fromEntries(
    Object.entries(awsState.endpoints).map(([name, e]) => [name, e.id]),
  );
  if (awsState.endpointService) {
    eniIpsByService[awsState.endpointService.serviceId] = awsState.endpointService.endpoint.eniIps;
    endpointIds[awsState.endpointService.serviceId] = awsState.endpointService.endpoint.id;
  }
  const state: LabState = {
    scenario: scenario.name,
    agentNode: scenario.agentNode ?? 'agent-a',
    startedAt: new Date(started).toISOString(),
    stateDir: STATE_DIR,
    caPath: ca.cert,
    motoUrl: MOTO_URL,
    env: execEnv(ca.cert, agentConfig !== undefined, scenario),
    ...(agentConfig ? { agentConfigPath: AGENT_CONFIG, agentConfig } : {}),
    expect: fillPlaceholders(scenario.expect, placeholders),
    aws: awsState,
    endpointIds,
    eniIps: eniIpsByService,
    gatewayAddresses: awsState.gatewayAddresses,
    resolvers: {
      vpc: VPC_DNS,
      linkLocal: LINK_LOCAL_DNS,
      custom: CUSTOM_DNS,
      agent: awsState.hub ? SPOKE_DNS : agentResolver,
      ...(awsState.hub ? { spoke: SPOKE_DNS } : {}),
    },
    placeholders,
    pids: Object.fromEntries(daemons.map((d) => [d.name, d.child.pid ?? 0])),
  };
  writeFileSync(STATE_FILE, `${JSON.stringify(state, null, 2)}\n`);
  debug(`up in ${Date.now() - started} ms`);
  return state;
}

/** {{SPOKE_VPC_ID}}, {{TGW_RT_SPOKE}}, {{ZONE_SECRETSMANAGER}}… for a hub scenario's proofs and configuration. */
export function hubPlaceholders(aws: AwsState): Record<string, string> {
  const hub = aws.hub;
  if (!hub) return {};
  const key = (shortName: string) => shortName.toUpperCase().replace(/[^A-Z0-9]/g, '_');
  const values: Record<string, string> = {
    SPOKE_VPC_ID: hub.spokeVpcId,
    SPOKE_SUBNET: hub.spokeSubnetId,
    SPOKE_RT: hub.spokeRouteTableId,
    TGW_ID: hub.transitGatewayId,
    TGW_ATTACH_HUB: hub.attachments.hub,
    TGW_ATTACH_SPOKE: hub.attachments.spoke,
    TGW_RT_SPOKE: hub.routeTables.spoke.id,
    TGW_RT_HUB: hub.routeTables.hub.id,
    HUB_ROLE_ARN: hub.roleArn,
  };
  for (const zone of hub.zones) {
    const short = zone.name.replace(/\.us-east-1\.amazonaws\.com$/, '');
    values[`ZONE_${key(short)}`] = zone.id;
  }
  for (const [short, endpoint] of Object.entries(aws.endpoints)) {
    const name = endpoint.dnsNames?.find(
      (n) => n.endsWith('.vpce.amazonaws.com') && !/-us-east-1[a-z]\./.test(n),
    );
    if (name) values[`HUB_VPCE_NAME_${key(short)}`] = name;
  }
  return values;
}

/** Removes everything the lab made (also after a crash). Idempotent. */
export async function labDown(): Promise<void> {
  await sweep();
}

export interface ExecOptions {
  /** The agent namespace: a, b or spoke (default: the scenario's agent in a hub scenario, else a). */
  ns?: 'a' | 'b' | 'spoke';
  env?: Record<string, string>;
  timeoutMs?: number;
  input?: string;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

const PROXY_VARS = ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'all_proxy'];

/** The environment a command in the agent namespace gets: ours without proxies, plus the lab's. */
export function labEnv(state: LabState, extra: Record<string, string> = {}): Record<string, string> {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !PROXY_VARS.includes(k)) base[k] = v;
  }
  return { ...base, ...state.env, ...extra };
}

/** Runs argv inside vdl-agent-a (or -b) with the lab's AWS environment; passes its exit code back. */
export function labExec(argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
  const state = readState();
  if (!state) return Promise.reject(new LabUsageError('no lab is up; run `lab up` first'));
  if (argv.length === 0) return Promise.reject(new LabUsageError('lab exec needs a command'));
  const which = options.ns ?? (state.agentNode === 'spoke' ? 'spoke' : 'a');
  const ns =
    which === 'spoke' ? HUB_NODES.spoke.ns : which === 'b' ? NODES['agent-b'].ns : NODES['agent-a'].ns;
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], {
      cwd: REPO_ROOT,
      env: labEnv(state, options.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 137 : 1), stdout, stderr });
    });
    // A child may exit before reading its input; that is its business, not an error of ours.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

/**
 * The lab is one per machine: another run (a test file, a bench) may hold it. Waits for its
 * namespaces to go, checking every 10 s, rather than tearing it down; after `timeoutMs` says why
 * it gave up.
 */
export async function waitForFreeLab(
  log: (line: string) => void = () => {},
  timeoutMs = 10 * 60_000,
): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  while ((await labNamespaces()).length > 0) {
    if (Date.now() > deadline)
      return `another lab stayed up (vdl-* namespaces) for ${timeoutMs / 60_000} minutes`;
    log('another lab is up (another run holds it): waiting 10 s');
    await sleep(10_000);
  }
  return undefined;
}

/** Brings `scenario` up, runs fn, and always brings the lab down. */
export async function withLab<T>(scenario: string, fn: (state: LabState) => Promise<T>): Promise<T> {
  const state = await labUp(scenario);
  try {
    return await fn(state);
  } finally {
    await labDown();
  }
}

/**
 * Changes the TLS listeners of the running lab: presents the wrong-name certificate for some
 * services, stops listening for others. Returns when the listeners match.
 */
export async function setTlsFaults(tls: TlsSpec): Promise<void> {
  const state = readState();
  if (!state) throw new LabUsageError('no lab is up; run `lab up` first');
  const listeners = tlsListeners(state.aws, tls, join(STATE_DIR, 'certs'));
  const text = JSON.stringify({ listeners } satisfies TlsServerConfig, null, 2);
  writeFileSync(TLS_CONFIG, text);
  const pid = state.pids['tls'];
  if (!pid) throw new Error('the TLS server is not running');
  process.kill(pid, 'SIGHUP');
  const digest = configDigest(text);
  const deadline = Date.now() + 10_000;
  while (readApplied() !== digest) {
    if (Date.now() > deadline) throw new Error('TLS listeners did not follow the new configuration');
    await sleep(30);
  }
}

function readApplied(): string | undefined {
  try {
    return readFileSync(`${TLS_CONFIG}.applied`, 'utf8');
  } catch {
    return undefined;
  }
}
