import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkEndpoint } from '../../checks/endpoint.js';
import type { Finding, Inventory } from '../../src/model.js';
import {
  endpoints,
  gap,
  input,
  interfaces,
  inventoryWithS3Interface,
  resolved,
  services,
  target,
} from '../fixtures/ec2/load.js';

function codes(findings: Finding[]) {
  return findings.map((f) => [f.code, f.status]);
}

function assertShape(findings: Finding[]) {
  for (const finding of findings) {
    assert.equal(finding.check, 'endpoint');
    if (finding.status === 'pass') assert.equal(finding.fix, undefined);
    else assert.ok(finding.fix && finding.fix.length > 0, `${finding.code} has no fix`);
  }
}

describe('checkEndpoint', () => {
  test('an available interface endpoint with private DNS and an ENI in the agent AZ passes', () => {
    const findings = checkEndpoint(input(target('secretsmanager', 'vpce-0sm')));
    assert.deepEqual(codes(findings), [['ENDPOINT_OK', 'pass']]);
    assert.match(findings[0]!.message, /vpce-0sm/);
    assertShape(findings);
  });

  test('a rejected endpoint fails, names the state and says to recreate it', () => {
    const findings = checkEndpoint(input(target('ssm', 'vpce-0ssm')));
    const finding = findings.find((f) => f.code === 'ENDPOINT_NOT_AVAILABLE')!;
    assert.equal(finding.status, 'fail');
    assert.match(finding.message, /vpce-0ssm .* is rejected/);
    assert.match(finding.fix!, /create-vpc-endpoint/);
    assertShape(findings);
  });

  test("an endpoint pending acceptance is accepted in the service owner's account", () => {
    const findings = checkEndpoint(
      input(target('svc', 'vpce-0svc', { service: 'com.amazonaws.vpce.us-east-1.vpce-svc-0abc123' })),
    );
    const finding = findings.find((f) => f.code === 'ENDPOINT_NOT_AVAILABLE')!;
    assert.match(
      finding.fix!,
      /service owner's account: aws ec2 accept-vpc-endpoint-connections --service-id vpce-svc-0abc123 --vpc-endpoint-ids vpce-0svc/,
    );
    assert.equal(
      findings.some((f) => f.code === 'ENDPOINT_PRIVATE_DNS_DISABLED'),
      false,
      'endpoint services are not judged on private DNS',
    );
  });

  test('an AWS-service interface endpoint with private DNS off fails with the modify command', () => {
    const findings = checkEndpoint(input(target('sts', 'vpce-0sts')));
    const finding = findings.find((f) => f.code === 'ENDPOINT_PRIVATE_DNS_DISABLED')!;
    assert.equal(finding.status, 'fail');
    assert.equal(
      finding.fix,
      'aws ec2 modify-vpc-endpoint --vpc-endpoint-id vpce-0sts --private-dns-enabled',
    );
    assert.match(finding.message, /sts\.us-east-1\.amazonaws\.com resolves to public/);
  });

  test('an endpoint with ENIs only in another AZ warns and suggests adding the agent subnet', () => {
    const findings = checkEndpoint(input(target('logs', 'vpce-0logs')));
    assert.deepEqual(codes(findings), [['ENDPOINT_NOT_IN_AZ', 'warn']]);
    assert.match(findings[0]!.message, /no ENI in us-east-1a \(only us-east-1b\)/);
    assert.equal(
      findings[0]!.fix,
      'aws ec2 modify-vpc-endpoint --vpc-endpoint-id vpce-0logs --add-subnet-ids subnet-0app',
    );
  });

  test('says when the service is not offered in the agent AZ at all', () => {
    const findings = checkEndpoint(input(target('kms', 'vpce-0kms')));
    assert.deepEqual(codes(findings), [['ENDPOINT_NOT_IN_AZ', 'warn']]);
    assert.match(findings[0]!.message, /not offered there/);
    assert.equal(findings[0]!.evidence['serviceOfferedInAgentAz'], false);
  });

  test('VPC DNS attributes turned off fail for interface endpoints that rely on private DNS', () => {
    const findings = checkEndpoint(
      input(target('secretsmanager', 'vpce-0sm'), {
        inventory: { dnsSupport: { ok: true, value: false }, dnsHostnames: { ok: true, value: false } },
      }),
    );
    assert.deepEqual(codes(findings), [
      ['VPC_DNS_SUPPORT_DISABLED', 'fail'],
      ['VPC_DNS_HOSTNAMES_DISABLED', 'fail'],
    ]);
    assert.equal(
      findings[1]!.fix,
      'aws ec2 modify-vpc-attribute --vpc-id vpc-0a1b --enable-dns-hostnames "{\\"Value\\":true}"',
    );
    assertShape(findings);
  });

  test('a gateway endpoint is never judged on private DNS, even when moto reports it on', () => {
    const moto = endpoints.map((e) =>
      e.VpcEndpointId === 'vpce-0s3gw' ? { ...e, PrivateDnsEnabled: true } : e,
    );
    const findings = checkEndpoint(
      input(target('s3', 'vpce-0s3gw'), {
        inventory: { endpoints: { ok: true, value: moto }, dnsHostnames: { ok: true, value: false } },
      }),
    );
    assert.deepEqual(codes(findings), [['ENDPOINT_OK', 'pass']]);
  });

  test('a target without an endpoint gets no endpoint findings (the profiles check reports it)', () => {
    assert.deepEqual(checkEndpoint(input(target('ec2'))), []);
  });

  test('an endpoint id absent from the inventory fails as not found', () => {
    const findings = checkEndpoint(
      input(target('sqs', undefined, { endpointId: 'vpce-0gone', endpointType: 'Interface' })),
    );
    assert.deepEqual(codes(findings), [['ENDPOINT_NOT_FOUND', 'fail']]);
  });

  test('answers unknown naming ec2:DescribeVpcEndpoints when endpoints are a gap', () => {
    const findings = checkEndpoint(
      input(target('secretsmanager', 'vpce-0sm'), {
        inventory: { endpoints: { ok: false, gap: gap('DescribeVpcEndpoints') } },
      }),
    );
    assert.deepEqual(codes(findings), [['ENDPOINT_UNKNOWN', 'unknown']]);
    assert.match(findings[0]!.message, /ec2:DescribeVpcEndpoints/);
  });
});

