// Security-group rules: the endpoint's ingress from the agent, the agent's egress to the endpoint.
import type { Finding, FixSet } from '../model.js';
import { type FixScope, fixSet, records, serviceLabel, text, texts } from './scope.js';
import { type Arg, awsCommand, writeCli } from './write-cli.js';
import { hclName, writeHcl, writeResource } from './write-hcl.js';
import { type CfnResource, logicalId, writeCfn } from './write-yaml.js';

/** Who a rule admits or reaches: a security group, a prefix list, or a CIDR. */
export type Peer = { group: string } | { prefixList: string } | { cidr: string };

export interface SgRule {
  groupId: string;
  direction: 'ingress' | 'egress';
  port: number;
  peer: Peer;
  description: string;
}

function peerLabel(peer: Peer): string {
  return 'group' in peer ? peer.group : 'prefixList' in peer ? peer.prefixList : peer.cidr;
}

function cliFor(rule: SgRule): string {
  const command = `authorize-security-group-${rule.direction}`;
  const { peer } = rule;
  if ('prefixList' in peer) {
    return awsCommand('ec2', command, [
      '--group-id',
      rule.groupId,
      '--ip-permissions',
      `IpProtocol=tcp,FromPort=${rule.port},ToPort=${rule.port},PrefixListIds=[{PrefixListId=${peer.prefixList}}]`,
    ]);
  }
  const args: Arg[] = ['--group-id', rule.groupId, '--protocol', 'tcp', '--port', rule.port];
  args.push(...('group' in peer ? ['--source-group', peer.group] : ['--cidr', peer.cidr]));
  return awsCommand('ec2', command, args);
}

function terraformFor(rule: SgRule): string {
  const { peer } = rule;
  const target =
    'group' in peer
      ? { referenced_security_group_id: peer.group }
      : 'prefixList' in peer
        ? { prefix_list_id: peer.prefixList }
        : { cidr_ipv4: peer.cidr };
  return writeResource(
    `aws_vpc_security_group_${rule.direction}_rule`,
    hclName(rule.groupId, rule.direction, String(rule.port), peerLabel(peer)),
    {
      security_group_id: rule.groupId,
      description: rule.description,
      ip_protocol: 'tcp',
      from_port: rule.port,
      to_port: rule.port,
      ...target,
    },
  );
}

function cloudFormationFor(rule: SgRule): [string, CfnResource] {
  const { peer } = rule;
  const ingress = rule.direction === 'ingress';
  const target =
    'group' in peer
      ? { [ingress ? 'SourceSecurityGroupId' : 'DestinationSecurityGroupId']: peer.group }
      : 'prefixList' in peer
        ? { [ingress ? 'SourcePrefixListId' : 'DestinationPrefixListId']: peer.prefixList }
        : { CidrIp: peer.cidr };
  return [
    logicalId(rule.groupId, rule.direction, String(rule.port), peerLabel(peer)),
    {
      type: ingress ? 'AWS::EC2::SecurityGroupIngress' : 'AWS::EC2::SecurityGroupEgress',
      properties: {
        GroupId: rule.groupId,
        Description: rule.description,
        IpProtocol: 'tcp',
        FromPort: rule.port,
        ToPort: rule.port,
        ...target,
      },
    },
  ];
}

/** The three kinds for a set of rules to add. */
export function fixesForRules(rules: SgRule[]): FixSet | undefined {
  if (rules.length === 0) return undefined;
  return fixSet({
    cli: writeCli(rules.map(cliFor)),
    terraform: writeHcl(rules.map(terraformFor)),
    cloudformation: writeCfn(Object.fromEntries(rules.map(cloudFormationFor))),
  });
}

/** Flows of the evidence one side denied, by port. */
function deniedPorts(finding: Finding, side: 'ingress' | 'egress'): Array<{ port: number; ip: string }> {
  return records(finding.evidence['flows']).flatMap((flow) => {
    const decision = flow[side] as { allowed?: boolean; unresolvedPrefixLists?: string[] } | null | undefined;
    const port = flow['port'];
    const ip = flow['ip'];
    // A flow left open by an unread prefix list is not denied: nothing to add for it.
    const denied = decision?.allowed === false && (decision.unresolvedPrefixLists ?? []).length === 0;
    return denied && typeof port === 'number' && typeof ip === 'string' ? [{ port, ip }] : [];
  });
}

const unique = <T>(values: T[]): T[] => [...new Set(values)];

/** SG_ENDPOINT_INGRESS_DENIED: the endpoint's first group admits the agent's group (else its address). */
export function endpointIngressFixes(finding: Finding, scope: FixScope): FixSet | undefined {
  const group = texts(finding.evidence['endpointGroups'])[0];
  if (!group) return undefined;
  const agentGroup = texts(finding.evidence['agentGroups'])[0];
  const agentIp = text(finding.evidence, 'agentIp') ?? scope.context.privateIp;
  const peer: Peer = agentGroup ? { group: agentGroup } : { cidr: `${agentIp}/32` };
  const what = scope.target ? serviceLabel(scope.target.service) : 'the endpoint';
  return fixesForRules(
    unique(deniedPorts(finding, 'ingress').map((f) => f.port)).map((port) => ({
      groupId: group,
      direction: 'ingress',
      port,
      peer,
      description: `tcp/${port} from the workload to ${what} (vpce-doctor)`,
    })),
  );
}

/**
 * SG_AGENT_EGRESS_DENIED: the agent's first group reaches the endpoint's group (interface), the
 * service's prefix list (gateway), or each resolved address.
 */
export function agentEgressFixes(finding: Finding, scope: FixScope): FixSet | undefined {
  const group = texts(finding.evidence['agentGroups'])[0];
  if (!group) return undefined;
  const endpointGroup = texts(finding.evidence['endpointGroups'])[0];
  const prefixList = text(finding.evidence, 'prefixListId');
  const what = scope.target ? serviceLabel(scope.target.service) : 'the service';
  const denied = deniedPorts(finding, 'egress');
  const rules: SgRule[] = [];
  for (const port of unique(denied.map((f) => f.port))) {
    const peers: Peer[] = endpointGroup
      ? [{ group: endpointGroup }]
      : prefixList
        ? [{ prefixList }]
        : unique(denied.filter((f) => f.port === port).map((f) => f.ip)).map((ip) => ({ cidr: `${ip}/32` }));
    for (const peer of peers) {
      rules.push({
        groupId: group,
        direction: 'egress',
        port,
        peer,
        description: `tcp/${port} from the workload to ${what} (vpce-doctor)`,
      });
    }
  }
  return fixesForRules(rules);
}
