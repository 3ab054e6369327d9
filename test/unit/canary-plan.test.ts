// observeTarget's additions for issue 12, over the recorded EC2 fixtures and recording fake
// probes: one canary request per target to the first ENI whose TLS passed, none where it does
// not apply, and the SDK name variants asked of the workload's resolver only; then the checks
// and the verdict over what the fakes answered.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkSdkNames } from '../../checks/sdk-names.js';
import { interfaceAddresses } from '../../src/inventory-view.js';
import type { DnsObservation, HttpObservation, Resolver } from '../../src/model.js';
import { createPool, observeTarget, type Probes } from '../../src/probe-plan.js';
import { judgeTarget } from '../../src/runner.js';
import { sdkNameVariants } from '../../src/sdk-names.js';
import { context, inventory, target } from '../fixtures/ec2/load.js';

const TIMEOUTS = { dnsMs: 500, tcpMs: 500, tlsMs: 500, httpMs: 700 };
const AWS_BODY =
  '<ErrorResponse><Error><Type>Sender</Type><Code>MissingAuthenticationToken</Code><Message>Request is missing Authentication Token</Message></Error><RequestId>r</RequestId></ErrorResponse>';

interface Recorded {
  queries: Array<{ resolver: string; hostname: string }>;
  https: Array<{ address: string; hostname: string; method: string; path: string; timeoutMs: number }>;
}

/** Fake probes: DNS answers from `names` (else NXDOMAIN), TCP connects, TLS fails on `badTls`. */
function fakeProbes(
  names: Record<string, string[]>,
  options: { badTls?: string[]; canary?: boolean } = {},
): { probes: Probes; recorded: Recorded } {
  const recorded: Recorded = { queries: [], https: [] };
  const probes: Probes = {
    async queryA(resolver: Resolver, hostname: string): Promise<DnsObservation> {
      recorded.queries.push({ resolver: resolver.address, hostname });
      const addresses = names[hostname];
      return addresses
        ? { resolver, hostname, outcome: 'answer', addresses, transport: 'udp', durationMs: 1 }
        : {
            resolver,
            hostname,
            outcome: 'nxdomain',
            addresses: [],
            rcode: 'NXDOMAIN',
            transport: 'udp',
            durationMs: 1,
          };
    },
    async probeTcp(address, port) {
      return { address, port, outcome: 'connected', durationMs: 1 };
    },
    async probeTls(address, port, servername) {
      const bad = options.badTls?.includes(address);
      return {
        address,
        port,
        servername,
        outcome: bad ? 'untrusted' : 'ok',
        certNames: [servername],
        durationMs: 1,
      };
    },
  };
  if (options.canary !== false) {
    probes.probeHttps = async (address, port, hostname, request, probeOptions): Promise<HttpObservation> => {
      recorded.https.push({
        address,
        hostname,
        method: request.method,
        path: request.path,
        timeoutMs: probeOptions.timeoutMs,
      });
      return {
        address,
        port,
        hostname,
        method: request.method,
        path: request.path,
        outcome: 'response',
        status: 403,
        headers: {},
        body: AWS_BODY,
        bodyBytes: AWS_BODY.length,
        truncated: false,
        durationMs: 1,
      };
    };
  }
  return { probes, recorded };
}

const observe = (t: ReturnType<typeof target>, probes: Probes, canary?: boolean) =>
  observeTarget(
    t,
    context(),
    inventory(),
    probes,
    TIMEOUTS,
    new AbortController().signal,
    createPool(8),
    canary === undefined ? {} : { canary },
  );

