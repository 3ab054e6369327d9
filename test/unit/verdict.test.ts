import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { Finding, Target, TargetObservations } from '../../src/model.js';
import { CAUSE_EXPLAINS, decideTarget, overallStatus } from '../../src/verdict.js';

const target: Target = {
  service: 'com.amazonaws.us-east-1.secretsmanager',
  shortName: 'secretsmanager',
  hostname: 'secretsmanager.us-east-1.amazonaws.com',
  endpointId: 'vpce-0123',
  endpointType: 'Interface',
  ports: [443],
  tls: true,
  required: false,
  origin: ['discovered'],
  profiles: [],
};

const observed: TargetObservations = {
  dns: [
    {
      resolver: { address: '10.0.0.2', source: 'vpc-base-2' },
      hostname: target.hostname,
      outcome: 'answer',
      addresses: ['10.0.11.20'],
      transport: 'udp',
      durationMs: 1,
    },
  ],
  tcp: [{ address: '10.0.11.20', port: 443, outcome: 'connected', durationMs: 1 }],
  tls: [],
};

const f = (check: Finding['check'], code: string, status: Finding['status']): Finding => ({
  check,
  code,
  status,
  message: `${code} message`,
  ...(status === 'pass' ? {} : { fix: `${code} fix` }),
  evidence: {},
});

const passing = [
  f('endpoint', 'ENDPOINT_OK', 'pass'),
  f('dns', 'DNS_PRIVATE_OK', 'pass'),
  f('tcp', 'TCP_CONNECT_OK', 'pass'),
  f('route', 'ROUTE_LOCAL_OK', 'pass'),
  f('sg', 'SG_OK', 'pass'),
  f('nacl', 'NACL_OK', 'pass'),
];

describe('the verdict joins probes and configuration', () => {
  it('passes a target whose probes and configuration all pass, with no root cause', () => {
    const report = decideTarget(target, observed, passing);
    assert.equal(report.status, 'pass');
    assert.equal(report.rootCause, undefined);
  });

  it('names the configuration cause of a failed probe as the root cause, with its fix', () => {
    const findings = [
      ...passing.filter((x) => x.check !== 'sg' && x.check !== 'tcp'),
      f('tcp', 'TCP_TIMEOUT', 'fail'),
      f('sg', 'SG_ENDPOINT_INGRESS_DENIED', 'fail'),
    ];
    const report = decideTarget(target, observed, findings);
    assert.equal(report.status, 'fail');
    assert.equal(report.rootCause?.code, 'SG_ENDPOINT_INGRESS_DENIED');
    assert.equal(report.rootCause?.fix, 'SG_ENDPOINT_INGRESS_DENIED fix');
  });

  it('prefers the more fundamental cause when several configuration findings fail', () => {
    const findings = [
      f('dns', 'DNS_RESOLVES_PUBLIC', 'fail'),
      f('endpoint', 'VPC_DNS_HOSTNAMES_DISABLED', 'fail'),
      f('endpoint', 'ENDPOINT_PRIVATE_DNS_DISABLED', 'fail'),
      f('sg', 'SG_AGENT_EGRESS_DENIED', 'fail'),
    ];
    assert.equal(decideTarget(target, observed, findings).rootCause?.code, 'VPC_DNS_HOSTNAMES_DISABLED');
  });

  it('treats a custom DHCP resolver as a configuration cause even though the dns check reports it', () => {
    const findings = [f('dns', 'DNS_RESOLVES_PUBLIC', 'fail'), f('dns', 'DHCP_CUSTOM_DNS', 'fail')];
    assert.equal(decideTarget(target, observed, findings).rootCause?.code, 'DHCP_CUSTOM_DNS');
  });

  it('says PROBE_CONTRADICTS_CONFIG when a connection times out although every path check allows it', () => {
    const findings = [...passing.filter((x) => x.check !== 'tcp'), f('tcp', 'TCP_TIMEOUT', 'fail')];
    const report = decideTarget(target, observed, findings);
    assert.equal(report.status, 'fail');
    assert.equal(report.rootCause?.code, 'PROBE_CONTRADICTS_CONFIG');
    assert.ok(report.findings.some((x) => x.code === 'PROBE_CONTRADICTS_CONFIG' && x.check === 'verdict'));
  });

  it('keeps the probe failure as the root cause when the configuration that would explain it could not be read', () => {
    const findings = [f('tcp', 'TCP_TIMEOUT', 'fail'), f('sg', 'SG_UNKNOWN', 'unknown')];
    const report = decideTarget(target, observed, findings);
    assert.equal(report.rootCause?.code, 'TCP_TIMEOUT');
    assert.ok(!report.findings.some((x) => x.code === 'PROBE_CONTRADICTS_CONFIG'));
  });

  it('makes a DNS failure its own root cause when no configuration explains it', () => {
    const findings = [
      f('dns', 'DNS_TIMEOUT', 'fail'),
      f('tcp', 'TCP_CONNECT_OK', 'pass'),
      f('sg', 'SG_OK', 'pass'),
    ];
    assert.equal(decideTarget(target, observed, findings).rootCause?.code, 'DNS_TIMEOUT');
  });

  it('says CONFIG_CONTRADICTS_PROBE, as a warning, when the probes pass but the configuration denies', () => {
    const findings = [
      ...passing.filter((x) => x.check !== 'sg'),
      f('sg', 'SG_ENDPOINT_INGRESS_DENIED', 'fail'),
    ];
    const report = decideTarget(target, observed, findings);
    assert.equal(report.status, 'warn');
    assert.equal(report.rootCause?.code, 'CONFIG_CONTRADICTS_PROBE');
  });

  it('warns, naming the missing endpoint, when a required service works without one (through NAT)', () => {
    const missing = { ...target, endpointType: 'none' as const };
    const findings = [
      f('profile', 'ENDPOINT_MISSING', 'fail'),
      f('route', 'ROUTE_VIA_NAT', 'warn'),
      f('tcp', 'TCP_CONNECT_OK', 'pass'),
    ];
    const report = decideTarget(missing, observed, findings);
    assert.equal(report.status, 'warn');
    assert.equal(report.rootCause?.code, 'ENDPOINT_MISSING');
  });

  it('warns with the warning as root cause when everything works but an ENI is in another AZ', () => {
    const findings = [...passing, f('endpoint', 'ENDPOINT_NOT_IN_AZ', 'warn')];
    const report = decideTarget(target, observed, findings);
    assert.equal(report.status, 'warn');
    assert.equal(report.rootCause?.code, 'ENDPOINT_NOT_IN_AZ');
  });

  it('is unknown when no probe ran at all', () => {
    const report = decideTarget(target, { dns: [], tcp: [], tls: [] }, []);
    assert.equal(report.status, 'unknown');
  });
});

