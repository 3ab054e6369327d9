// Builds the lab's VPC in moto for one scenario and prints what it made (AwsState) as JSON.
// Runs inside vdl-aws (`ip netns exec vdl-aws node --import tsx configure-moto.ts SCENARIO`),
// the only place that reaches moto besides the agent namespaces.
import {
  AllocateAddressCommand,
  AssociateDhcpOptionsCommand,
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateDhcpOptionsCommand,
  CreateInternetGatewayCommand,
  CreateManagedPrefixListCommand,
  CreateNatGatewayCommand,
  CreateNetworkAclCommand,
  CreateNetworkAclEntryCommand,
  CreateNetworkInterfaceCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  CreateVpcEndpointServiceConfigurationCommand,
  DescribeManagedPrefixListsCommand,
  DescribeNetworkAclsCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeVpcEndpointServicesCommand,
  DescribeVpcEndpointsCommand,
  EC2Client,
  GetManagedPrefixListEntriesCommand,
  type IpPermission,
  ModifyVpcAttributeCommand,
  ReplaceNetworkAclAssociationCommand,
  RevokeSecurityGroupEgressCommand,
  type VpcEndpoint,
} from '@aws-sdk/client-ec2';
import { configureHub } from './configure-hub.js';
import { configureIpv6 } from './configure-ipv6.js';
import { type EndpointSpec, findScenario, type SgRule } from './scenarios.js';
import type { AwsState, EndpointState } from './state.js';
import {
  gatewayAddressIn,
  HOSTNAME_LABELS,
  labServices,
  MOTO_URL,
  NODES,
  REGION,
  SERVICES,
  SUBNETS,
  type SubnetName,
  VPC_CIDR,
} from './topology.js';

// VDL_MOTO_URL: only for running this script against a moto on loopback while developing.
const motoUrl = process.env['VDL_MOTO_URL'] ?? MOTO_URL;
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const ec2 = new EC2Client({ endpoint: motoUrl, region: REGION, credentials, maxAttempts: 2 });

