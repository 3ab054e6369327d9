import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { VpcEndpoint } from '@aws-sdk/client-ec2';
import { validateConfig } from '../../src/config.js';
import { createPool, isProbeable, probeAddresses, resolversToQuery } from '../../src/probe-plan.js';
import { buildTargets, fullServiceName, shortServiceName, unmatchedServices } from '../../src/targets.js';
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

  it('keep both S3 endpoints: the gateway as s3, the interface as s3-interface', () => {
    const targets = buildTargets(ctx, both(), { config: config() });
    const s3 = targets.filter((t) => t.service === 'com.amazonaws.us-east-1.s3');
    assert.deepEqual(
      s3.map((t) => [t.shortName, t.endpointId, t.endpointType]),
      [
        ['s3', 'vpce-0s3gw', 'Gateway'],
        ['s3-interface', 'vpce-0s3if', 'Interface'],
      ],
    );
    assert.equal(s3[1]!.hostname, 's3.us-east-1.amazonaws.com');
  });

  it("give a profile's s3 need to the gateway endpoint when the interface one answers inbound resolvers only", () => {
    const targets = buildTargets(ctx, both(), { config: config({ profiles: ['ecs-fargate'] }) });
    const gateway = targets.find((t) => t.shortName === 's3')!;
    const iface = targets.find((t) => t.shortName === 's3-interface')!;
    assert.equal(gateway.endpointId, 'vpce-0s3gw');
    assert.deepEqual(gateway.profiles, ['ecs-fargate']);
    assert.equal(gateway.required, true);
    assert.deepEqual(iface.profiles, []);
    assert.equal(iface.required, false);
  });

  it('give the profile need to an interface endpoint whose private DNS answers the whole VPC', () => {
    const inv = both();
    const value = (inv.endpoints.ok ? inv.endpoints.value : []).map((e) =>
      e.VpcEndpointId === 'vpce-0s3if' ? { ...e, DnsOptions: { DnsRecordIpType: 'ipv4' as const } } : e,
    );
    const targets = buildTargets(
      ctx,
      { ...inv, endpoints: { ok: true, value } },
      {
        config: config({ discover: false, profiles: ['ecs-fargate'] }),
      },
    );
    const s3 = targets.filter((t) => t.service === 'com.amazonaws.us-east-1.s3');
    assert.deepEqual(
      s3.map((t) => [t.shortName, t.endpointId]),
      [['s3-interface', 'vpce-0s3if']],
    );
  });

  it('configure the interface endpoint by its short name, and narrow --service to it', () => {
    const targets = buildTargets(ctx, both(), {
      config: config({ services: [{ name: 's3-interface', ports: [443, 8443] }] }),
      only: ['s3-interface'],
    });
    assert.deepEqual(
      targets.map((t) => [t.shortName, t.ports]),
      [['s3-interface', [443, 8443]]],
    );
    const all = buildTargets(ctx, both(), { config: config(), only: ['s3'] });
    assert.deepEqual(
      all.map((t) => t.shortName),
      ['s3', 's3-interface'],
    );
    assert.deepEqual(unmatchedServices(all, ['s3-interface', 's3', 'sqs'], 'us-east-1'), ['sqs']);
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
