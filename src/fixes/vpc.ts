// The VPC's DNS attributes: enableDnsSupport and enableDnsHostnames, on for private DNS.
import type { Finding, FixSet } from '../model.js';
import { type FixScope, fixSet, text, vpcOf } from './scope.js';
import { awsCommand, writeCli } from './write-cli.js';
import { hclName, writeHcl, writeResource } from './write-hcl.js';
import { logicalId, writeCfn } from './write-yaml.js';

const FLAGS: Record<string, string> = {
  enableDnsSupport: '--enable-dns-support',
  enableDnsHostnames: '--enable-dns-hostnames',
};

/** VPC_DNS_SUPPORT_DISABLED, VPC_DNS_HOSTNAMES_DISABLED: the attribute on, the other as read (on if unread). */
export function vpcDnsFixes(finding: Finding, scope: FixScope): FixSet | undefined {
  const vpcId = text(finding.evidence, 'vpcId');
  const attribute = text(finding.evidence, 'attribute');
  const flag = attribute ? FLAGS[attribute] : undefined;
  if (!vpcId || !attribute || !flag) return undefined;
  const cli = writeCli([
    awsCommand('ec2', 'modify-vpc-attribute', ['--vpc-id', vpcId, flag, '{"Value":true}']),
  ]);
  const vpc = vpcOf(scope);
  if (!vpc?.CidrBlock || vpc.VpcId !== vpcId) return fixSet({ cli });
  const read = (part: { ok: true; value: boolean } | { ok: false } | undefined) =>
    part?.ok ? part.value : true;
  const support = attribute === 'enableDnsSupport' ? true : read(scope.inventory?.dnsSupport);
  const hostnames = attribute === 'enableDnsHostnames' ? true : read(scope.inventory?.dnsHostnames);
  const note = `${vpcId} as EC2 describes it, with ${attribute} on: make this change in the resource that manages ${vpcId}`;
  return fixSet({
    cli,
    terraform: writeHcl([
      writeResource(
        'aws_vpc',
        hclName(vpcId),
        { cidr_block: vpc.CidrBlock, enable_dns_support: support, enable_dns_hostnames: hostnames },
        [note],
      ),
    ]),
    cloudformation: writeCfn({
      [logicalId(vpcId)]: {
        type: 'AWS::EC2::VPC',
        comments: [note],
        properties: { CidrBlock: vpc.CidrBlock, EnableDnsSupport: support, EnableDnsHostnames: hostnames },
      },
    }),
  });
}
