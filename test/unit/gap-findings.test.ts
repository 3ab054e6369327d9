// Gaps and the findings they give, each cause once: one unreachable EC2 API is one finding, not
// one per call; the report's `inventory.gaps` lists each action and error once with what it cost.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  findingForGap,
  findingsForGaps,
  inventoryGaps,
  mergeFindings,
  reportGaps,
} from '../../src/aws/gap-findings.js';
import type { Finding, Gap, Inventory } from '../../src/model.js';
import { buildReport, partialContext } from '../../src/report.js';
import { gap, inventory } from '../fixtures/ec2/load.js';
import { econnrefusedEverywhere, refused, unresolved } from './app-fixtures.js';

const failed = (g: Gap) => ({ ok: false as const, gap: g });
const apiError = (call: string, errorCode: string): Gap => ({
  call,
  action: `ec2:${call}`,
  kind: 'error',
  errorCode,
  message: `${errorCode} from ${call}`,
});
const codes = (findings: Finding[]) => findings.map((f) => f.code);

describe('findingsForGaps: one finding per cause', () => {
  const cases: Array<{
    name: string;
    parts: Partial<Inventory>;
    findings: number;
    code: string;
    match: RegExp;
  }> = [
    {
      name: 'every call refused by a closed endpoint',
      parts: {
        vpc: failed(refused('DescribeVpcs')),
        subnets: failed(refused('DescribeSubnets')),
        routeTables: failed(refused('DescribeRouteTables')),
        endpoints: failed(refused('DescribeVpcEndpoints')),
        securityGroups: failed(refused('DescribeSecurityGroups')),
      },
      findings: 1,
      code: 'AWS_API_ERROR',
      match:
        /^5 calls \(DescribeVpcs, DescribeSubnets, DescribeRouteTables, DescribeVpcEndpoints, DescribeSecurityGroups\) failed \(error ECONNREFUSED/,
    },
    {
      name: 'two actions the role lacks: one policy to fix',
      parts: {
        routeTables: failed(gap('DescribeRouteTables')),
        networkAcls: failed(gap('DescribeNetworkAcls')),
      },
      findings: 1,
      code: 'AWS_PERMISSION_DENIED',
      match: /the agent's role lacks ec2:DescribeRouteTables, ec2:DescribeNetworkAcls/,
    },
    {
      name: 'throttling on two calls: one rate',
      parts: {
        routeTables: failed(gap('DescribeRouteTables', 'throttled')),
        securityGroups: failed(gap('DescribeSecurityGroups', 'throttled')),
      },
      findings: 1,
      code: 'AWS_THROTTLED',
      match: /^2 calls \(DescribeRouteTables, DescribeSecurityGroups\) throttled/,
    },
    {
      name: 'an API error particular to each call stays with its call',
      parts: {
        routeTables: failed(apiError('DescribeRouteTables', 'InvalidParameterValue')),
        securityGroups: failed(apiError('DescribeSecurityGroups', 'InvalidParameterValue')),
      },
      findings: 2,
      code: 'AWS_API_ERROR',
      match: /^DescribeRouteTables failed \(error InvalidParameterValue/,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const findings = findingsForGaps(inventory(c.parts));
      assert.equal(findings.length, c.findings, findings.map((f) => f.message).join('\n'));
      assert.equal(findings[0]!.code, c.code);
      assert.equal(findings[0]!.status, 'unknown');
      assert.match(findings[0]!.message, c.match);
    });
  }

  it('names the permission fix for every denied action', () => {
    const [finding] = findingsForGaps(
      inventory({
        routeTables: failed(gap('DescribeRouteTables')),
        flowLogs: failed(gap('DescribeFlowLogs')),
      }),
    );
    assert.match(finding!.fix ?? '', /^Allow ec2:DescribeRouteTables, ec2:DescribeFlowLogs on "\*"/);
    assert.deepEqual(finding!.evidence['actions'], ['ec2:DescribeRouteTables', 'ec2:DescribeFlowLogs']);
    assert.deepEqual(finding!.evidence['parts'], ['routeTables', 'flowLogs']);
  });

  it('counts a prefix list whose entries could not be read, though its part loaded', () => {
    const unread = {
      prefixListId: 'pl-0cust',
      name: 'customer',
      cidrs: [],
      gap: gap('GetManagedPrefixListEntries'),
    };
    const snapshot = inventory({ prefixLists: { ok: true, value: [unread] } });
    assert.deepEqual(codes(findingsForGaps(snapshot)), ['AWS_PERMISSION_DENIED']);
    assert.deepEqual(
      inventoryGaps(snapshot).map((g) => [g.action, g.parts]),
      [['ec2:GetManagedPrefixListEntries', ['prefixLists']]],
    );
  });
});

describe("the report's gaps and findings", () => {
  it('lists each action and error once, with every part it cost, the call that was made first', () => {
    const findings = econnrefusedEverywhere();
    const gaps = reportGaps(undefined, findings);
    assert.deepEqual(
      gaps.map((g) => g.action),
      ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'],
      'without a snapshot, the calls discovery could not make',
    );
    const snapshot = inventory({
      vpc: failed(refused('DescribeVpcs')),
      dhcpOptions: failed({
        ...refused('DescribeVpcs'),
        message: 'DescribeDhcpOptions not made: DescribeVpcs failed',
      }),
      dnsSupport: failed(refused('DescribeVpcAttribute')),
      dnsHostnames: failed(refused('DescribeVpcAttribute')),
      subnets: failed(refused('DescribeSubnets')),
    });
    const all = reportGaps(snapshot, findings);
    assert.deepEqual(
      all.map((g) => [g.action, g.parts]),
      [
        ['ec2:DescribeNetworkInterfaces', ['context']],
        ['ec2:DescribeSubnets', ['context', 'subnets']],
        ['ec2:DescribeVpcs', ['vpc', 'dhcpOptions']],
        ['ec2:DescribeVpcAttribute', ['dnsSupport', 'dnsHostnames']],
      ],
    );
    assert.equal(all[2]!.message, 'connect ECONNREFUSED 127.0.0.1:9');
  });

  it('merges discovery and inventory findings that share a cause into one naming every call', () => {
    const merged = mergeFindings(econnrefusedEverywhere());
    assert.deepEqual(codes(merged), ['AWS_API_ERROR']);
    const [finding] = merged;
    assert.match(finding!.message, /^10 calls \(DescribeNetworkInterfaces, DescribeSubnets, DescribeVpcs, /);
    assert.match(finding!.message, /for context discovery and vpc-0a1b in us-east-1/);
    assert.deepEqual(finding!.evidence['where'], ['context discovery', 'vpc-0a1b in us-east-1']);
  });

  it('keeps an informational gap apart from an undecided one, and drops word-for-word repeats', () => {
    const info = {
      ...findingForGap(refused('DescribeFlowLogs'), ['flowLogs'], ['flowlog']),
      status: 'info' as const,
    };
    const undecided = findingForGap(refused('DescribeVpcs'), ['vpc'], ['endpoint']);
    const merged = mergeFindings([undecided, info, unresolved, unresolved, undecided]);
    assert.deepEqual(
      merged.map((f) => [f.code, f.status]),
      [
        ['AWS_API_ERROR', 'unknown'],
        ['AWS_API_ERROR', 'info'],
        ['CONTEXT_UNRESOLVED', 'unknown'],
      ],
    );
    assert.equal(merged[0]!.message, undecided.message, 'a repeat of the same call is not "2 calls"');
  });

  it('buildReport lists the blind run once in findings and in gaps', () => {
    const report = buildReport({
      version: '1',
      startedAt: 0,
      finishedAt: 1,
      phases: {},
      findings: econnrefusedEverywhere(),
      targets: [],
    });
    assert.equal(report.findings.filter((f) => f.code === 'AWS_API_ERROR').length, 1);
    const actions = report.inventory.gaps.map((g) => g.action);
    assert.deepEqual(actions, [...new Set(actions)]);
  });
});

describe('partialContext: what discovery found before it stopped', () => {
  it('carries the facts of CONTEXT_UNRESOLVED and their sources', () => {
    const found: Finding = {
      ...unresolved,
      evidence: {
        ...unresolved.evidence,
        found: {
          region: 'eu-west-1',
          vpcId: 'vpc-0a1b',
          availabilityZone: 'eu-west-1b',
          securityGroupIds: ['sg-1'],
        },
        sources: { region: 'imds', vpcId: 'env', availabilityZone: 'ecs-metadata', securityGroupIds: 'imds' },
      },
    };
    const context = partialContext([found]);
    assert.deepEqual(
      [context.region, context.vpcId, context.subnetId, context.availabilityZone, context.securityGroupIds],
      ['eu-west-1', 'vpc-0a1b', '', 'eu-west-1b', ['sg-1']],
    );
    assert.equal(context.sources['region'], 'imds');
  });

  it('shows an AZ known only by its id, as a resolved context does', () => {
    const found: Finding = {
      ...unresolved,
      evidence: { ...unresolved.evidence, found: { region: 'us-east-1', availabilityZoneId: 'use1-az4' } },
    };
    const context = partialContext([found]);
    assert.deepEqual([context.availabilityZone, context.availabilityZoneId], ['use1-az4', 'use1-az4']);
  });

  it('is empty without a CONTEXT_UNRESOLVED finding', () => {
    assert.equal(partialContext([]).region, '');
  });
});
