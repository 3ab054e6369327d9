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

/**
 * VPC_DNS_SUPPORT_DISABLED, VPC_DNS_HOSTNAMES_DISABLED: private DNS needs both attributes on, so
 * both findings write both on (the snippets of the two findings are then the same resource, not
 * two that undo each other).
 */
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
  const note = `${vpcId} as EC2 describes it, with enableDnsSupport and enableDnsHostnames on (private DNS needs both): make this change in the resource that manages ${vpcId}`;
  return fixSet({
    cli,
    terraform: writeHcl([
      writeResource(
        'aws_vpc',
        hclName(vpcId),
        { cidr_block: vpc.CidrBlock, enable_dns_support: true, enable_dns_hostnames: true },
        [note],
      ),
    ]),
    cloudformation: writeCfn({
      [logicalId(vpcId)]: {
        type: 'AWS::EC2::VPC',
        comments: [note],
        properties: { CidrBlock: vpc.CidrBlock, EnableDnsSupport: true, EnableDnsHostnames: true },
      },
    }),
  });
}

/** The values of one key of the option set as read, e.g. `ntp-servers`. */
function optionValues(scope: FixScope, key: string): string[] {
  const options = scope.inventory?.dhcpOptions;
  if (!options?.ok) return [];
  const values = options.value?.DhcpConfigurations?.find((c) => c.Key === key)?.Values ?? [];
  return values.flatMap((v) => (v.Value ? [v.Value] : []));
}

/**
 * DHCP_CUSTOM_DNS: the drastic alternative to forwarding on the custom servers (outside AWS, no
 * snippet, and preferred): an option set naming AmazonProvidedDNS, keeping the old set's other
 * values, associated with the VPC.
 */
export function amazonDnsFixes(finding: Finding, scope: FixScope): FixSet | undefined {
  const vpcId = scope.context.vpcId;
  if (!vpcId) return undefined;
  const domain = optionValues(scope, 'domain-name')[0];
  const ntp = optionValues(scope, 'ntp-servers');
  const netbiosServers = optionValues(scope, 'netbios-name-servers');
  const netbiosType = optionValues(scope, 'netbios-node-type')[0];
  const replaced = text(finding.evidence, 'dhcpOptionsId') ?? 'the custom option set';
  const note = [
    `the drastic option: replaces ${replaced} on ${vpcId}, so every instance in the VPC resolves through AmazonProvidedDNS`,
    'and names only the custom servers answer stop resolving; prefer forwarding amazonaws.com on the custom servers',
  ];
  const configurations = [
    'Key=domain-name-servers,Values=AmazonProvidedDNS',
    ...(domain ? [`Key=domain-name,Values=${domain}`] : []),
    ...(ntp.length > 0 ? [`Key=ntp-servers,Values=${ntp.join(',')}`] : []),
    ...(netbiosServers.length > 0 ? [`Key=netbios-name-servers,Values=${netbiosServers.join(',')}`] : []),
    ...(netbiosType ? [`Key=netbios-node-type,Values=${netbiosType}`] : []),
  ];
  const terraform = {
    ...(domain ? { domain_name: domain } : {}),
    domain_name_servers: ['AmazonProvidedDNS'],
    ...(ntp.length > 0 ? { ntp_servers: ntp } : {}),
    ...(netbiosServers.length > 0 ? { netbios_name_servers: netbiosServers } : {}),
    ...(netbiosType ? { netbios_node_type: netbiosType } : {}),
  };
  const cloudformation = {
    ...(domain ? { DomainName: domain } : {}),
    DomainNameServers: ['AmazonProvidedDNS'],
    ...(ntp.length > 0 ? { NtpServers: ntp } : {}),
    ...(netbiosServers.length > 0 ? { NetbiosNameServers: netbiosServers } : {}),
    ...(netbiosType && /^[1248]$/.test(netbiosType) ? { NetbiosNodeType: Number(netbiosType) } : {}),
  };
  return fixSet({
    cli: writeCli([
      `# ${note.join(' ')}`,
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
      writeResource('aws_vpc_dhcp_options', hclName(vpcId, 'amazon_dns'), terraform, note),
      writeResource('aws_vpc_dhcp_options_association', hclName(vpcId, 'amazon_dns'), {
        vpc_id: vpcId,
        dhcp_options_id: reference(`aws_vpc_dhcp_options.${hclName(vpcId, 'amazon_dns')}.id`),
      }),
    ]),
    cloudformation: writeCfn({
      [logicalId(vpcId, 'AmazonDns')]: {
        type: 'AWS::EC2::DHCPOptions',
        comments: note,
        properties: cloudformation,
      },
      [logicalId(vpcId, 'AmazonDnsAssociation')]: {
        type: 'AWS::EC2::VPCDHCPOptionsAssociation',
        properties: { VpcId: vpcId, DhcpOptionsId: ref(logicalId(vpcId, 'AmazonDns')) },
      },
    }),
  });
}
