// checkDns as a table over composed observations and the recorded describe-* fixtures.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkDns } from '../../checks/dns.js';
import type { DnsObservation, Finding, Inventory, Resolver } from '../../src/model.js';
import { gap, input, target } from '../fixtures/ec2/load.js';

const WORKLOAD: Resolver = { address: '10.0.3.53', source: 'resolv.conf' };
const AMAZON: Resolver = { address: '10.0.0.2', source: 'vpc-base-2' };
const SM_ENIS = ['10.0.11.23', '10.0.12.23'];

function obs(
  resolver: Resolver,
  outcome: DnsObservation['outcome'],
  addresses: string[] = [],
): DnsObservation {
  return {
    resolver,
    hostname: 'secretsmanager.us-east-1.amazonaws.com',
    outcome,
    addresses,
    transport: 'udp',
    durationMs: 1.2,
  };
}

function run(
  dns: DnsObservation[],
  options: { endpoint?: string; short?: string; inventory?: Partial<Inventory>; resolvers?: Resolver[] } = {},
): Finding[] {
  const t = target(options.short ?? 'secretsmanager', options.endpoint ?? 'vpce-0sm');
  return checkDns(
    input(t, {
      observations: { dns, tcp: [], tls: [] },
      context: { resolvers: options.resolvers ?? [WORKLOAD, AMAZON] },
      ...(options.inventory ? { inventory: options.inventory } : {}),
    }),
  );
}

const codes = (findings: Finding[]) => findings.map((f) => `${f.code}:${f.status}`);

const customDhcp: Partial<Inventory> = {
  dhcpOptions: {
    ok: true,
    value: {
      DhcpOptionsId: 'dopt-0custom',
      DhcpConfigurations: [{ Key: 'domain-name-servers', Values: [{ Value: '10.0.3.53' }] }],
    },
  },
};