describe('the overall status', () => {
  const cases: Array<[Parameters<typeof overallStatus>[0], string]> = [
    [['pass', 'pass'], 'pass'],
    [['pass', 'warn'], 'warn'],
    [['warn', 'unknown'], 'unknown'],
    [['unknown', 'fail', 'warn'], 'fail'],
    [['info', 'pass'], 'pass'],
    [[], 'pass'],
  ];
  for (const [statuses, expected] of cases) {
    it(`is ${expected} for [${statuses.join(', ')}]`, () => assert.equal(overallStatus(statuses), expected));
  }
});

describe('a root cause must explain the probe that failed', () => {
  it('does not blame a security group for a DNS failure', () => {
    const findings = [
      f('dns', 'DNS_NXDOMAIN', 'fail'),
      f('sg', 'SG_ENDPOINT_INGRESS_DENIED', 'fail'),
      f('tcp', 'TCP_CONNECT_OK', 'pass'),
    ];
    assert.equal(decideTarget(target, observed, findings).rootCause?.code, 'DNS_NXDOMAIN');
  });

  it('does not blame private DNS for a refused connection', () => {
    const findings = [
      f('dns', 'DNS_PRIVATE_OK', 'pass'),
      f('tcp', 'TCP_REFUSED', 'fail'),
      f('endpoint', 'VPC_DNS_HOSTNAMES_DISABLED', 'fail'),
    ];
    assert.equal(decideTarget(target, observed, findings).rootCause?.code, 'TCP_REFUSED');
  });

  it('blames the network ACL for a timed-out connection', () => {
    const findings = [f('tcp', 'TCP_TIMEOUT', 'fail'), f('nacl', 'NACL_AGENT_SUBNET_DENIED', 'fail')];
    assert.equal(decideTarget(target, observed, findings).rootCause?.code, 'NACL_AGENT_SUBNET_DENIED');
  });
});

