// Real clients inside the agent namespace — dig, nc, openssl s_client, the AWS CLI — and the
// comparison of what they saw with what a scenario's proof says they must see.
import { isDeepStrictEqual } from 'node:util';
import { ipv6ProofJobs } from './prove-ipv6.js';
import {
  type AwsProof,
  type DnsExpect,
  ENDPOINT_SERVICE_KEY,
  fillPlaceholders,
  type HttpExpect,
  type HubProof,
  type Scenario,
  type TlsExpect,
} from './scenarios.js';
import { inNs, run } from './shell.js';
import type { LabState } from './state.js';
import { HUB_NODES, LINK_LOCAL_DNS, labServices, NODES } from './topology.js';

export type DnsSeen = {
  outcome: 'answer' | 'nxdomain' | 'servfail' | 'refused' | 'timeout' | 'error';
  addresses: string[];
};

const AGENT_NS = NODES['agent-a'].ns;

/** `dig` through resolv.conf (or @server), one try of one second; A records unless asked for AAAA. */
export async function dig(
  name: string,
  server?: string,
  ns = AGENT_NS,
  type: 'A' | 'AAAA' = 'A',
): Promise<DnsSeen> {
  const argv = [
    'dig',
    '+time=1',
    '+tries=1',
    '+noall',
    '+comments',
    '+answer',
    ...(server ? [`@${server}`] : []),
    name,
    type,
  ];
  const result = await run(inNs(ns, argv), { timeoutMs: 10_000 });
  const text = result.stdout + result.stderr;
  if (/timed out|no servers could be reached/i.test(text)) return { outcome: 'timeout', addresses: [] };
  const status = /status: ([A-Z]+)/.exec(text)?.[1];
  const records = type === 'A' ? /\sIN\s+A\s+(\d+\.\d+\.\d+\.\d+)/g : /\sIN\s+AAAA\s+([0-9a-f:]+)/gi;
  const addresses = [...text.matchAll(records)].map((m) => m[1]!).sort();
  switch (status) {
    case 'NOERROR':
      return { outcome: 'answer', addresses };
    case 'NXDOMAIN':
      return { outcome: 'nxdomain', addresses };
    case 'SERVFAIL':
      return { outcome: 'servfail', addresses };
    case 'REFUSED':
      return { outcome: 'refused', addresses };
    default:
      return { outcome: 'error', addresses };
  }
}

export type TcpSeen = 'connected' | 'refused' | 'timeout' | 'unreachable' | 'error';

/** `nc -z` with a one-second connect deadline (the lab's RTT is microseconds), optionally from a fixed local port. */
export async function tcpConnect(
  address: string,
  port = 443,
  ns = AGENT_NS,
  sourcePort?: number,
): Promise<TcpSeen> {
  const from = sourcePort !== undefined ? ['-p', String(sourcePort)] : [];
  const result = await run(inNs(ns, ['nc', '-z', '-v', '-w', '1', ...from, address, String(port)]), {
    timeoutMs: 10_000,
  });
  const text = result.stdout + result.stderr;
  if (result.code === 0 && /succeeded|open/i.test(text)) return 'connected';
  if (/refused/i.test(text)) return 'refused';
  // No source address of the family (an IPv6 address from a namespace without IPv6) is unreachable too.
  if (/unreachable|no route|cannot assign requested address/i.test(text)) return 'unreachable';
  if (/timed out|in progress/i.test(text)) return 'timeout';
  return 'error';
}

export type TlsSeen = 'ok' | 'name-mismatch' | 'untrusted' | 'failed';

/** `openssl s_client` with SNI, the lab CA, and hostname verification. */
export async function tlsHandshake(
  address: string,
  servername: string,
  caPath: string,
  ns = AGENT_NS,
): Promise<TlsSeen> {
  const argv = [
    'timeout',
    '5',
    'openssl',
    's_client',
    '-connect',
    `${address}:443`,
    '-servername',
    servername,
    '-verify_hostname',
    servername,
    '-CAfile',
    caPath,
    '-verify_return_error',
  ];
  const result = await run(inNs(ns, argv), { timeoutMs: 10_000 });
  const text = result.stdout + result.stderr;
  const verify = /Verify return code: (\d+)/.exec(text)?.[1];
  if (result.code === 0 && verify === '0') return 'ok';
  if (verify === '62' || /hostname mismatch/i.test(text)) return 'name-mismatch';
  if (/unable to get local issuer|self.signed|certificate verify failed/i.test(text)) return 'untrusted';
  return 'failed';
}

