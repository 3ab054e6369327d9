// How bench/ scores what the incident shell and blackbox_exporter found, and how it reads the
// resolver's log: the RESULTS.md comparison is only as honest as these rules.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { blackboxConfig, type ProbeResult } from '../../bench/blackbox.js';
import { judgeBlackbox, judgeShell, parseShellOutput, type ScenarioFacts } from '../../bench/evidence.js';
import { resolverLoad } from '../../bench/scale.js';

const STS = 'sts.us-east-1.amazonaws.com';
const facts = (expected: ScenarioFacts['expected']): ScenarioFacts => ({
  targets: [
    {
      shortName: 'sts',
      service: 'com.amazonaws.us-east-1.sts',
      hostname: STS,
      interface: true,
      eniIps: ['10.0.11.5'],
    },
    {
      shortName: 'logs',
      service: 'com.amazonaws.us-east-1.logs',
      hostname: 'logs.us-east-1.amazonaws.com',
      interface: true,
      eniIps: ['10.0.11.6'],
    },
  ],
  expected,
  subnetId: 'subnet-a',
  agentEniId: 'eni-agent',
  vpcResolvers: ['10.0.0.2', '169.254.169.253'],
});

const frame = (what: string, output: string, rc = 0) =>
  `### STEP ${what}\n${output}\n### END rc=${rc} ms=7\n`;
const dig = (host: string, answers: string[], status = 'NOERROR', server = '10.0.0.2') =>
  frame(
    `dig ${host}`,
    [
      `;; ->>HEADER<<- opcode: QUERY, status: ${status}, id: 1`,
      ';; ANSWER SECTION:',
      ...answers.map((a) => `${host}. 0\tIN\tA\t${a}`),
      `;; SERVER: ${server}#53(${server}) (UDP)`,
    ].join('\n'),
  );
const endpoints = (sts: Record<string, unknown>) =>
  frame(
    'describe-vpc-endpoints',
    JSON.stringify({
      VpcEndpoints: [
        {
          VpcEndpointId: 'vpce-sts',
          ServiceName: 'com.amazonaws.us-east-1.sts',
          State: 'available',
          PrivateDnsEnabled: true,
          ...sts,
        },
        {
          VpcEndpointId: 'vpce-logs',
          ServiceName: 'com.amazonaws.us-east-1.logs',
          State: 'available',
          PrivateDnsEnabled: true,
        },
      ],
    }),
  );

describe('the incident shell, scored', () => {
  test('its output splits into one step per command, with exit code and output intact', () => {
    const steps = parseShellOutput(`${dig(STS, ['10.0.11.5'])}${frame('nc 10.0.11.5 443', '', 1)}`);
    assert.deepEqual(
      steps.map((s) => [s.what, s.rc, s.ms]),
      [
        [`dig ${STS}`, 0, 7],
        ['nc 10.0.11.5 443', 1, 7],
      ],
    );
    assert.match(steps[0]!.output, /IN\tA\t10\.0\.11\.5/);
  });

  test('private DNS off: it flags the public answer and holds the endpoint flag, but names nothing', () => {
    const out =
      dig(STS, ['52.94.200.12']) +
      dig('logs.us-east-1.amazonaws.com', ['10.0.11.6']) +
      endpoints({ PrivateDnsEnabled: false }) +
      frame(
        'nc 52.94.200.12 443',
        'nc: connect to 52.94.200.12 port 443 (tcp) failed: Network is unreachable',
        1,
      ) +
      frame('nc 10.0.11.6 443', '');
    const j = judgeShell(parseShellOutput(out), facts({ sts: 'ENDPOINT_PRIVATE_DNS_DISABLED' }));
    assert.deepEqual([j.flagsFailures, j.falseAlarm, j.evidence, j.names], [true, false, true, false]);
    assert.match(j.notes[0]!, /public answer 52\.94\.200\.12/);
  });

  test('the same output does not hold the facts once the endpoint says private DNS is on', () => {
    const out = dig(STS, ['52.94.200.12']) + endpoints({});
    assert.equal(
      judgeShell(parseShellOutput(out), facts({ sts: 'ENDPOINT_PRIVATE_DNS_DISABLED' })).evidence,
      false,
    );
  });

  test("dig's own SERVFAIL names the resolver's failure", () => {
    const j = judgeShell(parseShellOutput(dig(STS, [], 'SERVFAIL')), facts({ sts: 'DNS_SERVFAIL' }));
    assert.equal(j.names, true);
  });

  test("the workload's egress rule is out of reach: the shell never looks up the workload's own ENI", () => {
    const out = `${frame('nc 10.0.11.5 443', 'timed out', 1)}${frame('describe-security-groups', '{"SecurityGroups":[]}')}`;
    assert.equal(judgeShell(parseShellOutput(out), facts({ sts: 'SG_AGENT_EGRESS_DENIED' })).evidence, false);
    const withEni = `${out}${frame('describe-network-interfaces', '{"NetworkInterfaces":[{"NetworkInterfaceId":"eni-agent"}]}')}`;
    assert.equal(
      judgeShell(parseShellOutput(withEni), facts({ sts: 'SG_AGENT_EGRESS_DENIED' })).evidence,
      true,
    );
  });

  test('healthy: quiet output counts as right, a failed connection as a false alarm', () => {
    const quiet =
      dig(STS, ['10.0.11.5']) +
      dig('logs.us-east-1.amazonaws.com', ['10.0.11.6']) +
      frame('nc 10.0.11.5 443', '');
    assert.deepEqual(
      [
        judgeShell(parseShellOutput(quiet), facts({})).names,
        judgeShell(parseShellOutput(quiet), facts({})).falseAlarm,
      ],
      [true, false],
    );
    const noisy = judgeShell(parseShellOutput(`${quiet}${frame('nc 10.0.11.6 443', '', 1)}`), facts({}));
    assert.deepEqual([noisy.names, noisy.falseAlarm], [false, true]);
  });
});

