// Faults made real: a proxy in front of moto answers chosen EC2 actions with AWS's error shapes,
// stalls, or broken bodies; the snapshot must record gaps and keep every other part.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { type EC2Client, GetManagedPrefixListEntriesCommand } from '@aws-sdk/client-ec2';
import { createEc2Client } from '../../src/aws/ec2-client.js';
import { findingsForGaps } from '../../src/aws/gap-findings.js';
import { loadInventory } from '../../src/aws/inventory.js';
import type { Inventory, Part, PrefixListInfo } from '../../src/model.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { type Moto, motoEnv, startMoto } from '../support/moto.js';
import { buildWorld, type World } from './inventory-world.js';

const REGION = 'us-east-1';
let moto: Moto;
let proxy: FaultProxy;
let world: World;
let ec2: EC2Client;

function parts(inventory: Inventory): Record<string, Part<unknown>> {
  const { region, vpcId, fetchedAt, durationMs, calls, chain, ...rest } = inventory;
  return rest;
}

function gapOf(part: Part<unknown>) {
  if (part.ok) assert.fail('expected a gap, the part loaded');
  return part.gap;
}

function assertLoadedExcept(inventory: Inventory, failed: string[]): void {
  for (const [name, part] of Object.entries(parts(inventory))) {
    assert.equal(part.ok, !failed.includes(name), `${name} ${failed.includes(name) ? 'is a gap' : 'loaded'}`);
  }
}

before(async () => {
  moto = await startMoto();
  Object.assign(process.env, motoEnv(moto.url, REGION));
  proxy = await startFaultProxy(moto.url);
  world = await buildWorld(createEc2Client(), { interfaceEndpoints: 2 });
  // A long request timeout: only the inventory's own deadline may end a stalled call here.
  ec2 = createEc2Client({ endpoint: proxy.url, requestTimeoutMs: 60_000 });
});
after(async () => {
  await proxy?.stop();
  await moto?.stop();
});
beforeEach(() => proxy.setFaults({}));

test('AccessDenied on DescribeRouteTables leaves a permission gap naming ec2:DescribeRouteTables; the rest loads', async () => {
  proxy.setFaults({ DescribeRouteTables: { kind: 'deny' } });
  const inv = await loadInventory(ec2, { vpcId: world.vpcId, region: REGION });
  assertLoadedExcept(inv, ['routeTables']);
  const gap = gapOf(inv.routeTables);
  assert.equal(gap.action, 'ec2:DescribeRouteTables');
  assert.equal(gap.kind, 'permission');
  assert.equal(gap.errorCode, 'UnauthorizedOperation');
  assert.equal(proxy.counts.get('DescribeRouteTables'), 1, 'a permission error is not retried');
  const record = inv.calls.find((c) => c.call === 'DescribeRouteTables');
  assert.deepEqual([record?.ok, record?.errorCode], [false, 'UnauthorizedOperation']);
  // The prefix lists the security groups reference still load without the route tables.
  assert.ok(
    inv.prefixLists.ok && inv.prefixLists.value.some((p) => p.prefixListId === world.customerPrefixList),
  );
});

test('a denied DescribeVpcEndpoints makes its dependants gaps that name it, and one finding says what is lost', async () => {
  proxy.setFaults({ DescribeVpcEndpoints: { kind: 'deny', code: 'AccessDenied' } });
  const inv = await loadInventory(ec2, { vpcId: world.vpcId, region: REGION });
  assertLoadedExcept(inv, ['endpoints', 'endpointInterfaces', 'services']);
  for (const part of [inv.endpointInterfaces, inv.services]) {
    const gap = gapOf(part);
    assert.equal(gap.action, 'ec2:DescribeVpcEndpoints');
    assert.equal(gap.kind, 'permission');
  }
  assert.equal(proxy.counts.get('DescribeNetworkInterfaces'), undefined, 'no call without its input');
  const findings = findingsForGaps(inv);
  assert.equal(findings.length, 1);
  const finding = findings[0]!;
  assert.equal(finding.code, 'AWS_PERMISSION_DENIED');
  assert.equal(finding.status, 'unknown');
  assert.match(finding.message ?? '', /ec2:DescribeVpcEndpoints/);
  assert.deepEqual(finding.evidence['parts'], ['endpoints', 'endpointInterfaces', 'services']);
  assert.ok((finding.evidence['checks'] as string[]).includes('tcp'));
});

