// How the fixes are shown: the `fix` line always (it says why and which option to prefer), then
// the snippet asked for; the CLI commands with the real ids when the fix line has placeholders.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildFixes } from '../../src/fixes/index.js';
import type { TargetObservations } from '../../src/model.js';
import { renderHtml } from '../../src/render/html.js';
import { renderJunit } from '../../src/render/junit.js';
import { renderMarkdown } from '../../src/render/markdown.js';
import { renderText } from '../../src/render/text.js';
import { fixedScenarios, scenarioReport } from './fixes-scenarios.js';

const timeout = (address: string): TargetObservations['tcp'] => [
  { address, port: 443, outcome: 'timeout', durationMs: 1000 },
];

function fixedOf(scenario: string, code: string) {
  const found = fixedScenarios().find((j) => j.scenario === scenario && j.fixed.code === code);
  assert.ok(found, `${scenario} emits ${code}`);
  return found;
}

describe('the fix line and the snippet under it', () => {
  const sg = scenarioReport('endpoint SG admits only another CIDR', timeout('10.0.11.30'));

  it('--fix-format terraform|cloudformation keeps the fix line above the snippet', () => {
    const tf = renderText(sg, { color: false, fixFormat: 'terraform' });
    assert.match(tf, /fix: aws ec2 authorize-security-group-ingress[^\n]*\n {2}fix \(Terraform\):\n {4}\S/);
    const cfn = renderText(sg, { color: false, fixFormat: 'cloudformation' });
    assert.match(cfn, /fix: aws ec2 authorize-security-group-ingress[^\n]*\n {2}fix \(CloudFormation\):\n/);
    const junit = renderJunit(sg, { fixFormat: 'terraform' });
    assert.match(
      junit,
      /fix: aws ec2 authorize-security-group-ingress[^\n]*\nfix \(Terraform\):\n {2}resource &quot;/,
    );
  });

  it('a route to delete says it has no snippet to add, not that it is no resource change', () => {
    const hole = fixedOf('S3 route to a blackhole', 'ROUTE_BLACKHOLE').fixed;
    assert.ok(hole.fixes?.cli);
    const report = { ...sg, targets: [], findings: [hole] };
    const tf = renderText(report, { color: false, fixFormat: 'terraform' });
    assert.match(tf, /\(no Terraform for this fix: it is not expressible as a snippet to add\)/);
    assert.doesNotMatch(tf, /not a resource change/);
  });
});

describe('the CLI commands with the real ids (--fix-format cli)', () => {
  const missing = scenarioReport('no EC2 endpoint in an isolated subnet', timeout('54.239.28.85'));
  const root = missing.targets[0]!.rootCause!;

  it('the fix line holds placeholders that fixes.cli fills in', () => {
    assert.match(root.fix ?? '', /--security-group-ids sg-…/);
    assert.ok(root.fixes?.cli && !root.fixes.cli.includes('sg-…'), root.fixes?.cli);
  });

  it('text and junit print them under the fix line; markdown in a sh block; the status page folded', () => {
    const firstCommand = root.fixes!.cli!.split('\n').find((l) => l.startsWith('aws '))!;
    const text = renderText(missing, { color: false });
    assert.match(text, /\n {2}fix: [^\n]*\n {2}fix \(AWS CLI\):\n/);
    assert.ok(text.includes(`    ${firstCommand}`), 'the command is indented under the label');
    assert.ok(renderJunit(missing).includes(`fix (AWS CLI):`));
    const md = renderMarkdown(missing, { fixFormat: 'cli' });
    assert.match(md, /```sh\n/);
    assert.doesNotMatch(md, /```hcl/);
    const page = renderHtml(missing, [], { now: 2, finishedAt: 1 });
    assert.match(page, /<summary>AWS CLI<\/summary>/);
  });

  it('CLI commands the fix line already holds word for word are not printed twice', () => {
    const acl = fixedOf("the agent subnet's ACL drops the return traffic", 'NACL_AGENT_SUBNET_DENIED').fixed;
    assert.ok(acl.fixes?.cli && acl.fixes.cli !== acl.fix, 'the fix line adds notes the snippet lacks');
    const report = { ...missing, targets: [], findings: [acl] };
    assert.doesNotMatch(renderText(report, { color: false }), /fix \(AWS CLI\)/);
    assert.doesNotMatch(renderMarkdown(report), /```sh/);
    assert.doesNotMatch(renderHtml(report, [], { now: 2, finishedAt: 1 }), /<summary>AWS CLI<\/summary>/);
  });
});

describe('VPC and DHCP snippets', () => {
  it('both VPC DNS findings turn both attributes on, with the same snippet', () => {
    const support = fixedOf('VPC DNS attributes off', 'VPC_DNS_SUPPORT_DISABLED').fixed.fixes!;
    const hostnames = fixedOf('VPC DNS attributes off', 'VPC_DNS_HOSTNAMES_DISABLED').fixed.fixes!;
    for (const fixes of [support, hostnames]) {
      assert.match(fixes.terraform!, /enable_dns_support\s+= true/);
      assert.match(fixes.terraform!, /enable_dns_hostnames\s+= true/);
      assert.match(fixes.cloudformation!, /EnableDnsSupport: true/);
      assert.match(fixes.cloudformation!, /EnableDnsHostnames: true/);
    }
    assert.equal(support.terraform, hostnames.terraform);
    assert.equal(support.cloudformation, hostnames.cloudformation);
  });

  it("the DHCP snippet says it is the drastic option and keeps the old set's other values", () => {
    const j = fixedOf('custom DNS servers that do not forward to AmazonProvidedDNS', 'DHCP_CUSTOM_DNS');
    const inventory = {
      ...j.scope.inventory!,
      dhcpOptions: {
        ok: true as const,
        value: {
          DhcpOptionsId: 'dopt-0custom',
          DhcpConfigurations: [
            { Key: 'domain-name-servers', Values: [{ Value: '10.0.3.53' }] },
            { Key: 'domain-name', Values: [{ Value: 'corp.example.com' }] },
            { Key: 'ntp-servers', Values: [{ Value: '10.0.3.123' }, { Value: '10.0.4.123' }] },
            { Key: 'netbios-name-servers', Values: [{ Value: '10.0.3.5' }] },
            { Key: 'netbios-node-type', Values: [{ Value: '2' }] },
          ],
        },
      },
    };
    const fixes = buildFixes(j.finding, { ...j.scope, inventory })!;
    for (const snippet of [fixes.cli!, fixes.terraform!, fixes.cloudformation!]) {
      assert.match(snippet, /drastic option/);
      assert.match(snippet, /prefer forwarding amazonaws\.com/);
    }
    assert.match(fixes.terraform!, /ntp_servers\s+= \["10\.0\.3\.123", "10\.0\.4\.123"\]/);
    assert.match(fixes.terraform!, /netbios_name_servers\s+= \["10\.0\.3\.5"\]/);
    assert.match(fixes.terraform!, /netbios_node_type\s+= "2"/);
    assert.match(fixes.terraform!, /domain_name\s+= "corp\.example\.com"/);
    assert.match(fixes.cloudformation!, /NtpServers:/);
    assert.match(fixes.cloudformation!, /NetbiosNodeType: 2/);
    assert.match(fixes.cli!, /Key=ntp-servers,Values=10\.0\.3\.123,10\.0\.4\.123/);
  });
});
