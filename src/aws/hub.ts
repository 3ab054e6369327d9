// The hub-and-spoke chain (issue 15): its load and the hub role's session. Loaded on first use
// (src/aws/inventory.ts), as are its clients (src/aws/chain-clients.ts). Route 53 and Route 53 Resolver
// speak for the agent's account; an optional role in the hub account (configuration `hub`) is
// assumed once per credentials' life (sts:AssumeRole) and reads, read-only, the hub endpoints,
// their ENIs and security groups, the hub's hosted zones and the transit gateway's route tables.
// Every client takes the agent's configured endpoint (AWS_ENDPOINT_URL…), so a lab's moto serves
// them all. A call that fails is a gap of its own part; an assumption that fails is the gap of
// every part the role would have read.
import {
  DescribeSecurityGroupsCommand,
  DescribeVpcEndpointsCommand,
  type NetworkInterface,
  type SecurityGroup,
  type VpcEndpoint,
} from '@aws-sdk/client-ec2';
import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import type { HubConfig } from '../config.js';
import type {
  ChainInventory,
  Gap,
  HostedZoneInfo,
  HubInventory,
  Part,
  TransitGatewayFacts,
  ZoneRecord,
} from '../model.js';
import { type Batch, collect, maxResults } from './batch.js';
import { classifyAwsError, dependentGap } from './errors.js';
import { describeInterfaces, type Ec2 } from './inventory.js';
import { endpointRules, securityGroupRules } from './normalize.js';
import {
  actionOf,
  answersServiceNames,
  loadAccountZones,
  loadAssociatedZones,
  loadResolverRules,
  loadRuleAssociations,
  loadZoneRecords,
  type Resolver53,
  type Route53,
} from './route53.js';
import { loadPeerings, loadTransitGateway, loadVpcAttachments } from './transit.js';

/** The hub role's clients, once assumed. */
export interface HubClients {
  ec2: Ec2;
  route53: Route53;
  accountId?: string;
}

export interface HubSession {
  /** The role's clients, assuming it when the cached credentials are near their end. */
  clients(signal: AbortSignal): Promise<Part<HubClients>>;
}

/** The clients the chain is read with, for one Region. */
export interface ChainClients {
  route53: Route53;
  resolver: Resolver53;
  /** Absent when no hub role is configured: the agent's own credentials read the hub side. */
  hub?: HubSession;
}

/** Credentials are renewed this long before they expire, so no call starts with a dying key. */
const RENEW_BEFORE_MS = 5 * 60_000;
/** One hour: the longest AssumeRole grants by default. */
const SESSION_SECONDS = 3600;

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

/** The account in a role ARN (arn:aws:iam::210987654321:role/x). */
export function roleAccount(roleArn: string): string | undefined {
  return /^arn:[^:]+:iam::(\d{12}):/.exec(roleArn)?.[1];
}

/**
 * AssumeRole once, the clients built from its credentials, both kept until shortly before the
 * credentials expire. A refusal is not kept: the next inventory load asks again.
 */
export function createHubSession(
  hub: HubConfig,
  deps: {
    sts: Pick<STSClient, 'send'>;
    build: (credentials: Credentials) => Omit<HubClients, 'accountId'>;
    clock?: () => number;
  },
): HubSession {
  const clock = deps.clock ?? Date.now;
  let current: { clients: HubClients; renewAt: number } | undefined;
  let inflight: Promise<Part<HubClients>> | undefined;
  const assume = async (signal: AbortSignal): Promise<Part<HubClients>> => {
    try {
      const out = await deps.sts.send(
        new AssumeRoleCommand({
          RoleArn: hub.roleArn,
          RoleSessionName: 'vpce-doctor',
          DurationSeconds: SESSION_SECONDS,
          ...(hub.externalId ? { ExternalId: hub.externalId } : {}),
        }),
        { abortSignal: signal },
      );
      const c = out.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
        return { ok: false, gap: assumeGap(new Error('AssumeRole returned no complete credentials')) };
      }
      const credentials = {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
        expiration: new Date(c.Expiration),
      };
      const accountId = roleAccount(hub.roleArn);
      const clients = { ...deps.build(credentials), ...(accountId ? { accountId } : {}) };
      current = { clients, renewAt: credentials.expiration.getTime() - RENEW_BEFORE_MS };
      return { ok: true, value: clients };
    } catch (err) {
      return { ok: false, gap: assumeGap(err, signal) };
    }
  };
  return {
    clients(signal) {
      if (current && clock() < current.renewAt) return Promise.resolve({ ok: true, value: current.clients });
      inflight ??= assume(signal).finally(() => {
        inflight = undefined;
      });
      return inflight;
    },
  };
}