describe('the L7 canary in the probe plan', () => {
  it('sends one request, to the first ENI whose TLS passed, with the service protocol and timeouts.httpMs', async () => {
    const sm = target('secretsmanager', 'vpce-0sm');
    const enis = interfaceAddresses(inventory(), sm);
    assert.ok(enis.length >= 2, `fixture has ${enis.length} ENIs`);
    const { probes, recorded } = fakeProbes({}, { badTls: [enis[0]!] });
    const { observations } = await observe(sm, probes);
    assert.deepEqual(recorded.https, [
      { address: enis[1], hostname: sm.hostname, method: 'POST', path: '/', timeoutMs: TIMEOUTS.httpMs },
    ]);
    assert.equal(observations.http?.length, 1);
  });

  it('does not run where TLS failed everywhere, for a gateway endpoint, or for an own endpoint service', async () => {
    const sm = target('secretsmanager', 'vpce-0sm');
    const { probes, recorded } = fakeProbes({}, { badTls: interfaceAddresses(inventory(), sm) });
    assert.equal((await observe(sm, probes)).observations.http, undefined);
    const s3 = fakeProbes({ 's3.us-east-1.amazonaws.com': ['52.216.1.1'] });
    await observe(target('s3', 'vpce-0s3gw'), s3.probes);
    assert.deepEqual([...recorded.https, ...s3.recorded.https], []);
  });

  it('says why it was skipped when the configuration switches it off', async () => {
    const { probes, recorded } = fakeProbes({});
    const { observations } = await observe(target('secretsmanager', 'vpce-0sm'), probes, false);
    assert.deepEqual(recorded.https, []);
    assert.match(observations.httpSkipped ?? '', /canary\.l7: false/);
  });
});

describe("the canary over the TLS probe's own connection (probeTcpTls, issue 17)", () => {
  /** The fakes above, plus probeTcpTls: records which address carried a canary; TLS fails on `badTls`. */
  function oneConnection(badTls: string[]) {
    const base = fakeProbes({}, { badTls });
    const carried: Array<{ address: string; canary: boolean }> = [];
    const apart: string[] = [];
    const probes: Probes = {
      ...base.probes,
      probeTcp: async (address, port, o) => {
        apart.push(`tcp ${address}`);
        return base.probes.probeTcp(address, port, o);
      },
      probeTls: async (address, port, servername, o) => {
        apart.push(`tls ${address}`);
        return base.probes.probeTls(address, port, servername, o);
      },
      probeTcpTls: async (address, port, servername, o) => {
        carried.push({ address, canary: o.canary !== undefined });
        const tcp = { address, port, outcome: 'connected' as const, durationMs: 1 };
        const passed = !badTls.includes(address);
        const tls = {
          address,
          port,
          servername,
          outcome: passed ? ('ok' as const) : ('untrusted' as const),
          certNames: [servername],
          durationMs: 1,
        };
        if (!passed || !o.canary) return { tcp, tls };
        const http = await base.probes.probeHttps!(address, port, servername, o.canary.request, {
          timeoutMs: o.canary.timeoutMs,
        });
        return { tcp, tls, http };
      },
    };
    return { probes, recorded: base.recorded, carried, apart };
  }

  it('asks the first address to carry the request, and sends no separate one when its TLS passed', async () => {
    const sm = target('secretsmanager', 'vpce-0sm');
    const enis = interfaceAddresses(inventory(), sm);
    const { probes, recorded, carried, apart } = oneConnection([]);
    const { observations } = await observe(sm, probes);
    assert.deepEqual(
      carried,
      enis.map((address, i) => ({ address, canary: i === 0 })),
    );
    assert.deepEqual(apart, []);
    // The one request went through the merged probe (the fake records it as probeHttps did).
    assert.deepEqual(
      recorded.https.map((r) => [r.address, r.timeoutMs]),
      [[enis[0], TIMEOUTS.httpMs]],
    );
    assert.equal(observations.http?.[0]?.address, enis[0]);
    assert.equal(observations.tls.length, enis.length);
  });

  it('falls back to a request of its own to the next ENI whose TLS passed when the first one failed', async () => {
    const sm = target('secretsmanager', 'vpce-0sm');
    const enis = interfaceAddresses(inventory(), sm);
    const { probes, recorded } = oneConnection([enis[0]!]);
    const { observations } = await observe(sm, probes);
    assert.deepEqual(
      recorded.https.map((r) => r.address),
      [enis[1]],
    );
    assert.equal(observations.http?.length, 1);
    assert.equal(observations.http?.[0]?.address, enis[1]);
  });

  it('carries nothing when the configuration switches the canary off', async () => {
    const { probes, recorded, carried } = oneConnection([]);
    const { observations } = await observe(target('secretsmanager', 'vpce-0sm'), probes, false);
    assert.ok(carried.every((c) => !c.canary));
    assert.deepEqual(recorded.https, []);
    assert.match(observations.httpSkipped ?? '', /canary\.l7: false/);
  });
});

