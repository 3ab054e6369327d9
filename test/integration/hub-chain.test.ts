// The hub-and-spoke chain loaders (src/aws/hub.ts, route53.ts, transit.ts) against moto's
// server on loopback: a spoke and a hub VPC joined by a transit gateway, a hub endpoint with
// private DNS off, its private hosted zone (alias to the endpoint) associated with the spoke, a
// FORWARD rule associated with the spoke, a peering. The hub role is assumed through moto's STS
// in moto's own account (moto keeps one backend per account, so an assumed role of another
// account would see none of this). A fault proxy in front of moto denies or throttles one call.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import {
  AssociateRouteTableCommand,
  AssociateTransitGatewayRouteTableCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateTransitGatewayCommand,
  CreateTransitGatewayRouteCommand,
  CreateTransitGatewayRouteTableCommand,
  CreateTransitGatewayVpcAttachmentCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  CreateVpcPeeringConnectionCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import {
  AssociateVPCWithHostedZoneCommand,
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import {
  AssociateResolverRuleCommand,
  CreateResolverRuleCommand,
  Route53ResolverClient,
} from '@aws-sdk/client-route53resolver';
import { createBatch } from '../../src/aws/batch.js';
import { createChainClientsFactory } from '../../src/aws/chain-clients.js';
import { createEc2Client } from '../../src/aws/ec2-client.js';
import { findingsForGaps } from '../../src/aws/gap-findings.js';
import { type ChainClients, loadChain } from '../../src/aws/hub.js';
import { loadInventory } from '../../src/aws/inventory.js';
import type { ChainInventory, Part } from '../../src/model.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { type Moto, motoEnv, startMoto } from '../support/moto.js';

const REGION = 'us-east-1';
/** moto's default account: the role lives where the resources do. */
const HUB_ROLE = 'arn:aws:iam::123456789012:role/vpce-doctor-hub-read';

let moto: Moto;
let proxy: FaultProxy;
let ec2: EC2Client;
const world = {
  spokeVpc: '',
  hubVpc: '',
  endpointId: '',
  zoneId: '',
  ruleId: '',
  tgw: '',
  spokeAttachment: '',
  hubAttachment: '',
  spokeTable: '',
  hubTable: '',
  peering: '',
};

function value<T>(part: Part<T>): T {
  if (!part.ok) assert.fail(`expected the part to load, got ${JSON.stringify(part.gap)}`);
  return part.value;
}

function clientsThroughProxy(hub = true): ChainClients {
  const env = { ...motoEnv(proxy.url, REGION) };
  return createChainClientsFactory({
    env,
    maxAttempts: 2,
    ...(hub ? { hub: { roleArn: HUB_ROLE, externalId: 'lab' } } : {}),
  })(REGION);
}

function load(clients: ChainClients, timeoutMs = 10_000): Promise<ChainInventory> {
  return loadChain(ec2, clients, createBatch({ timeoutMs }), {
    vpcId: world.spokeVpc,
    region: REGION,
    hostnames: [],
  });
}

before(async () => {
  moto = await startMoto();
  Object.assign(process.env, motoEnv(moto.url, REGION));
  proxy = await startFaultProxy(moto.url);
  const direct = createEc2Client({ endpoint: moto.url });
  const route53 = new Route53Client({ region: REGION, endpoint: moto.url });
  const resolver = new Route53ResolverClient({ region: REGION, endpoint: moto.url });

  const vpc = async (cidr: string) =>
    (await direct.send(new CreateVpcCommand({ CidrBlock: cidr }))).Vpc!.VpcId!;
  world.spokeVpc = await vpc('10.1.0.0/16');
  world.hubVpc = await vpc('10.0.0.0/16');
  const spokeSubnet = (
    await direct.send(new CreateSubnetCommand({ VpcId: world.spokeVpc, CidrBlock: '10.1.1.0/24' }))
  ).Subnet!.SubnetId!;
  const hubSubnet = (
    await direct.send(new CreateSubnetCommand({ VpcId: world.hubVpc, CidrBlock: '10.0.4.0/24' }))
  ).Subnet!.SubnetId!;
  const hubGroup = (
    await direct.send(
      new CreateSecurityGroupCommand({ GroupName: 'hub-endpoints', Description: 'hub', VpcId: world.hubVpc }),
    )
  ).GroupId!;
  const endpoint = (
    await direct.send(
      new CreateVpcEndpointCommand({
        VpcId: world.hubVpc,
        VpcEndpointType: 'Interface',
        ServiceName: `com.amazonaws.${REGION}.secretsmanager`,
        SubnetIds: [hubSubnet],
        SecurityGroupIds: [hubGroup],
        PrivateDnsEnabled: false,
      }),
    )
  ).VpcEndpoint!;
  world.endpointId = endpoint.VpcEndpointId!;

  world.tgw = (await direct.send(new CreateTransitGatewayCommand({}))).TransitGateway!.TransitGatewayId!;
  const attach = async (vpcId: string, subnet: string) =>
    (
      await direct.send(
        new CreateTransitGatewayVpcAttachmentCommand({
          TransitGatewayId: world.tgw,
          VpcId: vpcId,
          SubnetIds: [subnet],
        }),
      )
    ).TransitGatewayVpcAttachment!.TransitGatewayAttachmentId!;
  world.spokeAttachment = await attach(world.spokeVpc, spokeSubnet);
  world.hubAttachment = await attach(world.hubVpc, hubSubnet);
  const table = async () =>
    (await direct.send(new CreateTransitGatewayRouteTableCommand({ TransitGatewayId: world.tgw })))
      .TransitGatewayRouteTable!.TransitGatewayRouteTableId!;
  world.spokeTable = await table();
  world.hubTable = await table();
  for (const [tableId, attachment] of [
    [world.spokeTable, world.spokeAttachment],
    [world.hubTable, world.hubAttachment],
  ] as const) {
    // moto may have put the attachment in the default table; the lab's launcher fixes that, here
    // the association is only attempted.
    await direct
      .send(
        new AssociateTransitGatewayRouteTableCommand({
          TransitGatewayRouteTableId: tableId,
          TransitGatewayAttachmentId: attachment,
        }),
      )
      .catch(() => {});
  }
  await direct.send(
    new CreateTransitGatewayRouteCommand({
      TransitGatewayRouteTableId: world.spokeTable,
      DestinationCidrBlock: '10.0.0.0/16',
      TransitGatewayAttachmentId: world.hubAttachment,
    }),
  );
  await direct.send(
    new CreateTransitGatewayRouteCommand({
      TransitGatewayRouteTableId: world.hubTable,
      DestinationCidrBlock: '10.1.0.0/16',
      TransitGatewayAttachmentId: world.spokeAttachment,
    }),
  );
  const spokeRoutes = (await direct.send(new CreateRouteTableCommand({ VpcId: world.spokeVpc }))).RouteTable!
    .RouteTableId!;
  await direct.send(new AssociateRouteTableCommand({ RouteTableId: spokeRoutes, SubnetId: spokeSubnet }));
  await direct.send(
    new CreateRouteCommand({
      RouteTableId: spokeRoutes,
      DestinationCidrBlock: '10.0.0.0/16',
      TransitGatewayId: world.tgw,
    }),
  );
  world.peering = (
    await direct.send(
      new CreateVpcPeeringConnectionCommand({ VpcId: world.spokeVpc, PeerVpcId: world.hubVpc }),
    )
  ).VpcPeeringConnection!.VpcPeeringConnectionId!;

  const zone = await route53.send(
    new CreateHostedZoneCommand({
      Name: `secretsmanager.${REGION}.amazonaws.com`,
      CallerReference: 'hub-secretsmanager',
      VPC: { VPCId: world.hubVpc, VPCRegion: REGION },
      HostedZoneConfig: { PrivateZone: true },
    }),
  );
  world.zoneId = zone.HostedZone!.Id!.replace('/hostedzone/', '');
  await route53.send(
    new AssociateVPCWithHostedZoneCommand({
      HostedZoneId: world.zoneId,
      VPC: { VPCId: world.spokeVpc, VPCRegion: REGION },
    }),
  );
  await route53.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: world.zoneId,
      ChangeBatch: {
        Changes: [
          {
            Action: 'CREATE',
            ResourceRecordSet: {
              Name: `secretsmanager.${REGION}.amazonaws.com`,
              Type: 'A',
              AliasTarget: {
                DNSName: endpoint.DnsEntries![0]!.DnsName!,
                HostedZoneId: endpoint.DnsEntries![0]!.HostedZoneId!,
                EvaluateTargetHealth: false,
              },
            },
          },
        ],
      },
    }),
  );
  world.ruleId = (
    await resolver.send(
      new CreateResolverRuleCommand({
        CreatorRequestId: 'hub-logs',
        Name: 'hub-logs',
        RuleType: 'FORWARD',
        DomainName: `logs.${REGION}.amazonaws.com`,
        TargetIps: [{ Ip: '10.0.4.53', Port: 53 }],
      }),
    )
  ).ResolverRule!.Id!;
  await resolver.send(
    new AssociateResolverRuleCommand({
      ResolverRuleId: world.ruleId,
      VPCId: world.spokeVpc,
      Name: 'spoke-logs',
    }),
  );
  // The agent's EC2 client, through the proxy, with the SDK's retries.
  ec2 = createEc2Client({ endpoint: proxy.url, maxAttempts: 2 });
});

