// What several checks share: the answer for a missing input, and a gateway's prefix list.
import type { VpcEndpoint } from '@aws-sdk/client-ec2';
import { classifyAccessDenied, layerFix } from '../src/eval/access-denied.js';
import type { CheckInput, CheckName, Finding, Gap, PrefixListInfo } from '../src/model.js';

/** Where to allow the action: the role's policy, unless AWS named an explicit deny or another layer. */
function permissionFix(gap: Gap): string {
  return (
    layerFix(classifyAccessDenied(gap.message), gap.action) ??
    `allow ${gap.action} in the agent's IAM policy (see deploy/ for the policy)`
  );
}

/** One `unknown` finding for a check whose input is a gap, naming the IAM action or the error. */
export function gapFinding(check: CheckName, code: string, gap: Gap, purpose: string): Finding {
  const reason =
    gap.kind === 'permission'
      ? `${gap.action} was denied (${gap.errorCode})`
      : `${gap.call} failed: ${gap.errorCode}`;
  return {
    check,
    code,
    status: 'unknown',
    message: `cannot ${purpose}: ${reason}`,
    fix:
      gap.kind === 'permission'
        ? permissionFix(gap)
        : `retry; if it persists, check ${gap.call} from this subnet (${gap.message})`,
    evidence: { gap },
  };
}

/**
 * The AWS-managed prefix list of a gateway service: by name, else from a route to the endpoint.
 * `info` only when its entries were read; otherwise `gap` says why they are unknown (the list's
 * own gap, or the whole part's).
 */
export function gatewayPrefixList(
  input: CheckInput,
  endpoint: VpcEndpoint | undefined,
): { prefixListId?: string; info?: PrefixListInfo; gap?: Gap } {
  const { inventory, target } = input;
  const lists = inventory.prefixLists.ok ? inventory.prefixLists.value : [];
  const partGap = inventory.prefixLists.ok ? undefined : inventory.prefixLists.gap;
  const readable = (pl: PrefixListInfo) =>
    pl.gap ? { prefixListId: pl.prefixListId, gap: pl.gap } : { prefixListId: pl.prefixListId, info: pl };
  const byName = lists.find((pl) => pl.name === target.service && pl.prefixListId !== '');
  if (byName) return readable(byName);
  // Only the name is known when looking it up failed: a route to the endpoint may still give the id.
  const nameGap = lists.find((pl) => pl.name === target.service && pl.prefixListId === '')?.gap ?? partGap;
  const routes = inventory.routeTables.ok
    ? inventory.routeTables.value.flatMap((table) => table.Routes ?? [])
    : [];
  const id = routes.find(
    (route) => endpoint && route.GatewayId === endpoint.VpcEndpointId && route.DestinationPrefixListId,
  )?.DestinationPrefixListId;
  if (!id) return nameGap ? { gap: nameGap } : {};
  const info = lists.find((pl) => pl.prefixListId === id);
  if (info) return readable(info);
  return nameGap ? { prefixListId: id, gap: nameGap } : { prefixListId: id };
}

/** A prefix list a decision needed and could not read, with the reason when one was recorded. */
export interface UnreadPrefixList {
  prefixListId: string;
  gap?: Gap;
}

/** Why each of these lists has no entries in the snapshot: its own gap, the part's, or not returned. */
export function unreadPrefixLists(input: CheckInput, ids: string[]): UnreadPrefixList[] {
  const { prefixLists } = input.inventory;
  return ids.map((prefixListId) => {
    const gap = prefixLists.ok
      ? prefixLists.value.find((pl) => pl.prefixListId === prefixListId)?.gap
      : prefixLists.gap;
    return gap ? { prefixListId, gap } : { prefixListId };
  });
}

function gapReason(gap: Gap): string {
  return gap.kind === 'permission'
    ? `${gap.action} denied: ${gap.errorCode}`
    : `${gap.call} failed: ${gap.errorCode}`;
}

/** `pl-1 (ec2:GetManagedPrefixListEntries denied: UnauthorizedOperation)`, one per list. */
export function unreadText(unread: UnreadPrefixList[]): string {
  return unread
    .map(
      (u) =>
        `${u.prefixListId} (${u.gap ? gapReason(u.gap) : 'not returned: shared from another account, or deleted'})`,
    )
    .join(', ');
}

/** What gives the agent the entries: the denied actions, or a look at the lists themselves. */
export function unreadFix(unread: UnreadPrefixList[]): string {
  const actions = [...new Set(unread.flatMap((u) => (u.gap?.kind === 'permission' ? [u.gap.action] : [])))];
  const ids = unread.map((u) => u.prefixListId).join(' ');
  const look = `aws ec2 describe-managed-prefix-lists --prefix-list-ids ${ids}`;
  if (actions.length > 0)
    return `allow ${actions.join(', ')} in the agent's IAM policy (see deploy/ for the policy); meanwhile: ${look}`;
  if (unread.some((u) => u.gap)) return `retry; if it persists: ${look}`;
  return `${look} (allow ec2:DescribeManagedPrefixLists and ec2:GetManagedPrefixListEntries, or share the list with this account)`;
}

/** The command that creates the missing endpoint, in the agent's subnet (interface) or route table (gateway). */
export function createEndpointCommand(
  input: CheckInput,
  gateway: boolean,
  tableId: string | undefined,
): string {
  const { context, target } = input;
  return gateway
    ? `aws ec2 create-vpc-endpoint --vpc-id ${context.vpcId} --vpc-endpoint-type Gateway --service-name ${target.service} --route-table-ids ${tableId ?? 'rtb-…'}`
    : `aws ec2 create-vpc-endpoint --vpc-id ${context.vpcId} --vpc-endpoint-type Interface --service-name ${target.service} --subnet-ids ${context.subnetId} --security-group-ids sg-… --private-dns-enabled`;
}