test('RequestLimitExceeded twice is retried by the SDK and the part loads', async () => {
  proxy.setFaults({ DescribeSubnets: { kind: 'throttle', times: 2 } });
  const inv = await loadInventory(ec2, { vpcId: world.vpcId, region: REGION });
  assertLoadedExcept(inv, []);
  assert.equal(proxy.counts.get('DescribeSubnets'), 3, 'two throttled attempts, then the one that passed');
});

test('throttling that outlasts the retries becomes a throttled gap after 3 attempts', async () => {
  proxy.setFaults({ DescribeSecurityGroups: { kind: 'throttle', times: 10 } });
  const inv = await loadInventory(ec2, { vpcId: world.vpcId, region: REGION });
  assertLoadedExcept(inv, ['securityGroups']);
  const gap = gapOf(inv.securityGroups);
  assert.deepEqual(
    [gap.kind, gap.errorCode, gap.action],
    ['throttled', 'RequestLimitExceeded', 'ec2:DescribeSecurityGroups'],
  );
  assert.equal(proxy.counts.get('DescribeSecurityGroups'), 3);
  assert.equal(findingsForGaps(inv)[0]?.code, 'AWS_THROTTLED');
});

test('a call that never answers ends at the inventory deadline as a timeout gap; the rest loads', async () => {
  proxy.setFaults({ DescribeNetworkAcls: { kind: 'stall' } });
  const inv = await loadInventory(ec2, { vpcId: world.vpcId, region: REGION, timeoutMs: 1500 });
  assertLoadedExcept(inv, ['networkAcls']);
  const gap = gapOf(inv.networkAcls);
  assert.deepEqual(
    [gap.kind, gap.errorCode, gap.action],
    ['timeout', 'DeadlineExceeded', 'ec2:DescribeNetworkAcls'],
  );
  assert.equal(findingsForGaps(inv)[0]?.code, 'AWS_API_ERROR');
});

test("the caller's own abort ends a stalled call as a timeout gap marked Aborted", async () => {
  proxy.setFaults({ DescribeFlowLogs: { kind: 'stall' } });
  const controller = new AbortController();
  const loading = loadInventory(ec2, {
    vpcId: world.vpcId,
    region: REGION,
    signal: controller.signal,
    timeoutMs: 60_000,
  });
  setTimeout(() => controller.abort(), 300);
  const inv = await loading;
  const gap = gapOf(inv.flowLogs);
  assert.deepEqual([gap.kind, gap.errorCode], ['timeout', 'Aborted']);
});

test('a 200 answer with a body that is not XML becomes an error gap, not a crash', async () => {
  proxy.setFaults({ DescribeFlowLogs: { kind: 'garbage' } });
  const inv = await loadInventory(ec2, { vpcId: world.vpcId, region: REGION });
  assertLoadedExcept(inv, ['flowLogs']);
  assert.equal(gapOf(inv.flowLogs).kind, 'error');
  assert.equal(gapOf(inv.flowLogs).errorCode, 'MalformedResponse');
});

test('a 200 answer with an empty body becomes an error gap, never an empty list', async () => {
  proxy.setFaults({ DescribeSubnets: { kind: 'empty' } });
  const inv = await loadInventory(ec2, { vpcId: world.vpcId, region: REGION });
  assertLoadedExcept(inv, ['subnets']);
  const gap = gapOf(inv.subnets);
  assert.equal(gap.kind, 'error');
  assert.equal(gap.action, 'ec2:DescribeSubnets');
  assert.equal(gap.errorCode, 'MalformedResponse');
});

test('an endpoint without its id makes the endpoints part an error gap naming the missing field', async () => {
  proxy.setFaults({ DescribeVpcEndpoints: { kind: 'drop-field', element: 'vpcEndpointId' } });
  const inv = await loadInventory(ec2, { vpcId: world.vpcId, region: REGION });
  const gap = gapOf(inv.endpoints);
  assert.equal(gap.kind, 'error');
  assert.equal(gap.message, 'DescribeVpcEndpoints returned an endpoint with no VpcEndpointId');
  assert.ok(inv.subnets.ok && inv.securityGroups.ok);
});

// Prefix lists are read one by one (issue 11 case 4): a denied read costs only the lists it
// would have read, and those stay in the snapshot with their gap instead of vanishing.
function lists(inventory: Inventory): PrefixListInfo[] {
  if (!inventory.prefixLists.ok) assert.fail('the prefix-list part must load when any list does');
  return inventory.prefixLists.value;
}
const S3 = `com.amazonaws.${REGION}.s3`;