/**
 * `curl` over HTTPS to one ENI by the service's name: AWS's front end answers an unsigned request
 * with an error document and a request id; anything else answering is `not-aws`.
 */
export async function httpsRequest(
  address: string,
  hostname: string,
  caPath: string,
  ns = AGENT_NS,
): Promise<HttpExpect | 'error'> {
  const argv = [
    'curl',
    '--silent',
    '--show-error',
    '--max-time',
    '3',
    '--cacert',
    caPath,
    '--resolve',
    `${hostname}:443:${address}`,
    '--include',
    `https://${hostname}/`,
  ];
  const result = await run(inNs(ns, argv), { timeoutMs: 10_000 });
  // curl 28: timed out; 52: empty reply; 56: connection reset while receiving.
  if ([28, 52, 56].includes(result.code)) return 'no-response';
  if (result.code !== 0) return 'error';
  return /^x-amzn-requestid:/im.test(result.stdout) ? 'aws' : 'not-aws';
}

/** `aws SERVICE ARGS --query QUERY --output json` against moto from inside the agent namespace. */
export async function awsEc2(
  state: LabState,
  args: string[],
  query: string,
  ns = AGENT_NS,
  service = 'ec2',
): Promise<unknown> {
  const env: Record<string, string> = { ...state.env };
  const argv = [
    'aws',
    '--endpoint-url',
    state.motoUrl,
    service,
    ...args,
    '--query',
    query,
    '--output',
    'json',
  ];
  const result = await run(inNs(ns, argv), { env, timeoutMs: 30_000 });
  if (result.code !== 0) throw new Error(`aws ${service} ${args.join(' ')} failed: ${result.stderr.trim()}`);
  return JSON.parse(result.stdout);
}

export interface ProofLine {
  check: 'dns' | 'vpc-dns' | 'tcp' | 'tls' | 'http' | 'aws';
  subject: string;
  expected: unknown;
  observed: unknown;
  ok: boolean;
}

function classifyDns(seen: DnsSeen, shortName: string, state: LabState): string {
  if (seen.outcome !== 'answer') return seen.outcome;
  const service = labServices(state.aws.extraServices).find((s) => s.shortName === shortName)!;
  const same = (xs: string[]): boolean => isDeepStrictEqual([...xs].sort(), seen.addresses);
  // Any interface endpoint of the service (a second one, S3's interface endpoint) is private.
  const endpoints = [
    state.aws.endpoints[shortName],
    ...Object.values(state.aws.additionalEndpoints ?? {}).filter(
      (e) => e.serviceName === service.serviceName,
    ),
  ];
  if (endpoints.some((e) => e?.type === 'Interface' && same(e.eniIps))) return 'private';
  const gateway = state.gatewayAddresses[shortName];
  if (gateway && same([gateway])) return 'gateway';
  if (seen.addresses.length > 0 && same(service.publicAddresses)) return 'public';
  if (seen.addresses.length === 0) return 'nodata';
  return `unexpected ${seen.addresses.join(',')}`;
}

/** Runs `fn` over `items` with at most `limit` at once (the machine has 2 shared cores). */
async function pool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  });
  await Promise.all(workers);
  return results;
}

type Job = () => Promise<ProofLine>;

/** The AWS CLI read-backs of a proof, from `ns`. */
function awsJobs(state: LabState, items: AwsProof[], ns: string): Job[] {
  return items.map((item) => async () => {
    const filled = fillPlaceholders(item, state.placeholders);
    let observed: unknown;
    try {
      observed = await awsEc2(state, filled.args, filled.query, ns, filled.service ?? 'ec2');
    } catch (err) {
      observed = err instanceof Error ? err.message : String(err);
    }
    return {
      check: 'aws' as const,
      subject: filled.what,
      expected: filled.equals,
      observed,
      ok: isDeepStrictEqual(observed, filled.equals),
    };
  });
}

