// The lab's pure parts: what the resolvers answer, the firewall rules a fault becomes, the
// preflight guard, the SERVFAIL responder, and that every scenario is well-formed data.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import dnsPacket from 'dns-packet';
import { customResolverAnswers, renderDnsmasqConfig, vpcResolverAnswers } from './dns-config.js';
import { servfailFor } from './dns-responder.js';
import { iptablesCommands, preflightProblem } from './lab.js';
import {
  ENDPOINT_SERVICE_KEY,
  fillPlaceholders,
  HUB_SCENARIOS,
  SCALE_MAX_INTERFACE_ENDPOINTS,
  SCENARIOS,
} from './scenarios.js';
import type { AwsState, EndpointState } from './state.js';
import { labAwsState } from './test-support.js';
import {
  GATEWAY_SERVICES,
  generatedService,
  INTERFACE_SERVICES,
  SCALE_CERT_SERVICES,
  SERVICES,
} from './topology.js';

function endpoint(service: string, eniIps: string[], privateDns = true): EndpointState {
  return {
    id: 'vpce-1',
    serviceName: `com.amazonaws.us-east-1.${service}`,
    type: 'Interface',
    state: 'available',
    privateDns,
    subnetIds: [],
    routeTableIds: [],
    securityGroupIds: [],
    eniIps,
  };
}

function awsState(overrides: Partial<AwsState> = {}): AwsState {
  return labAwsState({
    endpoints: {
      secretsmanager: endpoint('secretsmanager', ['10.0.11.20', '10.0.12.20']),
      sts: endpoint('sts', ['10.0.11.30', '10.0.12.30'], false),
      'ecr.dkr': endpoint('ecr.dkr', ['10.0.11.40']),
    },
    ...overrides,
  });
}

describe('lab resolver answers', () => {
  test('an interface endpoint with private DNS on answers its ENI IPs at the VPC resolver', () => {
    const answers = vpcResolverAnswers(awsState());
    assert.deepEqual(answers.get('secretsmanager.us-east-1.amazonaws.com'), ['10.0.11.20', '10.0.12.20']);
  });

  test('private DNS off, or no endpoint at all, answers the public addresses', () => {
    const answers = vpcResolverAnswers(awsState());
    assert.deepEqual(answers.get('sts.us-east-1.amazonaws.com'), ['52.94.200.12', '52.94.201.12']);
    assert.deepEqual(answers.get('logs.us-east-1.amazonaws.com'), ['52.94.200.11', '52.94.201.11']);
  });

  test('enableDnsHostnames off turns every private zone off but leaves the gateway names', () => {
    const answers = vpcResolverAnswers(awsState({ dnsHostnames: false }));
    assert.deepEqual(answers.get('secretsmanager.us-east-1.amazonaws.com'), ['52.94.200.10', '52.94.201.10']);
    assert.deepEqual(answers.get('s3.us-east-1.amazonaws.com'), ['52.216.0.10']);
  });

  test('a custom resolver that does not forward answers public for interface names, like AWS for gateway names', () => {
    const answers = customResolverAnswers(awsState());
    assert.deepEqual(answers.get('secretsmanager.us-east-1.amazonaws.com'), ['52.94.200.10', '52.94.201.10']);
    assert.deepEqual(answers.get('dynamodb.us-east-1.amazonaws.com'), ['3.218.182.10']);
  });

  test('dnsmasq gets one host-record per address and a zone-wide address= for wildcard names', () => {
    const config = renderDnsmasqConfig(['10.0.0.2'], vpcResolverAnswers(awsState()), '/tmp/x.log');
    assert.match(config, /^host-record=secretsmanager\.us-east-1\.amazonaws\.com,10\.0\.11\.20$/m);
    assert.match(config, /^host-record=secretsmanager\.us-east-1\.amazonaws\.com,10\.0\.12\.20$/m);
    assert.match(config, /^address=\/dkr\.ecr\.us-east-1\.amazonaws\.com\/10\.0\.11\.40$/m);
    assert.match(config, /^address=\/s3\.us-east-1\.amazonaws\.com\/52\.216\.0\.10$/m);
    assert.match(config, /^listen-address=10\.0\.0\.2$/m);
    assert.match(config, /^no-resolv$/m);
  });

  test('no public-style address of an interface service falls inside a gateway prefix list the lab routes', () => {
    const publics = SERVICES.flatMap((s) => s.publicAddresses);
    for (const a of publics) assert.ok(a.startsWith('52.94.200.') || a.startsWith('52.94.201.'), a);
  });
});

