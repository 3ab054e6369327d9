import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgentContext, Finding, TargetReport } from '../../src/model.js';
import { renderMarkdown } from '../../src/render/markdown.js';
import { renderText, shouldColor } from '../../src/render/text.js';
import { buildReport, exitCodeFor } from '../../src/report.js';
import { blind } from './app-fixtures.js';

const context: AgentContext = {
  region: 'us-east-1',
  vpcId: 'vpc-0a1b',
  subnetId: 'subnet-0c2d',
  availabilityZone: 'us-east-1a',
  privateIp: '10.0.1.23',
  securityGroupIds: ['sg-0app'],
  resolvers: [{ address: '10.0.0.2', source: 'resolv.conf' }],
  sources: { vpcId: 'ec2' },
};

const sgDenied: Finding = {
  check: 'sg',
  code: 'SG_ENDPOINT_INGRESS_DENIED',
  status: 'fail',
  message: 'sg-0ep on vpce-02 allows tcp/443 only from 10.9.0.0/16; the agent is 10.0.1.23 (sg-0app)',
  fix: 'aws ec2 authorize-security-group-ingress --group-id sg-0ep --protocol tcp --port 443 --source-group sg-0app',
  evidence: {},
};

function target(shortName: string, status: TargetReport['status'], root?: Finding): TargetReport {
  return {
    service: `com.amazonaws.us-east-1.${shortName}`,
    shortName,
    hostname: `${shortName}.us-east-1.amazonaws.com`,
    endpointId: `vpce-${shortName}`,
    endpointType: 'Interface',
    status,
    required: false,
    ...(root
      ? { rootCause: { code: root.code, message: root.message, ...(root.fix ? { fix: root.fix } : {}) } }
      : {}),
    probe: {
      dns: 'private',
      dnsMs: 1.1,
      tcp: status === 'fail' ? 'timeout' : 'ok',
      ...(status === 'fail' ? {} : { tcpMs: 4 }),
      tls: status === 'fail' ? 'skipped' : 'ok',
      addresses: ['10.0.11.5', '10.0.12.5'],
    },
    findings: root ? [root] : [],
  };
}

const report = buildReport({
  version: '1.2.3',
  startedAt: Date.parse('2026-01-01T00:00:00Z'),
  finishedAt: Date.parse('2026-01-01T00:00:00.900Z'),
  context,
  phases: { context: 10 },
  findings: [],
  targets: [
    target('secretsmanager', 'pass'),
    target('ecr.dkr', 'fail', sgDenied),
    target('ecr.api', 'fail', sgDenied),
    target('logs', 'warn', {
      ...sgDenied,
      code: 'ENDPOINT_NOT_IN_AZ',
      status: 'warn',
      message: 'no ENI in us-east-1a',
      fix: 'add a subnet',
    }),
  ],
});

describe('the report', () => {
  it('counts targets and is fail when any target fails; exit code 1', () => {
    assert.equal(report.status, 'fail');
    assert.deepEqual(report.summary, { pass: 1, warn: 1, fail: 2, unknown: 0 });
    assert.equal(report.durationMs, 900);
    assert.equal(exitCodeFor(report), 1);
  });

  it('is unknown, exit 3, when there was nothing it could check', () => {
    const empty = buildReport({
      version: '1',
      startedAt: 0,
      finishedAt: 1,
      phases: {},
      findings: [],
      targets: [],
    });
    assert.equal(empty.status, 'unknown');
    assert.equal(exitCodeFor(empty), 3);
  });

  it('is warn, exit 0, with only warnings', () => {
    const warned = buildReport({
      version: '1',
      startedAt: 0,
      finishedAt: 1,
      context,
      phases: {},
      findings: [],
      targets: [target('logs', 'warn')],
    });
    assert.equal(warned.status, 'warn');
    assert.equal(exitCodeFor(warned), 0);
  });
});

