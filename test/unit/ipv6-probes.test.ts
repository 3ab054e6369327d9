// The IPv6 half of the probe plan (src/probe-ipv6.ts): what is asked and probed, with recording
// fake probes over the recorded dual-stack VPC, then once over real sockets on ::1 — our DNS
// responder standing in for fd00:ec2::253 and a TLS server standing in for an endpoint ENI.
// Nothing is ever sent to fd00:ec2::253 here: the fake probes only record the address.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import type { NetworkInterface } from '@aws-sdk/client-ec2';
import { checkIpv6 } from '../../checks/ipv6.js';
import type { DnsObservation, Inventory, Resolver } from '../../src/model.js';
import { queryA, queryAaaa } from '../../src/net/dns.js';
import { probeTcp } from '../../src/net/tcp.js';
import { probeTls } from '../../src/net/tls.js';
import { createPool, observeTarget, type Probes } from '../../src/probe-plan.js';
import { createDnsLimiter } from '../../src/probes.js';
import { context6, interfaces6, inventory6, SM_ENI6, target6 } from '../fixtures/ec2/ipv6/load.js';
import {
  answerMessage,
  type DnsResponder,
  nodataMessage,
  startDnsResponder,
} from '../support/dns-responder.js';
import { ipv6LoopbackProblem } from '../support/ipv6-loopback.js';

const TIMEOUTS = { dnsMs: 2000, tcpMs: 2000, tlsMs: 3000, httpMs: 1000 };
const sm = target6('secretsmanager', 'vpce-0sm6');

interface Asked {
  type: 'A' | 'AAAA';
  resolver: string;
  hostname: string;
}

function recordingProbes(
  answers: { a: string[]; aaaa: string[] },
  withAaaa = true,
): { probes: Probes; asked: Asked[]; tcp: string[] } {
  const asked: Asked[] = [];
  const tcp: string[] = [];
  const answer = (
    resolver: Resolver,
    hostname: string,
    addresses: string[],
    type: 'A' | 'AAAA',
  ): DnsObservation => ({
    resolver,
    hostname,
    ...(type === 'AAAA' ? { recordType: 'AAAA' as const } : {}),
    outcome: addresses.length > 0 ? 'answer' : 'nodata',
    addresses,
    transport: 'udp',
    durationMs: 1,
  });
  const probes: Probes = {
    async queryA(resolver, hostname) {
      asked.push({ type: 'A', resolver: resolver.address, hostname });
      return answer(resolver, hostname, answers.a, 'A');
    },
    async probeTcp(address, port) {
      tcp.push(address);
      return { address, port, outcome: 'connected', durationMs: 1 };
    },
    async probeTls(address, port, servername) {
      return { address, port, servername, outcome: 'ok', certNames: [servername], durationMs: 1 };
    },
  };
  if (withAaaa)
    probes.queryAaaa = async (resolver, hostname) => {
      asked.push({ type: 'AAAA', resolver: resolver.address, hostname });
      return answer(resolver, hostname, answers.aaaa, 'AAAA');
    };
  return { probes, asked, tcp };
}

const observe = (
  probes: Probes,
  options: { subnetId?: string; inventory?: Inventory; vpcResolverIpv6?: string } = {},
) =>
  observeTarget(
    sm,
    context6(options.subnetId ? { subnetId: options.subnetId } : {}),
    options.inventory ?? inventory6(),
    probes,
    TIMEOUTS,
    new AbortController().signal,
    createPool(8),
    { canary: false, ...(options.vpcResolverIpv6 ? { vpcResolverIpv6: options.vpcResolverIpv6 } : {}) },
  );