describe('the names the SDK calls', () => {
  it('are the global STS name and the FIPS name for STS in us-east-1, none for a service without an endpoint', () => {
    const sts = target('sts', 'vpce-0sts');
    assert.deepEqual(
      sdkNameVariants(sts, 'us-east-1').map((n) => n.hostname),
      ['sts.amazonaws.com', 'sts-fips.us-east-1.amazonaws.com'],
    );
    assert.deepEqual(sdkNameVariants(target('sts'), 'us-east-1'), []);
    assert.deepEqual(
      sdkNameVariants(
        target('sts', 'vpce-0sts', {
          service: 'com.amazonaws.eu-west-1.sts',
          hostname: 'sts.eu-west-1.amazonaws.com',
        }),
        'eu-west-1',
      ).map((n) => n.hostname),
      ['sts.amazonaws.com'],
      'FIPS names exist in US and Canada Regions only',
    );
    assert.deepEqual(
      sdkNameVariants(
        target('s3', 'vpce-0s3gw', {
          service: 'com.amazonaws.eu-west-1.s3',
          hostname: 's3.eu-west-1.amazonaws.com',
        }),
        'eu-west-1',
      ).map((n) => n.hostname),
      ['s3.dualstack.eu-west-1.amazonaws.com'],
    );
  });

  it('are asked of the workload resolver only, once each', async () => {
    const { probes, recorded } = fakeProbes({});
    const sts = target('sts', 'vpce-0sts');
    await observeTarget(
      sts,
      context({
        resolvers: [
          { address: '10.0.0.53', source: 'resolv.conf' },
          { address: '10.0.0.2', source: 'vpc-base-2' },
        ],
      }),
      inventory(),
      probes,
      TIMEOUTS,
      new AbortController().signal,
      createPool(8),
    );
    const variants = recorded.queries.filter((q) => q.hostname !== sts.hostname);
    assert.deepEqual(variants, [
      { resolver: '10.0.0.53', hostname: 'sts.amazonaws.com' },
      { resolver: '10.0.0.53', hostname: 'sts-fips.us-east-1.amazonaws.com' },
    ]);
  });

  it('warn STS_GLOBAL_ENDPOINT_BYPASS when the global name answers publicly beside the regional endpoint', async () => {
    const sts = target('sts', 'vpce-0sts');
    const { probes } = fakeProbes({
      'sts.us-east-1.amazonaws.com': ['10.0.11.60'],
      'sts.amazonaws.com': ['209.54.177.164'],
      'sts-fips.us-east-1.amazonaws.com': ['72.21.206.80'],
    });
    const observed = await observe(sts, probes);
    const report = judgeTarget(observed.target, context(), inventory(), observed.observations);
    const codes = report.findings.filter((f) => f.check === 'sdk').map((f) => [f.code, f.status]);
    assert.deepEqual(codes, [
      ['STS_GLOBAL_ENDPOINT_BYPASS', 'warn'],
      ['SDK_NAME_PUBLIC', 'info'],
    ]);
    const bypass = report.findings.find((f) => f.code === 'STS_GLOBAL_ENDPOINT_BYPASS')!;
    assert.match(bypass.message, /209\.54\.177\.164/);
    assert.match(bypass.fix ?? '', /AWS_STS_REGIONAL_ENDPOINTS=regional/);
    assert.match(bypass.fix ?? '', /sts_regional_endpoints = regional/);
    assert.equal(report.status, 'warn');
    assert.equal(report.rootCause?.code, 'STS_GLOBAL_ENDPOINT_BYPASS');
    assert.ok(report.findings.some((f) => f.code === 'L7_AWS_OK'));
  });

  it('pass a global name a private zone serves, and say when a variant does not resolve', () => {
    const sts = target('sts', 'vpce-0sts');
    const resolver: Resolver = { address: '10.0.0.2', source: 'resolv.conf' };
    const dns = (hostname: string, addresses: string[]): DnsObservation =>
      addresses.length > 0
        ? { resolver, hostname, outcome: 'answer', addresses, transport: 'udp', durationMs: 1 }
        : {
            resolver,
            hostname,
            outcome: 'nxdomain',
            addresses: [],
            rcode: 'NXDOMAIN',
            transport: 'udp',
            durationMs: 1,
          };
    const findings = checkSdkNames({
      context: context(),
      inventory: inventory(),
      target: sts,
      observations: {
        dns: [],
        tcp: [],
        tls: [],
        sdkNames: [
          {
            kind: 'sts-global',
            hostname: 'sts.amazonaws.com',
            endpointServes: false,
            dns: dns('sts.amazonaws.com', ['10.0.11.60']),
          },
          {
            kind: 'fips',
            hostname: 'sts-fips.us-east-1.amazonaws.com',
            endpointServes: false,
            dns: dns('sts-fips.us-east-1.amazonaws.com', []),
          },
        ],
      },
    });
    assert.deepEqual(
      findings.map((f) => [f.code, f.status]),
      [
        ['SDK_NAME_PRIVATE', 'pass'],
        ['SDK_NAME_UNRESOLVED', 'info'],
      ],
    );
  });
});