describe('the text renderer', () => {
  const text = renderText(report, { color: false });
  const lines = text.split('\n');

  it('starts with who and where the agent is', () => {
    assert.equal(
      lines[0],
      'vpce-doctor 1.2.3 · vpc-0a1b subnet-0c2d (us-east-1a) 10.0.1.23 · sg-0app · resolver 10.0.0.2',
    );
  });

  it('prints one line per service with its mark', () => {
    assert.ok(
      lines.some((l) =>
        /^✓\s+secretsmanager\s+vpce-secretsmanager\s+Interface\s+2 ENIs\s+private 1\.1 ms\s+4\.0 ms\s+ok\s+ok$/.test(
          l,
        ),
      ),
      text,
    );
    assert.ok(
      lines.some((l) => /^✗\s+ecr\.dkr\s.*timeout\s+—\s+SG blocks$/.test(l)),
      text,
    );
    assert.ok(
      lines.some((l) => /^!\s+logs\s.*other AZ only$/.test(l)),
      text,
    );
  });

  it('labels the centralised-endpoint causes in the config column, not with their codes', () => {
    const hub = renderText(
      buildReport({
        version: '1.2.3',
        startedAt: 0,
        finishedAt: 1,
        context,
        phases: {},
        findings: [],
        targets: [
          target('kms', 'fail', { ...sgDenied, check: 'route', code: 'TGW_ROUTE_MISSING' }),
          target('ssm', 'fail', { ...sgDenied, check: 'dns', code: 'HUB_ZONE_NOT_ASSOCIATED' }),
          target('sts', 'unknown', {
            ...sgDenied,
            check: 'endpoint',
            code: 'HUB_UNREADABLE',
            status: 'unknown',
          }),
        ],
      }),
      { color: false },
    ).split('\n');
    for (const [service, label] of [
      ['kms', 'no TGW route'],
      ['ssm', 'zone not associated'],
      ['sts', 'hub unread'],
    ]) {
      assert.ok(
        hub.some((l) => new RegExp(`\\s${service}\\s.*\\s${label}$`).test(l)),
        `${service}: ${label}\n${hub.join('\n')}`,
      );
    }
  });

  it('prints a cause shared by several services once, naming them, with its fix', () => {
    const header = lines.indexOf('✗ ecr.dkr, ecr.api — SG_ENDPOINT_INGRESS_DENIED');
    assert.ok(header > 0, text);
    assert.equal(lines[header + 1], `  ${sgDenied.message}`);
    assert.equal(lines[header + 2], '  (the same for 1 more: ecr.api)');
    assert.equal(lines[header + 3], `  fix: ${sgDenied.fix}`);
    assert.equal(lines.filter((l) => l.includes('SG_ENDPOINT_INGRESS_DENIED')).length, 1);
  });

  it('ends with the counts and the duration', () => {
    assert.match(text, /\n2 failing, 1 warning, 1 passing · 900 ms · status fail\n$/);
  });

  it('colours only when asked', () => {
    assert.ok(!text.includes('\u001b['));
    assert.ok(renderText(report, { color: true }).includes('\u001b[31m✗'));
  });
});

describe('colour', () => {
  it('is on for a terminal, off for a pipe, and off with NO_COLOR or TERM=dumb', () => {
    assert.equal(shouldColor({ isTTY: true }, {}), true);
    assert.equal(shouldColor({ isTTY: false }, {}), false);
    assert.equal(shouldColor({}, {}), false);
    assert.equal(shouldColor({ isTTY: true }, { NO_COLOR: '' }), false);
    assert.equal(shouldColor({ isTTY: true }, { TERM: 'dumb' }), false);
  });
});