describe('the IPv6 probe plan', () => {
  it('asks AAAA of the workload resolver and A and AAAA of fd00:ec2::253 when the subnet has IPv6, and probes the ENI over IPv6', async () => {
    const { probes, asked, tcp } = recordingProbes({ a: ['10.1.2.15'], aaaa: [SM_ENI6] });
    const { observations } = await observe(probes);
    const main = asked.filter((q) => q.hostname === sm.hostname);
    assert.deepEqual(main.map((q) => `${q.type} ${q.resolver}`).sort(), [
      'A 10.1.0.2',
      'A fd00:ec2::253',
      'AAAA 10.1.0.2',
      'AAAA fd00:ec2::253',
    ]);
    assert.deepEqual(tcp.sort(), ['10.1.2.15', SM_ENI6]);
    assert.deepEqual(
      observations.tcp.map((o) => o.address),
      ['10.1.2.15'],
      'the IPv4 observations hold IPv4 only',
    );
    assert.deepEqual(
      observations.ipv6?.tcp.map((o) => o.address),
      [SM_ENI6],
    );
    assert.equal(observations.ipv6?.tls[0]?.outcome, 'ok');
  });

  it('never asks fd00:ec2::253 nor connects over IPv6 from a subnet without IPv6, yet still asks AAAA', async () => {
    const { probes, asked, tcp } = recordingProbes({ a: ['10.1.2.15'], aaaa: [SM_ENI6] });
    const { observations } = await observe(probes, { subnetId: 'subnet-0v4only' });
    assert.ok(!asked.some((q) => q.resolver === 'fd00:ec2::253'), JSON.stringify(asked));
    assert.ok(asked.some((q) => q.type === 'AAAA' && q.resolver === '10.1.0.2'));
    assert.deepEqual(tcp, ['10.1.2.15']);
    assert.deepEqual(observations.ipv6?.tcp, []);
  });

  it('asks no AAAA at all for an IPv4-only endpoint from a subnet without IPv6: no workload there connects over IPv6', async () => {
    const { probes, asked } = recordingProbes({ a: ['10.1.2.15'], aaaa: [SM_ENI6] });
    const base = inventory6();
    assert.ok(base.endpoints.ok);
    const ipv4Only = base.endpoints.value.map((e) => ({ ...e, IpAddressType: 'ipv4' as const }));
    const { observations } = await observe(probes, {
      subnetId: 'subnet-0v4only',
      inventory: { ...base, endpoints: { ok: true, value: ipv4Only } },
    });
    assert.deepEqual(
      asked.map((q) => q.type),
      asked.map(() => 'A'),
      JSON.stringify(asked),
    );
    assert.equal('ipv6' in observations, false);
  });

  it('asks nothing IPv6 when the subnets could not be read (no guess that the agent has IPv6)', async () => {
    const { probes, asked } = recordingProbes({ a: ['10.1.2.15'], aaaa: [SM_ENI6] });
    const gap = {
      call: 'DescribeSubnets',
      action: 'ec2:DescribeSubnets',
      kind: 'permission' as const,
      errorCode: 'UnauthorizedOperation',
      message: 'denied',
    };
    await observe(probes, { inventory: inventory6({ subnets: { ok: false, gap } }) });
    assert.ok(!asked.some((q) => q.resolver === 'fd00:ec2::253'));
  });

  it('without an AAAA probe the observations are exactly the IPv4 ones of before', async () => {
    const withA = recordingProbes({ a: ['10.1.2.15'], aaaa: [SM_ENI6] }, false);
    const { observations } = await observe(withA.probes);
    assert.equal('ipv6' in observations, false);
    assert.ok(withA.asked.every((q) => q.type === 'A' && q.resolver === '10.1.0.2'));
  });

  it('never connects to reserved IPv6 answers (loopback, link-local, IMDS at fd00:ec2::254, IPv4-mapped)', async () => {
    const gateway = target6('s3', '', { endpointType: 'none', hostname: 's3.us-east-1.amazonaws.com' });
    const { probes, tcp } = recordingProbes({
      a: [],
      aaaa: ['::1', 'fe80::1', 'fd00:ec2::254', '::ffff:10.0.0.1', '2600:1fa0::5'],
    });
    await observeTarget(
      gateway,
      context6(),
      inventory6(),
      probes,
      TIMEOUTS,
      new AbortController().signal,
      createPool(4),
      { canary: false },
    );
    assert.deepEqual(tcp, ['2600:1fa0::5']);
  });
});

