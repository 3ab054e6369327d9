import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { configuredEndpoint, createEc2Client } from '../../src/aws/ec2-client.js';
import { loadInventory } from '../../src/aws/inventory.js';
import type { Inventory, Part } from '../../src/model.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { freePort, type Moto, motoEnv, startMoto } from '../support/moto.js';
import { buildWorld } from './inventory-world.js';

const REGION = 'us-east-1';
let moto: Moto;
let proxy: FaultProxy;

function value<T>(part: Part<T>): T {
  if (!part.ok) assert.fail(`expected the part to load, got gap ${JSON.stringify(part.gap)}`);
  return part.value;
}

function allParts(inventory: Inventory): Array<[string, Part<unknown>]> {
  const { region, vpcId, fetchedAt, durationMs, calls, chain, ...parts } = inventory;
  return Object.entries(parts);
}

before(async () => {
  moto = await startMoto();
  Object.assign(process.env, motoEnv(moto.url, REGION));
  proxy = await startFaultProxy(moto.url);
});
after(async () => {
  await proxy?.stop();
  await moto?.stop();
});
beforeEach(async () => {
  await moto.reset();
  proxy.setFaults({});
});

describe('createEc2Client', () => {
  test('a client built with no endpoint reaches the endpoint named by AWS_ENDPOINT_URL (the SDK honours it)', async () => {
    const ec2 = createEc2Client();
    const out = await ec2.send(new DescribeVpcsCommand({}));
    assert.ok((out.Vpcs ?? []).length >= 1, 'moto always holds a default VPC');
  });

  test('AWS_ENDPOINT_URL_EC2 wins over AWS_ENDPOINT_URL for EC2', async () => {
    const saved = { ...process.env };
    try {
      process.env['AWS_ENDPOINT_URL'] = `http://127.0.0.1:${await freePort()}`; // nothing listens
      process.env['AWS_ENDPOINT_URL_EC2'] = proxy.url;
      const ec2 = createEc2Client({ maxAttempts: 1 });
      await ec2.send(new DescribeVpcsCommand({}));
      assert.equal(proxy.counts.get('DescribeVpcs'), 1, 'the request went through the EC2-specific endpoint');
    } finally {
      process.env['AWS_ENDPOINT_URL'] = saved['AWS_ENDPOINT_URL'];
      delete process.env['AWS_ENDPOINT_URL_EC2'];
    }
  });

  test('an injected environment decides the endpoint, whatever process.env says (a CLI run with its own env)', async () => {
    const nowhere = `http://127.0.0.1:${await freePort()}`; // nothing listens
    const ec2 = createEc2Client({ maxAttempts: 1, env: { ...process.env, AWS_ENDPOINT_URL: proxy.url } });
    const saved = process.env['AWS_ENDPOINT_URL'];
    try {
      process.env['AWS_ENDPOINT_URL'] = nowhere;
      await ec2.send(new DescribeVpcsCommand({}));
      assert.equal(proxy.counts.get('DescribeVpcs'), 1, 'the request went where the injected env said');
    } finally {
      process.env['AWS_ENDPOINT_URL'] = saved;
    }
  });

  test('AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true ignores the endpoint variables, as the SDK does', () => {
    assert.equal(
      configuredEndpoint({
        AWS_ENDPOINT_URL: 'http://127.0.0.1:1',
        AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true',
      }),
      undefined,
    );
    assert.equal(
      configuredEndpoint({
        AWS_ENDPOINT_URL: 'http://127.0.0.1:1',
        AWS_ENDPOINT_URL_EC2: 'http://127.0.0.1:2',
      }),
      'http://127.0.0.1:2',
    );
  });
});