describe('checkEndpoint: endpoints without a DNS name', () => {
  test('an endpoint service without private DNS name or DNS entries is unknown: configure its hostname', () => {
    const t = target('vpce-svc-0cafe', undefined, {
      service: 'com.amazonaws.vpce.us-east-1.vpce-svc-0cafe',
      endpointId: 'vpce-0nodns',
      endpointType: 'Interface',
      hostname: '',
      tls: false,
    });
    const findings = checkEndpoint(input(t, { inventory: inventoryWithS3Interface() }));
    const finding = findings.find((f) => f.code === 'ENDPOINT_NO_DNS_NAME');
    assert.ok(finding, JSON.stringify(codes(findings)));
    assert.equal(finding.status, 'unknown');
    assert.match(finding.message, /vpce-0nodns .* no DNS name/);
    assert.match(finding.fix!, /hostname:/);
    assert.ok(
      findings.some((f) => f.code === 'ENDPOINT_OK'),
      'the endpoint itself is still judged',
    );
    assertShape(findings);
  });

  test('a configured endpoint service without an endpoint and without a hostname is unknown too', () => {
    const t = target('vpce-svc-0fa7', undefined, {
      service: 'com.amazonaws.vpce.us-east-1.vpce-svc-0fa7',
      hostname: '',
      tls: false,
    });
    assert.deepEqual(codes(checkEndpoint(input(t))), [['ENDPOINT_NO_DNS_NAME', 'unknown']]);
  });
});

