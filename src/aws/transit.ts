// The path from a spoke VPC to a hub (issue 15): its transit gateway attachments and peering
// connections, and, for each transit gateway it is attached to, the attachments with the route
// table each is associated with and those tables' routes. The transit gateway's tables belong to
// its owner (often a network account): they are read with the hub role's client when one is
// configured, and are a gap (never "no route") when they cannot be read.
import {
  DescribeTransitGatewayAttachmentsCommand,
  DescribeVpcPeeringConnectionsCommand,
  SearchTransitGatewayRoutesCommand,
  type TransitGatewayAttachment,
  type TransitGatewayRoute,
  type VpcPeeringConnection,
} from '@aws-sdk/client-ec2';
import type { Part, TransitGatewayFacts, TransitGatewayTableInfo } from '../model.js';
import { type Batch, collect, maxResults } from './batch.js';
import { MalformedResponseError } from './errors.js';
import type { Ec2 } from './inventory.js';

/** SearchTransitGatewayRoutes is not paginated: it returns up to MaxResults (at most 1000) and says whether more exist. */
const TGW_ROUTES_MAX = 1000;
/** Route tables read per transit gateway: an organisation's segments, not its every table. */
const TGW_TABLES_MAX = 20;

const attachmentRules = {
  noun: 'a transit gateway attachment',
  required: ['TransitGatewayAttachmentId', 'TransitGatewayId'] as Array<
    keyof TransitGatewayAttachment & string
  >,
};

/** This VPC's transit gateway attachments. */
export function loadVpcAttachments(
  ec2: Ec2,
  batch: Batch,
  vpcId: string,
): Promise<Part<TransitGatewayAttachment[]>> {
  const page = maxResults(batch);
  return collect(
    batch,
    'DescribeTransitGatewayAttachments',
    (NextToken, abortSignal) =>
      ec2.send(
        new DescribeTransitGatewayAttachmentsCommand({
          Filters: [
            { Name: 'resource-id', Values: [vpcId] },
            { Name: 'resource-type', Values: ['vpc'] },
          ],
          NextToken,
          ...page,
        }),
        { abortSignal },
      ),
    (out) => out.TransitGatewayAttachments,
    attachmentRules,
  );
}

/** The peering connections this VPC requested or accepted (two filtered calls: filters AND). */
export async function loadPeerings(
  ec2: Ec2,
  batch: Batch,
  vpcId: string,
): Promise<Part<VpcPeeringConnection[]>> {
  const page = maxResults(batch);
  const side = (name: string) =>
    collect(
      batch,
      'DescribeVpcPeeringConnections',
      (NextToken, abortSignal) =>
        ec2.send(
          new DescribeVpcPeeringConnectionsCommand({
            Filters: [{ Name: name, Values: [vpcId] }],
            NextToken,
            ...page,
          }),
          { abortSignal },
        ),
      (out) => out.VpcPeeringConnections,
      {
        noun: 'a peering connection',
        required: ['VpcPeeringConnectionId'] as Array<keyof VpcPeeringConnection & string>,
      },
    );
  const [requester, accepter] = await Promise.all([
    side('requester-vpc-info.vpc-id'),
    side('accepter-vpc-info.vpc-id'),
  ]);
  if (!requester.ok) return requester;
  if (!accepter.ok) return accepter;
  const byId = new Map<string, VpcPeeringConnection>();
  for (const p of [...requester.value, ...accepter.value]) byId.set(p.VpcPeeringConnectionId!, p);
  return { ok: true, value: [...byId.values()] };
}

function routesOf(ec2: Ec2, batch: Batch, tableId: string): Promise<Part<TransitGatewayRoute[]>> {
  return collect(
    batch,
    'SearchTransitGatewayRoutes',
    async (_token, abortSignal) => {
      const out = await ec2.send(
        new SearchTransitGatewayRoutesCommand({
          TransitGatewayRouteTableId: tableId,
          Filters: [{ Name: 'state', Values: ['active', 'blackhole'] }],
          MaxResults: TGW_ROUTES_MAX,
        }),
        { abortSignal },
      );
      // More routes than one answer holds: a route we did not see could be the one that matters.
      if (out.AdditionalRoutesAvailable) {
        throw new MalformedResponseError(
          `SearchTransitGatewayRoutes has more than ${TGW_ROUTES_MAX} routes in ${tableId}`,
        );
      }
      return { ...out, NextToken: undefined };
    },
    (out) => out.Routes,
    { noun: 'a transit gateway route', required: ['State'] },
  );
}

/**
 * The transit gateway's attachments (each with its associated route table) and the routes of
 * the tables associated with them: the spoke's own tables first, at most TGW_TABLES_MAX.
 */
export async function loadTransitGateway(
  ec2: Ec2,
  batch: Batch,
  transitGatewayId: string,
  ownTableIds: string[],
  readBy: 'agent' | 'hub',
): Promise<TransitGatewayFacts> {
  const page = maxResults(batch);
  const attachments = await collect(
    batch,
    'DescribeTransitGatewayAttachments',
    (NextToken, abortSignal) =>
      ec2.send(
        new DescribeTransitGatewayAttachmentsCommand({
          Filters: [{ Name: 'transit-gateway-id', Values: [transitGatewayId] }],
          NextToken,
          ...page,
        }),
        { abortSignal },
      ),
    (out) => out.TransitGatewayAttachments,
    attachmentRules,
  );
  const associated = attachments.ok
    ? attachments.value.flatMap((a) =>
        a.Association?.TransitGatewayRouteTableId && a.Association.State !== 'disassociated'
          ? [a.Association.TransitGatewayRouteTableId]
          : [],
      )
    : [];
  const ids = [...new Set([...ownTableIds, ...associated])].slice(0, TGW_TABLES_MAX);
  const tables: TransitGatewayTableInfo[] = await Promise.all(
    ids.map(async (id) => ({ id, routes: await routesOf(ec2, batch, id) })),
  );
  return { transitGatewayId, readBy, attachments, tables };
}