function assumeGap(err: unknown, signal?: AbortSignal): Gap {
  const gap = classifyAwsError(err, 'AssumeRole', signal ? { deadline: signal } : undefined);
  return {
    ...actionOf('sts', gap),
    message: `the hub role (configuration hub.roleArn) could not be assumed: ${gap.message}`,
  };
}

export interface LoadChainOptions {
  vpcId: string;
  region: string;
  /** Configured hostnames: zones that can answer them have their records read too. */
  hostnames: string[];
  /** The account that owns the VPC (DescribeVpcs OwnerId), when read. */
  accountId?: string;
}

function gapOf<T>(gap: Gap): Part<T> {
  return { ok: false, gap };
}

/** A part read with the hub role: its gap says so (the hub role's policy is the one to fix). */
function viaHub<T>(part: Part<T>): Part<T> {
  return part.ok ? part : { ok: false, gap: { ...part.gap, via: 'hub-role' } };
}

function viaHubFacts(facts: TransitGatewayFacts): TransitGatewayFacts {
  return {
    ...facts,
    attachments: viaHub(facts.attachments),
    tables: facts.tables.map((t) => ({ ...t, routes: viaHub(t.routes) })),
  };
}

const VPCE_ID = /^(vpce-[0-9a-f]+)-/;

/** The hub endpoint ids and ENI addresses the associated zones' records point at. */
export function hubPointers(zones: HostedZoneInfo[]): { endpointIds: string[]; addresses: string[] } {
  const records: ZoneRecord[] = zones.flatMap((z) => (z.records?.ok ? z.records.value : []));
  const endpointIds = new Set<string>();
  const addresses = new Set<string>();
  for (const record of records) {
    const id = record.alias ? VPCE_ID.exec(record.alias.dnsName)?.[1] : undefined;
    if (id) endpointIds.add(id);
    if (record.type === 'A') for (const v of record.values) addresses.add(v);
  }
  return { endpointIds: [...endpointIds].sort(), addresses: [...addresses].sort() };
}

/** The part a hub read could not make, when the role that makes it could not be assumed. */
function hubGap<T>(session: Part<unknown>, call: string): Part<T> {
  if (session.ok) throw new Error('hubGap of an assumed session');
  return gapOf(dependentGap(session.gap, call));
}

/**
 * The chain for one VPC, in one batch beside the EC2 inventory: same deadline, same call
 * records. The hub side follows what the associated zones point at.
 */