describe('checkDns', () => {
  const table: Array<{
    name: string;
    dns: DnsObservation[];
    options?: Parameters<typeof run>[1];
    expect: string[];
  }> = [
    {
      name: 'passes when the workload resolver answers exactly the endpoint ENI IPs',
      dns: [obs(WORKLOAD, 'answer', SM_ENIS), obs(AMAZON, 'answer', SM_ENIS)],
      expect: ['DNS_PRIVATE_OK:pass'],
    },
    {
      name: 'passes when the answer is a subset of the ENI IPs',
      dns: [obs(WORKLOAD, 'answer', ['10.0.12.23']), obs(AMAZON, 'answer', SM_ENIS)],
      expect: ['DNS_PRIVATE_OK:pass'],
    },
    {
      name: 'fails with DNS_RESOLVES_PUBLIC when AmazonProvidedDNS itself answers public for an interface target',
      dns: [obs(AMAZON, 'answer', ['52.94.1.1'])],
      options: { resolvers: [{ address: '10.0.0.2', source: 'resolv.conf' }] },
      expect: ['DNS_RESOLVES_PUBLIC:fail'],
    },
    {
      name: 'fails with DNS_RESOLVES_UNEXPECTED_PRIVATE for private addresses that are not the ENIs',
      dns: [obs(WORKLOAD, 'answer', ['10.0.99.9']), obs(AMAZON, 'answer', ['10.0.99.9'])],
      expect: ['DNS_RESOLVES_UNEXPECTED_PRIVATE:fail'],
    },
    {
      name: 'treats private space outside the VPC (another VPC) as unexpected private, not public',
      dns: [obs(WORKLOAD, 'answer', ['172.20.1.5']), obs(AMAZON, 'answer', ['172.20.1.5'])],
      expect: ['DNS_RESOLVES_UNEXPECTED_PRIVATE:fail'],
    },
    {
      name: 'names DHCP_CUSTOM_DNS when the custom resolver answers public, AmazonProvidedDNS the ENIs, and dhcp-options name it',
      dns: [obs(WORKLOAD, 'answer', ['52.94.1.1']), obs(AMAZON, 'answer', SM_ENIS)],
      options: { inventory: customDhcp },
      expect: ['DNS_RESOLVES_PUBLIC:fail', 'DHCP_CUSTOM_DNS:fail'],
    },
    {
      name: 'warns DNS_RESOLVERS_DISAGREE for the same answers when the VPC uses AmazonProvidedDNS in DHCP',
      dns: [obs(WORKLOAD, 'answer', ['52.94.1.1']), obs(AMAZON, 'answer', SM_ENIS)],
      expect: ['DNS_RESOLVES_PUBLIC:fail', 'DNS_RESOLVERS_DISAGREE:warn'],
    },
    {
      name: 'warns DNS_RESOLVERS_DISAGREE when the DHCP options are a gap',
      dns: [obs(WORKLOAD, 'answer', ['52.94.1.1']), obs(AMAZON, 'answer', SM_ENIS)],
      options: { inventory: { dhcpOptions: { ok: false, gap: gap('DescribeDhcpOptions') } } },
      expect: ['DNS_RESOLVES_PUBLIC:fail', 'DNS_RESOLVERS_DISAGREE:warn'],
    },
    {
      name: 'maps NXDOMAIN, SERVFAIL, timeout, malformed, REFUSED, NODATA and error to their codes',
      dns: [
        obs({ address: '10.0.3.1', source: 'resolv.conf' }, 'nxdomain'),
        obs({ address: '10.0.3.2', source: 'resolv.conf' }, 'servfail'),
        obs({ address: '10.0.3.3', source: 'resolv.conf' }, 'timeout'),
        obs({ address: '10.0.3.4', source: 'resolv.conf' }, 'malformed'),
        obs({ address: '10.0.3.5', source: 'resolv.conf' }, 'refused'),
        obs({ address: '10.0.3.6', source: 'resolv.conf' }, 'nodata'),
        obs({ address: '10.0.3.7', source: 'resolv.conf' }, 'error'),
      ],
      options: { resolvers: [] },
      expect: [
        'DNS_NXDOMAIN:fail',
        'DNS_SERVFAIL:fail',
        'DNS_TIMEOUT:fail',
        'DNS_MALFORMED_RESPONSE:fail',
        'DNS_REFUSED:fail',
        'DNS_NODATA:fail',
        'DNS_ERROR:fail',
      ],
    },
    {
      name: 'names DHCP_CUSTOM_DNS when the custom resolver answers NXDOMAIN for the private name',
      dns: [obs(WORKLOAD, 'nxdomain'), obs(AMAZON, 'answer', SM_ENIS)],
      options: { inventory: customDhcp },
      expect: ['DNS_NXDOMAIN:fail', 'DHCP_CUSTOM_DNS:fail'],
    },
    {
      name: 'passes a public answer for a gateway target with DNS_PUBLIC_OK',
      dns: [obs(AMAZON, 'answer', ['52.216.4.1'])],
      options: {
        endpoint: 'vpce-0s3gw',
        short: 's3',
        resolvers: [{ address: '10.0.0.2', source: 'resolv.conf' }],
      },
      expect: ['DNS_PUBLIC_OK:pass'],
    },
    {
      name: 'fails a private answer for a gateway target',
      dns: [obs(AMAZON, 'answer', ['10.0.50.5'])],
      options: {
        endpoint: 'vpce-0s3gw',
        short: 's3',
        resolvers: [{ address: '10.0.0.2', source: 'resolv.conf' }],
      },
      expect: ['DNS_RESOLVES_UNEXPECTED_PRIVATE:fail'],
    },
    {
      name: 'answers unknown when the ENI IPs are a gap and the answer is private',
      dns: [obs(AMAZON, 'answer', SM_ENIS)],
      options: {
        resolvers: [{ address: '10.0.0.2', source: 'resolv.conf' }],
        inventory: { endpointInterfaces: { ok: false, gap: gap('DescribeNetworkInterfaces') } },
      },
      expect: ['DNS_ANSWER_UNVERIFIED:unknown'],
    },
    {
      name: 'still decides a public answer when the ENI IPs are a gap',
      dns: [obs(AMAZON, 'answer', ['52.94.1.1'])],
      options: {
        resolvers: [{ address: '10.0.0.2', source: 'resolv.conf' }],
        inventory: { endpointInterfaces: { ok: false, gap: gap('DescribeNetworkInterfaces') } },
      },
      expect: ['DNS_RESOLVES_PUBLIC:fail'],
    },
    {
      name: 'counts resolv.conf naming AmazonProvidedDNS as both: no self-comparison',
      dns: [
        obs({ address: '10.0.0.2', source: 'resolv.conf' }, 'answer', SM_ENIS),
        obs(AMAZON, 'answer', SM_ENIS),
      ],
      expect: ['DNS_PRIVATE_OK:pass'],
    },
  ];

  for (const row of table) {
    it(row.name, () => {
      assert.deepEqual(codes(run(row.dns, row.options)), row.expect);
    });
  }

  it('gives no fix on a pass and a fix on every failure', () => {
    const findings = [
      ...run([obs(WORKLOAD, 'answer', SM_ENIS)]),
      ...run([obs(WORKLOAD, 'answer', ['52.94.1.1']), obs(AMAZON, 'answer', SM_ENIS)], {
        inventory: customDhcp,
      }),
    ];
    for (const f of findings) {
      if (f.status === 'pass') assert.equal(f.fix, undefined, f.code);
      else assert.ok(f.fix && f.fix.length > 0, f.code);
    }
  });

  it('names the dhcp-options id, the custom server and both answers in DHCP_CUSTOM_DNS', () => {
    const finding = run([obs(WORKLOAD, 'answer', ['52.94.1.1']), obs(AMAZON, 'answer', SM_ENIS)], {
      inventory: customDhcp,
    }).find((f) => f.code === 'DHCP_CUSTOM_DNS')!;
    assert.match(finding.message, /dopt-0custom \(10\.0\.3\.53\)/);
    assert.match(finding.message, /52\.94\.1\.1/);
    assert.match(finding.message, /10\.0\.11\.23/);
    assert.match(finding.fix ?? '', /associate-dhcp-options/);
  });

  it('suggests enabling private DNS when the endpoint has it off', () => {
    const t = target('sts', 'vpce-0sts');
    const [finding] = checkDns(
      input(t, {
        context: { resolvers: [{ address: '10.0.0.2', source: 'resolv.conf' }] },
        observations: {
          dns: [obs({ address: '10.0.0.2', source: 'resolv.conf' }, 'answer', ['52.94.2.2'])],
          tcp: [],
          tls: [],
        },
      }),
    );
    assert.equal(finding?.code, 'DNS_RESOLVES_PUBLIC');
    assert.match(finding?.fix ?? '', /modify-vpc-endpoint --vpc-endpoint-id vpce-0sts --private-dns-enabled/);
  });

  it('reports a public answer for a service without an endpoint as info', () => {
    const t = target('sqs');
    const findings = checkDns(
      input(t, {
        context: { resolvers: [{ address: '10.0.0.2', source: 'resolv.conf' }] },
        observations: {
          dns: [obs({ address: '10.0.0.2', source: 'resolv.conf' }, 'answer', ['3.3.3.3'])],
          tcp: [],
          tls: [],
        },
      }),
    );
    assert.deepEqual(codes(findings), ['DNS_NO_LOCAL_ENDPOINT:info']);
    assert.match(findings[0]!.message, /no endpoint in vpc-/);
  });

  it('does not claim the VPC has no endpoint when the endpoints could not be read', () => {
    const findings = checkDns(
      input(target('sqs'), {
        context: { resolvers: [{ address: '10.0.0.2', source: 'resolv.conf' }] },
        inventory: { endpoints: { ok: false, gap: gap('DescribeVpcEndpoints') } },
        observations: {
          dns: [obs({ address: '10.0.0.2', source: 'resolv.conf' }, 'answer', ['3.3.3.3'])],
          tcp: [],
          tls: [],
        },
      }),
    );
    assert.deepEqual(codes(findings), ['DNS_NO_LOCAL_ENDPOINT:info']);
    assert.match(findings[0]!.message, /has an endpoint for it is unknown \(ec2:DescribeVpcEndpoints/);
    assert.doesNotMatch(findings[0]!.message, /no endpoint in/);
  });

  it('returns nothing when nothing was probed', () => {
    assert.deepEqual(run([]), []);
  });
});