/** What the spoke's resolver answered: the hub's ENIs for the service, its public addresses, or no answer. */
export function classifyHubDns(seen: DnsSeen, shortName: string, state: LabState): string {
  if (seen.outcome !== 'answer') return seen.outcome;
  const service = labServices(state.aws.extraServices).find((s) => s.shortName === shortName)!;
  const same = (xs: string[]): boolean => isDeepStrictEqual([...xs].sort(), seen.addresses);
  const hubEnis = state.aws.endpoints[shortName]?.eniIps;
  if (hubEnis && same(hubEnis)) return 'hub';
  if (seen.addresses.length > 0 && same(service.publicAddresses)) return 'public';
  return `unexpected ${seen.addresses.join(',') || 'empty answer'}`;
}

/**
 * A hub scenario from inside vdl-spoke: each service's name through the spoke's resolver, TCP and
 * TLS to every hub ENI of the service across the transit gateway, and the AWS CLI read-backs.
 */
export async function proveHubScenario(
  state: LabState,
  proof: HubProof,
  aws: AwsProof[],
): Promise<ProofLine[]> {
  const ns = HUB_NODES.spoke.ns;
  const services = labServices(state.aws.extraServices);
  const jobs: Job[] = awsJobs(state, aws, ns);
  for (const [short, dnsExpected] of Object.entries(proof.dns)) {
    const service = services.find((s) => s.shortName === short);
    if (!service) throw new Error(`hub proof names ${short}, which is not a lab service`);
    jobs.push(async () => {
      const observed = classifyHubDns(await dig(service.hostname, undefined, ns), short, state);
      return {
        check: 'dns',
        subject: `${short} ${service.hostname} from the spoke`,
        expected: dnsExpected,
        observed,
        ok: observed === dnsExpected,
      };
    });
    const tcpExpected = proof.tcp[short] ?? 'connected';
    const tlsExpected: TlsExpect = proof.tls?.[short] ?? (tcpExpected === 'connected' ? 'ok' : 'skip');
    for (const address of state.aws.endpoints[short]?.eniIps ?? []) {
      jobs.push(async () => {
        const observed = await tcpConnect(address, 443, ns);
        return {
          check: 'tcp',
          subject: `${short} hub ENI ${address}:443 from the spoke`,
          expected: tcpExpected,
          observed,
          ok: observed === tcpExpected,
        };
      });
      if (tlsExpected === 'skip') continue;
      jobs.push(async () => {
        const observed = await tlsHandshake(address, service.hostname, state.caPath, ns);
        return {
          check: 'tls',
          subject: `${short} hub ENI ${address} sni ${service.hostname}`,
          expected: tlsExpected,
          observed,
          ok: observed === tlsExpected,
        };
      });
    }
  }
  return pool(jobs, 12, (job) => job());
}

