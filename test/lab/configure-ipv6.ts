// The IPv6 side of an IPv6 scenario in moto (issue 16), after the IPv4 lab is made: the VPC's
// block (moto's "Amazon-provided" /56, which the launcher pins to fd10::/56), the subnets' /64s,
// the ENIs' IPv6 addresses, the groups' and ACLs' IPv6 rules (AWS adds allow-all IPv6 entries to
// the default ACL when a VPC gets an IPv6 block), and an egress-only internet gateway route.
import {
  AssignIpv6AddressesCommand,
  AssociateSubnetCidrBlockCommand,
  AssociateVpcCidrBlockCommand,
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateEgressOnlyInternetGatewayCommand,
  CreateNetworkAclCommand,
  CreateNetworkAclEntryCommand,
  CreateRouteCommand,
  DescribeNetworkAclsCommand,
  DescribeNetworkInterfacesCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcsCommand,
  type EC2Client,
  ReplaceNetworkAclAssociationCommand,
} from '@aws-sdk/client-ec2';
import { eniIpv6Address, type Ipv6Spec, type Ipv6State, SUBNET_IPV6, VPC_IPV6_CIDR } from './ipv6.js';
import type { EndpointState } from './state.js';

export interface Ipv6Context {
  ec2: EC2Client;
  spec: Ipv6Spec;
  vpcId: string;
  subnetIds: Record<string, string>;
  routeTableA: string;
  agentEnis: { a: string; b: string };
  agentSg: string;
  endpointsSg: string;
  /** by service short name; their eniIpv6 is filled in */
  endpoints: Record<string, EndpointState>;
}

