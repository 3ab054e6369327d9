// checkTcp as a table: one finding per target summarising every address probed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkTcp } from '../../checks/tcp.js';
import type { TcpObservation } from '../../src/model.js';
import { input, target } from '../fixtures/ec2/load.js';

function tcp(address: string, outcome: TcpObservation['outcome'], durationMs = 2): TcpObservation {
  return {
    address,
    port: 443,
    outcome,
    durationMs,
    ...(outcome === 'connected' ? { localPort: 40001 } : { errorCode: outcome.toUpperCase() }),
  };
}

function run(observations: TcpObservation[], endpointId = 'vpce-0sm') {
  return checkTcp(
    input(target('secretsmanager', endpointId), { observations: { dns: [], tcp: observations, tls: [] } }),
  );
}

describe('checkTcp', () => {
  const table: Array<{
    name: string;
    tcp: TcpObservation[];
    code: string;
    status: string;
    mentions: RegExp[];
  }> = [
    {
      name: 'passes when every ENI connects, with the timings',
      tcp: [tcp('10.0.11.23', 'connected', 1.04), tcp('10.0.12.23', 'connected', 3.2)],
      code: 'TCP_CONNECT_OK',
      status: 'pass',
      mentions: [/10\.0\.11\.23:443 \(1 ms\)/, /10\.0\.12\.23:443 \(3\.2 ms\)/],
    },
    {
      name: 'fails with TCP_TIMEOUT on a silent drop and names the endpoint security group in the fix',
      tcp: [tcp('10.0.11.23', 'timeout', 2000), tcp('10.0.12.23', 'timeout', 2000)],
      code: 'TCP_TIMEOUT',
      status: 'fail',
      mentions: [/10\.0\.11\.23:443 timeout after 2000 ms/],
    },
    {
      name: 'fails on a partial failure, naming the failing ENI and the one that connected',
      tcp: [tcp('10.0.11.23', 'connected'), tcp('10.0.12.23', 'timeout', 2000)],
      code: 'TCP_TIMEOUT',
      status: 'fail',
      mentions: [/10\.0\.12\.23:443 timeout/, /10\.0\.11\.23:443 connected/],
    },
    {
      name: 'fails with TCP_REFUSED when a reset answers',
      tcp: [tcp('10.0.11.23', 'refused')],
      code: 'TCP_REFUSED',
      status: 'fail',
      mentions: [/10\.0\.11\.23:443 refused/],
    },
    {
      name: 'fails with TCP_UNREACHABLE when there is no route',
      tcp: [tcp('10.0.11.23', 'unreachable')],
      code: 'TCP_UNREACHABLE',
      status: 'fail',
      mentions: [/unreachable/],
    },
    {
      name: 'names the silent drop first when addresses fail differently',
      tcp: [tcp('10.0.11.23', 'refused'), tcp('10.0.12.23', 'timeout')],
      code: 'TCP_TIMEOUT',
      status: 'fail',
      mentions: [/10\.0\.11\.23:443 refused/, /10\.0\.12\.23:443 timeout/],
    },
    {
      name: 'fails with TCP_ERROR for any other error',
      tcp: [tcp('10.0.11.23', 'error')],
      code: 'TCP_ERROR',
      status: 'fail',
      mentions: [/error/],
    },
  ];
  for (const row of table) {
    it(row.name, () => {
      const findings = run(row.tcp);
      assert.equal(findings.length, 1);
      const [finding] = findings;
      assert.equal(finding!.code, row.code);
      assert.equal(finding!.status, row.status);
      for (const pattern of row.mentions) assert.match(finding!.message, pattern);
      const evidence = finding!.evidence as {
        addresses: Array<{ address: string; outcome: string; durationMs: number }>;
      };
      assert.deepEqual(
        evidence.addresses.map((a) => [a.address, a.outcome]),
        row.tcp.map((o) => [o.address, o.outcome]),
      );
      if (row.status === 'pass') assert.equal(finding!.fix, undefined);
      else assert.ok(finding!.fix);
    });
  }

  it('puts the endpoint security group and the agent group in the timeout fix', () => {
    const [finding] = run([tcp('10.0.11.23', 'timeout')]);
    assert.match(
      finding!.fix ?? '',
      /authorize-security-group-ingress --group-id sg-0ep-ref --protocol tcp --port 443 --source-group sg-0app/,
    );
  });

  it('returns nothing when no TCP probe ran', () => {
    assert.deepEqual(run([]), []);
  });
});