// Real sockets: the DNS responder on ::1 answers as the VPC's IPv6 resolver, another on
// 127.0.0.1 as the workload's resolver, and a TLS server on ::1 is the endpoint ENI.
describe('the IPv6 probes over real sockets on ::1', { skip: ipv6LoopbackProblem() }, () => {
  let dir: string;
  let server: tls.Server;
  let port: number;
  let ca: string;
  let v4: DnsResponder;
  let v6: DnsResponder;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vpce-ipv6-'));
    const run = (args: string[]) =>
      execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2'];
    run([
      'req',
      '-x509',
      ...key,
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-subj',
      '/CN=vpce-doctor ipv6 test CA',
    ]);
    run([
      'req',
      '-x509',
      ...key,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-keyout',
      'leaf.key',
      '-out',
      'leaf.pem',
      '-subj',
      `/CN=${sm.hostname}`,
      '-addext',
      `subjectAltName=DNS:${sm.hostname}`,
      '-addext',
      'basicConstraints=CA:FALSE',
    ]);
    ca = readFileSync(join(dir, 'ca.pem'), 'utf8');
    server = tls.createServer(
      { key: readFileSync(join(dir, 'leaf.key')), cert: readFileSync(join(dir, 'leaf.pem')) },
      (s) => s.end(),
    );
    await new Promise<void>((resolve) => server.listen(0, '::1', () => resolve()));
    port = (server.address() as AddressInfo).port;
    const handler =
      (aaaa: string[]) =>
      (q: { type: string; id: number; name: string; transport: 'udp' | 'tcp'; raw: Buffer }) =>
        q.type === 'AAAA'
          ? [answerMessage(q, aaaa)]
          : q.type === 'A'
            ? [answerMessage(q, ['10.1.2.15'])]
            : [nodataMessage(q)];
    v4 = await startDnsResponder(handler(['::1']), '127.0.0.1');
    v6 = await startDnsResponder(handler(['::1']), '::1');
  });
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await v4.close();
    await v6.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('asks A and AAAA of a resolver on ::1, connects and completes TLS to the ENI address ::1', async () => {
    const limiter = createDnsLimiter();
    const portOf = (address: string) => (address === '::1' ? v6.port : v4.port);
    const probes: Probes = {
      queryA: (r, h, o) => queryA(r, h, { ...o, limiter, port: portOf(r.address) }),
      queryAaaa: (r, h, o) => queryAaaa(r, h, { ...o, limiter, port: portOf(r.address) }),
      probeTcp: (a, p, o) => probeTcp(a, p, o),
      probeTls: (a, p, n, o) => probeTls(a, p, n, { ...o, ca }),
    };
    // The endpoint ENI's IPv6 address is ::1 here; everything else is the recorded dual-stack VPC.
    const enis: NetworkInterface[] = interfaces6.map((e) =>
      e.NetworkInterfaceId === 'eni-0sm6' ? { ...e, Ipv6Addresses: [{ Ipv6Address: '::1' }] } : e,
    );
    const target = { ...sm, ports: [port] };
    const inventory = inventory6({ endpointInterfaces: { ok: true, value: enis } });
    const context = context6({ resolvers: [{ address: '127.0.0.1', source: 'resolv.conf' }] });
    const { observations } = await observeTarget(
      target,
      context,
      inventory,
      probes,
      TIMEOUTS,
      new AbortController().signal,
      createPool(4),
      {
        canary: false,
        vpcResolverIpv6: '::1',
      },
    );
    const six = observations.ipv6!;
    assert.deepEqual(
      six.dns
        .map((o) => `${o.recordType ?? 'A'} ${o.resolver.address} ${o.outcome} ${o.addresses.join(',')}`)
        .sort(),
      ['A ::1 answer 10.1.2.15', 'AAAA 127.0.0.1 answer ::1', 'AAAA ::1 answer ::1'],
    );
    assert.ok(v6.queries.some((q) => q.type === 'AAAA') && v6.queries.some((q) => q.type === 'A'));
    assert.deepEqual(
      six.tcp.map((o) => `${o.address} ${o.outcome}`),
      ['::1 connected'],
    );
    assert.deepEqual(
      six.tls.map((o) => `${o.address} ${o.outcome}`),
      ['::1 ok'],
    );
    const codes = checkIpv6({ context, inventory, target, observations }).map((f) => f.code);
    assert.ok(codes.includes('TCP_CONNECT_OK') && codes.includes('TLS_OK'), codes.join(' '));
  });

  it('reports a closed port on ::1 as refused and a TLS server with the wrong CA as untrusted', async () => {
    const closed = await probeTcp('::1', 1, { timeoutMs: 2000 });
    assert.equal(closed.outcome, 'refused');
    const untrusted = await probeTls('::1', port, sm.hostname, { timeoutMs: 3000, ca: '' });
    assert.notEqual(untrusted.outcome, 'ok');
  });
});
