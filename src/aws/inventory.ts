// The control-plane snapshot: one batch of filtered, concurrent, paginated Describe calls per
// VPC. The number of calls depends on pages, never on the number of endpoints, because a fleet
// of agents shares the account's throttling buckets with every other workload.
import {
  DescribeDhcpOptionsCommand,
  DescribeFlowLogsCommand,
  DescribeManagedPrefixListsCommand,
  DescribeNetworkAclsCommand,
  DescribeNetworkInterfacesCommand,
  DescribePrefixListsCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcAttributeCommand,
  DescribeVpcEndpointServicesCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcsCommand,
  type DhcpOptions,
  type EC2Client,
  GetManagedPrefixListEntriesCommand,
  type NetworkInterface,
  type RouteTable,
  type SecurityGroup,
  type ServiceDetail,
  type Vpc,
  type VpcEndpoint,
} from '@aws-sdk/client-ec2';
import type { Gap, Inventory, Part, PrefixListInfo } from '../model.js';
import { byCodeUnits } from '../order.js';
import { type Batch, chunk, collect, createBatch, maxResults, single } from './batch.js';
import { dependentGap } from './errors.js';
import type { ChainClients } from './hub.js';
import {
  dhcpRules,
  endpointRules,
  flowLogRules,
  networkAclRules,
  networkInterfaceRules,
  routeTableRules,
  securityGroupRules,
  serviceRules,
  subnetRules,
  vpcRules,
} from './normalize.js';

/** The EC2 client, or anything with its `send` (a test may hand in another). */
export type Ec2 = Pick<EC2Client, 'send'>;

export interface LoadInventoryOptions {
  vpcId: string;
  region: string;
  signal?: AbortSignal;
  /** Deadline for the whole snapshot; calls still running then become `timeout` gaps. */
  timeoutMs?: number;
  /** Endpoint service names to describe besides those of the VPC's endpoints. */
  serviceNames?: string[];
  pageSize?: number;
  maxPages?: number;
  clock?: () => number;
  /** The hub-and-spoke chain's clients (issue 15) and the configured hostnames; without them no chain is read. */
  chain?: { clients: ChainClients; hostnames: string[]; always?: boolean };
}

/** AWS allows at most 200 values per filter. */
const FILTER_VALUES_MAX = 200;
const ENDPOINT_SERVICE_NAME_NOT_FOUND = 'InvalidServiceName';

function ok<T>(value: T): Part<T> {
  return { ok: true, value };
}

function gapOf<T>(gap: Gap): Part<T> {
  return { ok: false, gap };
}

function unique(values: Iterable<string | undefined>): string[] {
  return [...new Set([...values].filter((v): v is string => typeof v === 'string' && v !== ''))];
}