describe('the markdown renderer', () => {
  const md = renderMarkdown(report);
  it('has a table row per service and the causes with fixes', () => {
    assert.match(md, /^### vpce-doctor: ❌ fail — vpc-0a1b subnet-0c2d \(us-east-1a\) 10\.0\.1\.23/);
    assert.match(
      md,
      /\| ❌ \| ecr\.dkr \| vpce-ecr\.dkr \| Interface \| private \| timeout \| skipped \| SG_ENDPOINT_INGRESS_DENIED \|/,
    );
    assert.match(md, / {2}- fix: `aws ec2 authorize-security-group-ingress/);
  });

  it('names a cause shared by several services once', () => {
    assert.match(md, /- ❌ \*\*ecr\.dkr, ecr\.api\*\* — `SG_ENDPOINT_INGRESS_DENIED`: sg-0ep/);
    assert.equal(md.split('\n').filter((l) => l.startsWith('- ') && l.includes('SG_ENDPOINT')).length, 1);
  });

  it('ends with every count', () => {
    assert.match(md, /\n2 failing, 1 warning, 0 unknown, 1 passing\n$/);
  });
});

describe('a blind agent (no EC2 API, no IMDS) in every renderer', () => {
  const report = blind();
  const text = renderText(report, { color: false });
  const md = renderMarkdown(report);

  it('keeps the Region discovery found in the report context', () => {
    assert.equal(report.context.region, 'us-east-1');
    assert.deepEqual(report.context.sources, { region: 'env' });
    assert.equal(report.context.vpcId, '');
  });

  it('says nothing was checked and why, never "0 failing … 0 passing"', () => {
    assert.match(
      text,
      /\nnothing checked: no targets \(AWS_API_ERROR, CONTEXT_UNRESOLVED\) · 100 ms · status unknown\n$/,
    );
    assert.match(md, /\n\*\*Nothing checked\*\*: no targets \(AWS_API_ERROR, CONTEXT_UNRESOLVED\)\n$/);
    for (const out of [text, md]) assert.doesNotMatch(out, /0 passing|0 failing/);
    assert.doesNotMatch(md, /\| service \|/, 'no empty table');
  });

  it('heads with what was found, never an empty "()"', () => {
    assert.equal(text.split('\n')[0], 'vpce-doctor 9.9.9 · context unresolved (found region us-east-1)');
    assert.match(md, /^### vpce-doctor: ❔ unknown — context unresolved \(found region us-east-1\)\n/);
    for (const out of [text, md]) assert.doesNotMatch(out, /\(\s*\)/);
  });
});

describe('honest counts', () => {
  const at = { version: '1', startedAt: 0, finishedAt: 5, phases: {} };

  it('prints "(AZ unknown)" when no step found the AZ', () => {
    const r = buildReport({
      ...at,
      context: { ...context, availabilityZone: '' },
      findings: [],
      targets: [target('sts', 'pass')],
    });
    const first = renderText(r).split('\n')[0]!;
    assert.equal(
      first,
      'vpce-doctor 1 · vpc-0a1b subnet-0c2d (AZ unknown) 10.0.1.23 · sg-0app · resolver 10.0.0.2',
    );
    assert.match(
      renderMarkdown(r),
      /^### vpce-doctor: ✅ pass — vpc-0a1b subnet-0c2d \(AZ unknown\) 10\.0\.1\.23\n/,
    );
  });

  it('with every target undecided, says nothing was checked and names the cause', () => {
    const denied: Finding = {
      ...sgDenied,
      code: 'AWS_PERMISSION_DENIED',
      status: 'unknown',
      message: 'denied',
    };
    const r = buildReport({
      ...at,
      context,
      findings: [],
      targets: [target('sts', 'unknown', denied), target('kms', 'unknown', denied)],
    });
    assert.match(
      renderText(r),
      /\nnothing checked: 2 unknown \(AWS_PERMISSION_DENIED\) · 5 ms · status unknown\n$/,
    );
    assert.match(renderMarkdown(r), /\n\*\*Nothing checked\*\*: 2 unknown \(AWS_PERMISSION_DENIED\)\n$/);
  });

  it('prints services undecided for the same reason on one line', () => {
    const undecided = (name: string): TargetReport => ({
      ...target(name, 'unknown'),
      findings: [
        { ...sgDenied, code: 'SG_UNKNOWN', status: 'unknown', message: 'ec2:DescribeSecurityGroups denied' },
      ],
    });
    const r = buildReport({
      ...at,
      context,
      findings: [],
      targets: [target('s3', 'pass'), undecided('sts'), undecided('kms')],
    });
    const lines = renderText(r)
      .split('\n')
      .filter((l) => l.includes('could not decide'));
    assert.deepEqual(lines, ['? sts, kms — could not decide: ec2:DescribeSecurityGroups denied']);
  });

  it('counts unknown and info targets beside the others', () => {
    const r = buildReport({
      ...at,
      context,
      findings: [],
      targets: [
        target('sts', 'pass'),
        target('ecr.dkr', 'fail', sgDenied),
        target('kms', 'unknown'),
        target('s3', 'info'),
      ],
    });
    assert.match(renderText(r), /\n1 failing, 1 unknown, 1 passing, 1 info · 5 ms · status fail\n$/);
    assert.match(renderMarkdown(r), /\n1 failing, 0 warning, 1 unknown, 1 passing, 1 info\n$/);
  });
});
