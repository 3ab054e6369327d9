// Builds a small VPC in moto for the inventory tests: two subnets in two AZs, a route table,
// a DHCP option set, security groups (one rule referencing a customer-managed prefix list),
// interface endpoints, an S3 gateway endpoint and a flow log.
import {
  AssociateDhcpOptionsCommand,
  AssociateRouteTableCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateDhcpOptionsCommand,
  CreateFlowLogsCommand,
  CreateManagedPrefixListCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  DescribeVpcEndpointServicesCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';

export interface World {
  vpcId: string;
  subnetA: string;
  subnetB: string;
  routeTableId: string;
  endpointSg: string;
  agentSg: string;
  customerPrefixList: string;
  dhcpOptionsId: string;
  interfaceEndpoints: string[];
  gatewayEndpoint: string;
}

/** Interface services moto knows, skipping s3/dynamodb (gateway here), sorted for stable picks. */
export async function interfaceServiceNames(ec2: EC2Client, region: string): Promise<string[]> {
  const out = await ec2.send(new DescribeVpcEndpointServicesCommand({}));
  return (out.ServiceDetails ?? [])
    .filter((s) => s.ServiceType?.some((t) => t.ServiceType === 'Interface'))
    .map((s) => s.ServiceName!)
    .filter((n) => n.startsWith(`com.amazonaws.${region}.`) && !/\.(s3|dynamodb)$/.test(n))
    .sort();
}

export async function buildWorld(
  ec2: EC2Client,
  options: { interfaceEndpoints: number; region?: string },
): Promise<World> {
  const region = options.region ?? 'us-east-1';
  const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.20.0.0/16' }))).Vpc!.VpcId!;
  const subnetA = (
    await ec2.send(
      new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.20.1.0/24', AvailabilityZone: `${region}a` }),
    )
  ).Subnet!.SubnetId!;
  const subnetB = (
    await ec2.send(
      new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.20.2.0/24', AvailabilityZone: `${region}b` }),
    )
  ).Subnet!.SubnetId!;
  const routeTableId = (await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }))).RouteTable!
    .RouteTableId!;
  await ec2.send(new AssociateRouteTableCommand({ RouteTableId: routeTableId, SubnetId: subnetA }));

  const dhcpOptionsId = (
    await ec2.send(
      new CreateDhcpOptionsCommand({
        DhcpConfigurations: [{ Key: 'domain-name-servers', Values: ['10.20.0.53', 'AmazonProvidedDNS'] }],
      }),
    )
  ).DhcpOptions!.DhcpOptionsId!;
  await ec2.send(new AssociateDhcpOptionsCommand({ DhcpOptionsId: dhcpOptionsId, VpcId: vpcId }));

  const customerPrefixList = (
    await ec2.send(
      new CreateManagedPrefixListCommand({
        PrefixListName: 'corp-offices',
        AddressFamily: 'IPv4',
        MaxEntries: 5,
        Entries: [{ Cidr: '192.0.2.0/24' }, { Cidr: '198.51.100.0/24' }],
      }),
    )
  ).PrefixList!.PrefixListId!;

  const agentSg = (
    await ec2.send(new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: 'agent', Description: 'agent' }))
  ).GroupId!;
  const endpointSg = (
    await ec2.send(
      new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: 'endpoints', Description: 'endpoints' }),
    )
  ).GroupId!;
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: endpointSg,
      IpPermissions: [
        { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, UserIdGroupPairs: [{ GroupId: agentSg }] },
        {
          IpProtocol: 'tcp',
          FromPort: 443,
          ToPort: 443,
          PrefixListIds: [{ PrefixListId: customerPrefixList }],
        },
      ],
    }),
  );

  const names = (await interfaceServiceNames(ec2, region)).slice(0, options.interfaceEndpoints);
  if (names.length < options.interfaceEndpoints)
    throw new Error(`moto offers only ${names.length} interface services`);
  const interfaceEndpoints: string[] = [];
  for (const ServiceName of names) {
    const out = await ec2.send(
      new CreateVpcEndpointCommand({
        VpcId: vpcId,
        ServiceName,
        VpcEndpointType: 'Interface',
        SubnetIds: [subnetA, subnetB],
        SecurityGroupIds: [endpointSg],
        PrivateDnsEnabled: true,
      }),
    );
    interfaceEndpoints.push(out.VpcEndpoint!.VpcEndpointId!);
  }
  const gatewayEndpoint = (
    await ec2.send(
      new CreateVpcEndpointCommand({
        VpcId: vpcId,
        ServiceName: `com.amazonaws.${region}.s3`,
        VpcEndpointType: 'Gateway',
        RouteTableIds: [routeTableId],
      }),
    )
  ).VpcEndpoint!.VpcEndpointId!;

  await ec2.send(
    new CreateFlowLogsCommand({
      ResourceIds: [vpcId],
      ResourceType: 'VPC',
      TrafficType: 'REJECT',
      LogDestinationType: 'cloud-watch-logs',
      LogGroupName: '/vpc/flow',
      DeliverLogsPermissionArn: 'arn:aws:iam::123456789012:role/flowlogs',
    }),
  );

  return {
    vpcId,
    subnetA,
    subnetB,
    routeTableId,
    endpointSg,
    agentSg,
    customerPrefixList,
    dhcpOptionsId,
    interfaceEndpoints,
    gatewayEndpoint,
  };
}