describe('lab faults become iptables rules', () => {
  test('a rule naming the ENIs of a service expands to one rule per ENI IP', () => {
    const commands = iptablesCommands(
      {
        node: 'endpoints',
        chain: 'INPUT',
        proto: 'tcp',
        dport: 443,
        src: '10.0.0.0/16',
        dst: { enisOf: 'secretsmanager' },
        action: 'DROP',
      },
      awsState(),
    );
    assert.deepEqual(commands, [
      [
        'iptables',
        '-w',
        '-A',
        'INPUT',
        '-p',
        'tcp',
        '-s',
        '10.0.0.0/16',
        '-d',
        '10.0.11.20',
        '--dport',
        '443',
        '-j',
        'DROP',
      ],
      [
        'iptables',
        '-w',
        '-A',
        'INPUT',
        '-p',
        'tcp',
        '-s',
        '10.0.0.0/16',
        '-d',
        '10.0.12.20',
        '--dport',
        '443',
        '-j',
        'DROP',
      ],
    ]);
  });

  test('a tcp REJECT answers with a reset, as a closed port does', () => {
    const [command] = iptablesCommands(
      { node: 'agent-a', chain: 'OUTPUT', proto: 'tcp', dst: { gatewayOf: 's3' }, action: 'REJECT' },
      awsState(),
    );
    assert.deepEqual(command?.slice(-4), ['-j', 'REJECT', '--reject-with', 'tcp-reset']);
    assert.ok(command?.includes('52.216.0.10'));
  });

  test('a rule naming an endpoint the scenario did not create is an error, not a silent no-op', () => {
    assert.throws(
      () =>
        iptablesCommands(
          { node: 'endpoints', chain: 'INPUT', dst: { enisOf: 'ssm' }, action: 'DROP' },
          awsState(),
        ),
      /ssm/,
    );
    assert.throws(
      () =>
        iptablesCommands(
          { node: 'endpoints', chain: 'INPUT', dst: { enisOf: ENDPOINT_SERVICE_KEY }, action: 'DROP' },
          awsState(),
        ),
      /endpoint-service/,
    );
  });
});

describe('lab preflight guard', () => {
  test('a non-root user is refused with one line naming the uid', () => {
    assert.match(preflightProblem({ uid: 1000, ipNetns: true }) ?? '', /needs root.*uid 1000/);
  });

  test('a machine without ip netns is refused with the reason', () => {
    assert.match(
      preflightProblem({ uid: 0, ipNetns: false, ipNetnsError: 'Object "netns" is unknown' }) ?? '',
      /ip netns.*unknown/,
    );
  });

  test('root with ip netns passes', () => {
    assert.equal(preflightProblem({ uid: 0, ipNetns: true }), undefined);
  });
});

describe('lab SERVFAIL responder', () => {
  test('answers a query with SERVFAIL, the same id and the same question', () => {
    const query = dnsPacket.encode({
      type: 'query',
      id: 4242,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ type: 'A', name: 'sts.us-east-1.amazonaws.com' }],
    });
    const reply = dnsPacket.decode(servfailFor(query)!);
    assert.equal(reply.id, 4242);
    assert.equal(reply.type, 'response');
    assert.equal((reply as { rcode?: string }).rcode, 'SERVFAIL');
    assert.deepEqual(reply.questions, [{ type: 'A', name: 'sts.us-east-1.amazonaws.com', class: 'IN' }]);
  });

  test('ignores bytes that are not a DNS query', () => {
    assert.equal(servfailFor(Buffer.from([1, 2, 3])), undefined);
  });
});

const oneOfStatus = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

