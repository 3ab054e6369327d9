// What several checks share: the answer for a missing input, and a gateway's prefix list.
import type { VpcEndpoint } from '@aws-sdk/client-ec2';
import type { CheckInput, CheckName, Finding, Gap, PrefixListInfo } from '../src/model.js';

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
        ? `allow ${gap.action} in the agent's IAM policy (see deploy/ for the policy)`
        : `retry; if it persists, check ${gap.call} from this subnet (${gap.message})`,
    evidence: { gap },
  };
}

/** The AWS-managed prefix list of a gateway service: by name, else from a route to the endpoint. */
export function gatewayPrefixList(
  input: CheckInput,
  endpoint: VpcEndpoint | undefined,
): { prefixListId?: string; info?: PrefixListInfo } {
  const { inventory, target } = input;
  const lists = inventory.prefixLists.ok ? inventory.prefixLists.value : [];
  const byName = lists.find((pl) => pl.name === target.service);
  if (byName) return { prefixListId: byName.prefixListId, info: byName };
  const routes = inventory.routeTables.ok
    ? inventory.routeTables.value.flatMap((table) => table.Routes ?? [])
    : [];
  const id = routes.find(
    (route) => endpoint && route.GatewayId === endpoint.VpcEndpointId && route.DestinationPrefixListId,
  )?.DestinationPrefixListId;
  if (!id) return {};
  const info = lists.find((pl) => pl.prefixListId === id);
  return info ? { prefixListId: id, info } : { prefixListId: id };
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