export async function configureIpv6(c: Ipv6Context): Promise<Ipv6State> {
  const { ec2, spec, vpcId } = c;
  await ec2.send(new AssociateVpcCidrBlockCommand({ VpcId: vpcId, AmazonProvidedIpv6CidrBlock: true }));
  const vpc = await ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] }));
  const vpcCidr = vpc.Vpcs?.[0]?.Ipv6CidrBlockAssociationSet?.[0]?.Ipv6CidrBlock;
  // The closure depends on it: the namespaces get addresses from this block only.
  if (vpcCidr !== VPC_IPV6_CIDR)
    throw new Error(`moto gave the VPC ${vpcCidr ?? 'no IPv6 block'}, not ${VPC_IPV6_CIDR}`);
  const subnetCidrs = Object.fromEntries(spec.subnets.map((n) => [n, SUBNET_IPV6[n]!]));
  const subnetName = new Map(Object.entries(c.subnetIds).map(([name, id]) => [id, name]));
  let egressOnlyInternetGatewayId: string | undefined;
  let endpointsAclId: string | undefined;
  const agentAddress = subnetCidrs['agent-a'] ? eniIpv6Address('agent-a', '0.0.0.10') : undefined;

  await Promise.all(
    spec.subnets.map((n) =>
      ec2.send(
        new AssociateSubnetCidrBlockCommand({ SubnetId: c.subnetIds[n], Ipv6CidrBlock: subnetCidrs[n] }),
      ),
    ),
  );
  const interfaceEndpoints = Object.entries(c.endpoints).filter(
    ([, e]) => e.type === 'Interface' && (e.ipAddressType ?? 'ipv4') !== 'ipv4',
  );
  const described = interfaceEndpoints.length
    ? await ec2.send(
        new DescribeVpcEndpointsCommand({ VpcEndpointIds: interfaceEndpoints.map(([, e]) => e.id) }),
      )
    : { VpcEndpoints: [] };
  const eniIds = (described.VpcEndpoints ?? []).flatMap((e) => e.NetworkInterfaceIds ?? []);
  const enis = eniIds.length
    ? ((await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: eniIds })))
        .NetworkInterfaces ?? [])
    : [];

  await Promise.all([
    // The endpoint ENIs' IPv6 addresses, drawn the lab's way (the /64 and the IPv4 last octet).
    ...interfaceEndpoints.map(async ([, endpoint]) => {
      const own = (described.VpcEndpoints ?? []).find((e) => e.VpcEndpointId === endpoint.id);
      const addresses: string[] = [];
      for (const eniId of own?.NetworkInterfaceIds ?? []) {
        const eni = enis.find((n) => n.NetworkInterfaceId === eniId);
        const subnet = subnetName.get(eni?.SubnetId ?? '');
        const address =
          subnet && subnetCidrs[subnet] ? eniIpv6Address(subnet, eni!.PrivateIpAddress!) : undefined;
        if (!address) continue;
        await ec2.send(
          new AssignIpv6AddressesCommand({ NetworkInterfaceId: eniId, Ipv6Addresses: [address] }),
        );
        addresses.push(address);
      }
      endpoint.eniIpv6 = addresses;
    }),
    agentAddress
      ? ec2.send(
          new AssignIpv6AddressesCommand({
            NetworkInterfaceId: c.agentEnis.a,
            Ipv6Addresses: [agentAddress],
          }),
        )
      : undefined,
    ec2.send(
      new AuthorizeSecurityGroupEgressCommand({
        GroupId: c.agentSg,
        IpPermissions: [
          { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, Ipv6Ranges: [{ CidrIpv6: '::/0' }] },
        ],
      }),
    ),
    spec.endpointsIngress === false
      ? undefined
      : ec2.send(
          new AuthorizeSecurityGroupIngressCommand({
            GroupId: c.endpointsSg,
            IpPermissions: [
              { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, Ipv6Ranges: [{ CidrIpv6: VPC_IPV6_CIDR }] },
            ],
          }),
        ),
    (async () => {
      const acls = await ec2.send(
        new DescribeNetworkAclsCommand({
          Filters: [
            { Name: 'vpc-id', Values: [vpcId] },
            { Name: 'default', Values: ['true'] },
          ],
        }),
      );
      const defaultAcl = acls.NetworkAcls?.[0];
      if (!defaultAcl?.NetworkAclId) throw new Error('moto made no default network ACL');
      await Promise.all(
        [false, true].map((egress) =>
          ec2.send(
            new CreateNetworkAclEntryCommand({
              NetworkAclId: defaultAcl.NetworkAclId,
              RuleNumber: 101,
              Egress: egress,
              Protocol: '-1',
              RuleAction: 'allow',
              Ipv6CidrBlock: '::/0',
            }),
          ),
        ),
      );
      if (!spec.endpointsAclIpv4Only) return;
      const acl = await ec2.send(
        new CreateNetworkAclCommand({
          VpcId: vpcId,
          TagSpecifications: [
            { ResourceType: 'network-acl', Tags: [{ Key: 'Name', Value: 'vdl-endpoints-ipv4-only' }] },
          ],
        }),
      );
      endpointsAclId = acl.NetworkAcl!.NetworkAclId!;
      await Promise.all(
        [false, true].map((egress) =>
          ec2.send(
            new CreateNetworkAclEntryCommand({
              NetworkAclId: endpointsAclId,
              RuleNumber: 100,
              Egress: egress,
              Protocol: '-1',
              RuleAction: 'allow',
              CidrBlock: '0.0.0.0/0',
            }),
          ),
        ),
      );
      await Promise.all(
        ['endpoints-a', 'endpoints-b'].map((n) => {
          const association = defaultAcl.Associations?.find(
            (a) => a.SubnetId === c.subnetIds[n],
          )?.NetworkAclAssociationId;
          if (!association) throw new Error(`no network ACL association for ${n}`);
          return ec2.send(
            new ReplaceNetworkAclAssociationCommand({
              AssociationId: association,
              NetworkAclId: endpointsAclId,
            }),
          );
        }),
      );
    })(),
    spec.egressOnlyDefaultRoute
      ? (async () => {
          const eigw = await ec2.send(new CreateEgressOnlyInternetGatewayCommand({ VpcId: vpcId }));
          egressOnlyInternetGatewayId = eigw.EgressOnlyInternetGateway!.EgressOnlyInternetGatewayId!;
          await ec2.send(
            new CreateRouteCommand({
              RouteTableId: c.routeTableA,
              DestinationIpv6CidrBlock: '::/0',
              EgressOnlyInternetGatewayId: egressOnlyInternetGatewayId,
            }),
          );
        })()
      : undefined,
  ]);
  return {
    vpcCidr,
    subnetCidrs,
    ...(agentAddress ? { agentAddress } : {}),
    ...(egressOnlyInternetGatewayId ? { egressOnlyInternetGatewayId } : {}),
    ...(endpointsAclId ? { endpointsAclId } : {}),
    aaaaElsewhere: spec.aaaaElsewhere ?? [],
  };
}