after(async () => {
  await proxy?.stop();
  await moto?.stop();
});

beforeEach(() => proxy.setFaults({}));

describe('the chain from moto', () => {
  test('reads the associated zone and its alias record, the rule and its association, the peering', async () => {
    const chain = await load(clientsThroughProxy());
    const zone = value(chain.associatedZones).find((z) => z.id === world.zoneId);
    assert.ok(zone, 'the zone associated with the spoke');
    const records = value(zone.records!);
    assert.ok(
      records.some((r) => r.alias?.dnsName.startsWith(`${world.endpointId}-`)),
      JSON.stringify(records),
    );
    const rule = value(chain.resolverRules).find((r) => r.id === world.ruleId);
    assert.deepEqual(rule?.targetIps, [{ ip: '10.0.4.53', port: 53 }]);
    assert.deepEqual(
      value(chain.ruleAssociations).map((a) => a.ruleId),
      [world.ruleId],
    );
    assert.deepEqual(
      value(chain.peeringConnections).map((p) => p.VpcPeeringConnectionId),
      [world.peering],
    );
  });

  test('follows the alias to the hub endpoint, its ENIs and its group, through the assumed role', async () => {
    const chain = await load(clientsThroughProxy());
    assert.ok(value(chain.hub.session), 'AssumeRole answered');
    assert.ok(proxy.seen.includes('AssumeRole'));
    assert.deepEqual(
      value(chain.hub.endpoints).map((e) => e.VpcEndpointId),
      [world.endpointId],
    );
    assert.ok(value(chain.hub.endpointInterfaces).length > 0);
    assert.ok(value(chain.hub.securityGroups).some((g) => g.GroupName === 'hub-endpoints'));
    assert.ok(value(chain.hub.zones!).some((z) => z.id === world.zoneId));
  });

  test("reads the spoke's attachment and the transit gateway's tables with their routes", async () => {
    const chain = await load(clientsThroughProxy());
    const own = value(chain.transitGatewayAttachments);
    assert.deepEqual(
      own.map((a) => a.TransitGatewayAttachmentId),
      [world.spokeAttachment],
    );
    const facts = chain.transitGateways.find((t) => t.transitGatewayId === world.tgw);
    assert.ok(facts, 'the transit gateway was read');
    assert.equal(facts.readBy, 'hub');
    const ids = value(facts.attachments).map((a) => a.TransitGatewayAttachmentId);
    assert.ok(ids.includes(world.hubAttachment));
    const spokeTable = facts.tables.find((t) => t.id === world.spokeTable);
    assert.ok(
      spokeTable && value(spokeTable.routes).some((r) => r.DestinationCidrBlock === '10.0.0.0/16'),
      JSON.stringify(facts.tables),
    );
  });

  test('a denied ListResolverRules is a gap naming route53resolver:ListResolverRules; the rest loads', async () => {
    proxy.setFaults({ ListResolverRules: { kind: 'deny' } });
    const chain = await load(clientsThroughProxy());
    assert.equal(chain.resolverRules.ok, false);
    if (!chain.resolverRules.ok) {
      assert.equal(chain.resolverRules.gap.action, 'route53resolver:ListResolverRules');
      assert.equal(chain.resolverRules.gap.kind, 'permission');
    }
    value(chain.associatedZones);
    value(chain.ruleAssociations);
    const finding = findingsForGaps({
      region: REGION,
      vpcId: world.spokeVpc,
      fetchedAt: 0,
      durationMs: 0,
      calls: [],
      ...emptyParts(),
      chain,
    }).find((f) => f.code === 'AWS_PERMISSION_DENIED');
    assert.ok(finding, 'one gap finding');
    assert.deepEqual(finding.evidence['parts'], ['resolverRules']);
  });

  test('a denied ListHostedZonesByVPC leaves the zones and the hub endpoints they lead to as gaps', async () => {
    proxy.setFaults({ ListHostedZonesByVPC: { kind: 'deny' } });
    const chain = await load(clientsThroughProxy());
    assert.equal(chain.associatedZones.ok, false);
    if (!chain.associatedZones.ok)
      assert.equal(chain.associatedZones.gap.action, 'route53:ListHostedZonesByVPC');
    assert.equal(chain.hub.endpoints.ok, false);
    value(chain.resolverRules);
  });

  test('a throttled SearchTransitGatewayRoutes is a throttled gap of the tables, after the retries', async () => {
    proxy.setFaults({ SearchTransitGatewayRoutes: { kind: 'throttle', times: 100 } });
    const chain = await load(clientsThroughProxy());
    const facts = chain.transitGateways.find((t) => t.transitGatewayId === world.tgw)!;
    assert.ok(facts.tables.length > 0);
    for (const table of facts.tables) {
      assert.equal(table.routes.ok, false);
      if (!table.routes.ok) {
        assert.equal(table.routes.gap.kind, 'throttled');
        assert.equal(table.routes.gap.action, 'ec2:SearchTransitGatewayRoutes');
      }
    }
    value(facts.attachments);
  });

  test('a refused AssumeRole makes every hub part a gap naming sts:AssumeRole', async () => {
    proxy.setFaults({ AssumeRole: { kind: 'deny' } });
    const chain = await load(clientsThroughProxy());
    for (const part of [chain.hub.session, chain.hub.endpoints, chain.hub.securityGroups]) {
      assert.equal(part.ok, false);
      if (!part.ok) assert.equal(part.gap.action, 'sts:AssumeRole');
    }
    const facts = chain.transitGateways.find((t) => t.transitGatewayId === world.tgw)!;
    assert.equal(facts.attachments.ok, false, 'the tables are the role\u2019s to read');
    value(chain.associatedZones);
  });

  test('the inventory reads the chain for a VPC routed to a transit gateway, and not for one that is not', async () => {
    const clients = clientsThroughProxy(false);
    const spoke = await loadInventory(ec2, {
      vpcId: world.spokeVpc,
      region: REGION,
      chain: { clients, hostnames: [] },
    });
    assert.ok(spoke.chain, 'the spoke routes to tgw-…');
    const before = proxy.seen.length;
    const hub = await loadInventory(ec2, {
      vpcId: world.hubVpc,
      region: REGION,
      chain: { clients, hostnames: [] },
    });
    assert.equal(hub.chain, undefined, 'no transit gateway or peering route in the hub VPC');
    assert.ok(
      !proxy.seen.slice(before).some((a) => /HostedZones|Resolver|TransitGateway|Peering/.test(a)),
      proxy.seen.slice(before).join(', '),
    );
  });
});

function emptyParts() {
  const ok = <T>(v: T): Part<T> => ({ ok: true, value: v });
  return {
    vpc: ok({ VpcId: world.spokeVpc, CidrBlock: '10.1.0.0/16' }),
    dnsSupport: ok(true),
    dnsHostnames: ok(true),
    dhcpOptions: ok(undefined),
    subnets: ok([]),
    routeTables: ok([]),
    networkAcls: ok([]),
    endpoints: ok([]),
    endpointInterfaces: ok([]),
    securityGroups: ok([]),
    prefixLists: ok([]),
    services: ok([]),
    flowLogs: ok([]),
  };
}