describe('the symptom × cause table', () => {
  const checkOf = (code: string): Finding['check'] =>
    code.startsWith('ROUTE_')
      ? 'route'
      : code.startsWith('SG_')
        ? 'sg'
        : code.startsWith('NACL_')
          ? 'nacl'
          : code === 'ENDPOINT_MISSING'
            ? 'profile'
            : code === 'DHCP_CUSTOM_DNS'
              ? 'dns'
              : 'endpoint';
  const symptomCheck = (code: string): Finding['check'] => (code.startsWith('DNS_') ? 'dns' : 'tcp');
  const SYMPTOMS = [
    'DNS_RESOLVES_PUBLIC',
    'DNS_NXDOMAIN',
    'DNS_NODATA',
    'DNS_SERVFAIL',
    'DNS_TIMEOUT',
    'DNS_REFUSED',
    'TCP_TIMEOUT',
    'TCP_UNREACHABLE',
    'TCP_REFUSED',
  ];

  for (const [cause, symptoms] of Object.entries(CAUSE_EXPLAINS)) {
    for (const symptom of SYMPTOMS) {
      const explained = symptoms.includes(symptom);
      it(`${cause} ${explained ? 'is' : 'is not'} the root cause of an observed ${symptom}`, () => {
        const report = decideTarget({ ...target, required: true }, observed, [
          f(checkOf(cause), cause, 'fail'),
          f(symptomCheck(symptom), symptom, 'fail'),
        ]);
        assert.equal(report.status, 'fail');
        // A silent drop that no path reading denies is PROBE_CONTRADICTS_CONFIG; here the only
        // path reading is the cause under test, so an unexplained symptom is its own root cause
        // unless that cause is no path reading at all.
        const pathCause = /^(ROUTE|SG|NACL)_/.test(cause);
        const silent = symptom === 'TCP_TIMEOUT' || symptom === 'TCP_UNREACHABLE';
        const expected = explained ? cause : silent && !pathCause ? 'PROBE_CONTRADICTS_CONFIG' : symptom;
        assert.equal(report.rootCause?.code, expected);
      });
    }
  }

  it('blames a dead custom resolver, not the private DNS setting, for a DNS timeout', () => {
    const report = decideTarget(target, observed, [
      f('endpoint', 'ENDPOINT_PRIVATE_DNS_DISABLED', 'fail'),
      f('dns', 'DNS_TIMEOUT', 'fail'),
    ]);
    assert.equal(report.rootCause?.code, 'DNS_TIMEOUT');
  });

  it('never blames a security group or an ACL for a refused connection: something answered', () => {
    for (const cause of [
      'SG_ENDPOINT_INGRESS_DENIED',
      'SG_AGENT_EGRESS_DENIED',
      'NACL_AGENT_SUBNET_DENIED',
    ]) {
      const report = decideTarget(target, observed, [
        f(checkOf(cause), cause, 'fail'),
        f('tcp', 'TCP_REFUSED', 'fail'),
      ]);
      assert.equal(report.rootCause?.code, 'TCP_REFUSED', cause);
    }
  });

  it('takes a warning as the cause of a failure it explains (an ACL covering part of the return ports)', () => {
    const report = decideTarget(target, observed, [
      f('nacl', 'NACL_EPHEMERAL_PARTIAL', 'warn'),
      f('route', 'ROUTE_VIA_NAT', 'warn'),
      f('tcp', 'TCP_TIMEOUT', 'fail'),
    ]);
    assert.equal(report.status, 'fail');
    assert.equal(report.rootCause?.code, 'NACL_EPHEMERAL_PARTIAL');
  });

  it('does not join a cause whose own evidence rules out the observation (the probe used an admitted port)', () => {
    const partial = { ...f('nacl', 'NACL_EPHEMERAL_PARTIAL', 'warn'), evidence: { explainsObserved: false } };
    const report = decideTarget(target, observed, [partial, f('tcp', 'TCP_TIMEOUT', 'fail')]);
    assert.equal(report.status, 'fail');
    assert.equal(report.rootCause?.code, 'PROBE_CONTRADICTS_CONFIG');
  });

  it('is the table docs/findings.md documents', () => {
    const docs = readFileSync(new URL('../../docs/findings.md', import.meta.url), 'utf8');
    const section = docs.slice(docs.indexOf('## Causes and the symptoms they explain'));
    const rows = Object.fromEntries(
      [...section.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \| (.+) \|$/gm)].map((m) => [
        m[1],
        [...m[2]!.matchAll(/`([A-Z_]+)`/g)].map((s) => s[1]),
      ]),
    );
    assert.deepEqual(rows, CAUSE_EXPLAINS);
  });
});

