import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { VpcEndpoint } from '@aws-sdk/client-ec2';
import { validateConfig } from '../../src/config.js';
import type { Target } from '../../src/model.js';
import { createPool, isProbeable, probeAddresses, resolversToQuery } from '../../src/probe-plan.js';
import {
  buildTargets,
  followAnswer,
  fullServiceName,
  shortServiceName,
  unmatchedServices,
} from '../../src/targets.js';
import { context, endpoints, inventory, inventoryWithS3Interface, target } from '../fixtures/ec2/load.js';

const ctx = context();
const config = (document: unknown = {}) => validateConfig(document, 'test');

describe('targets', () => {
  it('are every endpoint of the VPC by default, with the names a workload resolves', () => {
    const targets = buildTargets(ctx, inventory(), { config: config() });
    const names = targets.map((t) => t.shortName);
    assert.deepEqual(names, [...names].sort(), 'sorted by name');
    for (const name of [
      'secretsmanager',
      'ecr.dkr',
      'logs',
      'sts',
      'kms',
      'ssm',
      'vpce-svc-0abc123',
      's3',
      'dynamodb',
    ]) {
      assert.ok(names.includes(name), `${name} in ${names.join(',')}`);
    }
    const sm = targets.find((t) => t.shortName === 'secretsmanager')!;
    assert.equal(sm.hostname, 'secretsmanager.us-east-1.amazonaws.com');
    assert.equal(sm.endpointId, 'vpce-0sm');
    assert.deepEqual(sm.ports, [443]);
    assert.equal(sm.tls, true);
    assert.equal(targets.find((t) => t.shortName === 's3')!.endpointType, 'Gateway');
    assert.equal(
      targets.find((t) => t.shortName === 'vpce-svc-0abc123')!.tls,
      false,
      'TLS is optional for own services',
    );
  });

  it('add what a profile needs, with endpointType none where the VPC has no endpoint', () => {
    const targets = buildTargets(ctx, inventory(), { config: config({ profiles: ['ecs-fargate'] }) });
    const api = targets.find((t) => t.shortName === 'ecr.api');
    assert.ok(api, 'ecr.api added by the profile');
    assert.equal(api.endpointType, 'none');
    assert.equal(api.hostname, 'api.ecr.us-east-1.amazonaws.com');
    assert.equal(api.required, true);
    assert.deepEqual(api.profiles, ['ecs-fargate']);
    const dkr = targets.find((t) => t.shortName === 'ecr.dkr')!;
    assert.equal(dkr.endpointId, 'vpce-0ecr', 'the existing endpoint serves the profile');
    assert.deepEqual(dkr.origin, ['discovered', 'profile']);
  });

  it('take ports, TLS and hostname of a configured endpoint service, and mark it required', () => {
    const targets = buildTargets(ctx, inventory(), {
      config: config({
        services: [
          { name: 'vpce-svc-0abc123', ports: [443, 8443], hostname: 'api.internal.example', tls: true },
        ],
      }),
    });
    const own = targets.find((t) => t.shortName === 'vpce-svc-0abc123')!;
    assert.deepEqual(own.ports, [443, 8443]);
    assert.equal(own.hostname, 'api.internal.example');
    assert.equal(own.tls, true);
    assert.equal(own.required, true);
  });

  it('with discover off are only what profiles and configuration name', () => {
    const targets = buildTargets(ctx, inventory(), {
      config: config({ discover: false, services: [{ name: 'sts' }] }),
    });
    assert.deepEqual(
      targets.map((t) => [t.shortName, t.endpointId]),
      [['sts', 'vpce-0sts']],
    );
  });

  it('narrow to --service names, short or full, and report names that match nothing', () => {
    const targets = buildTargets(ctx, inventory(), {
      config: config(),
      only: ['s3', 'com.amazonaws.us-east-1.sts'],
    });
    assert.deepEqual(
      targets.map((t) => t.shortName),
      ['s3', 'sts'],
    );
    assert.deepEqual(unmatchedServices(targets, ['s3', 'sqs'], 'us-east-1'), ['sqs']);
  });

  it('skip deleted endpoints and Gateway Load Balancer endpoints', () => {
    const extra: VpcEndpoint[] = [
      {
        ...endpoints[0]!,
        VpcEndpointId: 'vpce-0gone',
        ServiceName: 'com.amazonaws.us-east-1.sqs',
        // EC2 returns states in lower camel case, whatever the SDK's enum spells.
        State: 'deleted' as VpcEndpoint['State'],
      },
      {
        ...endpoints[0]!,
        VpcEndpointId: 'vpce-0gwlb',
        ServiceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0fw',
        VpcEndpointType: 'GatewayLoadBalancer',
      },
    ];
    const targets = buildTargets(
      ctx,
      inventory({ endpoints: { ok: true, value: [...endpoints, ...extra] } }),
      { config: config() },
    );
    assert.ok(!targets.some((t) => t.shortName === 'sqs' || t.shortName === 'vpce-svc-0fw'));
  });

  it('name services both ways', () => {
    assert.equal(shortServiceName('com.amazonaws.us-east-1.ecr.dkr'), 'ecr.dkr');
    assert.equal(shortServiceName('com.amazonaws.vpce.us-east-1.vpce-svc-0abc'), 'vpce-svc-0abc');
    assert.equal(fullServiceName('ecr.dkr', 'eu-west-1'), 'com.amazonaws.eu-west-1.ecr.dkr');
    assert.equal(fullServiceName('vpce-svc-0abc', 'eu-west-1'), 'com.amazonaws.vpce.eu-west-1.vpce-svc-0abc');
  });
});

