// AWS omits empty lists in places; checks should never meet undefined where a list belongs.
import type {
  DhcpOptions,
  FlowLog,
  IpPermission,
  NetworkAcl,
  NetworkInterface,
  RouteTable,
  SecurityGroup,
  ServiceDetail,
  Subnet,
  Vpc,
  VpcEndpoint,
} from '@aws-sdk/client-ec2';
import type { ItemRules } from './batch.js';

function permission(p: IpPermission): IpPermission {
  return {
    ...p,
    IpRanges: p.IpRanges ?? [],
    Ipv6Ranges: p.Ipv6Ranges ?? [],
    PrefixListIds: p.PrefixListIds ?? [],
    UserIdGroupPairs: p.UserIdGroupPairs ?? [],
  };
}

export const vpcRules: ItemRules<Vpc> = {
  noun: 'a VPC',
  required: ['VpcId', 'CidrBlock'],
  normalize: (v) => ({ ...v, CidrBlockAssociationSet: v.CidrBlockAssociationSet ?? [] }),
};

export const dhcpRules: ItemRules<DhcpOptions> = {
  noun: 'a DHCP option set',
  required: ['DhcpOptionsId'],
  normalize: (d) => ({
    ...d,
    DhcpConfigurations: (d.DhcpConfigurations ?? []).map((c) => ({ ...c, Values: c.Values ?? [] })),
  }),
};

export const subnetRules: ItemRules<Subnet> = { noun: 'a subnet', required: ['SubnetId', 'CidrBlock'] };

export const routeTableRules: ItemRules<RouteTable> = {
  noun: 'a route table',
  required: ['RouteTableId'],
  normalize: (t) => ({ ...t, Routes: t.Routes ?? [], Associations: t.Associations ?? [] }),
};

export const networkAclRules: ItemRules<NetworkAcl> = {
  noun: 'a network ACL',
  required: ['NetworkAclId'],
  normalize: (a) => ({ ...a, Entries: a.Entries ?? [], Associations: a.Associations ?? [] }),
};

export const endpointRules: ItemRules<VpcEndpoint> = {
  noun: 'an endpoint',
  required: ['VpcEndpointId', 'ServiceName'],
  normalize: (e) => ({
    ...e,
    Groups: e.Groups ?? [],
    SubnetIds: e.SubnetIds ?? [],
    NetworkInterfaceIds: e.NetworkInterfaceIds ?? [],
    RouteTableIds: e.RouteTableIds ?? [],
    DnsEntries: e.DnsEntries ?? [],
  }),
};

export const securityGroupRules: ItemRules<SecurityGroup> = {
  noun: 'a security group',
  required: ['GroupId'],
  normalize: (g) => ({
    ...g,
    IpPermissions: (g.IpPermissions ?? []).map(permission),
    IpPermissionsEgress: (g.IpPermissionsEgress ?? []).map(permission),
  }),
};

export const networkInterfaceRules: ItemRules<NetworkInterface> = {
  noun: 'a network interface',
  required: ['NetworkInterfaceId'],
  normalize: (n) => ({ ...n, Groups: n.Groups ?? [], PrivateIpAddresses: n.PrivateIpAddresses ?? [] }),
};

export const flowLogRules: ItemRules<FlowLog> = { noun: 'a flow log', required: ['FlowLogId'] };

export const serviceRules: ItemRules<ServiceDetail> = {
  noun: 'a service',
  required: ['ServiceName'],
  normalize: (s) => ({
    ...s,
    AvailabilityZones: s.AvailabilityZones ?? [],
    BaseEndpointDnsNames: s.BaseEndpointDnsNames ?? [],
    PrivateDnsNames: s.PrivateDnsNames ?? [],
    ServiceType: s.ServiceType ?? [],
  }),
};