describe('optional services', () => {
  const noEndpoint: Target = {
    ...target,
    service: 'com.amazonaws.us-east-1.ssm',
    shortName: 'ssm',
    endpointType: 'none',
    profiles: ['ecs-fargate'],
  };
  const broken = [f('route', 'ROUTE_NO_PATH', 'fail'), f('tcp', 'TCP_TIMEOUT', 'fail')];

  it('warn when a service without an endpoint that nothing marks required has no path', () => {
    const report = decideTarget({ ...noEndpoint, required: false }, observed, broken);
    assert.equal(report.status, 'warn');
    assert.equal(report.rootCause?.code, 'ROUTE_NO_PATH');
    assert.match(report.rootCause?.message ?? '', /optional here/);
  });

  it('fail when the configuration or a profile marks them required', () => {
    assert.equal(decideTarget({ ...noEndpoint, required: true }, observed, broken).status, 'fail');
  });

  it('fail when the VPC has an endpoint for them: it was built to be used', () => {
    assert.equal(decideTarget({ ...target, required: false }, observed, broken).status, 'fail');
  });
});

describe('endpoint policies: a refusal read from the document, above working probes', () => {
  const denies = f('policy', 'ENDPOINT_POLICY_DENIES', 'fail');
  const nothing = f('policy', 'ENDPOINT_POLICY_ALLOWS_NOTHING', 'fail');

  it('fails a target whose probes pass with the policy denial as root cause, not CONFIG_CONTRADICTS_PROBE', () => {
    const report = decideTarget(target, observed, [...passing, denies]);
    assert.equal(report.status, 'fail');
    assert.equal(report.rootCause?.code, 'ENDPOINT_POLICY_DENIES');
    assert.equal(report.rootCause?.fix, 'ENDPOINT_POLICY_DENIES fix');
    assert.ok(!report.findings.some((x) => x.code === 'CONFIG_CONTRADICTS_PROBE'));
  });

  it('prefers a policy that allows nothing over a denied action', () => {
    const report = decideTarget(target, observed, [...passing, denies, nothing]);
    assert.equal(report.rootCause?.code, 'ENDPOINT_POLICY_ALLOWS_NOTHING');
  });

  it('keeps the path cause as root cause when a probe failed: the call never reached the policy', () => {
    const findings = [
      ...passing.filter((x) => x.check !== 'sg' && x.check !== 'tcp'),
      f('tcp', 'TCP_TIMEOUT', 'fail'),
      f('sg', 'SG_ENDPOINT_INGRESS_DENIED', 'fail'),
      denies,
    ];
    const report = decideTarget(target, observed, findings);
    assert.equal(report.status, 'fail');
    assert.equal(report.rootCause?.code, 'SG_ENDPOINT_INGRESS_DENIED');
  });

  it('keeps a probe failure no configuration explains as its own root cause', () => {
    const findings = [...passing.filter((x) => x.check !== 'dns'), f('dns', 'DNS_SERVFAIL', 'fail'), denies];
    assert.equal(decideTarget(target, observed, findings).rootCause?.code, 'DNS_SERVFAIL');
  });

  it('explains no packet symptom: a policy denial is never a cause in CAUSE_EXPLAINS', () => {
    assert.equal(CAUSE_EXPLAINS['ENDPOINT_POLICY_DENIES'], undefined);
    assert.equal(CAUSE_EXPLAINS['ENDPOINT_POLICY_ALLOWS_NOTHING'], undefined);
  });

  it('names nothing for an undecidable or unreadable policy: the probes decide', () => {
    const report = decideTarget(target, observed, [
      ...passing,
      f('policy', 'ENDPOINT_POLICY_UNDECIDABLE', 'unknown'),
      f('policy', 'ENDPOINT_POLICY_UNREADABLE', 'unknown'),
    ]);
    assert.equal(report.status, 'pass');
    assert.equal(report.rootCause, undefined);
  });

  it('still notes a contradicting configuration reading beside the policy root cause', () => {
    const report = decideTarget(target, observed, [
      ...passing.filter((x) => x.check !== 'sg'),
      f('sg', 'SG_ENDPOINT_INGRESS_DENIED', 'fail'),
      denies,
    ]);
    assert.equal(report.rootCause?.code, 'ENDPOINT_POLICY_DENIES');
    assert.ok(report.findings.some((x) => x.code === 'CONFIG_CONTRADICTS_PROBE'));
  });
});