export async function loadChain(
  ec2: Ec2,
  clients: ChainClients,
  batch: Batch,
  options: LoadChainOptions,
): Promise<ChainInventory> {
  const { vpcId, region } = options;
  const session: Promise<Part<HubClients | undefined>> = clients.hub
    ? clients.hub.clients(batch.signal)
    : Promise.resolve({ ok: true, value: undefined });
  const associated = loadAssociatedZones(clients.route53, batch, vpcId, region);
  const rules = loadResolverRules(clients.resolver, batch);
  const ruleAssociations = loadRuleAssociations(clients.resolver, batch, vpcId);
  const attachments = loadVpcAttachments(ec2, batch, vpcId);
  const peerings = loadPeerings(ec2, batch, vpcId);
  const accountZones = associated.then((part) =>
    loadAccountZones(clients.route53, batch, 'agent', new Set(part.ok ? part.value.map((z) => z.id) : [])),
  );

  const withRecords = Promise.all([associated, session]).then(async ([part, hub]) => {
    if (!part.ok) return part;
    const zones = await Promise.all(
      part.value.map(async (zone) => {
        if (!answersServiceNames(zone.name, options.hostnames)) return zone;
        // Only a zone's owner may list its records: without a hub role, another account's zone
        // is not asked (a refusal on every run would turn a working report unknown). Its
        // association alone explains the answer; the hub endpoint behind it stays unread.
        const foreign = zone.ownerAccount && options.accountId && zone.ownerAccount !== options.accountId;
        if (foreign && !clients.hub) return zone;
        let records = await loadZoneRecords(clients.route53, batch, zone.id);
        // A zone another account owns (the hub's) is read with the hub role, when there is one.
        if (!records.ok && hub.ok && hub.value) {
          const fromHub = await loadZoneRecords(hub.value.route53, batch, zone.id);
          if (fromHub.ok) records = fromHub;
        }
        return { ...zone, records };
      }),
    );
    return { ok: true as const, value: zones };
  });

  const hubSide = Promise.all([withRecords, session]).then(([zones, hub]) =>
    loadHubSide(ec2, batch, zones, hub, clients.hub !== undefined),
  );

  const transitGateways = Promise.all([attachments, session]).then(async ([part, hub]) => {
    if (!part.ok) return [];
    const byTgw = new Map<string, string[]>();
    // A gateway shared from another account (RAM): its owner alone may search its tables.
    const foreign = new Set<string>();
    for (const a of part.value) {
      if (a.State === 'deleted' || a.State === 'deleting') continue;
      const own = byTgw.get(a.TransitGatewayId!) ?? [];
      if (a.Association?.TransitGatewayRouteTableId) own.push(a.Association.TransitGatewayRouteTableId);
      byTgw.set(a.TransitGatewayId!, own);
      if (a.TransitGatewayOwnerId && a.ResourceOwnerId && a.TransitGatewayOwnerId !== a.ResourceOwnerId)
        foreign.add(a.TransitGatewayId!);
    }
    // Without a hub role, another account's gateway is not read at all: the agent's own calls
    // would be refused on every run, and a report whose probes pass would turn unknown for a
    // read nobody configured. Its path stays undecided, said only when a probe fails (HUB_UNREADABLE).
    const readable = [...byTgw.entries()].filter(([tgw]) => clients.hub || !foreign.has(tgw));
    return Promise.all(
      readable.map(([tgw, own]): Promise<TransitGatewayFacts> => {
        if (!clients.hub) return loadTransitGateway(ec2, batch, tgw, own, 'agent');
        if (hub.ok && hub.value)
          return loadTransitGateway(hub.value.ec2, batch, tgw, own, 'hub').then(viaHubFacts);
        return Promise.resolve({
          transitGatewayId: tgw,
          readBy: 'hub' as const,
          attachments: hubGap(hub, 'DescribeTransitGatewayAttachments'),
          tables: [],
        });
      }),
    );
  });

  const hubZones = session.then((hub) =>
    !clients.hub
      ? undefined
      : hub.ok && hub.value
        ? associated.then((part) =>
            loadAccountZones(
              hub.value!.route53,
              batch,
              'hub',
              new Set(part.ok ? part.value.map((z) => z.id) : []),
            ).then(viaHub),
          )
        : hubGap<HostedZoneInfo[]>(hub, 'ListHostedZonesByName'),
  );

  const hub = await hubSide;
  const zonesOfHub = await hubZones;
  return {
    associatedZones: await withRecords,
    accountZones: await accountZones,
    resolverRules: await rules,
    ruleAssociations: await ruleAssociations,
    transitGatewayAttachments: await attachments,
    peeringConnections: await peerings,
    transitGateways: await transitGateways,
    hub: zonesOfHub ? { ...hub, zones: zonesOfHub } : hub,
  };
}