describe('probe addresses', () => {
  const answer = (address: string, source: 'resolv.conf' | 'vpc-base-2', addresses: string[]) => ({
    resolver: { address, source },
    hostname: 's3.us-east-1.amazonaws.com',
    outcome: 'answer' as const,
    addresses,
    transport: 'udp' as const,
    durationMs: 1,
  });

  it('are the ENIs of an interface endpoint, whatever DNS says', () => {
    const t = target('secretsmanager', 'vpce-0sm');
    const ips = probeAddresses(
      t,
      inventory(),
      [answer('10.0.0.2', 'resolv.conf', ['52.94.1.1'])],
      ctx.resolvers,
    );
    assert.ok(ips.length > 0);
    assert.ok(
      ips.every((ip) => ip.startsWith('10.')),
      ips.join(','),
    );
  });

  it('are what the workload resolver answers for a gateway service', () => {
    const t = target('s3', 'vpce-0s3gw', { endpointType: 'Gateway' });
    const resolvers = [
      { address: '10.0.3.53', source: 'resolv.conf' as const },
      { address: '10.0.0.2', source: 'vpc-base-2' as const },
    ];
    const dns = [
      answer('10.0.3.53', 'resolv.conf', ['52.216.4.1']),
      answer('10.0.0.2', 'vpc-base-2', ['52.216.9.9']),
    ];
    assert.deepEqual(probeAddresses(t, inventory(), dns, resolvers), ['52.216.4.1']);
  });

  it('never include IMDS, loopback, multicast or 0/8, whatever a resolver answers', () => {
    for (const ip of [
      '169.254.169.254',
      '169.254.169.253',
      '127.0.0.1',
      '224.0.0.1',
      '0.1.2.3',
      '255.255.255.255',
    ]) {
      assert.equal(isProbeable(ip), false, ip);
    }
    assert.equal(isProbeable('52.216.4.1'), true);
    const t = target('s3', 'vpce-0s3gw', { endpointType: 'Gateway' });
    const dns = [answer('10.0.0.2', 'resolv.conf', ['169.254.169.254', '52.216.4.1'])];
    assert.deepEqual(probeAddresses(t, inventory(), dns, [{ address: '10.0.0.2', source: 'resolv.conf' }]), [
      '52.216.4.1',
    ]);
  });
});

describe('the socket pool', () => {
  it('runs at most its limit at once and every task in the end', async () => {
    const run = createPool(3);
    let active = 0;
    let peak = 0;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        run(async () => {
          active += 1;
          peak = Math.max(peak, active);
          await new Promise((r) => setImmediate(r));
          active -= 1;
          return i;
        }),
      ),
    );
    assert.equal(peak, 3);
    assert.deepEqual(
      results,
      Array.from({ length: 20 }, (_, i) => i),
    );
  });
});