export async function loadInventory(ec2: Ec2, options: LoadInventoryOptions): Promise<Inventory> {
  const clock = options.clock ?? Date.now;
  const fetchedAt = clock();
  const started = performance.now();
  const batch = createBatch({
    timeoutMs: options.timeoutMs ?? 10_000,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.maxPages ? { maxPages: options.maxPages } : {}),
    ...(options.pageSize ? { pageSize: options.pageSize } : {}),
  });
  const { vpcId } = options;
  const byVpc = [{ Name: 'vpc-id', Values: [vpcId] }];
  const page = maxResults(batch);

  const vpc = loadVpc(ec2, batch, vpcId);
  const dnsSupport = single(
    batch,
    'DescribeVpcAttribute',
    (abortSignal) =>
      ec2.send(new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute: 'enableDnsSupport' }), {
        abortSignal,
      }),
    (out) => out.EnableDnsSupport?.Value,
    'no EnableDnsSupport value',
  );
  const dnsHostnames = single(
    batch,
    'DescribeVpcAttribute',
    (abortSignal) =>
      ec2.send(new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute: 'enableDnsHostnames' }), {
        abortSignal,
      }),
    (out) => out.EnableDnsHostnames?.Value,
    'no EnableDnsHostnames value',
  );
  const subnets = collect(
    batch,
    'DescribeSubnets',
    (NextToken, abortSignal) =>
      ec2.send(new DescribeSubnetsCommand({ Filters: byVpc, NextToken, ...page }), { abortSignal }),
    (out) => out.Subnets,
    subnetRules,
  );
  const routeTables = collect(
    batch,
    'DescribeRouteTables',
    (NextToken, abortSignal) =>
      ec2.send(new DescribeRouteTablesCommand({ Filters: byVpc, NextToken, ...page }), { abortSignal }),
    (out) => out.RouteTables,
    routeTableRules,
  );
  const networkAcls = collect(
    batch,
    'DescribeNetworkAcls',
    (NextToken, abortSignal) =>
      ec2.send(new DescribeNetworkAclsCommand({ Filters: byVpc, NextToken, ...page }), { abortSignal }),
    (out) => out.NetworkAcls,
    networkAclRules,
  );
  const endpoints = collect(
    batch,
    'DescribeVpcEndpoints',
    (NextToken, abortSignal) =>
      ec2.send(new DescribeVpcEndpointsCommand({ Filters: byVpc, NextToken, ...page }), { abortSignal }),
    (out) => out.VpcEndpoints,
    endpointRules,
  );
  const securityGroups = collect(
    batch,
    'DescribeSecurityGroups',
    (NextToken, abortSignal) =>
      ec2.send(new DescribeSecurityGroupsCommand({ Filters: byVpc, NextToken, ...page }), { abortSignal }),
    (out) => out.SecurityGroups,
    securityGroupRules,
  );
  const flowLogs = collect(
    batch,
    'DescribeFlowLogs',
    (NextToken, abortSignal) =>
      ec2.send(
        new DescribeFlowLogsCommand({
          Filter: [{ Name: 'resource-id', Values: [vpcId] }],
          NextToken,
          ...page,
        }),
        {
          abortSignal,
        },
      ),
    (out) => out.FlowLogs,
    flowLogRules,
  );

  const dhcpOptions = vpc.then((part) =>
    part.ok
      ? loadDhcpOptions(ec2, batch, part.value)
      : gapOf<DhcpOptions | undefined>(dependentGap(part.gap, 'DescribeDhcpOptions')),
  );
  const endpointInterfaces = endpoints.then((part) =>
    part.ok
      ? loadEndpointInterfaces(ec2, batch, part.value)
      : gapOf<NetworkInterface[]>(dependentGap(part.gap, 'DescribeNetworkInterfaces')),
  );
  const services = endpoints.then((part) =>
    part.ok
      ? loadServices(ec2, batch, part.value, options.serviceNames ?? [])
      : gapOf<ServiceDetail[]>(dependentGap(part.gap, 'DescribeVpcEndpointServices')),
  );
  // The service lists (S3, DynamoDB) are known by name: looked up with the first calls, not after
  // the route tables and groups that say which other lists are referenced (issue 17).
  const serviceLists = loadServicePrefixLists(ec2, batch, servicePrefixListNames(options.region));
  const prefixLists = Promise.all([routeTables, securityGroups, endpoints, serviceLists]).then(
    ([rt, sg, ep, service]) => loadPrefixLists(ec2, batch, options.region, rt, sg, ep, service),
  );
  // Centralised endpoints are reached over a transit gateway or a peering: a VPC whose routes
  // lead to neither has no hub to read, and its agent (often without a path to the Route 53
  // API) makes no Route 53 call. A configured hub role, or unreadable routes, read it anyway.
  const chainOptions = options.chain;
  const chain = chainOptions
    ? Promise.all([routeTables, vpc]).then(([part, ownVpc]) =>
        chainOptions.always || !part.ok || reachesOtherVpcs(part.value)
          ? // Loaded here, on first use: most VPCs never read the chain (src/aws/chain-clients.ts).
            import('./hub.js').then(({ loadChain }) =>
              loadChain(ec2, chainOptions.clients, batch, {
                vpcId,
                region: options.region,
                hostnames: chainOptions.hostnames,
                ...(ownVpc.ok && ownVpc.value.OwnerId ? { accountId: ownVpc.value.OwnerId } : {}),
              }),
            )
          : undefined,
      )
    : undefined;

  const inventory: Inventory = {
    region: options.region,
    vpcId,
    fetchedAt,
    durationMs: 0,
    calls: batch.calls,
    vpc: await vpc,
    dnsSupport: await dnsSupport,
    dnsHostnames: await dnsHostnames,
    dhcpOptions: await dhcpOptions,
    subnets: await subnets,
    routeTables: await routeTables,
    networkAcls: await networkAcls,
    endpoints: await endpoints,
    endpointInterfaces: await endpointInterfaces,
    securityGroups: await securityGroups,
    prefixLists: await prefixLists,
    services: await services,
    flowLogs: await flowLogs,
    ...(await optionalChain(chain)),
  };
  inventory.durationMs = Math.round(performance.now() - started);
  inventory.calls.sort((a, b) => byCodeUnits(a.call, b.call));
  return inventory;
}