const prefixListFaults: Array<{
  name: string;
  deny: string[];
  /** list (by name, or 'customer') → the action its gap names, or null when it loaded with entries */
  expect: Record<string, string | null>;
}> = [
  {
    name: 'GetManagedPrefixListEntries denied: every list is kept, each with a gap naming it',
    deny: ['GetManagedPrefixListEntries'],
    expect: { [S3]: 'ec2:GetManagedPrefixListEntries', customer: 'ec2:GetManagedPrefixListEntries' },
  },
  {
    name: 'DescribePrefixLists denied: the service lists come from DescribeManagedPrefixLists instead',
    deny: ['DescribePrefixLists'],
    expect: { [S3]: null, customer: null },
  },
  {
    name: 'DescribeManagedPrefixLists denied: a referenced list still gets its entries, by id',
    deny: ['DescribeManagedPrefixLists'],
    expect: { [S3]: null, customer: null },
  },
];

for (const c of prefixListFaults) {
  test(c.name, async () => {
    proxy.setFaults(Object.fromEntries(c.deny.map((action) => [action, { kind: 'deny' as const }])));
    const inv = await loadInventory(ec2, { vpcId: world.vpcId, region: REGION });
    assertLoadedExcept(inv, []);
    const all = lists(inv);
    for (const [which, action] of Object.entries(c.expect)) {
      const pl =
        which === 'customer'
          ? all.find((p) => p.prefixListId === world.customerPrefixList)
          : all.find((p) => p.name === which && p.prefixListId !== '');
      assert.ok(pl, `${which} is kept`);
      if (action === null) {
        assert.equal(pl.gap, undefined, `${which} loaded`);
        assert.ok(pl.cidrs.length > 0, `${which} has its entries`);
      } else {
        assert.equal(pl.gap?.action, action);
        assert.equal(pl.gap?.kind, 'permission');
        assert.deepEqual(pl.cidrs, [], 'no entries, not "an empty list"');
      }
    }
    const denied = findingsForGaps(inv);
    const expected = [...new Set(Object.values(c.expect).filter((a): a is string => a !== null))];
    assert.deepEqual(
      denied.flatMap((f) => f.evidence['actions'] as string[]),
      expected,
      'each denied action is reported once',
    );
  });
}

test('both describe actions denied: referenced lists still get their entries; the names that could not be looked up keep the gap', async () => {
  proxy.setFaults({
    DescribePrefixLists: { kind: 'deny' },
    DescribeManagedPrefixLists: { kind: 'deny' },
  });
  const inv = await loadInventory(ec2, { vpcId: world.vpcId, region: REGION });
  const all = lists(inv);
  const customer = all.find((p) => p.prefixListId === world.customerPrefixList);
  assert.deepEqual(customer?.cidrs.sort(), ['192.0.2.0/24', '198.51.100.0/24']);
  assert.equal(customer?.gap, undefined);
  const byName = all.find((p) => p.name === S3 && p.prefixListId === '');
  assert.equal(byName?.gap?.action, 'ec2:DescribePrefixLists');
});

test('one list whose entries are denied loses only that list', async () => {
  // The proxy denies by action; denying one list's GetManagedPrefixListEntries needs its id, so
  // this client answers that one request as EC2 does (UnauthorizedOperation) and sends the rest.
  const denyOne: Pick<EC2Client, 'send'> = {
    send: ((command: unknown, options?: unknown) => {
      if (
        command instanceof GetManagedPrefixListEntriesCommand &&
        command.input.PrefixListId === world.customerPrefixList
      ) {
        return Promise.reject(
          Object.assign(new Error('You are not authorized to perform this operation.'), {
            name: 'UnauthorizedOperation',
            $fault: 'client',
            $metadata: { httpStatusCode: 403 },
          }),
        );
      }
      return (ec2.send as (c: unknown, o?: unknown) => Promise<unknown>)(command, options);
    }) as EC2Client['send'],
  };
  const inv = await loadInventory(denyOne, { vpcId: world.vpcId, region: REGION });
  const all = lists(inv);
  assert.equal(
    all.find((p) => p.prefixListId === world.customerPrefixList)?.gap?.errorCode,
    'UnauthorizedOperation',
  );
  const s3 = all.find((p) => p.name === S3);
  assert.equal(s3?.gap, undefined);
  assert.ok((s3?.cidrs.length ?? 0) > 0, 'the S3 list keeps its entries');
  const finding = findingsForGaps(inv)[0];
  assert.equal(finding?.code, 'AWS_PERMISSION_DENIED');
  assert.deepEqual(finding?.evidence['parts'], ['prefixLists']);
});
