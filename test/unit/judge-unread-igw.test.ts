// The whole judgement of one target (every check, then the verdict) over recorded inventory JSON
// for the two situations of issue 11 cases 4 and 9, as the probes would see them: the root cause
// is named only when its data was read, and a timeout is never "look for a host firewall" while
// a path reading is undecided.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { RouteTable } from '@aws-sdk/client-ec2';
import type { AgentContext, Inventory, PrefixListInfo, TcpOutcome } from '../../src/model.js';
import { judgeTarget } from '../../src/runner.js';
import { context, gap, inventory, prefixLists, resolved, routeTables, target } from '../fixtures/ec2/load.js';

const publicTables = (
  JSON.parse(
    readFileSync(new URL('../fixtures/ec2/describe-route-tables-public.json', import.meta.url), 'utf8'),
  ) as { RouteTables: RouteTable[] }
).RouteTables;
const publicSubnet = [...routeTables.filter((t) => t.RouteTableId !== 'rtb-0app'), ...publicTables];
const s3Unread: PrefixListInfo[] = prefixLists.map((pl) =>
  pl.prefixListId === 'pl-63a5400a' ? { ...pl, cidrs: [], gap: gap('GetManagedPrefixListEntries') } : pl,
);
const lambda: Partial<AgentContext> = { publicIp: null, sources: { publicIp: 'lambda' } };

function observed(address: string, outcome: TcpOutcome) {
  const base = resolved([address]);
  return { ...base, tcp: [{ address, port: 443, outcome, durationMs: outcome === 'timeout' ? 3000 : 2 }] };
}

const cases: Array<{
  name: string;
  target: ReturnType<typeof target>;
  context?: Partial<AgentContext>;
  inventory: Partial<Inventory>;
  address: string;
  tcp: TcpOutcome;
  root: string | undefined;
  status: string;
}> = [
  {
    name: 'case 4: S3 list unread, the S3 probe times out: the timeout is its own cause, no route is blamed',
    target: target('s3', 'vpce-0s3gw'),
    inventory: { prefixLists: { ok: true, value: s3Unread } },
    address: '52.217.1.1',
    tcp: 'timeout',
    root: 'TCP_TIMEOUT',
    status: 'fail',
  },
  {
    name: 'case 4: S3 list unread, the S3 probe connects: no failure and no contradiction',
    target: target('s3', 'vpce-0s3gw'),
    inventory: { prefixLists: { ok: true, value: s3Unread } },
    address: '52.217.1.1',
    tcp: 'connected',
    root: undefined,
    status: 'pass',
  },
  {
    name: 'case 9: Lambda behind an IGW route, S3 gateway route missing: ROUTE_GATEWAY_MISSING',
    target: target('s3', 'vpce-0s3gw'),
    context: lambda,
    inventory: { routeTables: { ok: true, value: publicSubnet } },
    address: '52.217.1.1',
    tcp: 'timeout',
    root: 'ROUTE_GATEWAY_MISSING',
    status: 'fail',
  },
  {
    name: 'case 9: Lambda behind an IGW route, no endpoint for the service: a named cause, not PROBE_CONTRADICTS_CONFIG',
    target: target('sqs'),
    context: lambda,
    inventory: { routeTables: { ok: true, value: publicSubnet } },
    address: '54.239.28.85',
    tcp: 'timeout',
    root: 'ROUTE_IGW_NO_PUBLIC_IP',
    status: 'fail',
  },
  {
    name: 'case 9: an IGW route and a public IP nobody read: the timeout stays its own cause',
    target: target('sqs'),
    inventory: { routeTables: { ok: true, value: publicSubnet } },
    address: '54.239.28.85',
    tcp: 'timeout',
    root: 'TCP_TIMEOUT',
    status: 'fail',
  },
];

for (const c of cases) {
  test(c.name, () => {
    const report = judgeTarget(
      c.target,
      context(c.context),
      inventory(c.inventory),
      observed(c.address, c.tcp),
    );
    const codes = report.findings.map((f) => `${f.code}:${f.status}`);
    assert.equal(report.rootCause?.code, c.root, codes.join(' '));
    assert.equal(report.status, c.status, codes.join(' '));
    assert.ok(!codes.some((code) => code.startsWith('PROBE_CONTRADICTS_CONFIG')), codes.join(' '));
    assert.ok(
      !report.findings.some((f) => /delete-route/.test(f.fix ?? '')),
      'no fix deletes a route on the strength of an unread list',
    );
  });
}