describe('checkEndpoint with endpoints off the VPC path', () => {
  test('lists each as info, with why it is off the path, and judges only the path endpoint', () => {
    const t = target('secretsmanager', 'vpce-0sm', {
      offPath: [
        {
          endpointId: 'vpce-0sm2',
          endpointType: 'Interface',
          reason: 'private-dns-elsewhere',
          pathId: 'vpce-0sm',
        },
      ],
    });
    const findings = checkEndpoint(input(t));
    const off = findings.filter((f) => f.code === 'ENDPOINT_NOT_ON_PATH');
    assert.equal(off.length, 1);
    assert.equal(off[0]!.status, 'info');
    assert.match(off[0]!.message, /vpce-0sm2 .*vpce-0sm owns the private DNS name/);
    assert.ok(
      findings.every((f) => f.status !== 'fail' && f.status !== 'warn'),
      JSON.stringify(findings),
    );
  });
});

describe('checkEndpoint: AZ names and AZ ids, compared by id', () => {
  // DescribeNetworkInterfaces in AWS lists AvailabilityZoneId beside the name; the base fixture
  // (recorded from moto) has names only.
  const azIds: Record<string, string> = { 'us-east-1a': 'use1-az1', 'us-east-1b': 'use1-az2' };
  const enisWithIds = interfaces.map((eni) => ({
    ...eni,
    AvailabilityZoneId: azIds[eni.AvailabilityZone ?? ''],
  }));
  const subnetsGap = { subnets: { ok: false as const, gap: gap('DescribeSubnets') } };
  const cases: Array<{
    name: string;
    endpoint: [string, string];
    context: { availabilityZone: string; availabilityZoneId?: string; subnetId?: string };
    inventory?: Partial<Inventory>;
    codes: Array<[string, string]>;
    message?: RegExp;
  }> = [
    {
      name: 'VPCE_DOCTOR_AZ as an id, an ENI in the same AZ by name: no warning (the issue)',
      endpoint: ['secretsmanager', 'vpce-0sm'],
      context: { availabilityZone: 'use1-az1' },
      codes: [['ENDPOINT_OK', 'pass']],
    },
    {
      name: 'an id for the agent, ENIs only in another AZ: the warning names the AZ by its name',
      endpoint: ['logs', 'vpce-0logs'],
      context: { availabilityZone: 'use1-az1' },
      codes: [['ENDPOINT_NOT_IN_AZ', 'warn']],
      message: /no ENI in us-east-1a \(only us-east-1b\)/,
    },
    {
      name: "the agent's own subnet in the inventory wins over a wrong configured AZ",
      endpoint: ['logs', 'vpce-0logs'],
      context: { availabilityZone: 'us-east-1b' },
      codes: [['ENDPOINT_NOT_IN_AZ', 'warn']],
      message: /no ENI in us-east-1a/,
    },
    {
      name: 'an id and ENI names with the subnets unreadable: unknown naming ec2:DescribeSubnets, never a warning',
      endpoint: ['logs', 'vpce-0logs'],
      context: { availabilityZone: 'use1-az1' },
      inventory: subnetsGap,
      codes: [['ENDPOINT_UNKNOWN', 'unknown']],
      message: /ec2:DescribeSubnets/,
    },
    {
      name: 'the same with an ENI in the agent AZ: still unknown, not a pass by accident',
      endpoint: ['secretsmanager', 'vpce-0sm'],
      context: { availabilityZone: 'use1-az1' },
      inventory: subnetsGap,
      codes: [['ENDPOINT_UNKNOWN', 'unknown']],
    },
    {
      name: 'subnets unreadable but ENIs listing their AZ ids: matched by id',
      endpoint: ['secretsmanager', 'vpce-0sm'],
      context: { availabilityZone: 'use1-az1' },
      inventory: { ...subnetsGap, endpointInterfaces: { ok: true, value: enisWithIds } },
      codes: [['ENDPOINT_OK', 'pass']],
    },
    {
      name: 'subnets unreadable, ENIs with ids, none in the agent AZ: the warning stands on ids',
      endpoint: ['logs', 'vpce-0logs'],
      context: { availabilityZone: 'use1-az1' },
      inventory: { ...subnetsGap, endpointInterfaces: { ok: true, value: enisWithIds } },
      codes: [['ENDPOINT_NOT_IN_AZ', 'warn']],
      message: /no ENI in us-east-1a \(only us-east-1b\)/,
    },
    {
      name: 'names on both sides with the subnets unreadable: compared by name',
      endpoint: ['logs', 'vpce-0logs'],
      context: { availabilityZone: 'us-east-1a' },
      inventory: subnetsGap,
      codes: [['ENDPOINT_NOT_IN_AZ', 'warn']],
    },
    {
      name: 'an agent subnet outside the inventory, its AZ id mapped through the other subnets',
      endpoint: ['secretsmanager', 'vpce-0sm'],
      context: { availabilityZone: 'use1-az2', subnetId: 'subnet-0elsewhere' },
      codes: [['ENDPOINT_OK', 'pass']],
    },
    {
      name: 'no AZ known for the agent at all: unknown',
      endpoint: ['logs', 'vpce-0logs'],
      context: { availabilityZone: '' },
      inventory: subnetsGap,
      codes: [['ENDPOINT_UNKNOWN', 'unknown']],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const findings = checkEndpoint(
        input(target(...c.endpoint), {
          context: c.context,
          ...(c.inventory ? { inventory: c.inventory } : {}),
        }),
      );
      assert.deepEqual(codes(findings), c.codes);
      if (c.message) assert.match(findings[0]!.message, c.message);
      assertShape(findings);
    });
  }

  test('the evidence carries both the name and the id of each AZ compared', () => {
    const [finding] = checkEndpoint(
      input(target('logs', 'vpce-0logs'), { context: { availabilityZone: 'use1-az1' } }),
    );
    assert.equal(finding!.evidence['agentAz'], 'us-east-1a');
    assert.equal(finding!.evidence['agentAzId'], 'use1-az1');
    assert.deepEqual(finding!.evidence['endpointAzIds'], ['use1-az2']);
  });

  test('a service offered by AZ id alone is judged for the agent by id', () => {
    const kms = services.map((service) =>
      service.ServiceName === 'com.amazonaws.us-east-1.kms'
        ? { ...service, AvailabilityZones: undefined, AvailabilityZoneIds: ['use1-az2', 'use1-az3'] }
        : service,
    );
    const [finding] = checkEndpoint(
      input(target('kms', 'vpce-0kms'), {
        context: { availabilityZone: 'use1-az1' },
        inventory: { services: { ok: true, value: kms } },
      }),
    );
    assert.equal(finding!.code, 'ENDPOINT_NOT_IN_AZ');
    assert.equal(finding!.evidence['serviceOfferedInAgentAz'], false);
    assert.match(finding!.message, /not offered there \(offered in use1-az2, use1-az3\)/);
  });
});