describe('the signed canary in the probe plan', () => {
  const run = async (shortName: string, endpointId: string, signed: boolean | undefined) => {
    const { probes } = fakeProbes({});
    const regions: string[] = [];
    probes.callerIdentity = async (region) => {
      regions.push(region);
      return { call: 'sts:GetCallerIdentity', region, outcome: 'ok', arn: 'arn:aws:sts::1:x', durationMs: 1 };
    };
    const { observations } = await observeTarget(
      target(shortName, endpointId),
      context(),
      inventory(),
      probes,
      TIMEOUTS,
      new AbortController().signal,
      createPool(8),
      signed === undefined ? {} : { signed },
    );
    return { observations, regions };
  };

  it('makes one call, on the STS target only, when the configuration asks', async () => {
    const sts = await run('sts', 'vpce-0sts', true);
    assert.deepEqual(sts.regions, ['us-east-1']);
    assert.equal(sts.observations.signed?.outcome, 'ok');
    assert.deepEqual((await run('secretsmanager', 'vpce-0sm', true)).regions, []);
  });

  it('makes none by default', async () => {
    assert.deepEqual((await run('sts', 'vpce-0sts', undefined)).regions, []);
    assert.deepEqual((await run('sts', 'vpce-0sts', false)).regions, []);
  });
});

describe('an S3 interface endpoint target (s3-interface)', () => {
  it('gets the S3 request and the S3 variant names', async () => {
    const { canaryRequest } = await import('../../src/eval/l7-canary.js');
    assert.equal(canaryRequest('s3-interface').protocol, 'rest-xml');
    const s3 = target('s3-interface', 'vpce-0s3gw', {
      service: 'com.amazonaws.us-east-1.s3',
      hostname: 's3.us-east-1.amazonaws.com',
      endpointType: 'Interface',
    });
    assert.deepEqual(
      sdkNameVariants(s3, 'us-east-1').map((n) => n.hostname),
      ['s3.dualstack.us-east-1.amazonaws.com', 's3-fips.us-east-1.amazonaws.com'],
    );
  });
});