describe('lab scenarios as data', () => {
  test('names are unique and every required scenario is present', () => {
    const names = SCENARIOS.map((s) => s.name);
    assert.equal(new Set(names).size, names.length);
    for (const required of [
      'healthy',
      'endpoint-sg-no-443',
      'agent-sg-no-egress',
      'private-dns-off',
      'dns-hostnames-off',
      'dhcp-custom-dns',
      's3-route-missing',
      's3-route-missing-nat',
      'nacl-ephemeral-deny',
      'endpoint-other-az',
      'endpoint-pending',
      'fargate-no-ecr-dkr',
      'resolver-timeout',
      'resolver-servfail',
      'tls-wrong-name',
      'l7-not-aws',
      'host-firewall-drop',
    ]) {
      assert.ok(names.includes(required), `missing scenario ${required}`);
    }
  });

  test('every expectation is consistent: exit 1 with a failing target, 3 with a denied action, 0 otherwise, and known target names', () => {
    const oneOf = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);
    const known = new Set([
      ...INTERFACE_SERVICES,
      ...GATEWAY_SERVICES,
      ...SCENARIOS.flatMap((s) => s.aws?.services ?? []),
      '{{ENDPOINT_SERVICE_ID}}',
    ]);
    for (const s of [...SCENARIOS, ...HUB_SCENARIOS]) {
      const targets = Object.values(s.expect.targets).map((t) => oneOf(t.status));
      const must = (status: string) => targets.some((allowed) => allowed.every((a) => a === status));
      if (must('fail')) {
        assert.deepEqual(oneOf(s.expect.status), ['fail'], s.name);
        assert.equal(s.expect.exitCode, 1, s.name);
      } else if (s.deny?.length) {
        assert.deepEqual(oneOf(s.expect.status), ['unknown'], `${s.name}: a denied action is a gap`);
        assert.equal(s.expect.exitCode, 3, s.name);
      } else {
        assert.equal(s.expect.exitCode, 0, s.name);
        assert.deepEqual(oneOf(s.expect.status), must('warn') ? ['warn'] : oneOf(s.expect.status), s.name);
        for (const status of oneOf(s.expect.status)) assert.ok(['pass', 'warn'].includes(status), s.name);
      }
      for (const [name, t] of Object.entries(s.expect.targets)) {
        assert.ok(known.has(name), `${s.name}: unknown target ${name}`);
        const causeNeeded = oneOf(t.status).every((x) => x === 'fail' || x === 'warn');
        if (causeNeeded) assert.ok(t.rootCause, `${s.name}: ${name} needs a root cause`);
      }
      assert.ok((s.proof.aws ?? []).length > 0, `${s.name} proves its moto configuration`);
    }
  });

  test('at least ten zoo scenarios, each a working design that must report no failure', () => {
    const zoo = SCENARIOS.filter((s) => s.name.startsWith('zoo-'));
    assert.ok(zoo.length >= 10, `${zoo.length} zoo scenarios`);
    for (const s of zoo) {
      assert.equal(s.expect.exitCode, 0, s.name);
      for (const t of Object.values(s.expect.targets))
        assert.ok(!oneOfStatus(t.status).includes('fail'), s.name);
      assert.ok(!(s.expect.otherTargets ?? ['pass']).includes('fail'), s.name);
      assert.equal(
        s.faults?.some((f) => f.node === 'agent-a' || f.node === 'agent-b') ?? false,
        false,
        s.name,
      );
    }
  });

  test('placeholders are filled inside nested values and unknown ones are left visible', () => {
    const filled = fillPlaceholders({ a: ['{{VPC_ID}}'], b: { c: 'x {{NOPE}}' } }, { VPC_ID: 'vpc-9' });
    assert.deepEqual(filled, { a: ['vpc-9'], b: { c: 'x {{NOPE}}' } });
  });
});

describe('lab scale certificates', () => {
  test('group the generated services so that a resumable session (certificate included) stays far under 10 KiB', () => {
    const generated = SCALE_MAX_INTERFACE_ENDPOINTS - INTERFACE_SERVICES.length;
    const names = new Map<string, string[]>();
    const services = new Map<string, number>();
    for (let i = 0; i < generated; i += 1) {
      // Service names are placeholders here: the longest real ones are about this long.
      const service = generatedService(`service-with-a-long-name-${i}`, i);
      names.set(service.certFile!, [...(names.get(service.certFile!) ?? []), ...service.certNames]);
      services.set(service.certFile!, (services.get(service.certFile!) ?? 0) + 1);
    }
    assert.equal(names.size, Math.ceil(generated / SCALE_CERT_SERVICES));
    for (const [file, sans] of names) {
      assert.ok((services.get(file) ?? 0) <= SCALE_CERT_SERVICES, `${file} serves ${services.get(file)}`);
      // Node keeps a session only up to 10 KiB (kMaxSessionSize), the server's certificate in it.
      const sanBytes = sans.reduce((sum, n) => sum + n.length + 4, 0);
      assert.ok(sanBytes < 4096, `${file}: ${sanBytes} bytes of names`);
    }
  });
});