function reachesOtherVpcs(tables: RouteTable[]): boolean {
  return tables.some((t) => (t.Routes ?? []).some((r) => r.TransitGatewayId || r.VpcPeeringConnectionId));
}

async function optionalChain(
  chain: Promise<Inventory['chain']> | undefined,
): Promise<Pick<Inventory, 'chain'>> {
  const value = await chain;
  return value ? { chain: value } : {};
}

async function loadVpc(ec2: Ec2, batch: Batch, vpcId: string): Promise<Part<Vpc>> {
  const part = await collect(
    batch,
    'DescribeVpcs',
    (NextToken, abortSignal) =>
      ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId], NextToken }), { abortSignal }),
    (out) => out.Vpcs,
    vpcRules,
  );
  if (!part.ok) return part;
  const found = part.value.find((v) => v.VpcId === vpcId);
  if (found) return ok(found);
  return gapOf({
    call: 'DescribeVpcs',
    action: 'ec2:DescribeVpcs',
    kind: 'error',
    errorCode: 'InvalidVpcID.NotFound',
    message: `DescribeVpcs did not return ${vpcId}`,
  });
}

async function loadDhcpOptions(ec2: Ec2, batch: Batch, vpc: Vpc): Promise<Part<DhcpOptions | undefined>> {
  const id = vpc.DhcpOptionsId;
  // "default" is what AWS reports for a VPC with no option set: AmazonProvidedDNS only.
  if (!id || id === 'default') return ok(undefined);
  const part = await collect(
    batch,
    'DescribeDhcpOptions',
    (NextToken, abortSignal) =>
      ec2.send(new DescribeDhcpOptionsCommand({ DhcpOptionsIds: [id], NextToken }), { abortSignal }),
    (out) => out.DhcpOptions,
    dhcpRules,
  );
  if (!part.ok) return part;
  const found = part.value.find((d) => d.DhcpOptionsId === id);
  if (found) return ok(found);
  return gapOf({
    call: 'DescribeDhcpOptions',
    action: 'ec2:DescribeDhcpOptions',
    kind: 'error',
    errorCode: 'InvalidDhcpOptionID.NotFound',
    message: `DescribeDhcpOptions did not return ${id} (the option set of ${vpc.VpcId})`,
  });
}

async function loadEndpointInterfaces(
  ec2: Ec2,
  batch: Batch,
  endpoints: VpcEndpoint[],
): Promise<Part<NetworkInterface[]>> {
  return describeInterfaces(
    ec2,
    batch,
    'network-interface-id',
    unique(endpoints.flatMap((e) => e.NetworkInterfaceIds ?? [])),
  );
}

/** The network interfaces one filter selects (ids, addresses), in calls of at most 200 values. */
export async function describeInterfaces(
  ec2: Ec2,
  batch: Batch,
  filter: string,
  values: string[],
): Promise<Part<NetworkInterface[]>> {
  if (values.length === 0) return ok([]);
  const page = maxResults(batch);
  const parts = await Promise.all(
    chunk(values, FILTER_VALUES_MAX).map((chunkValues) =>
      collect(
        batch,
        'DescribeNetworkInterfaces',
        (NextToken, abortSignal) =>
          ec2.send(
            new DescribeNetworkInterfacesCommand({
              Filters: [{ Name: filter, Values: chunkValues }],
              NextToken,
              ...page,
            }),
            { abortSignal },
          ),
        (out) => out.NetworkInterfaces,
        networkInterfaceRules,
      ),
    ),
  );
  const all: NetworkInterface[] = [];
  for (const part of parts) {
    if (!part.ok) return part;
    all.push(...part.value);
  }
  return ok(all);
}

