// The fixes of one finding applied together must not clash: one ACL rule that denies several
// legs (endpoint ENIs in two subnets) once gave each leg the same free rule number, so the CLI
// created rule 89 twice, Terraform declared one address twice and CloudFormation kept only one.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NetworkAcl, NetworkAclEntry } from '@aws-sdk/client-ec2';
import { checkNacl } from '../../checks/nacl.js';
import { buildFixes } from '../../src/fixes/index.js';
import type { Finding, FixSet } from '../../src/model.js';
import { input, networkAcls, target } from '../fixtures/ec2/load.js';
import { fixedScenarios } from './fixes-scenarios.js';

const duplicates = (values: string[]): string[] => values.filter((v, i) => values.indexOf(v) !== i);

function terraformAddresses(snippet = ''): string[] {
  return [...snippet.matchAll(/^resource "([^"]+)" "([^"]+)"/gm)].map((m) => `${m[1]}.${m[2]}`);
}

function logicalIds(snippet = ''): string[] {
  return [...snippet.matchAll(/^([A-Za-z0-9]+):$/gm)].map((m) => m[1]!);
}

/** (ACL, direction, rule number) of every ACL entry the CLI creates or replaces. */
function aclSlots(cli = ''): string[] {
  return [
    ...cli.matchAll(/network-acl-entry --network-acl-id (\S+) --(ingress|egress) --rule-number (\d+)/g),
  ].map((m) => `${m[1]} ${m[2]} ${m[3]}`);
}

function assertNoClash(label: string, fixes: FixSet): void {
  assert.deepEqual(duplicates(terraformAddresses(fixes.terraform)), [], `${label}: Terraform addresses`);
  assert.deepEqual(duplicates(logicalIds(fixes.cloudformation)), [], `${label}: CloudFormation logical ids`);
  assert.deepEqual(duplicates(aclSlots(fixes.cli)), [], `${label}: ACL rule numbers`);
}

const SCENARIO = "the agent subnet's ACL drops the return traffic";

describe('the fixes of one finding do not clash', () => {
  it(`${SCENARIO}: one entry per endpoint subnet, each with its own number before rule 90`, () => {
    const acl = fixedScenarios().find(
      (j) => j.scenario === SCENARIO && j.fixed.code === 'NACL_AGENT_SUBNET_DENIED',
    );
    assert.ok(acl?.fixed.fixes, 'the scenario gives the ACL finding fixes');
    const fixes = acl.fixed.fixes;
    assertNoClash(SCENARIO, fixes);
    assert.deepEqual(aclSlots(fixes.cli).sort(), ['acl-0strict ingress 88', 'acl-0strict ingress 89']);
    assert.equal(terraformAddresses(fixes.terraform).length, 2);
    assert.equal(logicalIds(fixes.cloudformation).length, 2, 'CloudFormation keeps both entries');
    assert.match(acl.fixed.fix ?? '', /--rule-number 89 .*--rule-number 88 /);
  });

  it('every finding of every scenario', () => {
    for (const j of fixedScenarios().filter((x) => x.fixed.fixes)) {
      assertNoClash(`${j.scenario}: ${j.fixed.code}`, j.fixed.fixes!);
    }
  });

  it('when no number is free before the deny, one entry rewrites it and the other says so', () => {
    // acl-0strict with every number below its deny rule 90 taken by rules for another network.
    const filler: NetworkAclEntry[] = Array.from({ length: 89 }, (_, i) => ({
      CidrBlock: '192.0.2.0/24',
      Egress: false,
      Protocol: '6',
      RuleAction: 'allow',
      RuleNumber: i + 1,
      PortRange: { From: 22, To: 22 },
    }));
    const acls: NetworkAcl[] = networkAcls.map((a) =>
      a.NetworkAclId === 'acl-0strict' ? { ...a, Entries: [...(a.Entries ?? []), ...filler] } : a,
    );
    const i = input(target('secretsmanager', 'vpce-0sm'), {
      context: { subnetId: 'subnet-0main', privateIp: '10.0.2.10' },
      inventory: { networkAcls: { ok: true, value: acls } },
    });
    const finding = checkNacl(i).find((f: Finding) => f.code === 'NACL_AGENT_SUBNET_DENIED');
    assert.ok(finding);
    const fixes = buildFixes(finding, { context: i.context, target: i.target, inventory: i.inventory });
    assert.ok(fixes);
    assertNoClash('no free number', fixes);
    assert.deepEqual(aclSlots(fixes.cli), ['acl-0strict ingress 90']);
    assert.match(fixes.cli ?? '', /replace-network-acl-entry/);
    assert.match(
      finding.fix ?? '',
      /no free ingress rule number before rule 90 in acl-0strict .*10\.0\.12\.0\/24/,
    );
  });

  it('a Terraform resource that manages part of another says it conflicts with the inline form', () => {
    const partial = [
      'aws_vpc_endpoint_subnet_association',
      'aws_vpc_endpoint_route_table_association',
      'aws_vpc_endpoint_policy',
      'aws_network_acl_rule',
    ];
    const seen = new Set<string>();
    for (const j of fixedScenarios().filter((x) => x.fixed.fixes?.terraform)) {
      for (const block of j.fixed.fixes!.terraform!.split('\n\n')) {
        const type = /^resource "([^"]+)"/m.exec(block)?.[1];
        if (!type || !partial.includes(type)) continue;
        seen.add(type);
        assert.match(block, /^# .*inline.*conflict/m, `${j.scenario}: ${type} warns about the inline form`);
      }
    }
    assert.deepEqual([...seen].sort(), [...partial].sort(), 'every such resource appears in some scenario');
  });
});
