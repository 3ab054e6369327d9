// Network ACL entries: the allow rules the nacl check numbered before the rules that deny.
import type { Finding, FixSet } from '../model.js';
import { fixSet, records } from './scope.js';
import { awsCommand, writeCli } from './write-cli.js';
import { hclName, writeHcl, writeResource } from './write-hcl.js';
import { logicalId, writeCfn } from './write-yaml.js';

/** An ACL entry a fix writes (the nacl check puts them in its evidence as `aclChanges`). */
export interface AclChange {
  aclId: string;
  egress: boolean;
  ruleNumber: number;
  /** Replaces rule `ruleNumber` (no free number precedes the deny, or a rule is widened) instead of adding one. */
  replace: boolean;
  from: number;
  to: number;
  cidr: string;
  /** An IPv6 entry (`--ipv6-cidr-block`, checks/ipv6.ts): ACL entries are per family. */
  ipv6?: boolean;
  /** Why this number: `before rule 90`, `before the default deny`, `widens rule 100 from 1024-2048`. */
  note: string;
}

function changesOf(finding: Finding): AclChange[] {
  return records(finding.evidence['aclChanges']).flatMap((c) =>
    typeof c['aclId'] === 'string' &&
    c['aclId'] !== '' &&
    typeof c['egress'] === 'boolean' &&
    typeof c['ruleNumber'] === 'number' &&
    c['ruleNumber'] > 0 &&
    typeof c['from'] === 'number' &&
    typeof c['to'] === 'number' &&
    typeof c['cidr'] === 'string'
      ? [
          {
            aclId: c['aclId'],
            egress: c['egress'],
            ruleNumber: c['ruleNumber'],
            replace: c['replace'] === true,
            from: c['from'],
            to: c['to'],
            cidr: c['cidr'],
            ...(c['ipv6'] === true ? { ipv6: true } : {}),
            note: typeof c['note'] === 'string' ? c['note'] : '',
          },
        ]
      : [],
  );
}

/** Terraform manages an ACL's entries either inline or as rules: the two fight over the same entries. */
const INLINE_RULES =
  'if aws_network_acl declares ingress/egress blocks inline, add this entry there instead: the two conflict';

function comments(change: AclChange): string[] {
  return change.replace
    ? [
        `replaces rule ${change.ruleNumber} of ${change.aclId}${change.note ? ` (${change.note})` : ''}: change the resource that manages it`,
      ]
    : change.note
      ? [`${change.note} in ${change.aclId}`]
      : [];
}

/** NACL_AGENT_SUBNET_DENIED, NACL_ENDPOINT_SUBNET_DENIED, NACL_EPHEMERAL_PARTIAL. */
export function aclFixes(finding: Finding): FixSet | undefined {
  const changes = changesOf(finding);
  if (changes.length === 0) return undefined;
  const direction = (c: AclChange) => (c.egress ? 'egress' : 'ingress');
  return fixSet({
    cli: writeCli(
      changes.map((c) =>
        awsCommand('ec2', c.replace ? 'replace-network-acl-entry' : 'create-network-acl-entry', [
          '--network-acl-id',
          c.aclId,
          `--${direction(c)}`,
          '--rule-number',
          c.ruleNumber,
          '--protocol',
          'tcp',
          '--port-range',
          `From=${c.from},To=${c.to}`,
          c.ipv6 ? '--ipv6-cidr-block' : '--cidr-block',
          c.cidr,
          '--rule-action',
          'allow',
        ]),
      ),
    ),
    terraform: writeHcl(
      changes.map((c) =>
        writeResource(
          'aws_network_acl_rule',
          hclName(c.aclId, direction(c), String(c.ruleNumber)),
          {
            network_acl_id: c.aclId,
            rule_number: c.ruleNumber,
            egress: c.egress,
            protocol: 'tcp',
            rule_action: 'allow',
            ...(c.ipv6 ? { ipv6_cidr_block: c.cidr } : { cidr_block: c.cidr }),
            from_port: c.from,
            to_port: c.to,
          },
          [...comments(c), INLINE_RULES],
        ),
      ),
    ),
    cloudformation: writeCfn(
      Object.fromEntries(
        changes.map((c) => [
          logicalId(c.aclId, direction(c), String(c.ruleNumber)),
          {
            type: 'AWS::EC2::NetworkAclEntry',
            comments: comments(c),
            properties: {
              NetworkAclId: c.aclId,
              RuleNumber: c.ruleNumber,
              Protocol: 6,
              RuleAction: 'allow',
              Egress: c.egress,
              ...(c.ipv6 ? { Ipv6CidrBlock: c.cidr } : { CidrBlock: c.cidr }),
              PortRange: { From: c.from, To: c.to },
            },
          },
        ]),
      ),
    ),
  });
}