describe('blackbox_exporter, scored', () => {
  const result = (kind: 'dns' | 'tls', success: boolean, debug: string): ProbeResult => ({
    shortName: 'sts',
    kind,
    module: `${kind}_0`,
    target: kind === 'dns' ? '10.0.0.2' : '10.0.11.5:443',
    success,
    ms: 3,
    debug: `${debug}\nprobe_success ${success ? 1 : 0}`,
  });

  test("Go's certificate error names a wrong-name certificate", () => {
    const debug =
      'level=error msg="Error dialing TCP" err="x509: certificate is valid for wrong.example.internal, not sts"';
    const j = judgeBlackbox(
      [result('dns', true, ''), result('tls', false, debug)],
      facts({ sts: 'TLS_NAME_MISMATCH' }),
    );
    assert.deepEqual([j.flagsFailures, j.names], [true, true]);
  });

  test('a timed-out connection flags the service but says nothing of the security group', () => {
    const debug = 'level=error msg="Error dialing TCP" err="dial tcp 10.0.11.5:443: i/o timeout"';
    const j = judgeBlackbox([result('tls', false, debug)], facts({ sts: 'SG_ENDPOINT_INGRESS_DENIED' }));
    assert.deepEqual([j.flagsFailures, j.evidence, j.names], [true, false, false]);
  });

  test('its configuration has a dns module per service and a tls probe per ENI, or per name without ENIs', () => {
    const { yaml, probes } = blackboxConfig({
      targets: [
        { shortName: 'sts', hostname: STS, private: true, eniIps: ['10.0.11.5', '10.0.12.5'] },
        { shortName: 's3', hostname: 's3.us-east-1.amazonaws.com', private: false, eniIps: [] },
      ],
      resolver: '10.0.0.2',
      caPath: '/ca.pem',
    });
    const modules = (parse(yaml) as { modules: Record<string, Record<string, Record<string, unknown>>> })
      .modules;
    assert.equal(modules['dns_0']?.['dns']?.['query_name'], STS);
    assert.ok(modules['dns_0']?.['dns']?.['validate_answer_rrs'], 'endpoint answers must be private');
    assert.equal(
      modules['dns_1']?.['dns']?.['validate_answer_rrs'],
      undefined,
      'gateway services answer public',
    );
    assert.deepEqual(
      (modules['tls_0']?.['tcp']?.['tls_config'] as Record<string, string> | undefined)?.['server_name'],
      STS,
    );
    assert.deepEqual(
      probes.map((p) => `${p.module} ${p.target}`),
      [
        'dns_0 10.0.0.2',
        'tls_0 10.0.11.5:443',
        'tls_0 10.0.12.5:443',
        'dns_1 10.0.0.2',
        'tls_1 s3.us-east-1.amazonaws.com:443',
      ],
    );
  });
});

describe("the resolver's log", () => {
  test("counts the agent's queries per logged second, not other clients' or other lines", () => {
    const log = [
      'Nov 25 15:01:02 dnsmasq[9]: query[A] sts.us-east-1.amazonaws.com from 10.0.1.10',
      'Nov 25 15:01:02 dnsmasq[9]: config sts.us-east-1.amazonaws.com is 10.0.11.5',
      'Nov 25 15:01:02 dnsmasq[9]: query[A] logs.us-east-1.amazonaws.com from 10.0.1.10',
      'Nov 25 15:01:02 dnsmasq[9]: query[A] logs.us-east-1.amazonaws.com from 10.0.2.10',
      'Nov 25 15:01:03 dnsmasq[9]: query[AAAA] ssm.us-east-1.amazonaws.com from 10.0.1.10',
      'Nov 25 15:01:03 dnsmasq[9]: query[A] ssm.us-east-1.amazonaws.com from 10.0.1.100',
    ].join('\n');
    assert.deepEqual(resolverLoad(log), { queries: 3, peakPerSecond: 2 });
  });
});