async function loadHubSide(
  agentEc2: Ec2,
  batch: Batch,
  zones: Part<HostedZoneInfo[]>,
  session: Part<HubClients | undefined>,
  configured: boolean,
): Promise<HubInventory> {
  const role = configured ? ('configured' as const) : ('none' as const);
  if (!session.ok) {
    return {
      role,
      session: gapOf(session.gap),
      endpoints: hubGap(session, 'DescribeVpcEndpoints'),
      endpointInterfaces: hubGap(session, 'DescribeNetworkInterfaces'),
      securityGroups: hubGap(session, 'DescribeSecurityGroups'),
    };
  }
  const accountId = session.value?.accountId;
  const sessionPart: Part<{ accountId?: string }> = { ok: true, value: accountId ? { accountId } : {} };
  if (!zones.ok) {
    return {
      role,
      session: sessionPart,
      endpoints: gapOf(dependentGap(zones.gap, 'DescribeVpcEndpoints')),
      endpointInterfaces: gapOf(dependentGap(zones.gap, 'DescribeNetworkInterfaces')),
      securityGroups: gapOf(dependentGap(zones.gap, 'DescribeSecurityGroups')),
    };
  }
  const ec2 = session.value?.ec2 ?? agentEc2;
  const { endpointIds, addresses } = hubPointers(zones.value);
  const page = maxResults(batch);
  const byAddress = await describeInterfaces(ec2, batch, 'addresses.private-ip-address', addresses);
  const addressEnis = new Set(byAddress.ok ? byAddress.value.map((n) => n.NetworkInterfaceId) : []);
  const wanted = new Set(endpointIds);
  // The hub's interface endpoints, kept when a record names one or holds one of its ENIs. By
  // type, not by id: an id that no longer exists (a stale alias) fails a by-id call as a whole.
  const endpoints: Part<VpcEndpoint[]> =
    endpointIds.length === 0 && addressEnis.size === 0
      ? { ok: true, value: [] }
      : await collect(
          batch,
          'DescribeVpcEndpoints',
          (NextToken, abortSignal) =>
            ec2.send(
              new DescribeVpcEndpointsCommand({
                Filters: [{ Name: 'vpc-endpoint-type', Values: ['Interface'] }],
                NextToken,
                ...page,
              }),
              { abortSignal },
            ),
          (out) => out.VpcEndpoints,
          endpointRules,
        ).then((part) =>
          part.ok
            ? {
                ok: true as const,
                value: part.value.filter(
                  (e) =>
                    wanted.has(e.VpcEndpointId!) ||
                    (e.NetworkInterfaceIds ?? []).some((id) => addressEnis.has(id)),
                ),
              }
            : part,
        );
  const knownEnis = new Set(byAddress.ok ? byAddress.value.map((n) => n.NetworkInterfaceId) : []);
  const missing = endpoints.ok
    ? endpoints.value.flatMap((e) => e.NetworkInterfaceIds ?? []).filter((id) => !knownEnis.has(id))
    : [];
  const byId = await describeInterfaces(ec2, batch, 'network-interface-id', missing);
  const endpointInterfaces: Part<NetworkInterface[]> = !byAddress.ok
    ? byAddress
    : !byId.ok
      ? byId
      : { ok: true, value: [...byAddress.value, ...byId.value] };
  // An endpoint's groups are its own (`Groups`); an ENI found by address without its endpoint has its own.
  const groupIds = [
    ...new Set([
      ...(endpoints.ok ? endpoints.value.flatMap((e) => (e.Groups ?? []).map((g) => g.GroupId ?? '')) : []),
      ...(endpointInterfaces.ok
        ? endpointInterfaces.value.flatMap((n) => (n.Groups ?? []).map((g) => g.GroupId ?? ''))
        : []),
    ]),
  ].filter(Boolean);
  const securityGroups: Part<SecurityGroup[]> =
    groupIds.length === 0
      ? endpoints.ok
        ? { ok: true, value: [] }
        : gapOf(dependentGap(endpoints.gap, 'DescribeSecurityGroups'))
      : await collect(
          batch,
          'DescribeSecurityGroups',
          (NextToken, abortSignal) =>
            ec2.send(
              new DescribeSecurityGroupsCommand({
                Filters: [{ Name: 'group-id', Values: groupIds }],
                NextToken,
                ...page,
              }),
              { abortSignal },
            ),
          (out) => out.SecurityGroups,
          securityGroupRules,
        );
  const tag = session.value ? viaHub : <T>(part: Part<T>) => part;
  return {
    role,
    session: sessionPart,
    endpoints: tag(endpoints),
    endpointInterfaces: tag(endpointInterfaces),
    securityGroups: tag(securityGroups),
  };
}
