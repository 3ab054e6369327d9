// Fixes as code for the IPv6 causes (checks/ipv6.ts): the IPv6 security-group rules and ACL
// entries that are missing, and the endpoint made dual-stack. Each reads the finding's evidence.
import type { Finding, FixSet } from '../model.js';
import { aclFixes } from './nacl.js';
import { type FixScope, fixSet, records, serviceLabel, text } from './scope.js';
import { awsCommand, writeCli } from './write-cli.js';
import { hclName, writeHcl, writeResource } from './write-hcl.js';
import { logicalId, writeCfn } from './write-yaml.js';

/** An IPv6 rule a fix adds (checks/ipv6.ts puts them in its evidence as `rulesToAdd`). */
export interface Sg6Rule {
  groupId: string;
  direction: 'ingress' | 'egress';
  port: number;
  cidrIpv6: string;
}

function rulesOf(finding: Finding): Sg6Rule[] {
  return records(finding.evidence['rulesToAdd']).flatMap((r) =>
    typeof r['groupId'] === 'string' &&
    (r['direction'] === 'ingress' || r['direction'] === 'egress') &&
    typeof r['port'] === 'number' &&
    typeof r['cidrIpv6'] === 'string'
      ? [{ groupId: r['groupId'], direction: r['direction'], port: r['port'], cidrIpv6: r['cidrIpv6'] }]
      : [],
  );
}

/** SG_IPV6_RULE_MISSING: the IPv6 rules the evaluation found missing, with the real group ids. */
export function sgIpv6Fixes(finding: Finding, scope: FixScope): FixSet | undefined {
  const rules = rulesOf(finding);
  if (rules.length === 0) return undefined;
  const what = scope.target ? serviceLabel(scope.target.service) : 'the endpoint';
  const description = (r: Sg6Rule) =>
    `tcp/${r.port} over IPv6 between the workload and ${what} (vpce-doctor)`;
  return fixSet({
    cli: writeCli(
      rules.map((r) =>
        awsCommand('ec2', `authorize-security-group-${r.direction}`, [
          '--group-id',
          r.groupId,
          '--ip-permissions',
          `IpProtocol=tcp,FromPort=${r.port},ToPort=${r.port},Ipv6Ranges=[{CidrIpv6=${r.cidrIpv6}}]`,
        ]),
      ),
    ),
    terraform: writeHcl(
      rules.map((r) =>
        writeResource(
          `aws_vpc_security_group_${r.direction}_rule`,
          hclName(r.groupId, r.direction, String(r.port), 'ipv6'),
          {
            security_group_id: r.groupId,
            description: description(r),
            ip_protocol: 'tcp',
            from_port: r.port,
            to_port: r.port,
            cidr_ipv6: r.cidrIpv6,
          },
        ),
      ),
    ),
    cloudformation: writeCfn(
      Object.fromEntries(
        rules.map((r) => [
          logicalId(r.groupId, r.direction, String(r.port), 'ipv6'),
          {
            type:
              r.direction === 'ingress' ? 'AWS::EC2::SecurityGroupIngress' : 'AWS::EC2::SecurityGroupEgress',
            properties: {
              GroupId: r.groupId,
              Description: description(r),
              IpProtocol: 'tcp',
              FromPort: r.port,
              ToPort: r.port,
              CidrIpv6: r.cidrIpv6,
            },
          },
        ]),
      ),
    ),
  });
}

/** NACL_IPV6_RULE_MISSING: the IPv6 entries, numbered before the rule that drops (evidence `aclChanges`). */
export function aclIpv6Fixes(finding: Finding): FixSet | undefined {
  return aclFixes(finding);
}

/**
 * ENDPOINT_IPV4_ONLY_AAAA_FIRST, ENDPOINT_IPV6_ONLY_AGENT_IPV4: the endpoint made dual-stack, so
 * its names answer A and AAAA with its own ENIs. Only the command: the Terraform and
 * CloudFormation of an endpoint are rewritten whole (src/fixes/endpoints.ts), and their
 * ip_address_type / IpAddressType is the one line to change there.
 */
export function dualstackEndpointFixes(finding: Finding): FixSet | undefined {
  const id = text(finding.evidence, 'endpointId');
  if (!id) return undefined;
  return fixSet({
    cli: awsCommand('ec2', 'modify-vpc-endpoint', [
      '--vpc-endpoint-id',
      id,
      '--ip-address-type',
      'dualstack',
      '--dns-options',
      'DnsRecordIpType=dualstack',
    ]),
  });
}
