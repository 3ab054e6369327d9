// A recreated endpoint is the endpoint EC2 described: its policy (without it the new endpoint
// allows everything), its DNS options and IP address type; and a rejected connection is first
// the service owner's to accept.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse as parseHcl } from '@cdktf/hcl2json';
import { parse as parseYaml } from 'yaml';
import { buildFixes } from '../../src/fixes/index.js';
import type { FixSet } from '../../src/model.js';
import { endpoints } from '../fixtures/ec2/load.js';
import { fixedScenarios } from './fixes-scenarios.js';

const RESTRICTIVE = {
  Version: '2012-10-17',
  Statement: [
    { Sid: 'OnlyGetParameter', Effect: 'Allow', Principal: '*', Action: 'ssm:GetParameter', Resource: '*' },
  ],
};

function rejectedFixes(change: Record<string, unknown> = {}): FixSet {
  const j = fixedScenarios().find(
    (x) =>
      x.scenario === 'endpoint rejected by the service owner' && x.fixed.code === 'ENDPOINT_NOT_AVAILABLE',
  );
  assert.ok(j, 'the scenario emits ENDPOINT_NOT_AVAILABLE');
  const value = endpoints.map((e) => (e.VpcEndpointId === 'vpce-0ssm' ? { ...e, ...change } : e));
  const fixes = buildFixes(j.finding, {
    ...j.scope,
    inventory: { ...j.scope.inventory!, endpoints: { ok: true, value } },
  });
  assert.ok(fixes?.cli && fixes.terraform && fixes.cloudformation);
  return fixes;
}

describe('a recreated endpoint keeps what EC2 described', () => {
  const fixes = rejectedFixes({
    PolicyDocument: JSON.stringify(RESTRICTIVE),
    IpAddressType: 'dualstack',
    DnsOptions: { DnsRecordIpType: 'dualstack', PrivateDnsOnlyForInboundResolverEndpoint: true },
  });

  it('the CLI passes the policy, the DNS options and the IP address type', () => {
    const create = fixes.cli!.split('\n').find((l) => l.startsWith('aws ec2 create-vpc-endpoint'))!;
    const policy = /--policy-document '([^']+)'/.exec(create)?.[1];
    assert.ok(policy, create);
    assert.deepEqual(JSON.parse(policy), RESTRICTIVE);
    assert.match(create, /--ip-address-type dualstack/);
    assert.match(
      create,
      /--dns-options DnsRecordIpType=dualstack,PrivateDnsOnlyForInboundResolverEndpoint=true/,
    );
  });

  it('Terraform and CloudFormation carry them too', async () => {
    const tf = (await parseHcl('fix.tf', fixes.terraform!)) as {
      resource: Record<string, Record<string, Array<Record<string, unknown>>>>;
    };
    const endpoint = Object.values(tf.resource['aws_vpc_endpoint']!)[0]![0]!;
    assert.equal(endpoint['ip_address_type'], 'dualstack');
    assert.deepEqual(endpoint['dns_options'], [
      { dns_record_ip_type: 'dualstack', private_dns_only_for_inbound_resolver_endpoint: true },
    ]);
    assert.match(String(endpoint['policy']), /OnlyGetParameter/);
    const cfn = parseYaml(fixes.cloudformation!) as Record<string, { Properties: Record<string, unknown> }>;
    const props = Object.values(cfn)[0]!.Properties;
    assert.equal(props['IpAddressType'], 'dualstack');
    assert.deepEqual(props['DnsOptions'], {
      DnsRecordIpType: 'dualstack',
      PrivateDnsOnlyForInboundResolverEndpoint: 'OnlyInboundResolver',
    });
    assert.deepEqual(props['PolicyDocument'], RESTRICTIVE);
  });

  it('a rejected connection: ask the service owner first, in every kind', () => {
    for (const snippet of [fixes.cli!, fixes.terraform!, fixes.cloudformation!]) {
      assert.match(snippet.split('\n')[0]!, /^# first ask the owner of \S+ to accept vpce-0ssm/);
    }
  });

  it('an endpoint described without DNS options gets none invented', () => {
    const plain = rejectedFixes({ IpAddressType: undefined, DnsOptions: undefined });
    assert.doesNotMatch(plain.cli!, /--dns-options|--ip-address-type/);
    assert.doesNotMatch(plain.terraform!, /dns_options|ip_address_type/);
  });
});
