// What warm runs reuse and cold runs overlap (issue 17): the discovered context is kept with the
// inventory and refreshed with it, the inventory starts as soon as discovery knows the VPC, and
// the TLS probes get the runner's session cache. EC2 is a fake that answers every call empty
// and counts them; the probes answer from memory.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { validateConfig } from '../../src/config.js';
import type { AgentContext, Finding } from '../../src/model.js';
import type { TlsSessionCache } from '../../src/net/tls.js';
import type { Probes } from '../../src/probe-plan.js';
import { createRunner, type RunnerDeps } from '../../src/runner.js';

const CONTEXT: AgentContext = {
  region: 'us-east-1',
  vpcId: 'vpc-0a1b2c3d',
  subnetId: 'subnet-0a1b2c3d',
  availabilityZone: 'us-east-1a',
  privateIp: '10.0.1.10',
  securityGroupIds: ['sg-0a1b2c3d'],
  resolvers: [{ address: '10.0.0.2', source: 'vpc-base-2' }],
  sources: {},
};

interface World {
  sends: string[];
  discoveries: number;
  tlsSessions: Array<TlsSessionCache | undefined>;
  now: number;
}

function fakeEc2(world: World): EC2Client {
  return {
    send: async (command: { input: { Filters?: unknown } }) => {
      world.sends.push(`${command.constructor.name} ${JSON.stringify(command.input.Filters ?? [])}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      return {};
    },
  } as unknown as EC2Client;
}

function probes(world: World): Probes {
  return {
    queryA: async (resolver, hostname) => ({
      resolver,
      hostname,
      outcome: 'answer',
      addresses: ['10.0.11.5'],
      transport: 'udp',
      durationMs: 1,
    }),
    probeTcp: async (address, port) => ({ address, port, outcome: 'connected', durationMs: 1 }),
    probeTls: async (address, port, servername, options) => {
      world.tlsSessions.push(options.sessions);
      return { address, port, servername, outcome: 'ok', certNames: [servername], durationMs: 1 };
    },
  };
}

function runnerFor(world: World, discover?: RunnerDeps['discover'], reuse?: boolean) {
  return createRunner({
    ...(reuse === undefined ? {} : { reuse }),
    ec2: fakeEc2(world),
    env: {},
    config: validateConfig({ inventoryTtlSeconds: 60, services: [{ name: 'sts' }] }),
    probes: probes(world),
    version: 'test',
    clock: () => world.now,
    discover:
      discover ??
      (async (_signal, { onVpc }) => {
        world.discoveries += 1;
        onVpc(CONTEXT.vpcId, CONTEXT.region);
        return { context: structuredClone(CONTEXT), findings: [] };
      }),
  });
}

const newWorld = (): World => ({ sends: [], discoveries: 0, tlsSessions: [], now: 1_000_000 });
const inventoryLoads = (world: World) =>
  world.sends.filter((c) => c.startsWith('DescribeVpcEndpointsCommand ')).length;

describe('runner: what warm runs reuse', () => {
  it('keeps the discovered context as long as the inventory, and refreshes both together', async () => {
    const world = newWorld();
    const runner = runnerFor(world);
    await runner.run();
    world.now += 30_000;
    const warm = await runner.run();
    assert.equal(world.discoveries, 1, 'the second run within the TTL reuses the context');
    assert.equal(inventoryLoads(world), 1, 'and the inventory');
    assert.equal(warm.context?.vpcId, CONTEXT.vpcId);
    world.now += 30_001;
    await runner.run();
    assert.equal(world.discoveries, 2, 'past the TTL the context is discovered again');
    assert.equal(inventoryLoads(world), 2, 'and the inventory is loaded with it');
  });

  it('discovers again on a fresh run, and after a discovery that found no context', async () => {
    const world = newWorld();
    let found = false;
    const runner = runnerFor(world, async () => {
      world.discoveries += 1;
      const finding: Finding = {
        check: 'context',
        code: 'CONTEXT_UNRESOLVED',
        status: 'unknown',
        message: 'could not find vpcId',
        evidence: {},
      };
      return found ? { context: structuredClone(CONTEXT), findings: [] } : { findings: [finding] };
    });
    const blind = await runner.run();
    assert.equal(blind.targets.length, 0);
    found = true;
    await runner.run();
    assert.equal(world.discoveries, 2, 'a failed discovery is not kept');
    world.now += 1;
    await runner.run({ fresh: true });
    assert.equal(world.discoveries, 3, 'fresh ignores the kept context');
    assert.equal(inventoryLoads(world), 2, 'and the kept inventory');
  });

  it('gives every TLS probe of every run the same session cache', async () => {
    const world = newWorld();
    const runner = runnerFor(world);
    await runner.run();
    await runner.run();
    assert.ok(world.tlsSessions.length >= 2);
    assert.ok(world.tlsSessions[0] !== undefined);
    assert.ok(world.tlsSessions.every((s) => s === world.tlsSessions[0]));
  });

  it('gives each run its own copy of the kept context (the runner adds to it)', async () => {
    const world = newWorld();
    const runner = runnerFor(world);
    const first = await runner.run();
    first.context?.resolvers.push({ address: '192.0.2.53', source: 'config' });
    const second = await runner.run();
    assert.deepEqual(second.context?.resolvers, CONTEXT.resolvers);
  });
});

describe('runner: reuse false, as before (the benches measure both in one run)', () => {
  it('discovers every run, sends no sessions and starts the inventory after discovery', async () => {
    const world = newWorld();
    let sentBeforeDiscoveryEnded = -1;
    const runner = runnerFor(
      world,
      async (_signal, { onVpc }) => {
        world.discoveries += 1;
        onVpc(CONTEXT.vpcId, CONTEXT.region);
        await new Promise((resolve) => setTimeout(resolve, 20));
        sentBeforeDiscoveryEnded = world.sends.length;
        return { context: structuredClone(CONTEXT), findings: [] };
      },
      false,
    );
    await runner.run();
    assert.equal(sentBeforeDiscoveryEnded, 0);
    await runner.run();
    assert.equal(world.discoveries, 2);
    assert.equal(inventoryLoads(world), 1, 'the inventory is still cached');
    assert.ok(world.tlsSessions.length > 0 && world.tlsSessions.every((s) => s === undefined));
  });
});

describe('runner: what cold runs overlap', () => {
  it('starts the inventory when discovery knows the VPC, before discovery ends, and loads it once', async () => {
    const world = newWorld();
    let sentBeforeDiscoveryEnded = 0;
    const runner = runnerFor(world, async (_signal, { onVpc }) => {
      onVpc(CONTEXT.vpcId, CONTEXT.region);
      // The rest of discovery (the agent's ENI, the VPC's CIDR) takes a while.
      await new Promise((resolve) => setTimeout(resolve, 50));
      sentBeforeDiscoveryEnded = world.sends.length;
      return { context: structuredClone(CONTEXT), findings: [] };
    });
    const report = await runner.run();
    assert.ok(
      sentBeforeDiscoveryEnded >= 9,
      `${sentBeforeDiscoveryEnded} inventory calls overlapped discovery`,
    );
    assert.equal(inventoryLoads(world), 1);
    assert.equal(report.context?.vpcId, CONTEXT.vpcId);
  });

  it('drops an inventory started for a VPC the context does not end in, and loads the right one', async () => {
    const world = newWorld();
    const runner = runnerFor(world, async (_signal, { onVpc }) => {
      onVpc('vpc-0other', CONTEXT.region);
      return { context: structuredClone(CONTEXT), findings: [] };
    });
    await runner.run();
    const loads = world.sends.filter((c) => c.startsWith('DescribeVpcEndpointsCommand '));
    assert.equal(loads.length, 2);
    assert.match(loads[1]!, new RegExp(CONTEXT.vpcId), "the second load is for the context's VPC");
  });
});
