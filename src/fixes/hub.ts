// Centralised endpoints (issue 15): associate the hub's zone or Resolver rule with this VPC, put
// the missing transit gateway route back, accept a pending peering, admit the spoke on the hub
// endpoint's group. Written only with the ids the finding's evidence carries.
import type { Finding, FixSet } from '../model.js';
import { type FixScope, fixSet, text, vpcOf } from './scope.js';
import { fixesForRules } from './security-groups.js';
import { awsCommand, writeCli } from './write-cli.js';
import { hclName, writeHcl, writeResource } from './write-hcl.js';
import { logicalId, writeCfn } from './write-yaml.js';

/**
 * HUB_ZONE_NOT_ASSOCIATED: the authorization in the zone's account (for another account's zone)
 * and the association from this one. CloudFormation has no resource for either: CLI and Terraform.
 */
export function zoneAssociationFixes(finding: Finding, scope: FixScope): FixSet | undefined {
  const zone = text(finding.evidence, 'hostedZoneId');
  const vpcId = text(finding.evidence, 'vpcId') ?? scope.context.vpcId;
  const region = text(finding.evidence, 'region') ?? scope.context.region;
  if (!zone || !vpcId || !region) return undefined;
  const crossAccount = finding.evidence['crossAccount'] === true;
  const vpc = `VPCRegion=${region},VPCId=${vpcId}`;
  const name = hclName(zone, vpcId);
  return fixSet({
    cli: writeCli([
      ...(crossAccount
        ? [
            awsCommand('route53', 'create-vpc-association-authorization', [
              '--hosted-zone-id',
              zone,
              '--vpc',
              vpc,
            ]),
          ]
        : []),
      awsCommand('route53', 'associate-vpc-with-hosted-zone', ['--hosted-zone-id', zone, '--vpc', vpc]),
    ]),
    terraform: writeHcl([
      ...(crossAccount
        ? [
            writeResource(
              'aws_route53_vpc_association_authorization',
              name,
              { zone_id: zone, vpc_id: vpcId, vpc_region: region },
              ["applied in the zone's (hub) account"],
            ),
          ]
        : []),
      writeResource('aws_route53_zone_association', name, {
        zone_id: zone,
        vpc_id: vpcId,
        vpc_region: region,
      }),
    ]),
  });
}

/** HUB_RULE_NOT_ASSOCIATED: the rule's association with this VPC. */
export function ruleAssociationFixes(finding: Finding, scope: FixScope): FixSet | undefined {
  const rule = text(finding.evidence, 'resolverRuleId');
  const vpcId = text(finding.evidence, 'vpcId') ?? scope.context.vpcId;
  if (!rule || !vpcId) return undefined;
  return fixSet({
    cli: writeCli([
      awsCommand('route53resolver', 'associate-resolver-rule', [
        '--resolver-rule-id',
        rule,
        '--vpc-id',
        vpcId,
      ]),
    ]),
    terraform: writeHcl([
      writeResource('aws_route53_resolver_rule_association', hclName(rule, vpcId), {
        resolver_rule_id: rule,
        vpc_id: vpcId,
      }),
    ]),
    cloudformation: writeCfn({
      [logicalId(rule, vpcId)]: {
        type: 'AWS::Route53Resolver::ResolverRuleAssociation',
        properties: { ResolverRuleId: rule, VPCId: vpcId },
      },
    }),
  });
}

/** TGW_RETURN_ROUTE_MISSING: the hub attachment's table routes this VPC's CIDR to this VPC's attachment. */
export function tgwReturnRouteFixes(finding: Finding, scope: FixScope): FixSet | undefined {
  const table = text(finding.evidence, 'transitGatewayRouteTableId');
  const attachment = text(finding.evidence, 'spokeAttachmentId');
  const cidr = text(finding.evidence, 'spokeCidr') ?? vpcOf(scope)?.CidrBlock;
  if (!table || !attachment || !cidr) return undefined;
  return fixSet({
    cli: writeCli([
      awsCommand('ec2', 'create-transit-gateway-route', [
        '--transit-gateway-route-table-id',
        table,
        '--destination-cidr-block',
        cidr,
        '--transit-gateway-attachment-id',
        attachment,
      ]),
    ]),
    terraform: writeHcl([
      writeResource(
        'aws_ec2_transit_gateway_route',
        hclName(table, cidr),
        {
          transit_gateway_route_table_id: table,
          destination_cidr_block: cidr,
          transit_gateway_attachment_id: attachment,
        },
        ["applied in the transit gateway's account"],
      ),
    ]),
    cloudformation: writeCfn({
      [logicalId(table, cidr)]: {
        type: 'AWS::EC2::TransitGatewayRoute',
        properties: {
          TransitGatewayRouteTableId: table,
          DestinationCidrBlock: cidr,
          TransitGatewayAttachmentId: attachment,
        },
      },
    }),
  });
}

/** PEERING_NOT_ACTIVE: a connection pending acceptance is accepted (the others are replaced: a judgement). */
export function peeringAcceptFixes(finding: Finding): FixSet | undefined {
  const pcx = text(finding.evidence, 'vpcPeeringConnectionId');
  if (!pcx || finding.evidence['state'] !== 'pending-acceptance') return undefined;
  return fixSet({
    cli: writeCli([awsCommand('ec2', 'accept-vpc-peering-connection', ['--vpc-peering-connection-id', pcx])]),
    terraform: writeHcl([
      writeResource(
        'aws_vpc_peering_connection_accepter',
        hclName(pcx),
        { vpc_peering_connection_id: pcx, auto_accept: true },
        ["applied in the accepter's account"],
      ),
    ]),
  });
}

/** HUB_SG_EXCLUDES_SPOKE: the hub endpoint's group admits this spoke's CIDR on the denied ports. */
export function hubIngressFixes(finding: Finding, scope: FixScope): FixSet | undefined {
  const group = text(finding.evidence, 'groupId');
  const cidr = text(finding.evidence, 'spokeCidr') ?? `${scope.context.privateIp}/32`;
  const ports = Array.isArray(finding.evidence['ports'])
    ? finding.evidence['ports'].filter((p): p is number => typeof p === 'number')
    : [];
  if (!group || ports.length === 0) return undefined;
  return fixesForRules(
    ports.map((port) => ({
      groupId: group,
      direction: 'ingress' as const,
      port,
      peer: { cidr },
      description: `tcp/${port} from spoke ${scope.context.vpcId} to the hub endpoint (vpce-doctor)`,
    })),
  );
}
