// What happens to a profile's service without an endpoint, when the path itself rests on data
// the agent could not read (an unread prefix list) or on a public IP it knows it lacks (Lambda
// behind an internet-gateway route): issue 11 cases 4 and 9.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { RouteTable } from '@aws-sdk/client-ec2';
import { checkProfiles } from '../../checks/profiles.js';
import type { AgentContext, PrefixListInfo } from '../../src/model.js';
import { gap, input, prefixLists, resolved, routeTables, target } from '../fixtures/ec2/load.js';

const publicTables = (
  JSON.parse(
    readFileSync(new URL('../fixtures/ec2/describe-route-tables-public.json', import.meta.url), 'utf8'),
  ) as { RouteTables: RouteTable[] }
).RouteTables;
const publicSubnet = [...routeTables.filter((t) => t.RouteTableId !== 'rtb-0app'), ...publicTables];
const s3Unread: PrefixListInfo[] = prefixLists.map((pl) =>
  pl.prefixListId === 'pl-63a5400a' ? { ...pl, cidrs: [], gap: gap('GetManagedPrefixListEntries') } : pl,
);

const cases: Array<{
  name: string;
  context?: Partial<AgentContext>;
  tables?: RouteTable[];
  lists?: PrefixListInfo[];
  status: string;
  says: RegExp;
}> = [
  {
    name: 'NAT path readable: a warning about NAT cost (the baseline)',
    status: 'warn',
    says: /nat-0egress at \$0\.045\/GB/,
  },
  {
    name: 'a routed prefix list unread: the path is unknown, not "works through NAT"',
    lists: s3Unread,
    status: 'unknown',
    says: /pl-63a5400a, whose entries could not be read/,
  },
  {
    name: 'Lambda behind an internet-gateway route: no path, so it fails',
    context: { publicIp: null, sources: { publicIp: 'lambda' } },
    tables: publicSubnet,
    status: 'fail',
    says: /internet gateway and 10\.0\.1\.10 has no public IP/,
  },
  {
    name: 'an internet-gateway route and a public IP of unknown presence: depends on the far side',
    tables: publicSubnet,
    status: 'warn',
    says: /depends on igw-0pub/,
  },
];

for (const c of cases) {
  test(c.name, () => {
    const [finding, ...rest] = checkProfiles(
      input(target('ecr.dkr', undefined, { profiles: ['ecs-fargate'] }), {
        ...(c.context ? { context: c.context } : {}),
        inventory: {
          ...(c.tables ? { routeTables: { ok: true, value: c.tables } } : {}),
          ...(c.lists ? { prefixLists: { ok: true, value: c.lists } } : {}),
        },
        observations: resolved(['54.239.28.85']),
      }),
    );
    assert.equal(rest.length, 0);
    assert.equal(finding?.code, 'ENDPOINT_MISSING');
    assert.equal(finding?.status, c.status);
    assert.match(finding?.message ?? '', c.says);
  });
}