async function loadServices(
  ec2: Ec2,
  batch: Batch,
  endpoints: VpcEndpoint[],
  extra: string[],
): Promise<Part<ServiceDetail[]>> {
  const own = unique(endpoints.map((e) => e.ServiceName));
  const names = unique([...own, ...extra]);
  if (names.length === 0) return ok([]);
  const page = maxResults(batch);
  const describe = (serviceNames: string[]) =>
    collect(
      batch,
      'DescribeVpcEndpointServices',
      (NextToken, abortSignal) =>
        ec2.send(new DescribeVpcEndpointServicesCommand({ ServiceNames: serviceNames, NextToken, ...page }), {
          abortSignal,
        }),
      (out) => out.ServiceDetails,
      serviceRules,
    );
  const part = await describe(names);
  // One unknown name (a typo in the configuration) fails the whole call; the endpoints' own
  // services still deserve their details.
  if (
    !part.ok &&
    part.gap.errorCode === ENDPOINT_SERVICE_NAME_NOT_FOUND &&
    own.length > 0 &&
    own.length < names.length
  ) {
    return describe(own);
  }
  return part;
}

function referencedPrefixLists(routeTables: RouteTable[], groups: SecurityGroup[]): string[] {
  const fromRoutes = routeTables.flatMap((t) => (t.Routes ?? []).map((r) => r.DestinationPrefixListId));
  const fromRules = groups.flatMap((g) =>
    [...(g.IpPermissions ?? []), ...(g.IpPermissionsEgress ?? [])].flatMap((p) =>
      (p.PrefixListIds ?? []).map((pl) => pl.PrefixListId),
    ),
  );
  return unique([...fromRoutes, ...fromRules]);
}

type PrefixLists = Map<string, { name: string; cidrs?: string[]; gap?: Gap }>;

/** The service prefix lists a gateway endpoint can use, by name: S3's and DynamoDB's in the Region. */
function servicePrefixListNames(region: string): string[] {
  return [`com.amazonaws.${region}.s3`, `com.amazonaws.${region}.dynamodb`];
}

/**
 * Prefix lists by name, with their CIDRs: DescribePrefixLists (else DescribeManagedPrefixLists,
 * another IAM action that also returns the AWS-managed lists), then the entries of those
 * returned without CIDRs. `nameGap`: why names could not be looked up.
 */
async function loadServicePrefixLists(
  ec2: Ec2,
  batch: Batch,
  names: string[],
): Promise<{ lists: PrefixLists; nameGap?: Gap }> {
  const lists: PrefixLists = new Map();
  const page = maxResults(batch);
  const byName = await collect(
    batch,
    'DescribePrefixLists',
    (NextToken, abortSignal) =>
      ec2.send(
        new DescribePrefixListsCommand({
          Filters: [{ Name: 'prefix-list-name', Values: names }],
          NextToken,
          ...page,
        }),
        { abortSignal },
      ),
    (out) => out.PrefixLists,
    { noun: 'a prefix list', required: ['PrefixListId', 'PrefixListName'] },
  );
  let nameGap: Gap | undefined;
  if (byName.ok) {
    for (const pl of byName.value) {
      lists.set(
        pl.PrefixListId!,
        pl.Cidrs ? { name: pl.PrefixListName!, cidrs: pl.Cidrs } : { name: pl.PrefixListName! },
      );
    }
  } else {
    const fallback = await describeManagedPrefixLists(ec2, batch, {
      Name: 'prefix-list-name',
      Values: names,
    });
    if (fallback.ok) {
      for (const pl of fallback.value)
        lists.set(pl.PrefixListId!, { name: pl.PrefixListName ?? pl.PrefixListId! });
    } else {
      nameGap = byName.gap;
    }
  }
  await readEntries(ec2, batch, lists);
  return { lists, ...(nameGap ? { nameGap } : {}) };
}

function describeManagedPrefixLists(ec2: Ec2, batch: Batch, filter: { Name: string; Values: string[] }) {
  const page = maxResults(batch);
  return collect(
    batch,
    'DescribeManagedPrefixLists',
    (NextToken, abortSignal) =>
      ec2.send(new DescribeManagedPrefixListsCommand({ Filters: [filter], NextToken, ...page }), {
        abortSignal,
      }),
    (out) => out.PrefixLists,
    { noun: 'a prefix list', required: ['PrefixListId'] },
  );
}

