// The VPC's DNS attributes: enableDnsSupport and enableDnsHostnames, on for private DNS.
import type { Finding, FixSet } from '../model.js';
import { type FixScope, fixSet, text, vpcOf } from './scope.js';
import { awsCommand, captureInto, ShellVariable, writeCli } from './write-cli.js';
import { hclName, reference, writeHcl, writeResource } from './write-hcl.js';
import { logicalId, ref, writeCfn } from './write-yaml.js';

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

/**
 * DHCP_CUSTOM_DNS: the alternative to forwarding on the custom servers (outside AWS, no snippet):
 * an option set naming AmazonProvidedDNS, keeping the domain name, associated with the VPC.
 */
export function amazonDnsFixes(finding: Finding, scope: FixScope): FixSet | undefined {
  const vpcId = scope.context.vpcId;
  if (!vpcId) return undefined;
  const options = scope.inventory?.dhcpOptions;
  const domain = options?.ok
    ? options.value?.DhcpConfigurations?.find((c) => c.Key === 'domain-name')?.Values?.[0]?.Value
    : undefined;
  const replaced = text(finding.evidence, 'dhcpOptionsId') ?? 'the custom option set';
  const note = `replaces ${replaced} on ${vpcId}: every instance in the VPC then resolves through AmazonProvidedDNS`;
  const configurations = [
    'Key=domain-name-servers,Values=AmazonProvidedDNS',
    ...(domain ? [`Key=domain-name,Values=${domain}`] : []),
  ];
  return fixSet({
    cli: writeCli([
      captureInto(
        'dopt',
        awsCommand('ec2', 'create-dhcp-options', [
          '--dhcp-configurations',
          ...configurations,
          '--query',
          'DhcpOptions.DhcpOptionsId',
          '--output',
          'text',
        ]),
      ),
      awsCommand('ec2', 'associate-dhcp-options', [
        '--vpc-id',
        vpcId,
        '--dhcp-options-id',
        new ShellVariable('dopt'),
      ]),
    ]),
    terraform: writeHcl([
      writeResource(
        'aws_vpc_dhcp_options',
        hclName(vpcId, 'amazon_dns'),
        { ...(domain ? { domain_name: domain } : {}), domain_name_servers: ['AmazonProvidedDNS'] },
        [note],
      ),
      writeResource('aws_vpc_dhcp_options_association', hclName(vpcId, 'amazon_dns'), {
        vpc_id: vpcId,
        dhcp_options_id: reference(`aws_vpc_dhcp_options.${hclName(vpcId, 'amazon_dns')}.id`),
      }),
    ]),
    cloudformation: writeCfn({
      [logicalId(vpcId, 'AmazonDns')]: {
        type: 'AWS::EC2::DHCPOptions',
        comments: [note],
        properties: { ...(domain ? { DomainName: domain } : {}), DomainNameServers: ['AmazonProvidedDNS'] },
      },
      [logicalId(vpcId, 'AmazonDnsAssociation')]: {
        type: 'AWS::EC2::VPCDHCPOptionsAssociation',
        properties: { VpcId: vpcId, DhcpOptionsId: ref(logicalId(vpcId, 'AmazonDns')) },
      },
    }),
  });
}