/** Observes every service from inside vdl-agent-a and compares with the scenario's proof. */
export async function proveScenario(state: LabState, scenario: Scenario): Promise<ProofLine[]> {
  const proof = scenario.proof;
  if (proof.hub) return proveHubScenario(state, proof.hub, proof.aws ?? []);
  const services = labServices(state.aws.extraServices);
  const jobs: Job[] = [];
  const dnsJob =
    (check: 'dns' | 'vpc-dns', shortName: string, expected: DnsExpect, server?: string): Job =>
    async () => {
      const service = services.find((s) => s.shortName === shortName)!;
      const observed = classifyDns(await dig(service.hostname, server), shortName, state);
      return {
        check,
        subject: `${shortName} ${service.hostname}${server ? ` @${server}` : ''}`,
        expected,
        observed,
        ok: observed === expected,
      };
    };
  for (const service of services) {
    const short = service.shortName;
    jobs.push(
      dnsJob('dns', short, proof.dns?.[short] ?? (service.kind === 'interface' ? 'private' : 'gateway')),
    );
    const vpcExpected = proof.vpcDns?.[short];
    if (vpcExpected) jobs.push(dnsJob('vpc-dns', short, vpcExpected, LINK_LOCAL_DNS));

    const endpointIps =
      service.kind === 'gateway' ? [state.gatewayAddresses[short]!] : state.aws.endpoints[short]?.eniIps;
    const targets = endpointIps ?? service.publicAddresses;
    const tcpExpected = proof.tcp?.[short] ?? 'connected';
    for (const address of targets) {
      jobs.push(async () => {
        const observed = await tcpConnect(address);
        return {
          check: 'tcp',
          subject: `${short} ${address}:443`,
          expected: tcpExpected,
          observed,
          ok: observed === tcpExpected,
        };
      });
    }
    const tlsExpected: TlsExpect = proof.tls?.[short] ?? 'ok';
    if (tlsExpected !== 'skip' && endpointIps) {
      for (const address of endpointIps) {
        jobs.push(async () => {
          const observed = await tlsHandshake(address, service.hostname, state.caPath);
          return {
            check: 'tls',
            subject: `${short} ${address} sni ${service.hostname}`,
            expected: tlsExpected,
            observed,
            ok: observed === tlsExpected,
          };
        });
      }
    }
    const httpExpected = proof.http?.[short];
    if (httpExpected && endpointIps) {
      for (const address of endpointIps) {
        jobs.push(async () => {
          const observed = await httpsRequest(address, service.hostname, state.caPath);
          return {
            check: 'http',
            subject: `${short} https://${service.hostname}/ at ${address}`,
            expected: httpExpected,
            observed,
            ok: observed === httpExpected,
          };
        });
      }
    }
  }
  for (const [key, endpoint] of Object.entries(state.aws.additionalEndpoints ?? {})) {
    const service = services.find((s) => s.serviceName === endpoint.serviceName)!;
    const tcpExpected = proof.tcp?.[key] ?? 'connected';
    const tlsExpected: TlsExpect = proof.tls?.[key] ?? 'ok';
    for (const address of endpoint.eniIps) {
      jobs.push(async () => {
        const observed = await tcpConnect(address);
        return {
          check: 'tcp',
          subject: `${key} ${address}:443`,
          expected: tcpExpected,
          observed,
          ok: observed === tcpExpected,
        };
      });
      if (tlsExpected === 'skip') continue;
      // By its own regional vpce name, as a client of an endpoint without private DNS would.
      const name = endpoint.dnsNames?.find((n) => n.endsWith('.vpce.amazonaws.com')) ?? service.hostname;
      jobs.push(async () => {
        const observed = await tlsHandshake(address, name, state.caPath);
        return {
          check: 'tls',
          subject: `${key} ${address} sni ${name}`,
          expected: tlsExpected,
          observed,
          ok: observed === tlsExpected,
        };
      });
    }
  }
  for (const { service: shortName, sourcePort, expect } of proof.tcpFromPort ?? []) {
    const addresses =
      state.aws.endpoints[shortName]?.type === 'Interface'
        ? state.aws.endpoints[shortName]!.eniIps
        : [state.gatewayAddresses[shortName]!];
    // One local port per address (next to each other), so no two connections share a port.
    for (const [i, address] of addresses.entries()) {
      jobs.push(async () => {
        const observed = await tcpConnect(address, 443, AGENT_NS, sourcePort + i);
        return {
          check: 'tcp',
          subject: `${shortName} ${address}:443 from port ${sourcePort + i}`,
          expected: expect,
          observed,
          ok: observed === expect,
        };
      });
    }
  }
  const serviceTcp = proof.tcp?.[ENDPOINT_SERVICE_KEY];
  if (serviceTcp && state.aws.endpointService) {
    for (const address of state.aws.endpointService.endpoint.eniIps) {
      jobs.push(async () => {
        const observed = await tcpConnect(address);
        return {
          check: 'tcp',
          subject: `${state.aws.endpointService!.serviceId} ${address}:443`,
          expected: serviceTcp,
          observed,
          ok: observed === serviceTcp,
        };
      });
    }
  }
  if (proof.ipv6) jobs.push(...ipv6ProofJobs(state, proof.ipv6));
  jobs.push(...awsJobs(state, proof.aws ?? [], AGENT_NS));
  // The AWS CLI is slow to start: begin those first so they overlap the quick probes.
  const ordered = [
    ...jobs.slice(jobs.length - (proof.aws?.length ?? 0)),
    ...jobs.slice(0, jobs.length - (proof.aws?.length ?? 0)),
  ];
  return pool(ordered, 12, (job) => job());
}

/** The lines of a proof as a plain table. */
export function renderProof(lines: ProofLine[]): string {
  const show = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));
  const rows = lines.map((l) => [
    l.ok ? 'ok ' : 'BAD',
    l.check,
    l.subject,
    show(l.observed),
    l.ok ? '' : `expected ${show(l.expected)}`,
  ]);
  const widths = [
    3,
    7,
    Math.max(...rows.map((r) => r[2]!.length)),
    Math.max(...rows.map((r) => r[3]!.length)),
  ];
  return rows
    .map((r) =>
      r
        .map((c, i) => (i < widths.length ? c.padEnd(widths[i]!) : c))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
