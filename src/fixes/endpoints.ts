// The endpoint itself: create a missing one, turn private DNS on, add the agent's subnet,
// recreate or accept one that is not available. An existing endpoint is written out as EC2
// describes it, with the one property changed, for the resource that manages it.
import type { VpcEndpoint } from '@aws-sdk/client-ec2';
import type { Finding, FixSet } from '../model.js';
import { endpointOf, type FixScope, fixSet, records, serviceLabel, text } from './scope.js';
import { type Arg, awsCommand, captureInto, ShellVariable, writeCli } from './write-cli.js';
import {
  HclBlock,
  type HclObject,
  type HclValue,
  hclName,
  jsonencode,
  reference,
  writeHcl,
  writeResource,
} from './write-hcl.js';
import { type CfnResource, getAtt, logicalId, writeCfn, type YamlValue } from './write-yaml.js';

/** The endpoint's policy document as JSON, when it has one that parses. */
export function policyOf(endpoint: VpcEndpoint): Record<string, unknown> | undefined {
  if (!endpoint.PolicyDocument) return undefined;
  try {
    const parsed = JSON.parse(endpoint.PolicyDocument) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export interface EndpointShape {
  vpcId: string;
  serviceName: string;
  type: 'Interface' | 'Gateway';
  subnetIds: string[];
  /** Group ids, or references to groups the snippet creates. */
  securityGroups: { terraform: HclValue[]; cloudformation: YamlValue[] };
  routeTableIds: string[];
  privateDnsEnabled?: boolean;
  policy?: Record<string, unknown>;
  /** Interface endpoints: as EC2 described them, so a recreated or rewritten endpoint keeps them. */
  ipAddressType?: string;
  dnsRecordIpType?: string;
  privateDnsOnlyForInboundResolverEndpoint?: boolean;
}

/** The endpoint as EC2 described it, to rewrite with one property changed. */
export function shapeOf(endpoint: VpcEndpoint, scope: FixScope): EndpointShape | undefined {
  const type = endpoint.VpcEndpointType;
  if (!endpoint.ServiceName || (type !== 'Interface' && type !== 'Gateway')) return undefined;
  const groups = (endpoint.Groups ?? []).flatMap((g) => (g.GroupId ? [g.GroupId] : []));
  const policy = policyOf(endpoint);
  return {
    vpcId: endpoint.VpcId ?? scope.context.vpcId,
    serviceName: endpoint.ServiceName,
    type,
    subnetIds: endpoint.SubnetIds ?? [],
    securityGroups: { terraform: groups, cloudformation: groups },
    routeTableIds: endpoint.RouteTableIds ?? [],
    ...(type === 'Interface' ? { privateDnsEnabled: endpoint.PrivateDnsEnabled ?? false } : {}),
    ...(policy ? { policy } : {}),
    ...(type === 'Interface' ? addressingOf(endpoint) : {}),
  };
}

function addressingOf(
  endpoint: VpcEndpoint,
): Pick<EndpointShape, 'ipAddressType' | 'dnsRecordIpType' | 'privateDnsOnlyForInboundResolverEndpoint'> {
  const dns = endpoint.DnsOptions;
  const inbound = dns?.PrivateDnsOnlyForInboundResolverEndpoint;
  return {
    ...(endpoint.IpAddressType ? { ipAddressType: endpoint.IpAddressType } : {}),
    ...(dns?.DnsRecordIpType ? { dnsRecordIpType: dns.DnsRecordIpType } : {}),
    ...(typeof inbound === 'boolean' ? { privateDnsOnlyForInboundResolverEndpoint: inbound } : {}),
  };
}

/** The DNS options as create-vpc-endpoint takes them (`--dns-options` and `--ip-address-type`). */
function addressingArgs(shape: EndpointShape): Arg[] {
  const dns = [
    ...(shape.dnsRecordIpType ? [`DnsRecordIpType=${shape.dnsRecordIpType}`] : []),
    ...(shape.privateDnsOnlyForInboundResolverEndpoint !== undefined
      ? [`PrivateDnsOnlyForInboundResolverEndpoint=${shape.privateDnsOnlyForInboundResolverEndpoint}`]
      : []),
  ];
  return [
    ...(shape.ipAddressType ? ['--ip-address-type', shape.ipAddressType] : []),
    ...(dns.length > 0 ? ['--dns-options', dns.join(',')] : []),
  ];
}

function dnsOptionsTerraform(shape: EndpointShape): HclObject {
  const body: HclObject = {
    ...(shape.dnsRecordIpType ? { dns_record_ip_type: shape.dnsRecordIpType } : {}),
    ...(shape.privateDnsOnlyForInboundResolverEndpoint !== undefined
      ? { private_dns_only_for_inbound_resolver_endpoint: shape.privateDnsOnlyForInboundResolverEndpoint }
      : {}),
  };
  return Object.keys(body).length > 0 ? { dns_options: new HclBlock(body) } : {};
}

function dnsOptionsCloudFormation(shape: EndpointShape): Record<string, YamlValue> {
  const body: Record<string, YamlValue> = {
    ...(shape.dnsRecordIpType ? { DnsRecordIpType: shape.dnsRecordIpType } : {}),
    // CloudFormation spells the flag as a choice of resolvers, not a boolean.
    ...(shape.privateDnsOnlyForInboundResolverEndpoint !== undefined
      ? {
          PrivateDnsOnlyForInboundResolverEndpoint: shape.privateDnsOnlyForInboundResolverEndpoint
            ? 'OnlyInboundResolver'
            : 'AllResolvers',
        }
      : {}),
  };
  return Object.keys(body).length > 0 ? { DnsOptions: body } : {};
}

export function endpointTerraform(shape: EndpointShape): HclObject {
  return {
    vpc_id: shape.vpcId,
    service_name: shape.serviceName,
    vpc_endpoint_type: shape.type,
    ...(shape.type === 'Interface'
      ? {
          subnet_ids: shape.subnetIds,
          security_group_ids: shape.securityGroups.terraform,
          private_dns_enabled: shape.privateDnsEnabled ?? false,
          ...(shape.ipAddressType ? { ip_address_type: shape.ipAddressType } : {}),
        }
      : { route_table_ids: shape.routeTableIds }),
    ...(shape.policy ? { policy: jsonencode(shape.policy as HclObject) } : {}),
    ...dnsOptionsTerraform(shape),
  };
}

export function endpointCloudFormation(shape: EndpointShape, comments: string[] = []): CfnResource {
  return {
    type: 'AWS::EC2::VPCEndpoint',
    comments,
    properties: {
      VpcId: shape.vpcId,
      ServiceName: shape.serviceName,
      VpcEndpointType: shape.type,
      ...(shape.type === 'Interface'
        ? {
            SubnetIds: shape.subnetIds,
            SecurityGroupIds: shape.securityGroups.cloudformation,
            PrivateDnsEnabled: shape.privateDnsEnabled ?? false,
            ...(shape.ipAddressType ? { IpAddressType: shape.ipAddressType } : {}),
          }
        : { RouteTableIds: shape.routeTableIds }),
      ...(shape.policy ? { PolicyDocument: shape.policy as YamlValue } : {}),
      ...dnsOptionsCloudFormation(shape),
    },
  };
}

/** Terraform and CloudFormation for an existing endpoint with `change` applied. */
export function rewrittenEndpoint(
  endpoint: VpcEndpoint,
  scope: FixScope,
  change: (shape: EndpointShape) => EndpointShape,
  what: string,
): Pick<FixSet, 'terraform' | 'cloudformation'> {
  const shape = shapeOf(endpoint, scope);
  if (!shape) return {};
  const id = endpoint.VpcEndpointId ?? 'the endpoint';
  const changed = change(shape);
  const note = `${id} as EC2 describes it, ${what}: make this change in the resource that manages ${id}`;
  const name = serviceLabel(shape.serviceName);
  return {
    terraform: writeHcl([
      writeResource('aws_vpc_endpoint', hclName(name), endpointTerraform(changed), [note]),
    ]),
    cloudformation: writeCfn({ [logicalId(name, 'Endpoint')]: endpointCloudFormation(changed, [note]) }),
  };
}

/** ENDPOINT_PRIVATE_DNS_DISABLED: modify-vpc-endpoint --private-dns-enabled. */
export function privateDnsFixes(finding: Finding, scope: FixScope): FixSet | undefined {
  const id = text(finding.evidence, 'endpointId');
  if (!id) return undefined;
  const endpoint = endpointOf(scope, id);
  return fixSet({
    cli: awsCommand('ec2', 'modify-vpc-endpoint', ['--vpc-endpoint-id', id, '--private-dns-enabled']),
    ...(endpoint
      ? rewrittenEndpoint(endpoint, scope, (s) => ({ ...s, privateDnsEnabled: true }), 'with private DNS on')
      : {}),
  });
}

/** What an endpoint can gain: a subnet (an ENI in its AZ) or a route table (a gateway route). */
const ASSOCIATIONS = {
  subnet: {
    flag: '--add-subnet-ids',
    resource: 'aws_vpc_endpoint_subnet_association',
    argument: 'subnet_id',
    inline: 'subnet_ids',
    what: 'subnets',
    add: (s: EndpointShape, id: string): EndpointShape => ({
      ...s,
      subnetIds: [...new Set([...s.subnetIds, id])],
    }),
  },
  routeTable: {
    flag: '--add-route-table-ids',
    resource: 'aws_vpc_endpoint_route_table_association',
    argument: 'route_table_id',
    inline: 'route_table_ids',
    what: 'route tables',
    add: (s: EndpointShape, id: string): EndpointShape => ({
      ...s,
      routeTableIds: [...new Set([...s.routeTableIds, id])],
    }),
  },
};

/**
 * The endpoint gains a subnet or a route table: modify-vpc-endpoint, a Terraform association
 * resource; CloudFormation has no association resource, so the endpoint's own list carries it.
 */
export function associationFixes(
  scope: FixScope,
  endpointId: string,
  kind: keyof typeof ASSOCIATIONS,
  id: string,
): FixSet | undefined {
  const a = ASSOCIATIONS[kind];
  const endpoint = endpointOf(scope, endpointId);
  const rewritten = endpoint
    ? rewrittenEndpoint(endpoint, scope, (s) => a.add(s, id), `with ${id} added to its ${a.what}`)
    : {};
  return fixSet({
    cli: awsCommand('ec2', 'modify-vpc-endpoint', ['--vpc-endpoint-id', endpointId, a.flag, id]),
    terraform: writeHcl([
      writeResource(a.resource, hclName(endpointId, id), { vpc_endpoint_id: endpointId, [a.argument]: id }, [
        // Terraform manages the list either inline or as associations: the two fight over it.
        `if the aws_vpc_endpoint for ${endpointId} lists ${a.inline} inline, add ${id} there instead: the two conflict`,
      ]),
    ]),
    ...(rewritten.cloudformation ? { cloudformation: rewritten.cloudformation } : {}),
  });
}

/** ENDPOINT_NOT_IN_AZ, where the service is offered in the agent's AZ: an ENI in the agent's subnet. */
export function subnetInAzFixes(finding: Finding, scope: FixScope): FixSet | undefined {
  const id = text(finding.evidence, 'endpointId');
  const subnet = scope.context.subnetId;
  if (!id || !subnet || finding.evidence['serviceOfferedInAgentAz'] === false) return undefined;
  return associationFixes(scope, id, 'subnet', subnet);
}

/** ENDPOINT_NOT_AVAILABLE: accept a pending connection (service owner), or recreate a dead endpoint. */
export function notAvailableFixes(finding: Finding, scope: FixScope): FixSet | undefined {
  const id = text(finding.evidence, 'endpointId');
  const state = text(finding.evidence, 'state')?.toLowerCase();
  const endpoint = endpointOf(scope, id);
  if (!id || !state) return undefined;
  if (state === 'pendingacceptance') {
    const serviceId = text(finding.evidence, 'serviceName')?.split('.').pop();
    if (!serviceId?.startsWith('vpce-svc-')) return undefined;
    // In the service owner's account; CloudFormation has no resource that accepts a connection.
    return fixSet({
      cli: awsCommand('ec2', 'accept-vpc-endpoint-connections', [
        '--service-id',
        serviceId,
        '--vpc-endpoint-ids',
        id,
      ]),
      terraform: writeHcl([
        writeResource(
          'aws_vpc_endpoint_connection_accepter',
          hclName(id),
          { vpc_endpoint_service_id: serviceId, vpc_endpoint_id: id },
          [`in the account that owns ${serviceId}`],
        ),
      ]),
    });
  }
  if (!['rejected', 'failed', 'expired', 'deleted'].includes(state) || !endpoint) return undefined;
  const shape = shapeOf(endpoint, scope);
  if (!shape) return undefined;
  const placement: Arg[] =
    shape.type === 'Gateway'
      ? ['--route-table-ids', ...shape.routeTableIds]
      : [
          '--subnet-ids',
          ...shape.subnetIds,
          '--security-group-ids',
          ...(shape.securityGroups.cloudformation as string[]),
          ...(shape.privateDnsEnabled ? ['--private-dns-enabled'] : []),
        ];
  if (placement.length === 1) return undefined;
  const name = serviceLabel(shape.serviceName);
  // A rejected connection is the service owner's decision: asking them is the fix; a new endpoint
  // is only worth it when they will accept that one.
  const ask =
    state === 'rejected'
      ? [
          `first ask the owner of ${shape.serviceName} to accept ${id} (accept-vpc-endpoint-connections in their account); only if they will accept a new one instead:`,
        ]
      : [];
  const note = `recreates ${id} (${state}): replace the resource that manages it`;
  return fixSet({
    cli: writeCli([
      ...ask.map((line) => `# ${line}`),
      awsCommand('ec2', 'delete-vpc-endpoints', ['--vpc-endpoint-ids', id]),
      awsCommand('ec2', 'create-vpc-endpoint', [
        '--vpc-id',
        shape.vpcId,
        '--vpc-endpoint-type',
        shape.type,
        '--service-name',
        shape.serviceName,
        ...placement,
        ...addressingArgs(shape),
        // Without it the new endpoint allows everything: a restrictive policy would be lost.
        ...(shape.policy ? ['--policy-document', JSON.stringify(shape.policy)] : []),
      ]),
    ]),
    terraform: writeHcl([
      writeResource('aws_vpc_endpoint', hclName(name), endpointTerraform(shape), [...ask, note]),
    ]),
    cloudformation: writeCfn({
      [logicalId(name, 'Endpoint')]: endpointCloudFormation(shape, [...ask, note]),
    }),
  });
}

/** Whether the profile (or the service) wants a gateway endpoint: S3 and DynamoDB. */
function wantsGateway(finding: Finding, scope: FixScope): boolean {
  const profiles = records(finding.evidence['profiles']);
  if (profiles.length > 0) return profiles.some((p) => p['endpointType'] === 'Gateway');
  return ['s3', 'dynamodb'].includes(scope.target?.shortName ?? '');
}

/**
 * A missing endpoint, created: a gateway endpoint on the agent subnet's route table, or an
 * interface endpoint in the agent's subnet with a security group of its own that admits the agent.
 */
export function createEndpointFixes(finding: Finding, scope: FixScope): FixSet | undefined {
  const { context } = scope;
  const service = scope.target?.service ?? text(finding.evidence, 'service');
  if (!service || !context.vpcId) return undefined;
  const name = serviceLabel(service);
  if (wantsGateway(finding, scope)) {
    const table = text(finding.evidence, 'routeTableId') ?? text(finding.evidence, 'routeTable');
    if (!table) return undefined;
    const shape: EndpointShape = {
      vpcId: context.vpcId,
      serviceName: service,
      type: 'Gateway',
      subnetIds: [],
      securityGroups: { terraform: [], cloudformation: [] },
      routeTableIds: [table],
    };
    return fixSet({
      cli: awsCommand('ec2', 'create-vpc-endpoint', [
        '--vpc-id',
        context.vpcId,
        '--vpc-endpoint-type',
        'Gateway',
        '--service-name',
        service,
        '--route-table-ids',
        table,
      ]),
      terraform: writeHcl([writeResource('aws_vpc_endpoint', hclName(name), endpointTerraform(shape))]),
      cloudformation: writeCfn({ [logicalId(name, 'Endpoint')]: endpointCloudFormation(shape) }),
    });
  }
  if (!context.subnetId) return undefined;
  const agentGroup = context.securityGroupIds[0];
  const source = agentGroup ? undefined : `${context.privateIp}/32`;
  const groupName = `vpce-${name}`;
  const description = `HTTPS from the workload to the ${name} endpoint`;
  const tfGroup = hclName(name, 'endpoint');
  const cfnGroup = logicalId(name, 'EndpointSecurityGroup');
  const shape = (groups: EndpointShape['securityGroups']): EndpointShape => ({
    vpcId: context.vpcId,
    serviceName: service,
    type: 'Interface',
    subnetIds: [context.subnetId],
    securityGroups: groups,
    routeTableIds: [],
    privateDnsEnabled: true,
  });
  const group = new ShellVariable('sg');
  return fixSet({
    cli: writeCli([
      captureInto(
        'sg',
        awsCommand('ec2', 'create-security-group', [
          '--vpc-id',
          context.vpcId,
          '--group-name',
          groupName,
          '--description',
          description,
          '--query',
          'GroupId',
          '--output',
          'text',
        ]),
      ),
      awsCommand('ec2', 'authorize-security-group-ingress', [
        '--group-id',
        group,
        '--protocol',
        'tcp',
        '--port',
        443,
        ...(agentGroup ? ['--source-group', agentGroup] : ['--cidr', source!]),
      ]),
      awsCommand('ec2', 'create-vpc-endpoint', [
        '--vpc-id',
        context.vpcId,
        '--vpc-endpoint-type',
        'Interface',
        '--service-name',
        service,
        '--subnet-ids',
        context.subnetId,
        '--security-group-ids',
        group,
        '--private-dns-enabled',
      ]),
    ]),
    terraform: writeHcl([
      writeResource('aws_security_group', tfGroup, {
        name_prefix: `${groupName}-`,
        description,
        vpc_id: context.vpcId,
      }),
      writeResource('aws_vpc_security_group_ingress_rule', hclName(name, 'endpoint', 'https'), {
        security_group_id: reference(`aws_security_group.${tfGroup}.id`),
        ip_protocol: 'tcp',
        from_port: 443,
        to_port: 443,
        ...(agentGroup ? { referenced_security_group_id: agentGroup } : { cidr_ipv4: source! }),
      }),
      writeResource(
        'aws_vpc_endpoint',
        hclName(name),
        endpointTerraform(
          shape({ terraform: [reference(`aws_security_group.${tfGroup}.id`)], cloudformation: [] }),
        ),
      ),
    ]),
    cloudformation: writeCfn({
      [cfnGroup]: {
        type: 'AWS::EC2::SecurityGroup',
        properties: {
          GroupDescription: description,
          VpcId: context.vpcId,
          SecurityGroupIngress: [
            {
              IpProtocol: 'tcp',
              FromPort: 443,
              ToPort: 443,
              ...(agentGroup ? { SourceSecurityGroupId: agentGroup } : { CidrIp: source! }),
            },
          ],
        },
      },
      [logicalId(name, 'Endpoint')]: endpointCloudFormation(
        shape({ terraform: [], cloudformation: [getAtt(cfnGroup, 'GroupId')] }),
      ),
    }),
  });
}