describe('checkEndpoint for an endpoint with private DNS off', () => {
  const privateDnsOff = () => {
    const inv = input(target('kms', 'vpce-0kms')).inventory;
    const value = (inv.endpoints.ok ? inv.endpoints.value : []).map((e) =>
      e.VpcEndpointId === 'vpce-0kms' ? { ...e, PrivateDnsEnabled: false } : e,
    );
    return { endpoints: { ok: true as const, value } };
  };

  test('is ENDPOINT_PRIVATE_DNS_DISABLED (fail) when the name resolves publicly', () => {
    const findings = checkEndpoint(
      input(target('kms', 'vpce-0kms'), {
        inventory: privateDnsOff(),
        observations: resolved(['52.46.1.1']),
      }),
    );
    assert.ok(findings.some((f) => f.code === 'ENDPOINT_PRIVATE_DNS_DISABLED' && f.status === 'fail'));
  });

  test('is only info when a private zone answers the name with its ENIs (the centralised-endpoint pattern)', () => {
    const findings = checkEndpoint(
      input(target('kms', 'vpce-0kms'), {
        inventory: privateDnsOff(),
        observations: resolved(['10.0.12.40']),
      }),
    );
    // vpce-0kms has its only ENI in us-east-1b (the agent is in 1a): that warning stays.
    assert.deepEqual(
      findings.map((f) => [f.code, f.status]),
      [
        ['ENDPOINT_PRIVATE_DNS_BY_ZONE', 'info'],
        ['ENDPOINT_NOT_IN_AZ', 'warn'],
      ],
    );
  });
});
