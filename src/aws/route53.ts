// The DNS chain of a spoke VPC (issue 15): the private hosted zones associated with it and the
// records that can answer a service name, the account's zones (to find one that exists but is
// not associated), and the Resolver rules with this VPC's rule associations. Route 53 is a
// global API with its own pagination; each call is one part, and a part that fails is a gap
// naming the route53 / route53resolver action.
import {
  ListHostedZonesByNameCommand,
  ListHostedZonesByVPCCommand,
  ListResourceRecordSetsCommand,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import {
  ListResolverRuleAssociationsCommand,
  ListResolverRulesCommand,
  type Route53ResolverClient,
} from '@aws-sdk/client-route53resolver';
import type {
  Gap,
  HostedZoneInfo,
  Part,
  ResolverRuleAssociationInfo,
  ResolverRuleInfo,
  ZoneRecord,
} from '../model.js';
import { type Batch, collect } from './batch.js';
import { MalformedResponseError } from './errors.js';

export type Route53 = Pick<Route53Client, 'send'>;
export type Resolver53 = Pick<Route53ResolverClient, 'send'>;

/** Route 53 returns at most 100 zones or 300 records a page; these are what is asked. */
const ZONES_PAGE = 100;
const RECORDS_PAGE = 300;
const RESOLVER_PAGE = 100;

/** A gap of a call to another AWS service than EC2: errors.ts names the action `ec2:CALL`. */
export function actionOf(service: string, gap: Gap): Gap {
  return { ...gap, action: `${service}:${gap.call}` };
}

function retag<T>(service: string, part: Part<T>): Part<T> {
  return part.ok ? part : { ok: false, gap: actionOf(service, part.gap) };
}

/** DNS names as Route 53 writes them (`Example.com.`, `\052.x` for `*`) → `example.com`, `*.x`. */
export function normalizeDnsName(name: string): string {
  // The root (`.`, a Resolver rule for every name) stays `.`: it covers no service name by itself.
  if (name === '.') return '.';
  return name.replace(/\\052/g, '*').replace(/\.$/, '').toLowerCase();
}

function zoneId(id: string): string {
  return id.replace(/^\/hostedzone\//, '');
}

/** A page of a Route 53 list with its own cursor, turned into the NextToken `collect` follows. */
interface Page<T> {
  items: T[] | undefined;
  NextToken?: string | undefined;
  $metadata: { requestId?: string | undefined };
}

/** The zones associated with this VPC, whoever owns them (ListHostedZonesByVPC). */
export function loadAssociatedZones(
  route53: Route53,
  batch: Batch,
  vpcId: string,
  region: string,
): Promise<Part<HostedZoneInfo[]>> {
  return collect(
    batch,
    'ListHostedZonesByVPC',
    async (NextToken, abortSignal): Promise<Page<HostedZoneInfo>> => {
      const out = await route53.send(
        new ListHostedZonesByVPCCommand({
          VPCId: vpcId,
          VPCRegion: region as never,
          ...(NextToken ? { NextToken } : {}),
          MaxItems: ZONES_PAGE,
        }),
        { abortSignal },
      );
      const items = out.HostedZoneSummaries?.map((z) => {
        if (!z.HostedZoneId || !z.Name)
          throw new MalformedResponseError(
            'ListHostedZonesByVPC returned a zone with no HostedZoneId or Name',
          );
        return {
          id: zoneId(z.HostedZoneId),
          name: normalizeDnsName(z.Name),
          private: true,
          associated: true,
          ...(z.Owner?.OwningAccount ? { ownerAccount: z.Owner.OwningAccount } : {}),
          readBy: 'agent' as const,
        };
      });
      return { items, NextToken: out.NextToken, $metadata: out.$metadata };
    },
    (out) => out.items,
    { noun: 'a hosted zone', required: ['id', 'name'] },
  ).then((part) => retag('route53', part));
}

/**
 * Every hosted zone of the account the client speaks for, in Route 53's name order
 * (ListHostedZonesByName without a name; bounded by the batch's pages). The zones of a hub are
 * few and named after services, but an account may hold any: only private ones are kept.
 */
export function loadAccountZones(
  route53: Route53,
  batch: Batch,
  readBy: 'agent' | 'hub',
  associatedIds: Set<string>,
): Promise<Part<HostedZoneInfo[]>> {
  return collect(
    batch,
    'ListHostedZonesByName',
    async (token, abortSignal): Promise<Page<HostedZoneInfo>> => {
      const cursor = token ? (JSON.parse(token) as { name: string; id: string }) : undefined;
      const out = await route53.send(
        new ListHostedZonesByNameCommand({
          MaxItems: ZONES_PAGE,
          ...(cursor ? { DNSName: cursor.name, HostedZoneId: cursor.id } : {}),
        }),
        { abortSignal },
      );
      const items = out.HostedZones?.map((z) => {
        if (!z.Id || !z.Name)
          throw new MalformedResponseError('ListHostedZonesByName returned a zone with no Id or Name');
        const id = zoneId(z.Id);
        return {
          id,
          name: normalizeDnsName(z.Name),
          private: z.Config?.PrivateZone === true,
          associated: associatedIds.has(id),
          readBy,
        };
      }).filter((z) => z.private);
      const next =
        out.IsTruncated && out.NextDNSName && out.NextHostedZoneId
          ? JSON.stringify({ name: out.NextDNSName, id: out.NextHostedZoneId })
          : undefined;
      return { items, NextToken: next, $metadata: out.$metadata };
    },
    (out) => out.items,
    { noun: 'a hosted zone', required: ['id', 'name'] },
  ).then((part) => retag('route53', part));
}

/** The records of one zone (ListResourceRecordSets); only A, AAAA and CNAME answer a service name. */
export function loadZoneRecords(route53: Route53, batch: Batch, id: string): Promise<Part<ZoneRecord[]>> {
  return collect(
    batch,
    'ListResourceRecordSets',
    async (token, abortSignal): Promise<Page<ZoneRecord>> => {
      const cursor = token
        ? (JSON.parse(token) as { name: string; type: string; identifier?: string })
        : undefined;
      const out = await route53.send(
        new ListResourceRecordSetsCommand({
          HostedZoneId: id,
          MaxItems: RECORDS_PAGE,
          ...(cursor
            ? {
                StartRecordName: cursor.name,
                StartRecordType: cursor.type as never,
                ...(cursor.identifier ? { StartRecordIdentifier: cursor.identifier } : {}),
              }
            : {}),
        }),
        { abortSignal },
      );
      const items = out.ResourceRecordSets?.flatMap((r): ZoneRecord[] => {
        if (!r.Name || !r.Type)
          throw new MalformedResponseError('ListResourceRecordSets returned a record with no Name or Type');
        if (!['A', 'AAAA', 'CNAME'].includes(r.Type)) return [];
        const values = (r.ResourceRecords ?? []).flatMap((v) => (v.Value ? [v.Value] : []));
        const alias = r.AliasTarget?.DNSName
          ? {
              alias: {
                dnsName: normalizeDnsName(r.AliasTarget.DNSName),
                hostedZoneId: r.AliasTarget.HostedZoneId ?? '',
              },
            }
          : {};
        if (values.length === 0 && !('alias' in alias))
          throw new MalformedResponseError(
            `ListResourceRecordSets returned ${r.Name} ${r.Type} with no value`,
          );
        return [{ name: normalizeDnsName(r.Name), type: r.Type, values, ...alias }];
      });
      const next =
        out.IsTruncated && out.NextRecordName && out.NextRecordType
          ? JSON.stringify({
              name: out.NextRecordName,
              type: out.NextRecordType,
              ...(out.NextRecordIdentifier ? { identifier: out.NextRecordIdentifier } : {}),
            })
          : undefined;
      return { items, NextToken: next, $metadata: out.$metadata };
    },
    (out) => out.items,
    { noun: 'a record', required: ['name', 'type'] },
  ).then((part) => retag('route53', part));
}

/** The Resolver rules the account sees: its own and those shared with it (ListResolverRules). */
export function loadResolverRules(resolver: Resolver53, batch: Batch): Promise<Part<ResolverRuleInfo[]>> {
  return collect(
    batch,
    'ListResolverRules',
    async (NextToken, abortSignal): Promise<Page<ResolverRuleInfo>> => {
      const out = await resolver.send(
        new ListResolverRulesCommand({ ...(NextToken ? { NextToken } : {}), MaxResults: RESOLVER_PAGE }),
        {
          abortSignal,
        },
      );
      const items = out.ResolverRules?.map((r) => {
        if (!r.Id || !r.DomainName || !r.RuleType)
          throw new MalformedResponseError(
            'ListResolverRules returned a rule with no Id, DomainName or RuleType',
          );
        return {
          id: r.Id,
          ...(r.Name ? { name: r.Name } : {}),
          domainName: normalizeDnsName(r.DomainName),
          ruleType: r.RuleType,
          ...(r.Status ? { status: r.Status } : {}),
          targetIps: (r.TargetIps ?? []).flatMap((t) => (t.Ip ? [{ ip: t.Ip, port: t.Port ?? 53 }] : [])),
          ...(r.OwnerId ? { ownerId: r.OwnerId } : {}),
          ...(r.ShareStatus ? { shareStatus: r.ShareStatus } : {}),
          ...(r.ResolverEndpointId ? { resolverEndpointId: r.ResolverEndpointId } : {}),
        };
      });
      return { items, NextToken: out.NextToken, $metadata: out.$metadata };
    },
    (out) => out.items,
    { noun: 'a resolver rule', required: ['id', 'domainName'] },
  ).then((part) => retag('route53resolver', part));
}

/** This VPC's rule associations (ListResolverRuleAssociations filtered by VPCId). */
export function loadRuleAssociations(
  resolver: Resolver53,
  batch: Batch,
  vpcId: string,
): Promise<Part<ResolverRuleAssociationInfo[]>> {
  return collect(
    batch,
    'ListResolverRuleAssociations',
    async (NextToken, abortSignal): Promise<Page<ResolverRuleAssociationInfo>> => {
      const out = await resolver.send(
        new ListResolverRuleAssociationsCommand({
          Filters: [{ Name: 'VPCId', Values: [vpcId] }],
          ...(NextToken ? { NextToken } : {}),
          MaxResults: RESOLVER_PAGE,
        }),
        { abortSignal },
      );
      const items = out.ResolverRuleAssociations?.map((a) => {
        if (!a.Id || !a.ResolverRuleId || !a.VPCId)
          throw new MalformedResponseError(
            'ListResolverRuleAssociations returned an association with no Id, ResolverRuleId or VPCId',
          );
        return {
          id: a.Id,
          ruleId: a.ResolverRuleId,
          vpcId: a.VPCId,
          ...(a.Status ? { status: a.Status } : {}),
        };
      });
      return { items, NextToken: out.NextToken, $metadata: out.$metadata };
    },
    (out) => out.items,
    { noun: 'a rule association', required: ['id', 'ruleId'] },
  ).then((part) => retag('route53resolver', part));
}

/**
 * Whether a zone's records are worth reading: it can answer an AWS service name (amazonaws.com,
 * api.aws) or one of the configured hostnames. A spoke's big corporate zone is not read.
 */
export function answersServiceNames(zoneName: string, hostnames: string[]): boolean {
  const covers = (name: string) => name === zoneName || name.endsWith(`.${zoneName}`);
  return (
    zoneName.endsWith('amazonaws.com') ||
    zoneName.endsWith('api.aws') ||
    hostnames.some((h) => covers(h.toLowerCase()))
  );
}