async function waitForMoto(deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    try {
      const response = await fetch(`${motoUrl}/moto-api/`, { signal: AbortSignal.timeout(1000) });
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`moto did not answer on ${motoUrl} within ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Group and prefix-list ids by the names scenarios use for them. */
interface RuleRefs {
  groups: Record<string, string>;
  prefixLists: Record<string, string>;
}

function toPermission(rule: SgRule, refs: RuleRefs): IpPermission {
  const lookup = (kind: string, table: Record<string, string>, name: string): string => {
    const id = table[name];
    if (!id) throw new Error(`a rule names ${kind} ${name}, which the lab did not make (yet)`);
    return id;
  };
  return {
    IpProtocol: rule.proto,
    ...(rule.from !== undefined ? { FromPort: rule.from } : {}),
    ...(rule.to !== undefined ? { ToPort: rule.to } : {}),
    ...(rule.cidr ? { IpRanges: [{ CidrIp: rule.cidr }] } : {}),
    ...(rule.sourceGroup
      ? { UserIdGroupPairs: [{ GroupId: lookup('group', refs.groups, rule.sourceGroup) }] }
      : {}),
    ...(rule.prefixList
      ? { PrefixListIds: [{ PrefixListId: lookup('prefix list', refs.prefixLists, rule.prefixList) }] }
      : {}),
  };
}

async function createGroup(
  vpcId: string,
  name: string,
  ingress: SgRule[],
  egress: SgRule[] | undefined,
  refs: RuleRefs,
): Promise<string> {
  const created = await ec2.send(
    new CreateSecurityGroupCommand({
      VpcId: vpcId,
      GroupName: name,
      Description: `vpce-doctor lab ${name}`,
      TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'Name', Value: name }] }],
    }),
  );
  const groupId = created.GroupId!;
  // A group may reference itself (members reach each other).
  const own: RuleRefs = { ...refs, groups: { ...refs.groups, [name]: groupId } };
  const permission = (rule: SgRule) => toPermission(rule, own);
  if (ingress.length > 0) {
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: ingress.map(permission),
      }),
    );
  }
  if (egress) {
    await ec2.send(
      new RevokeSecurityGroupEgressCommand({
        GroupId: groupId,
        IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      }),
    );
    if (egress.length > 0) {
      await ec2.send(
        new AuthorizeSecurityGroupEgressCommand({
          GroupId: groupId,
          IpPermissions: egress.map(permission),
        }),
      );
    }
  }
  return groupId;
}

/** Query-protocol call for the one elbv2 action the lab needs (no elbv2 SDK client in the project). */
async function createNetworkLoadBalancer(name: string, subnetIds: string[]): Promise<string> {
  const form = new URLSearchParams({ Action: 'CreateLoadBalancer', Version: '2015-12-01', Name: name });
  form.set('Type', 'network');
  form.set('Scheme', 'internal');
  subnetIds.forEach((id, i) => {
    form.set(`Subnets.member.${i + 1}`, id);
  });
  const response = await fetch(`${motoUrl}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `AWS4-HMAC-SHA256 Credential=testing/20240101/${REGION}/elasticloadbalancing/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: form.toString(),
  });
  const text = await response.text();
  const arn = /<LoadBalancerArn>([^<]+)<\/LoadBalancerArn>/.exec(text)?.[1];
  if (!response.ok || !arn)
    throw new Error(`elbv2 CreateLoadBalancer failed (${response.status}): ${text.slice(0, 300)}`);
  return arn;
}

/**
 * `count` interface services moto knows and the fixed set lacks, sorted, one-label short names
 * only (so the hostname is SHORTNAME.REGION.amazonaws.com). moto rejects made-up names in
 * DescribeVpcEndpointServices, which the agent calls for every endpoint's service.
 */
async function pickExtraServices(count: number, named: readonly string[]): Promise<string[]> {
  if (count <= 0) return [];
  const prefix = `com.amazonaws.${REGION}.`;
  // Services whose hostname is not their short name stay out: scale scenarios are about numbers.
  const fixed = new Set([...SERVICES.map((s) => s.shortName), ...named, ...Object.keys(HOSTNAME_LABELS)]);
  const out = await ec2.send(new DescribeVpcEndpointServicesCommand({}));
  const names = (out.ServiceDetails ?? [])
    .filter((d) => d.ServiceType?.some((t) => t.ServiceType === 'Interface'))
    .map((d) => d.ServiceName ?? '')
    .filter((n) => n.startsWith(prefix))
    .map((n) => n.slice(prefix.length))
    .filter((short) => /^[a-z0-9-]+$/.test(short) && !fixed.has(short))
    .sort();
  if (names.length < count) throw new Error(`moto offers only ${names.length} extra interface services`);
  return names.slice(0, count);
}

/** Runs `fn` over `items`, at most `limit` at once, keeping the order. */
async function inBatches<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += limit)
    results.push(...(await Promise.all(items.slice(i, i + limit).map(fn))));
  return results;
}

function describeEndpoint(endpoint: VpcEndpoint, ipsByEni: Map<string, string>): EndpointState {
  const inboundOnly = endpoint.DnsOptions?.PrivateDnsOnlyForInboundResolverEndpoint;
  return {
    id: endpoint.VpcEndpointId!,
    serviceName: endpoint.ServiceName!,
    type: endpoint.VpcEndpointType === 'Gateway' ? 'Gateway' : 'Interface',
    state: endpoint.State ?? 'unknown',
    privateDns: endpoint.PrivateDnsEnabled ?? false,
    subnetIds: endpoint.SubnetIds ?? [],
    routeTableIds: endpoint.RouteTableIds ?? [],
    securityGroupIds: (endpoint.Groups ?? []).map((g) => g.GroupId!),
    eniIps: (endpoint.NetworkInterfaceIds ?? []).map((id) => {
      const ip = ipsByEni.get(id);
      if (!ip) throw new Error(`no address for ${id} of ${endpoint.VpcEndpointId}`);
      return ip;
    }),
    dnsNames: (endpoint.DnsEntries ?? []).map((e) => e.DnsName ?? '').filter((n) => n !== ''),
    ...(inboundOnly !== undefined ? { privateDnsOnlyForInboundResolverEndpoint: inboundOnly } : {}),
    ...(endpoint.IpAddressType ? { ipAddressType: endpoint.IpAddressType } : {}),
    ...(endpoint.DnsOptions?.DnsRecordIpType ? { dnsRecordIpType: endpoint.DnsOptions.DnsRecordIpType } : {}),
  };
}

async function configure(scenarioName: string): Promise<AwsState> {
  const scenario = findScenario(scenarioName);
  if (!scenario) throw new Error(`unknown scenario ${scenarioName}`);
  const aws = scenario.aws ?? {};
  await waitForMoto(20_000);

  const vpc = await ec2.send(
    new CreateVpcCommand({
      CidrBlock: VPC_CIDR,
      TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'Name', Value: 'vdl-lab' }] }],
    }),
  );
  const vpcId = vpc.Vpc!.VpcId!;
  const dnsSupport = aws.dnsSupport ?? true;
  const dnsHostnames = aws.dnsHostnames ?? true;
  const dhcpDnsServers = aws.dhcpDnsServers ?? ['AmazonProvidedDNS'];
  const subnetNames = Object.keys(SUBNETS) as SubnetName[];

  const [, , dhcpOptionsId, subnetIds, mainRouteTable, routeTableA, prefixLists, customPrefixLists] =
    await Promise.all([
      ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsSupport: { Value: dnsSupport } })),
      ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsHostnames: { Value: dnsHostnames } })),
      (async () => {
        const created = await ec2.send(
          new CreateDhcpOptionsCommand({
            DhcpConfigurations: [{ Key: 'domain-name-servers', Values: dhcpDnsServers }],
            TagSpecifications: [{ ResourceType: 'dhcp-options', Tags: [{ Key: 'Name', Value: 'vdl-lab' }] }],
          }),
        );
        const id = created.DhcpOptions!.DhcpOptionsId!;
        await ec2.send(new AssociateDhcpOptionsCommand({ VpcId: vpcId, DhcpOptionsId: id }));
        return id;
      })(),
      Promise.all(
        subnetNames.map(async (name) => {
          const created = await ec2.send(
            new CreateSubnetCommand({
              VpcId: vpcId,
              CidrBlock: SUBNETS[name].cidr,
              AvailabilityZone: SUBNETS[name].az,
              TagSpecifications: [{ ResourceType: 'subnet', Tags: [{ Key: 'Name', Value: `vdl-${name}` }] }],
            }),
          );
          return [name, created.Subnet!.SubnetId!] as const;
        }),
      ).then((pairs) => Object.fromEntries(pairs) as Record<SubnetName, string>),
      ec2
        .send(
          new DescribeRouteTablesCommand({
            Filters: [
              { Name: 'vpc-id', Values: [vpcId] },
              { Name: 'association.main', Values: ['true'] },
            ],
          }),
        )
        .then((r) => r.RouteTables?.[0]?.RouteTableId ?? ''),
      ec2
        .send(
          new CreateRouteTableCommand({
            VpcId: vpcId,
            TagSpecifications: [
              { ResourceType: 'route-table', Tags: [{ Key: 'Name', Value: 'vdl-agent-a' }] },
            ],
          }),
        )
        .then((r) => r.RouteTable!.RouteTableId!),
      ec2
        .send(new DescribeManagedPrefixListsCommand({}))
        .then((r) =>
          Promise.all(
            SERVICES.filter((s) => s.kind === 'gateway').map(async (s) => {
              const list = r.PrefixLists?.find((p) => p.PrefixListName === s.serviceName);
              if (!list?.PrefixListId) throw new Error(`moto has no prefix list ${s.serviceName}`);
              const entries = await ec2.send(
                new GetManagedPrefixListEntriesCommand({ PrefixListId: list.PrefixListId }),
              );
              const cidrs = (entries.Entries ?? []).map((e) => e.Cidr!);
              return [s.shortName, { id: list.PrefixListId, cidrs }] as const;
            }),
          ),
        )
        .then((pairs) => Object.fromEntries(pairs)),
      Promise.all(
        Object.entries(aws.prefixLists ?? {}).map(async ([name, cidrs]) => {
          const created = await ec2.send(
            new CreateManagedPrefixListCommand({
              PrefixListName: name,
              AddressFamily: 'IPv4',
              MaxEntries: Math.max(cidrs.length, 5),
              Entries: cidrs.map((Cidr) => ({ Cidr, Description: 'vpce-doctor lab' })),
            }),
          );
          return [name, created.PrefixList!.PrefixListId!] as const;
        }),
      ).then((pairs) => Object.fromEntries(pairs) as Record<string, string>),
    ]);
  if (!mainRouteTable) throw new Error(`moto made no main route table for ${vpcId}`);
  const routeTables = { main: mainRouteTable, a: routeTableA };

  // Groups in the order their rules can reference each other: the agent's, the shared
  // endpoint group, then the endpoints' own.
  const refs: RuleRefs = {
    groups: {},
    prefixLists: {
      ...customPrefixLists,
      ...Object.fromEntries(
        Object.entries(prefixLists).map(([short, list]) => [`com.amazonaws.${REGION}.${short}`, list.id]),
      ),
    },
  };
  const securityGroups = refs.groups;
  securityGroups['vdl-agent'] = await createGroup(
    vpcId,
    'vdl-agent',
    aws.agentIngress ?? [],
    aws.agentEgress ?? [{ proto: 'tcp', from: 443, to: 443, cidr: '0.0.0.0/0' }],
    refs,
  );
  const agentSg = securityGroups['vdl-agent'];
  securityGroups['vdl-endpoints'] = await createGroup(
    vpcId,
    'vdl-endpoints',
    aws.endpointsIngress ?? [{ proto: 'tcp', from: 443, to: 443, cidr: VPC_CIDR }],
    undefined,
    refs,
  );
  const endpointsSg = securityGroups[aws.endpointsGroup ?? 'vdl-endpoints'];
  if (!endpointsSg) throw new Error(`endpointsGroup ${aws.endpointsGroup} is not a lab group`);

  const ownGroups = await Promise.all(
    [
      ...Object.values(aws.endpoints ?? {}),
      ...(aws.additionalEndpoints ?? []).map((a) => a.spec),
      ...(aws.endpointService ? [aws.endpointService.endpoint] : []),
    ]
      .map((spec) => spec.securityGroup)
      .filter((g): g is NonNullable<EndpointSpec['securityGroup']> => g !== undefined)
      .map(async (g) => [g.name, await createGroup(vpcId, g.name, g.ingress, undefined, refs)] as const),
  );
  for (const [name, id] of ownGroups) securityGroups[name] = id;

  const interfaceSubnets = (spec: EndpointSpec): string[] =>
    (spec.subnets ?? ['endpoints-a', 'endpoints-b']).map((n) => subnetIds[n]);
  const stateTags = (name: string, spec: EndpointSpec) => [
    {
      ResourceType: 'vpc-endpoint' as const,
      Tags: [
        { Key: 'Name', Value: name },
        ...(spec.state ? [{ Key: 'vpce-doctor-lab:state', Value: spec.state }] : []),
        ...(spec.privateDnsOnlyForInboundResolverEndpoint !== undefined
          ? [
              {
                Key: 'vpce-doctor-lab:private-dns-only-for-inbound-resolver-endpoint',
                Value: String(spec.privateDnsOnlyForInboundResolverEndpoint),
              },
            ]
          : []),
        // IPv6 scenarios: the launcher sets IpAddressType and DnsRecordIpType from these.
        ...(spec.ipAddressType
          ? [{ Key: 'vpce-doctor-lab:ip-address-type', Value: spec.ipAddressType }]
          : []),
        ...(spec.dnsRecordIpType
          ? [{ Key: 'vpce-doctor-lab:dns-record-ip-type', Value: spec.dnsRecordIpType }]
          : []),
      ],
    },
  ];
  const groupFor = (spec: EndpointSpec): string =>
    spec.securityGroup ? securityGroups[spec.securityGroup.name]! : endpointsSg;
  const createInterfaceEndpoint = async (serviceName: string, name: string, spec: EndpointSpec) => {
    const created = await ec2.send(
      new CreateVpcEndpointCommand({
        VpcEndpointType: 'Interface',
        VpcId: vpcId,
        ServiceName: serviceName,
        SubnetIds: interfaceSubnets(spec),
        SecurityGroupIds: [groupFor(spec)],
        PrivateDnsEnabled: spec.privateDns ?? true,
        TagSpecifications: stateTags(name, spec),
        ...(spec.policy ? { PolicyDocument: JSON.stringify(spec.policy) } : {}),
      }),
    );
    return created.VpcEndpoint!;
  };

  let natGatewayId: string | undefined;
  let internetGatewayId: string | undefined;
  let networkAclId: string | undefined;
  let endpointServiceRaw:
    | { serviceName: string; serviceId: string; loadBalancerArn: string; endpointId: string }
    | undefined;

  const results = await Promise.all([
    ec2.send(new AssociateRouteTableCommand({ RouteTableId: routeTableA, SubnetId: subnetIds['agent-a'] })),
    ec2.send(
      new CreateNetworkInterfaceCommand({
        SubnetId: subnetIds['agent-a'],
        PrivateIpAddress: NODES['agent-a'].address,
        Groups: [agentSg],
        Description: 'vpce-doctor lab agent a',
      }),
    ),
    ec2.send(
      new CreateNetworkInterfaceCommand({
        SubnetId: subnetIds['agent-b'],
        PrivateIpAddress: NODES['agent-b'].address,
        Groups: [agentSg],
        Description: 'vpce-doctor lab agent b',
      }),
    ),
    aws.natDefaultRoute
      ? (async () => {
          const eip = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
          const nat = await ec2.send(
            new CreateNatGatewayCommand({
              SubnetId: subnetIds['endpoints-a'],
              AllocationId: eip.AllocationId!,
            }),
          );
          natGatewayId = nat.NatGateway!.NatGatewayId!;
          await Promise.all(
            (aws.natDefaultRoute ?? []).map((rt) =>
              ec2.send(
                new CreateRouteCommand({
                  RouteTableId: routeTables[rt],
                  DestinationCidrBlock: '0.0.0.0/0',
                  NatGatewayId: natGatewayId,
                }),
              ),
            ),
          );
        })()
      : undefined,
    aws.igwDefaultRoute
      ? (async () => {
          const igw = await ec2.send(new CreateInternetGatewayCommand({}));
          internetGatewayId = igw.InternetGateway!.InternetGatewayId!;
          await ec2.send(
            new AttachInternetGatewayCommand({ InternetGatewayId: internetGatewayId, VpcId: vpcId }),
          );
          await Promise.all(
            (aws.igwDefaultRoute ?? []).map((rt) =>
              ec2.send(
                new CreateRouteCommand({
                  RouteTableId: routeTables[rt],
                  DestinationCidrBlock: '0.0.0.0/0',
                  GatewayId: internetGatewayId,
                }),
              ),
            ),
          );
        })()
      : undefined,
    aws.agentSubnetAcl
      ? (async () => {
          const acl = await ec2.send(
            new CreateNetworkAclCommand({
              VpcId: vpcId,
              TagSpecifications: [
                { ResourceType: 'network-acl', Tags: [{ Key: 'Name', Value: 'vdl-agent-a' }] },
              ],
            }),
          );
          networkAclId = acl.NetworkAcl!.NetworkAclId!;
          await Promise.all(
            (aws.agentSubnetAcl ?? []).map((e) =>
              ec2.send(
                new CreateNetworkAclEntryCommand({
                  NetworkAclId: networkAclId,
                  RuleNumber: e.rule,
                  Egress: e.egress,
                  Protocol: e.proto === 'tcp' ? '6' : e.proto === 'udp' ? '17' : '-1',
                  RuleAction: e.action,
                  CidrBlock: e.cidr,
                  ...(e.from !== undefined ? { PortRange: { From: e.from, To: e.to ?? e.from } } : {}),
                }),
              ),
            ),
          );
          const current = await ec2.send(
            new DescribeNetworkAclsCommand({
              Filters: [{ Name: 'association.subnet-id', Values: [subnetIds['agent-a']] }],
            }),
          );
          const association = current.NetworkAcls?.[0]?.Associations?.find(
            (a) => a.SubnetId === subnetIds['agent-a'],
          )?.NetworkAclAssociationId;
          if (!association) throw new Error('no network ACL association for agent subnet A');
          await ec2.send(
            new ReplaceNetworkAclAssociationCommand({
              AssociationId: association,
              NetworkAclId: networkAclId,
            }),
          );
        })()
      : undefined,
    aws.endpointService
      ? (async () => {
          const spec = aws.endpointService!;
          const subnets = interfaceSubnets(spec.endpoint);
          const loadBalancerArn = await createNetworkLoadBalancer('vdl-svc', subnets);
          const config = await ec2.send(
            new CreateVpcEndpointServiceConfigurationCommand({
              NetworkLoadBalancerArns: [loadBalancerArn],
              AcceptanceRequired: spec.acceptanceRequired,
            }),
          );
          const serviceName = config.ServiceConfiguration!.ServiceName!;
          const serviceId = config.ServiceConfiguration!.ServiceId!;
          const created = await ec2.send(
            new CreateVpcEndpointCommand({
              VpcEndpointType: 'Interface',
              VpcId: vpcId,
              ServiceName: serviceName,
              SubnetIds: subnets,
              SecurityGroupIds: [groupFor(spec.endpoint)],
              PrivateDnsEnabled: spec.endpoint.privateDns ?? false,
              TagSpecifications: stateTags('vdl-endpoint-service', spec.endpoint),
            }),
          );
          endpointServiceRaw = {
            serviceName,
            serviceId,
            loadBalancerArn,
            endpointId: created.VpcEndpoint!.VpcEndpointId!,
          };
        })()
      : undefined,
    ...SERVICES.map(async (service) => {
      // A hub serves its zone services through the zones, so their endpoints have private DNS off.
      const spec = {
        ...(aws.endpoints?.[service.shortName] ?? {}),
        ...(scenario.hub?.zones?.[service.shortName] ? { privateDns: false } : {}),
      };
      if (spec.create === false) return undefined;
      const name = `vdl-${service.shortName}`;
      if (service.kind === 'gateway') {
        const created = await ec2.send(
          new CreateVpcEndpointCommand({
            VpcEndpointType: 'Gateway',
            VpcId: vpcId,
            ServiceName: service.serviceName,
            RouteTableIds: (spec.routeTables ?? ['a', 'main']).map((rt) => routeTables[rt]),
            TagSpecifications: stateTags(name, spec),
            ...(spec.policy ? { PolicyDocument: JSON.stringify(spec.policy) } : {}),
          }),
        );
        return created.VpcEndpoint!;
      }
      return createInterfaceEndpoint(service.serviceName, name, spec);
    }),
  ]);

  const created = results.slice(7).filter((e): e is VpcEndpoint => e !== undefined && 'VpcEndpointId' in e);
  const named = aws.services ?? [];
  const extraServices = [...named, ...(await pickExtraServices(aws.extraInterfaceEndpoints ?? 0, named))];
  created.push(
    ...(await inBatches(extraServices, 8, (shortName) =>
      createInterfaceEndpoint(`com.amazonaws.${REGION}.${shortName}`, `vdl-${shortName}`, {}),
    )),
  );
  // One at a time and after every other endpoint: DescribeVpcEndpoints lists them last.
  const additional: Array<[string, VpcEndpoint]> = [];
  for (const extra of aws.additionalEndpoints ?? []) {
    const service = labServices(extraServices).find((s) => s.shortName === extra.service);
    if (!service) throw new Error(`additional endpoint ${extra.key}: no lab service ${extra.service}`);
    additional.push([
      extra.key,
      await createInterfaceEndpoint(service.serviceName, `vdl-${extra.key}`, extra.spec),
    ]);
  }
  // Read the endpoints back as DescribeVpcEndpoints reports them, with their ENI addresses.
  const described = await ec2.send(
    new DescribeVpcEndpointsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }),
  );
  const allEndpoints = described.VpcEndpoints ?? [];
  const eniIds = allEndpoints.flatMap((e) => e.NetworkInterfaceIds ?? []);
  const interfaces =
    eniIds.length > 0
      ? await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: eniIds }))
      : { NetworkInterfaces: [] };
  const ipsByEni = new Map(
    (interfaces.NetworkInterfaces ?? []).map((n) => [n.NetworkInterfaceId!, n.PrivateIpAddress!] as const),
  );

  const endpoints: Record<string, EndpointState> = {};
  for (const service of labServices(extraServices)) {
    const id = created.find((e) => e.ServiceName === service.serviceName)?.VpcEndpointId;
    const endpoint = allEndpoints.find((e) => e.VpcEndpointId === id);
    if (endpoint) endpoints[service.shortName] = describeEndpoint(endpoint, ipsByEni);
  }
  const additionalEndpoints: Record<string, EndpointState> = {};
  for (const [key, made] of additional) {
    const endpoint = allEndpoints.find((e) => e.VpcEndpointId === made.VpcEndpointId);
    if (!endpoint) throw new Error(`endpoint ${made.VpcEndpointId} (${key}) not described`);
    additionalEndpoints[key] = describeEndpoint(endpoint, ipsByEni);
  }

  // moto adds the prefix-list route for each associated route table; AWS does too. Make sure.
  const tables = await ec2.send(
    new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }),
  );
  const missingRoutes: Array<Promise<unknown>> = [];
  for (const [shortName, endpoint] of Object.entries(endpoints)) {
    if (endpoint.type !== 'Gateway') continue;
    const prefixListId = prefixLists[shortName]!.id;
    for (const rtId of endpoint.routeTableIds) {
      const table = tables.RouteTables?.find((t) => t.RouteTableId === rtId);
      const present = table?.Routes?.some(
        (r) => r.DestinationPrefixListId === prefixListId && r.GatewayId === endpoint.id,
      );
      if (!present) {
        missingRoutes.push(
          ec2.send(
            new CreateRouteCommand({
              RouteTableId: rtId,
              DestinationPrefixListId: prefixListId,
              GatewayId: endpoint.id,
            }),
          ),
        );
      }
    }
  }
  await Promise.all(missingRoutes);

  const hub = scenario.hub
    ? await configureHub({
        ec2,
        motoUrl,
        credentials,
        spec: scenario.hub,
        hubVpcId: vpcId,
        hubRouteTables: [routeTables.main, routeTables.a],
        hubAttachmentSubnets: [subnetIds['endpoints-a'], subnetIds['endpoints-b']],
        endpoints,
      })
    : undefined;

  const agentEnis = {
    a: (results[1] as { NetworkInterface?: { NetworkInterfaceId?: string } }).NetworkInterface!
      .NetworkInterfaceId!,
    b: (results[2] as { NetworkInterface?: { NetworkInterfaceId?: string } }).NetworkInterface!
      .NetworkInterfaceId!,
  };
  const ipv6 = scenario.ipv6
    ? await configureIpv6({
        ec2,
        spec: scenario.ipv6,
        vpcId,
        subnetIds,
        routeTableA,
        agentEnis,
        agentSg,
        endpointsSg,
        endpoints,
      })
    : undefined;

  const gatewayAddresses = Object.fromEntries(
    Object.entries(prefixLists).map(([shortName, list]) => [shortName, gatewayAddressIn(list.cidrs[0]!)]),
  );

  const state: AwsState = {
    vpcId,
    dhcpOptionsId,
    dnsSupport,
    dnsHostnames,
    dhcpDnsServers,
    subnets: subnetIds,
    routeTables,
    securityGroups,
    agentEnis,
    endpoints,
    prefixLists,
    gatewayAddresses,
    ...(natGatewayId ? { natGatewayId } : {}),
    ...(internetGatewayId ? { internetGatewayId } : {}),
    ...(additional.length > 0 ? { additionalEndpoints } : {}),
    ...(Object.keys(customPrefixLists).length > 0 ? { customPrefixLists } : {}),
    ...(networkAclId ? { networkAclId } : {}),
    ...(extraServices.length > 0 ? { extraServices } : {}),
    ...(hub ? { hub } : {}),
    ...(ipv6 ? { ipv6 } : {}),
  };
  const raw = endpointServiceRaw as typeof endpointServiceRaw;
  if (raw) {
    const endpoint = allEndpoints.find((e) => e.VpcEndpointId === raw.endpointId);
    if (!endpoint) throw new Error(`endpoint ${raw.endpointId} not described`);
    state.endpointService = {
      serviceName: raw.serviceName,
      serviceId: raw.serviceId,
      loadBalancerArn: raw.loadBalancerArn,
      endpoint: describeEndpoint(endpoint, ipsByEni),
    };
  }
  return state;
}

configure(process.argv[2] ?? 'healthy').then(
  (state) => {
    process.stdout.write(`${JSON.stringify(state)}\n`);
  },
  (err: unknown) => {
    process.stderr.write(`configure-moto: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
