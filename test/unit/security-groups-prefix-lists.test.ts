// Security groups whose rules reference a prefix list the snapshot could not read (issue 11
// case 4): such a rule is neither a match nor a miss, so the flow is unknown unless another rule
// already allows it — never SG_AGENT_EGRESS_DENIED on a list we did not see.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkSecurityGroups } from '../../checks/security-groups.js';
import { evaluateEgress } from '../../src/eval/security-groups.js';
import type { PrefixListInfo } from '../../src/model.js';
import { byId, gap, input, prefixLists, resolved, securityGroups, target } from '../fixtures/ec2/load.js';

/** The recorded lists with the S3 list kept but its entries unread (GetManagedPrefixListEntries denied). */
const s3Unread: PrefixListInfo[] = prefixLists.map((pl) =>
  pl.prefixListId === 'pl-63a5400a' ? { ...pl, cidrs: [], gap: gap('GetManagedPrefixListEntries') } : pl,
);

describe('evaluateEgress through a prefix list with a gap', () => {
  const strict = byId(securityGroups, 'GroupId', 'sg-0app-strict');
  const open = byId(securityGroups, 'GroupId', 'sg-0app');
  const query = { protocol: 'tcp' as const, port: 443, destIp: '52.216.4.1', destGroupIds: [] };
  const cases: Array<{
    name: string;
    groups: typeof securityGroups;
    lists: PrefixListInfo[];
    allowed: boolean;
    unresolved: string[];
  }> = [
    {
      name: 'the only rule that could allow goes through the unread list: undecided',
      groups: [strict],
      lists: s3Unread,
      allowed: false,
      unresolved: ['pl-63a5400a'],
    },
    {
      name: 'another rule (0.0.0.0/0) already allows: allowed, whatever the list holds',
      groups: [strict, open],
      lists: s3Unread,
      allowed: true,
      unresolved: [],
    },
    {
      name: 'the same rule with the list read allows (the test can fail)',
      groups: [strict],
      lists: prefixLists,
      allowed: true,
      unresolved: [],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const decision = evaluateEgress(c.groups, query, c.lists);
      assert.equal(decision.allowed, c.allowed);
      assert.deepEqual(decision.unresolvedPrefixLists ?? [], c.unresolved);
    });
  }
});

describe('checkSecurityGroups with one prefix list unread and the others loaded', () => {
  const cases: Array<{
    name: string;
    groups: string[];
    addresses: string[];
    codes: Array<[string, string]>;
  }> = [
    {
      name: 'an egress rule through the unread S3 list: SG_UNKNOWN naming the list and the action',
      groups: ['sg-0app-strict'],
      addresses: ['52.216.4.1'],
      codes: [['SG_UNKNOWN', 'unknown']],
    },
    {
      name: 'no resolved address to sample and the gateway list unread: SG_UNKNOWN naming the action',
      groups: ['sg-0app-strict'],
      addresses: [],
      codes: [['SG_UNKNOWN', 'unknown']],
    },
    {
      name: 'a group allowing all egress decides without the list: SG_OK',
      groups: ['sg-0app-strict', 'sg-0app'],
      addresses: ['52.216.4.1'],
      codes: [['SG_OK', 'pass']],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const findings = checkSecurityGroups(
        input(target('s3', 'vpce-0s3gw'), {
          context: { securityGroupIds: c.groups },
          inventory: { prefixLists: { ok: true, value: s3Unread } },
          observations: resolved(c.addresses),
        }),
      );
      assert.deepEqual(
        findings.map((f) => [f.code, f.status]),
        c.codes,
      );
      for (const f of findings.filter((x) => x.status === 'unknown')) {
        assert.match(`${f.message} ${f.fix}`, /pl-63a5400a|the prefix list/);
        assert.match(`${f.message} ${f.fix}`, /ec2:GetManagedPrefixListEntries/);
      }
    });
  }
});