describe('targets for a service with both a gateway and an interface endpoint', () => {
  const both = () => inventoryWithS3Interface();
  /** The fixture's S3 interface endpoint with its DnsOptions replaced. */
  const withDnsOptions = (dnsOptions: VpcEndpoint['DnsOptions']) => {
    const inv = both();
    const value = (inv.endpoints.ok ? inv.endpoints.value : []).map((e) =>
      e.VpcEndpointId === 'vpce-0s3if' ? { ...e, DnsOptions: dnsOptions } : e,
    );
    return { ...inv, endpoints: { ok: true as const, value } };
  };
  const s3Targets = (targets: Target[]) =>
    targets
      .filter((t) => t.service === 'com.amazonaws.us-east-1.s3')
      .map((t) => [
        t.shortName,
        t.endpointId,
        t.endpointType,
        t.offPath?.map((o) => [o.endpointId, o.reason]),
      ]);

  it('check S3 through the gateway when the interface endpoint answers inbound resolvers only, listing it off the path', () => {
    const targets = buildTargets(ctx, both(), { config: config({ profiles: ['ecs-fargate'] }) });
    assert.deepEqual(s3Targets(targets), [
      ['s3', 'vpce-0s3gw', 'Gateway', [['vpce-0s3if', 'inbound-resolver-only']]],
    ]);
    const s3 = targets.find((t) => t.shortName === 's3')!;
    assert.deepEqual(s3.profiles, ['ecs-fargate']);
    assert.equal(s3.required, true);
  });

  it('check S3 through the interface endpoint when its private DNS answers the whole VPC, listing the gateway off the path', () => {
    const inv = withDnsOptions({ DnsRecordIpType: 'ipv4', PrivateDnsOnlyForInboundResolverEndpoint: false });
    for (const discover of [true, false]) {
      const targets = buildTargets(ctx, inv, { config: config({ discover, profiles: ['ecs-fargate'] }) });
      assert.deepEqual(s3Targets(targets), [
        ['s3-interface', 'vpce-0s3if', 'Interface', [['vpce-0s3gw', 'name-on-interface']]],
      ]);
      assert.equal(
        targets.find((t) => t.shortName === 's3-interface')!.hostname,
        's3.us-east-1.amazonaws.com',
      );
    }
  });

  it('narrow --service s3 and --service s3-interface to the S3 target, whichever endpoint is its path', () => {
    for (const inv of [both(), withDnsOptions({ PrivateDnsOnlyForInboundResolverEndpoint: false })]) {
      for (const name of ['s3', 's3-interface']) {
        const targets = buildTargets(ctx, inv, { config: config(), only: [name] });
        assert.equal(targets.length, 1, name);
        assert.equal(targets[0]!.service, 'com.amazonaws.us-east-1.s3');
        assert.deepEqual(unmatchedServices(targets, [name, 'sqs'], 'us-east-1'), ['sqs']);
      }
    }
  });

  it('configure the interface endpoint by its short name when it is the path', () => {
    const targets = buildTargets(ctx, withDnsOptions({ PrivateDnsOnlyForInboundResolverEndpoint: false }), {
      config: config({ services: [{ name: 's3-interface', ports: [443, 8443] }] }),
      only: ['s3-interface'],
    });
    assert.deepEqual(
      targets.map((t) => [t.shortName, t.ports]),
      [['s3-interface', [443, 8443]]],
    );
  });
});

describe('targets for a service with two interface endpoints', () => {
  const secondSecretsManager = (first: Partial<VpcEndpoint>, second: Partial<VpcEndpoint>) => {
    const inv = inventory();
    const value = inv.endpoints.ok ? inv.endpoints.value : [];
    const sm = value.find((e) => e.VpcEndpointId === 'vpce-0sm')!;
    const copy: VpcEndpoint = { ...sm, VpcEndpointId: 'vpce-0sm2', NetworkInterfaceIds: [], ...second };
    // The API's order must not matter: the second endpoint is listed before and after the first.
    return [
      {
        ...inv,
        endpoints: {
          ok: true as const,
          value: [copy, ...value.map((e) => (e === sm ? { ...sm, ...first } : e))],
        },
      },
      {
        ...inv,
        endpoints: {
          ok: true as const,
          value: [...value.map((e) => (e === sm ? { ...sm, ...first } : e)), copy],
        },
      },
    ];
  };

  it('check the one that owns the private DNS name and list the other as not on the path', () => {
    for (const [first, second, path, off] of [
      [{ PrivateDnsEnabled: true }, { PrivateDnsEnabled: false }, 'vpce-0sm', 'vpce-0sm2'],
      [{ PrivateDnsEnabled: false }, { PrivateDnsEnabled: true }, 'vpce-0sm2', 'vpce-0sm'],
    ] as const) {
      for (const inv of secondSecretsManager(first, second)) {
        const targets = buildTargets(ctx, inv, { config: config() }).filter(
          (t) => t.shortName === 'secretsmanager',
        );
        assert.deepEqual(
          targets.map((t) => [t.endpointId, t.offPath]),
          [
            [
              path,
              [{ endpointId: off, endpointType: 'Interface', reason: 'private-dns-elsewhere', pathId: path }],
            ],
          ],
        );
      }
    }
  });

  it('prefer the available one when neither owns the name', () => {
    for (const inv of secondSecretsManager(
      { PrivateDnsEnabled: false },
      { PrivateDnsEnabled: false, State: 'Pending' },
    )) {
      const sm = buildTargets(ctx, inv, { config: config() }).find((t) => t.shortName === 'secretsmanager')!;
      assert.equal(sm.endpointId, 'vpce-0sm');
      assert.deepEqual(
        sm.offPath?.map((o) => o.reason),
        ['same-kind-elsewhere'],
      );
    }
  });
});

