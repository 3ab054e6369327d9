// The hub-and-spoke part of a scenario in moto (issue 15): the spoke VPC, the transit gateway with
// its attachments and route tables, the private hosted zones and their VPC associations, the
// Resolver endpoints, forward rules and their associations, and the hub role. The lab VPC is the
// hub. Everything is then read back the way the agent reads it (ListHostedZonesByVPC,
// ListResolverRuleAssociations, GetTransitGatewayRouteTableAssociations,
// SearchTransitGatewayRoutes): the spoke's resolver and the router's forwarding are derived from
// those answers, not from the scenario (lab.ts, dns-config.ts).
import {
  AssociateRouteTableCommand,
  AssociateTransitGatewayRouteTableCommand,
  CreateNetworkInterfaceCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateTransitGatewayCommand,
  CreateTransitGatewayRouteCommand,
  CreateTransitGatewayRouteTableCommand,
  CreateTransitGatewayVpcAttachmentCommand,
  CreateVpcCommand,
  type EC2Client,
  GetTransitGatewayRouteTableAssociationsCommand,
  ModifyVpcAttributeCommand,
  SearchTransitGatewayRoutesCommand,
} from '@aws-sdk/client-ec2';
import {
  AssociateVPCWithHostedZoneCommand,
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  ListHostedZonesByVPCCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import {
  AssociateResolverRuleCommand,
  CreateResolverEndpointCommand,
  CreateResolverRuleCommand,
  ListResolverRuleAssociationsCommand,
  ListResolverRulesCommand,
  Route53ResolverClient,
} from '@aws-sdk/client-route53resolver';
import type { HubSpec } from './scenarios.js';
import type { EndpointState, HubState, TgwRouteState } from './state.js';
import {
  ACCOUNT_ID,
  HUB_DNS_SUBNETS,
  HUB_INBOUND_DNS,
  HUB_NODES,
  HUB_ROLE_ARN,
  HUB_ROLE_NAME,
  REGION,
  SERVICES,
  SPOKE_CIDR,
  SPOKE_SUBNET,
  VPC_CIDR,
} from './topology.js';

/** The hosted zone id AWS gives every vpce.amazonaws.com alias target in us-east-1 (moto_launcher uses it too). */
const VPCE_ALIAS_ZONE = 'Z7HUB22UULQXV';

export interface HubInput {
  ec2: EC2Client;
  motoUrl: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  spec: HubSpec;
  hubVpcId: string;
  /** The hub's route tables (main and agent-a's): both get the spoke CIDR → TGW. */
  hubRouteTables: string[];
  /** The hub subnets the TGW attachment uses (the endpoint subnets, one per AZ). */
  hubAttachmentSubnets: string[];
  /** The hub's endpoints by service short name. */
  endpoints: Record<string, EndpointState>;
}

/** The endpoint's regional name (no AZ label): what an alias record points at. */
export function regionalVpceName(endpoint: EndpointState): string {
  const name = (endpoint.dnsNames ?? []).find(
    (n) => n.endsWith('.vpce.amazonaws.com') && !/-[a-z]{2}-[a-z]+-\d[a-z]\./.test(n),
  );
  if (!name) throw new Error(`endpoint ${endpoint.id} has no regional vpce name`);
  return name;
}

const hostnameOf = (shortName: string): string => {
  const service = SERVICES.find((s) => s.shortName === shortName);
  if (!service) throw new Error(`hub: no lab service ${shortName}`);
  return service.hostname;
};

/** IAM's CreateRole through the Query API (the project has no IAM SDK client; moto only needs it to exist). */
async function createHubRole(motoUrl: string): Promise<void> {
  const trust = {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT_ID}:root` }, Action: 'sts:AssumeRole' },
    ],
  };
  const form = new URLSearchParams({
    Action: 'CreateRole',
    Version: '2010-05-08',
    RoleName: HUB_ROLE_NAME,
    AssumeRolePolicyDocument: JSON.stringify(trust),
  });
  const response = await fetch(`${motoUrl}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `AWS4-HMAC-SHA256 Credential=testing/20240101/${REGION}/iam/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: form.toString(),
  });
  if (!response.ok)
    throw new Error(`iam CreateRole failed (${response.status}): ${(await response.text()).slice(0, 300)}`);
}

export async function configureHub(input: HubInput): Promise<HubState> {
  const { ec2, spec, hubVpcId } = input;
  const clientConfig = {
    endpoint: input.motoUrl,
    region: REGION,
    credentials: input.credentials,
    maxAttempts: 2,
  };
  const route53 = new Route53Client(clientConfig);
  const resolver = new Route53ResolverClient(clientConfig);
  const zoneSpecs = Object.entries(spec.zones ?? {});
  const ruleSpecs = Object.entries(spec.rules ?? {});

  // The spoke VPC: one subnet with its own route table, the agent's ENI and group.
  const spokeVpcId = (
    await ec2.send(
      new CreateVpcCommand({
        CidrBlock: SPOKE_CIDR,
        TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'Name', Value: 'vdl-spoke' }] }],
      }),
    )
  ).Vpc!.VpcId!;
  const [, , spokeSubnetId, spokeRouteTableId, spokeAgentSg, tgwId, hubDnsSubnets] = await Promise.all([
    ec2.send(new ModifyVpcAttributeCommand({ VpcId: spokeVpcId, EnableDnsSupport: { Value: true } })),
    ec2.send(new ModifyVpcAttributeCommand({ VpcId: spokeVpcId, EnableDnsHostnames: { Value: true } })),
    ec2
      .send(
        new CreateSubnetCommand({
          VpcId: spokeVpcId,
          CidrBlock: SPOKE_SUBNET.cidr,
          AvailabilityZone: SPOKE_SUBNET.az,
          TagSpecifications: [
            { ResourceType: 'subnet', Tags: [{ Key: 'Name', Value: `vdl-${SPOKE_SUBNET.name}` }] },
          ],
        }),
      )
      .then((r) => r.Subnet!.SubnetId!),
    ec2
      .send(
        new CreateRouteTableCommand({
          VpcId: spokeVpcId,
          TagSpecifications: [{ ResourceType: 'route-table', Tags: [{ Key: 'Name', Value: 'vdl-spoke' }] }],
        }),
      )
      .then((r) => r.RouteTable!.RouteTableId!),
    ec2
      .send(
        new CreateSecurityGroupCommand({
          VpcId: spokeVpcId,
          GroupName: 'vdl-spoke-agent',
          Description: 'vpce-doctor lab spoke agent',
        }),
      )
      .then((r) => r.GroupId!),
    ec2
      .send(
        new CreateTransitGatewayCommand({
          Description: 'vpce-doctor lab',
          Options: { DefaultRouteTableAssociation: 'disable', DefaultRouteTablePropagation: 'disable' },
          TagSpecifications: [{ ResourceType: 'transit-gateway', Tags: [{ Key: 'Name', Value: 'vdl-tgw' }] }],
        }),
      )
      .then((r) => r.TransitGateway!.TransitGatewayId!),
    ruleSpecs.length === 0
      ? Promise.resolve([] as string[])
      : Promise.all(
          HUB_DNS_SUBNETS.map((s) =>
            ec2
              .send(
                new CreateSubnetCommand({
                  VpcId: hubVpcId,
                  CidrBlock: s.cidr,
                  AvailabilityZone: s.az,
                  TagSpecifications: [
                    { ResourceType: 'subnet', Tags: [{ Key: 'Name', Value: `vdl-${s.name}` }] },
                  ],
                }),
              )
              .then((r) => r.Subnet!.SubnetId!),
          ),
        ),
  ]);

  // Three branches at once: the transit gateway, the zones, the Resolver.
  const tgwBranch = (async () => {
    const [spokeAgentEni, hubAttachment, spokeAttachment, tgwRtSpoke, tgwRtHub] = (await Promise.all([
      ec2
        .send(
          new CreateNetworkInterfaceCommand({
            SubnetId: spokeSubnetId,
            PrivateIpAddress: HUB_NODES.spoke.address,
            Groups: [spokeAgentSg],
            Description: 'vpce-doctor lab spoke agent',
          }),
        )
        .then((r) => r.NetworkInterface!.NetworkInterfaceId!),
      ec2
        .send(
          new CreateTransitGatewayVpcAttachmentCommand({
            TransitGatewayId: tgwId,
            VpcId: hubVpcId,
            SubnetIds: input.hubAttachmentSubnets,
          }),
        )
        .then((r) => r.TransitGatewayVpcAttachment!.TransitGatewayAttachmentId!),
      ec2
        .send(
          new CreateTransitGatewayVpcAttachmentCommand({
            TransitGatewayId: tgwId,
            VpcId: spokeVpcId,
            SubnetIds: [spokeSubnetId],
          }),
        )
        .then((r) => r.TransitGatewayVpcAttachment!.TransitGatewayAttachmentId!),
      ...['vdl-tgw-spoke', 'vdl-tgw-hub'].map((name) =>
        ec2
          .send(
            new CreateTransitGatewayRouteTableCommand({
              TransitGatewayId: tgwId,
              TagSpecifications: [
                { ResourceType: 'transit-gateway-route-table', Tags: [{ Key: 'Name', Value: name }] },
              ],
            }),
          )
          .then((r) => r.TransitGatewayRouteTable!.TransitGatewayRouteTableId!),
      ),
    ])) as [string, string, string, string, string];

    // One table per attachment, as a segmented TGW has: the spoke's table routes to the hub, the
    // hub's routes back to the spoke.
    await Promise.all([
      ec2.send(new AssociateRouteTableCommand({ RouteTableId: spokeRouteTableId, SubnetId: spokeSubnetId })),
      ec2.send(
        new AssociateTransitGatewayRouteTableCommand({
          TransitGatewayRouteTableId: tgwRtSpoke,
          TransitGatewayAttachmentId: spokeAttachment,
        }),
      ),
      ec2.send(
        new AssociateTransitGatewayRouteTableCommand({
          TransitGatewayRouteTableId: tgwRtHub,
          TransitGatewayAttachmentId: hubAttachment,
        }),
      ),
      spec.tgw?.spokeToHub === false
        ? undefined
        : ec2.send(
            new CreateTransitGatewayRouteCommand({
              TransitGatewayRouteTableId: tgwRtSpoke,
              DestinationCidrBlock: VPC_CIDR,
              TransitGatewayAttachmentId: hubAttachment,
            }),
          ),
      spec.tgw?.hubToSpoke === false
        ? undefined
        : ec2.send(
            new CreateTransitGatewayRouteCommand({
              TransitGatewayRouteTableId: tgwRtHub,
              DestinationCidrBlock: SPOKE_CIDR,
              TransitGatewayAttachmentId: spokeAttachment,
            }),
          ),
      ec2.send(
        new CreateRouteCommand({
          RouteTableId: spokeRouteTableId,
          DestinationCidrBlock: VPC_CIDR,
          TransitGatewayId: tgwId,
        }),
      ),
      ...input.hubRouteTables.map((rt) =>
        ec2.send(
          new CreateRouteCommand({
            RouteTableId: rt,
            DestinationCidrBlock: SPOKE_CIDR,
            TransitGatewayId: tgwId,
          }),
        ),
      ),
      createHubRole(input.motoUrl),
    ]);
    return { spokeAgentEni, hubAttachment, spokeAttachment, tgwRtSpoke, tgwRtHub };
  })();

  // Zones: always associated with the hub, with the spoke unless the scenario says not.
  const zonesBranch = Promise.all(
    zoneSpecs.map(async ([shortName, zone]) => {
      const endpoint = input.endpoints[shortName];
      if (!endpoint) throw new Error(`hub zone for ${shortName}: the hub has no endpoint`);
      const name = hostnameOf(shortName);
      const created = await route53.send(
        new CreateHostedZoneCommand({
          Name: name,
          CallerReference: `vdl-${shortName}`,
          HostedZoneConfig: { PrivateZone: true, Comment: 'vpce-doctor lab hub' },
          VPC: { VPCRegion: REGION, VPCId: hubVpcId },
        }),
      );
      const zoneId = created.HostedZone!.Id!.replace('/hostedzone/', '');
      await Promise.all([
        zone.associateSpoke === false
          ? undefined
          : route53.send(
              new AssociateVPCWithHostedZoneCommand({
                HostedZoneId: zoneId,
                VPC: { VPCRegion: REGION, VPCId: spokeVpcId },
              }),
            ),
        route53.send(
          new ChangeResourceRecordSetsCommand({
            HostedZoneId: zoneId,
            ChangeBatch: {
              Changes: [
                {
                  Action: 'CREATE',
                  ResourceRecordSet:
                    zone.records === 'alias'
                      ? {
                          Name: name,
                          Type: 'A',
                          AliasTarget: {
                            HostedZoneId: VPCE_ALIAS_ZONE,
                            DNSName: regionalVpceName(endpoint),
                            EvaluateTargetHealth: false,
                          },
                        }
                      : {
                          Name: name,
                          Type: 'A',
                          TTL: 60,
                          ResourceRecords: endpoint.eniIps.map((Value) => ({ Value })),
                        },
                },
              ],
            },
          }),
        ),
      ]);
      return zoneId;
    }),
  );

  const resolverBranch = (async () => {
    // Resolver: the hub's inbound endpoint (the rules' targets) and the outbound one the rules use.
    let inboundEndpointId = '';
    let outboundEndpointId = '';
    if (ruleSpecs.length > 0) {
      const resolverSg = (
        await ec2.send(
          new CreateSecurityGroupCommand({
            VpcId: hubVpcId,
            GroupName: 'vdl-hub-resolver',
            Description: 'vpce-doctor lab hub resolver endpoints',
          }),
        )
      ).GroupId!;
      const [inbound, outbound] = await Promise.all([
        resolver.send(
          new CreateResolverEndpointCommand({
            CreatorRequestId: 'vdl-hub-inbound',
            Name: 'vdl-hub-inbound',
            Direction: 'INBOUND',
            SecurityGroupIds: [resolverSg],
            IpAddresses: hubDnsSubnets.map((SubnetId, i) => ({ SubnetId, Ip: HUB_INBOUND_DNS[i]! })),
          }),
        ),
        resolver.send(
          new CreateResolverEndpointCommand({
            CreatorRequestId: 'vdl-hub-outbound',
            Name: 'vdl-hub-outbound',
            Direction: 'OUTBOUND',
            SecurityGroupIds: [resolverSg],
            IpAddresses: hubDnsSubnets.map((SubnetId) => ({ SubnetId })),
          }),
        ),
      ]);
      inboundEndpointId = inbound.ResolverEndpoint!.Id!;
      outboundEndpointId = outbound.ResolverEndpoint!.Id!;
      await Promise.all(
        ruleSpecs.map(async ([shortName, rule]) => {
          const created = await resolver.send(
            new CreateResolverRuleCommand({
              CreatorRequestId: `vdl-rule-${shortName}`,
              Name: `vdl-${shortName.replace(/\./g, '-')}`,
              RuleType: 'FORWARD',
              DomainName: hostnameOf(shortName),
              TargetIps: HUB_INBOUND_DNS.map((Ip) => ({ Ip, Port: 53 })),
              ResolverEndpointId: outboundEndpointId,
            }),
          );
          if (rule.associateSpoke === false) return;
          await resolver.send(
            new AssociateResolverRuleCommand({
              ResolverRuleId: created.ResolverRule!.Id!,
              VPCId: spokeVpcId,
              Name: `vdl-spoke-${shortName.replace(/\./g, '-')}`,
            }),
          );
        }),
      );
    }
    return { inboundEndpointId, outboundEndpointId };
  })();

  const [{ spokeAgentEni, hubAttachment, spokeAttachment, tgwRtSpoke, tgwRtHub }, zoneIds, resolverIds] =
    await Promise.all([tgwBranch, zonesBranch, resolverBranch]);
  const { inboundEndpointId, outboundEndpointId } = resolverIds;

  // Read everything back as the agent would.
  const [byVpc, records, rules, ruleAssociations, spokeTable, hubTable] = await Promise.all([
    Promise.all(
      [hubVpcId, spokeVpcId].map(async (vpcId) => {
        const out = await route53.send(new ListHostedZonesByVPCCommand({ VPCId: vpcId, VPCRegion: REGION }));
        return (out.HostedZoneSummaries ?? []).map((z) => ({ zoneId: z.HostedZoneId!, vpcId }));
      }),
    ).then((lists) => lists.flat()),
    Promise.all(
      zoneIds.map(async (zoneId) => {
        const out = await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
        return (out.ResourceRecordSets ?? [])
          .filter((r) => r.Type === 'A')
          .map((r) => ({
            name: r.Name!.replace(/\.$/, ''),
            ...(r.AliasTarget?.DNSName
              ? { aliasDnsName: r.AliasTarget.DNSName.replace(/\.$/, '') }
              : { addresses: (r.ResourceRecords ?? []).map((v) => v.Value!) }),
          }));
      }),
    ),
    ruleSpecs.length > 0
      ? resolver.send(new ListResolverRulesCommand({}))
      : Promise.resolve({ ResolverRules: [] }),
    ruleSpecs.length > 0
      ? resolver.send(new ListResolverRuleAssociationsCommand({}))
      : Promise.resolve({ ResolverRuleAssociations: [] }),
    readTgwTable(ec2, tgwRtSpoke, spokeAttachment),
    readTgwTable(ec2, tgwRtHub, hubAttachment),
  ]);
  const zones = zoneSpecs.map(([shortName], i) => ({
    id: zoneIds[i]!,
    name: hostnameOf(shortName),
    vpcIds: byVpc.filter((z) => z.zoneId.replace('/hostedzone/', '') === zoneIds[i]).map((z) => z.vpcId),
    records: records[i]!,
  }));
  const forwardRules = (rules.ResolverRules ?? [])
    .filter((r) => r.RuleType === 'FORWARD')
    .map((r) => ({
      id: r.Id!,
      domain: (r.DomainName ?? '').replace(/\.$/, ''),
      targets: (r.TargetIps ?? []).map((t) => t.Ip!).filter(Boolean),
      vpcIds: (ruleAssociations.ResolverRuleAssociations ?? [])
        .filter((a) => a.ResolverRuleId === r.Id)
        .map((a) => a.VPCId!),
    }));

  return {
    spokeVpcId,
    spokeSubnetId,
    spokeRouteTableId,
    spokeAgentEni,
    spokeAgentSg,
    transitGatewayId: tgwId,
    attachments: { hub: hubAttachment, spoke: spokeAttachment },
    routeTables: { spoke: spokeTable, hub: hubTable },
    zones,
    rules: forwardRules,
    inboundEndpointId,
    outboundEndpointId,
    roleArn: HUB_ROLE_ARN,
  };
}

/** The routes of the TGW table, after checking that it is the one associated with `attachment`. */
async function readTgwTable(
  ec2: EC2Client,
  tableId: string,
  attachment: string,
): Promise<{ id: string; routes: TgwRouteState[] }> {
  const [associations, routes] = await Promise.all([
    ec2.send(new GetTransitGatewayRouteTableAssociationsCommand({ TransitGatewayRouteTableId: tableId })),
    ec2.send(
      new SearchTransitGatewayRoutesCommand({
        TransitGatewayRouteTableId: tableId,
        Filters: [{ Name: 'state', Values: ['active', 'blackhole'] }],
      }),
    ),
  ]);
  if (!(associations.Associations ?? []).some((a) => a.TransitGatewayAttachmentId === attachment))
    throw new Error(`TGW route table ${tableId} is not associated with ${attachment}`);
  return {
    id: tableId,
    routes: (routes.Routes ?? []).map((r) => ({
      cidr: r.DestinationCidrBlock!,
      state: r.State ?? 'active',
      ...(r.TransitGatewayAttachments?.[0]?.TransitGatewayAttachmentId
        ? { attachmentId: r.TransitGatewayAttachments[0].TransitGatewayAttachmentId }
        : {}),
    })),
  };
}