/**
 * AWS's DescribePrefixLists returns the CIDRs; moto (5.2.1) omits them, and customer-managed
 * lists never have them there: those take one GetManagedPrefixListEntries each, filled in place.
 */
async function readEntries(ec2: Ec2, batch: Batch, lists: PrefixLists): Promise<void> {
  const page = maxResults(batch);
  const needEntries = [...lists.entries()].filter(([, pl]) => !pl.cidrs).map(([id]) => id);
  const entries = await Promise.all(
    needEntries.map((id) =>
      collect(
        batch,
        'GetManagedPrefixListEntries',
        (NextToken, abortSignal) =>
          ec2.send(new GetManagedPrefixListEntriesCommand({ PrefixListId: id, NextToken, ...page }), {
            abortSignal,
          }),
        (out) => out.Entries,
        { noun: 'a prefix-list entry', required: ['Cidr'] },
      ).then((part) => ({ id, part })),
    ),
  );
  for (const { id, part } of entries) {
    const pl = lists.get(id)!;
    if (part.ok) pl.cidrs = part.value.map((e) => e.Cidr!);
    else pl.gap = part.gap;
  }
}

/**
 * The prefix lists that routes and rules reference, plus the gateway services' own lists (a
 * missing gateway route still needs the service's CIDRs to explain where traffic goes).
 * Every list is read on its own: a call that fails costs only the lists it would have read, and
 * each of those is kept with its `gap` (entries unknown), so an evaluator can say "undecidable"
 * instead of treating the list as empty. Best effort over its inputs too: when route tables
 * fail, the lists the security groups reference still load.
 */
async function loadPrefixLists(
  ec2: Ec2,
  batch: Batch,
  region: string,
  routeTables: Part<RouteTable[]>,
  groups: Part<SecurityGroup[]>,
  endpoints: Part<VpcEndpoint[]>,
  service: { lists: PrefixLists; nameGap?: Gap },
): Promise<Part<PrefixListInfo[]>> {
  const referenced = referencedPrefixLists(
    routeTables.ok ? routeTables.value : [],
    groups.ok ? groups.value : [],
  );
  const gatewayServices = endpoints.ok
    ? endpoints.value.filter((e) => e.VpcEndpointType === 'Gateway').map((e) => e.ServiceName)
    : [];
  const looked = servicePrefixListNames(region);
  const names = unique([...looked, ...gatewayServices]);
  const lists: PrefixLists = new Map(service.lists);
  let nameGap = service.nameGap;
  // A gateway endpoint's service not named above (another partition's prefix): looked up now.
  const more = names.filter((n) => !looked.includes(n));
  if (more.length > 0) {
    const extra = await loadServicePrefixLists(ec2, batch, more);
    for (const [id, pl] of extra.lists) lists.set(id, pl);
    nameGap ??= extra.nameGap;
  }

  const others = referenced.filter((id) => !lists.has(id));
  if (others.length > 0) {
    const managed = await describeManagedPrefixLists(ec2, batch, { Name: 'prefix-list-id', Values: others });
    const found: PrefixLists = new Map();
    if (managed.ok) {
      for (const pl of managed.value)
        found.set(pl.PrefixListId!, { name: pl.PrefixListName ?? pl.PrefixListId! });
    } else {
      // Unnamed, but GetManagedPrefixListEntries (another action) may still read their entries.
      for (const id of others) found.set(id, { name: id });
    }
    // Read either way: its entries, or the entries' gap, whether or not its name was found.
    await readEntries(ec2, batch, found);
    for (const [id, pl] of found) lists.set(id, pl);
  }
  const loaded: PrefixListInfo[] = [...lists.entries()].map(([prefixListId, pl]) => ({
    prefixListId,
    name: pl.name,
    cidrs: pl.gap ? [] : (pl.cidrs ?? []),
    ...(pl.gap ? { gap: pl.gap } : {}),
  }));
  // A service list whose name could not be looked up: its id is unknown, its gap is not lost.
  const named = new Set(loaded.map((pl) => pl.name));
  if (nameGap) {
    for (const name of names.filter((n) => !named.has(n)))
      loaded.push({ prefixListId: '', name, cidrs: [], gap: nameGap });
  }
  return ok(loaded);
}