describe('a target whose service name no endpoint owns', () => {
  // Two endpoints for kms, neither with private DNS: a private hosted zone decides which one
  // workloads use, and its answer is known only once DNS was asked.
  const inv = (() => {
    const base = inventory();
    const value = base.endpoints.ok ? base.endpoints.value : [];
    const kms = value.find((e) => e.VpcEndpointId === 'vpce-0kms')!;
    const second = {
      ...kms,
      VpcEndpointId: 'vpce-0kms2',
      NetworkInterfaceIds: ['eni-0kms2'],
      PrivateDnsEnabled: false,
    };
    const enis = base.endpointInterfaces.ok ? base.endpointInterfaces.value : [];
    const eni = {
      ...enis.find((e) => e.NetworkInterfaceId === 'eni-0kms1b')!,
      NetworkInterfaceId: 'eni-0kms2',
      PrivateIpAddress: '10.0.12.41',
    };
    return inventory({
      endpoints: {
        ok: true,
        value: [...value.map((e) => (e === kms ? { ...kms, PrivateDnsEnabled: false } : e)), second],
      },
      endpointInterfaces: { ok: true, value: [...enis, eni] },
    });
  })();
  const kms = () => buildTargets(ctx, inv, { config: config() }).find((t) => t.shortName === 'kms')!;

  it('follows the answer to the endpoint whose ENIs it names', () => {
    const planned = kms();
    assert.equal(planned.endpointId, 'vpce-0kms');
    const followed = followAnswer(planned, ['10.0.12.41'], inv);
    assert.equal(followed.endpointId, 'vpce-0kms2');
    assert.deepEqual(followed.offPath, [
      {
        endpointId: 'vpce-0kms',
        endpointType: 'Interface',
        reason: 'same-kind-elsewhere',
        pathId: 'vpce-0kms2',
      },
    ]);
  });

  it('keeps the planned endpoint when the answer names it, or names no endpoint of the service', () => {
    for (const answer of [['10.0.12.40'], ['10.0.12.40', '10.0.12.41'], ['10.9.9.9'], []]) {
      assert.equal(followAnswer(kms(), answer, inv).endpointId, 'vpce-0kms', answer.join(','));
    }
  });
});

describe('targets when the endpoints cannot be read', () => {
  const denied = inventory({
    endpoints: {
      ok: false,
      gap: {
        call: 'DescribeVpcEndpoints',
        action: 'ec2:DescribeVpcEndpoints',
        kind: 'permission',
        errorCode: 'UnauthorizedOperation',
        message: 'denied',
      },
    },
  });

  it('still check a service named with --service, from the data plane', () => {
    const targets = buildTargets(ctx, denied, { config: config(), only: ['kms'] });
    assert.deepEqual(
      targets.map((t) => [t.shortName, t.hostname, t.endpointType]),
      [['kms', 'kms.us-east-1.amazonaws.com', 'none']],
    );
    assert.deepEqual(unmatchedServices(targets, ['kms'], 'us-east-1'), []);
  });

  it('still check what the profiles need', () => {
    const targets = buildTargets(ctx, denied, { config: config({ profiles: ['ssm'] }) });
    assert.deepEqual(
      targets.map((t) => t.shortName),
      ['ec2messages', 's3', 'ssm', 'ssmmessages'],
    );
  });
});

