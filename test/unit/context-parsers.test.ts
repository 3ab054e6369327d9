import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseEcsTask } from '../../src/context/ecs-metadata.js';
import { parseNameservers, readResolvers, vpcBasePlusTwo } from '../../src/context/resolvers.js';

const task: unknown = JSON.parse(
  readFileSync(new URL('../fixtures/ecs-task-metadata-v4.json', import.meta.url), 'utf8'),
);

test('AmazonProvidedDNS sits at the network base of the VPC primary CIDR plus two', () => {
  assert.equal(vpcBasePlusTwo('10.0.0.0/16'), '10.0.0.2');
  assert.equal(vpcBasePlusTwo('172.31.0.0/16'), '172.31.0.2');
  assert.equal(vpcBasePlusTwo('10.20.5.7/16'), '10.20.0.2', 'host bits are cleared first');
  assert.equal(vpcBasePlusTwo('192.168.255.0/24'), '192.168.255.2');
  assert.equal(vpcBasePlusTwo('not-a-cidr'), undefined);
});

test('nameserver lines are read in order, comments and IPv6 ignored, duplicates dropped', () => {
  const text =
    '# generated\nsearch ec2.internal\nnameserver 10.0.0.2\nnameserver fd00:ec2::253\n; x\nnameserver 10.9.9.9 # corp\nnameserver 10.0.0.2\noptions ndots:5\n';
  assert.deepEqual(parseNameservers(text), ['10.0.0.2', '10.9.9.9']);
});

test('resolvers: resolv.conf first, then base+2 and link-local; an address already in resolv.conf keeps that source', () => {
  assert.deepEqual(readResolvers('nameserver 10.0.0.2\nnameserver 10.9.9.9\n', '10.0.0.0/16'), [
    { address: '10.0.0.2', source: 'resolv.conf' },
    { address: '10.9.9.9', source: 'resolv.conf' },
    { address: '169.254.169.253', source: 'link-local' },
  ]);
  assert.deepEqual(readResolvers('nameserver 10.53.0.10\n', '10.0.0.0/16'), [
    { address: '10.53.0.10', source: 'resolv.conf' },
    { address: '10.0.0.2', source: 'vpc-base-2' },
    { address: '169.254.169.253', source: 'link-local' },
  ]);
});

test('resolvers without a resolv.conf or a VPC CIDR still include the link-local AmazonProvidedDNS', () => {
  assert.deepEqual(readResolvers(''), [{ address: '169.254.169.253', source: 'link-local' }]);
});

test('an ECS task metadata v4 document gives the AZ, the awsvpc address and the subnet CIDR', () => {
  assert.deepEqual(parseEcsTask(task), {
    availabilityZone: 'us-east-1b',
    privateIp: '10.0.2.106',
    subnetCidr: '10.0.2.0/24',
  });
});

test('an ECS task document of the wrong shape is rejected or yields nothing, never a crash', () => {
  assert.throws(() => parseEcsTask([]), /not a JSON object/);
  assert.throws(() => parseEcsTask({ Containers: 'x' }), /Containers is not a list/);
  assert.deepEqual(parseEcsTask({ Containers: [{ Networks: [{ IPv4Addresses: [] }] }, null] }), {});
  assert.deepEqual(parseEcsTask({ AvailabilityZone: 5 }), {});
});