describe('loadInventory against moto', () => {
  test('loads every part of the VPC with its content, each call recorded once', async () => {
    const ec2 = createEc2Client();
    const world = await buildWorld(ec2, { interfaceEndpoints: 2 });
    const inv = await loadInventory(ec2, { vpcId: world.vpcId, region: REGION, timeoutMs: 10_000 });

    for (const [name, part] of allParts(inv)) assert.ok(part.ok, `${name} loaded`);
    assert.equal(value(inv.vpc).VpcId, world.vpcId);
    assert.equal(value(inv.vpc).CidrBlock, '10.20.0.0/16');
    assert.equal(value(inv.dnsSupport), true);
    assert.equal(typeof value(inv.dnsHostnames), 'boolean');
    assert.equal(value(inv.dhcpOptions)?.DhcpOptionsId, world.dhcpOptionsId);
    assert.deepEqual(
      value(inv.dhcpOptions)
        ?.DhcpConfigurations?.find((c) => c.Key === 'domain-name-servers')
        ?.Values?.map((v) => v.Value),
      ['10.20.0.53', 'AmazonProvidedDNS'],
    );
    assert.deepEqual(
      value(inv.subnets)
        .map((s) => s.SubnetId)
        .sort(),
      [world.subnetA, world.subnetB].sort(),
    );
    assert.ok(value(inv.routeTables).some((t) => t.RouteTableId === world.routeTableId));
    assert.ok(value(inv.networkAcls).length >= 1, 'the default network ACL');
    const endpoints = value(inv.endpoints);
    assert.deepEqual(
      endpoints.map((e) => e.VpcEndpointId).sort(),
      [...world.interfaceEndpoints, world.gatewayEndpoint].sort(),
    );
    const eniIds = endpoints.flatMap((e) => e.NetworkInterfaceIds ?? []);
    assert.equal(eniIds.length, 4, 'two interface endpoints × two subnets');
    assert.deepEqual(
      value(inv.endpointInterfaces)
        .map((n) => n.NetworkInterfaceId)
        .sort(),
      [...eniIds].sort(),
    );
    const groupIds = value(inv.securityGroups).map((g) => g.GroupId);
    assert.ok(groupIds.includes(world.agentSg) && groupIds.includes(world.endpointSg));
    assert.ok(
      value(inv.securityGroups).every((g) => g.VpcId === world.vpcId),
      'only this VPC, never the default VPC',
    );

    const lists = value(inv.prefixLists);
    const corp = lists.find((p) => p.prefixListId === world.customerPrefixList);
    assert.deepEqual(corp, {
      prefixListId: world.customerPrefixList,
      name: 'corp-offices',
      cidrs: ['192.0.2.0/24', '198.51.100.0/24'],
    });
    const s3 = lists.find((p) => p.name === `com.amazonaws.${REGION}.s3`);
    assert.ok(s3 && s3.cidrs.length > 0, 'the S3 prefix list comes with its CIDRs');

    // S3 is offered both as a gateway and as an interface service: two details, one name (as in AWS).
    const services = new Set(value(inv.services).map((s) => s.ServiceName));
    assert.deepEqual([...services].sort(), endpoints.map((e) => e.ServiceName).sort());
    assert.equal(value(inv.flowLogs).length, 1);

    const names = inv.calls.map((c) => c.call);
    for (const call of [
      'DescribeVpcs',
      'DescribeVpcAttribute',
      'DescribeDhcpOptions',
      'DescribeSubnets',
      'DescribeRouteTables',
      'DescribeNetworkAcls',
      'DescribeVpcEndpoints',
      'DescribeSecurityGroups',
      'DescribeFlowLogs',
      'DescribeNetworkInterfaces',
      'DescribeVpcEndpointServices',
      'DescribePrefixLists',
      'DescribeManagedPrefixLists',
      'GetManagedPrefixListEntries',
    ]) {
      assert.ok(names.includes(call), `${call} was made`);
    }
    assert.equal(names.filter((n) => n === 'DescribeVpcAttribute').length, 2, 'both DNS attributes');
    assert.ok(inv.calls.every((c) => c.ok && c.pages === 1));
  });

  test('follows NextToken: endpoint services come in pages of 5 and every page is read', async () => {
    const ec2 = createEc2Client();
    const world = await buildWorld(ec2, { interfaceEndpoints: 11 });
    const inv = await loadInventory(ec2, { vpcId: world.vpcId, region: REGION, pageSize: 5 });
    assert.equal(value(inv.services).length, 13, '11 interface services and s3 (gateway and interface)');
    const record = inv.calls.find((c) => c.call === 'DescribeVpcEndpointServices');
    assert.equal(record?.pages, 3);
    assert.equal(record?.ok, true);
  });

  test('the number of calls is the same for 1, 10 and 30 endpoints, and every call is filtered', async () => {
    const ec2 = createEc2Client({ endpoint: proxy.url });
    const counts: number[] = [];
    for (const n of [1, 10, 30]) {
      await moto.reset();
      const world = await buildWorld(createEc2Client(), { interfaceEndpoints: n });
      proxy.setFaults({});
      const inv = await loadInventory(ec2, { vpcId: world.vpcId, region: REGION });
      assert.equal(value(inv.endpoints).length, n + 1);
      assert.equal(value(inv.endpointInterfaces).length, 2 * n);
      counts.push(proxy.requests.length);
      assert.equal(inv.calls.length, proxy.requests.length, 'one request per recorded call (one page each)');
      for (const params of proxy.requests) {
        const keys = [...params.keys()];
        const filtered = keys.some((k) =>
          /^(Filters?\.1\.Name|VpcId|PrefixListId|[A-Za-z]+Ids?\.1|ServiceName\.1)$/.test(k),
        );
        assert.ok(filtered, `${params.get('Action')} carries a filter or ids: ${keys.join(',')}`);
      }
    }
    assert.equal(new Set(counts).size, 1, `calls per snapshot for 1/10/30 endpoints: ${counts.join('/')}`);
  });
});