describe('target hostnames of AWS services', () => {
  it("come from the service's own private DNS names, a concrete name before a wildcard", () => {
    const inv = inventory({
      services: {
        ok: true,
        value: [
          {
            ServiceName: 'com.amazonaws.us-east-1.kinesis-firehose',
            PrivateDnsName: 'firehose.us-east-1.amazonaws.com',
          },
          {
            ServiceName: 'com.amazonaws.us-east-1.s3',
            PrivateDnsNames: [
              { PrivateDnsName: '*.s3.us-east-1.amazonaws.com' },
              { PrivateDnsName: 's3.us-east-1.amazonaws.com' },
            ],
          },
        ],
      },
    });
    const targets = buildTargets(ctx, inv, {
      config: config({ discover: false, services: [{ name: 'kinesis-firehose' }, { name: 's3' }] }),
    });
    assert.deepEqual(
      targets.map((t) => [t.shortName, t.hostname]),
      [
        ['kinesis-firehose', 'firehose.us-east-1.amazonaws.com'],
        ['s3', 's3.us-east-1.amazonaws.com'],
      ],
    );
  });

  it('fall back to the names SDKs call when no service details were read', () => {
    const targets = buildTargets(ctx, inventory({ services: { ok: true, value: [] } }), {
      config: config({
        discover: false,
        services: [
          { name: 'kinesis-streams' },
          { name: 'kinesis-firehose' },
          { name: 'sagemaker.runtime' },
          { name: 'sts' },
        ],
      }),
    });
    assert.deepEqual(Object.fromEntries(targets.map((t) => [t.shortName, t.hostname])), {
      'kinesis-firehose': 'firehose.us-east-1.amazonaws.com',
      'kinesis-streams': 'kinesis.us-east-1.amazonaws.com',
      'sagemaker.runtime': 'runtime.sagemaker.us-east-1.amazonaws.com',
      sts: 'sts.us-east-1.amazonaws.com',
    });
  });
});

describe('target hostnames of endpoint services', () => {
  it('are never the service name: with no private DNS name and no DNS entries the hostname is empty', () => {
    const targets = buildTargets(ctx, inventoryWithS3Interface(), { config: config() });
    const own = targets.find((t) => t.endpointId === 'vpce-0nodns')!;
    assert.equal(own.hostname, '');
    assert.equal(own.shortName, 'vpce-svc-0cafe');
    for (const t of targets)
      assert.ok(!t.hostname.startsWith('com.amazonaws.'), `${t.shortName}: ${t.hostname}`);
  });

  it('are the endpoint DNS entry when private DNS is off', () => {
    const inv = inventoryWithS3Interface();
    const value = (inv.endpoints.ok ? inv.endpoints.value : []).map((e) =>
      e.VpcEndpointId === 'vpce-0nodns'
        ? { ...e, DnsEntries: [{ DnsName: 'vpce-0nodns-1a2b.vpce-svc-0cafe.us-east-1.vpce.amazonaws.com' }] }
        : e,
    );
    const targets = buildTargets(ctx, { ...inv, endpoints: { ok: true, value } }, { config: config() });
    assert.equal(
      targets.find((t) => t.endpointId === 'vpce-0nodns')!.hostname,
      'vpce-0nodns-1a2b.vpce-svc-0cafe.us-east-1.vpce.amazonaws.com',
    );
  });

  it('are empty for a configured endpoint service the VPC has no endpoint for', () => {
    const targets = buildTargets(ctx, inventory(), {
      config: config({ discover: false, services: [{ name: 'vpce-svc-0fa7' }] }),
    });
    assert.deepEqual(
      targets.map((t) => [t.shortName, t.hostname, t.endpointType]),
      [['vpce-svc-0fa7', '', 'none']],
    );
  });
});

describe('the resolvers a report asks', () => {
  const inv = inventory();
  const base2 = { address: '10.0.0.2', source: 'vpc-base-2' as const };
  const linkLocal = { address: '169.254.169.253', source: 'link-local' as const };

  it('ask AmazonProvidedDNS once when the workload already uses it', () => {
    const asked = resolversToQuery([{ address: '10.0.0.2', source: 'resolv.conf' }, linkLocal], inv);
    assert.deepEqual(asked, [{ address: '10.0.0.2', source: 'resolv.conf' }]);
  });

  it('ask the workload resolver and AmazonProvidedDNS, to compare, when the workload uses a custom one', () => {
    const custom = { address: '10.0.3.53', source: 'resolv.conf' as const };
    assert.deepEqual(resolversToQuery([custom, base2, linkLocal], inv), [custom, base2]);
  });

  it('ask one AmazonProvidedDNS address when resolv.conf names nothing', () => {
    assert.deepEqual(resolversToQuery([base2, linkLocal], inv), [base2]);
  });
});
