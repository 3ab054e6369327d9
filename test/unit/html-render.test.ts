// The status page's renderer (src/render/html.ts): what an on-call engineer sees first, that no
// text from a report can become markup, and how it reads with no history or nothing checked.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { createHistory, HISTORY_RUNS, type RunPoint } from '../../src/history.js';
import type { Report, TargetReport } from '../../src/model.js';
import { escapeHtml, renderHtml, renderPlot, STATUS_PAGE_CSP } from '../../src/render/html.js';
import { blind, report, target } from './app-fixtures.js';

const FINISHED = Date.parse('2026-01-01T00:00:01Z');
const options = { now: FINISHED + 12_000, finishedAt: FINISHED };

/** Every element the renderer writes; anything else in a page came from a report's text. */
const OWN_TAGS = new Set(
  'html head meta title style body header main section footer article h2 h3 p span a pre code dl dt dd div details summary ul li table thead tbody tr th td svg line text g rect path circle'.split(
    ' ',
  ),
);

function tagsOf(page: string): string[] {
  return [...page.matchAll(/<\/?([a-zA-Z][\w-]*)/g)].map((m) => m[1]!.toLowerCase());
}

/** data-service values in document order, within the part of the page that starts at `marker`. */
function servicesIn(page: string, marker: string): string[] {
  const section = page.slice(page.indexOf(marker));
  const end = section.indexOf('</section>');
  return [...section.slice(0, end).matchAll(/<(?:article|tr)[^>]* data-service="([^"]+)"/g)].map(
    (m) => m[1]!,
  );
}

function runsOf(reports: Report[]): RunPoint[] {
  const history = createHistory();
  reports.forEach((r, i) => {
    history.record(r, FINISHED - (reports.length - 1 - i) * 60_000);
  });
  return [...history.runs()];
}

const HOSTILE = `<script>alert(1)</script><img src=x onerror="alert('x')">&amp;`;

function hostileReport(): Report {
  const bad: TargetReport = {
    ...target('ecr.dkr', 'fail'),
    shortName: `ecr${HOSTILE}`,
    hostname: `host${HOSTILE}`,
    endpointId: `vpce-${HOSTILE}`,
    rootCause: { code: `SG_${HOSTILE}`, message: `message ${HOSTILE}`, fix: `fix ${HOSTILE}` },
  };
  bad.findings = bad.findings.map((f) => ({ ...f, message: `finding ${HOSTILE}`, code: `CODE${HOSTILE}` }));
  const r = report(
    [bad, target('secretsmanager', 'pass')],
    [
      {
        check: 'context',
        code: 'AWS_API_ERROR',
        status: 'unknown',
        message: `agent ${HOSTILE}`,
        fix: `do ${HOSTILE}`,
        evidence: {},
      },
    ],
  );
  r.context = {
    ...r.context,
    vpcId: `vpc-${HOSTILE}`,
    subnetId: `subnet-${HOSTILE}`,
    securityGroupIds: [`sg-${HOSTILE}`],
    resolvers: [{ address: `10.0.0.2${HOSTILE}`, source: 'resolv.conf' }],
  };
  r.inventory = {
    ...r.inventory,
    gaps: [{ call: 'X', action: `ec2:${HOSTILE}`, kind: 'error', errorCode: HOSTILE, message: HOSTILE }],
  };
  r.tool = { ...r.tool, version: HOSTILE };
  r.phases = { [HOSTILE]: 1 };
  return r;
}

describe('the status page renderer', () => {
  it('escapes every string a report carries: no element, attribute or entity of its own reaches the page', () => {
    const r = hostileReport();
    const page = renderHtml(r, runsOf([r, r]), {
      ...options,
      refreshSeconds: 30,
      refreshUrl: `/?x="${HOSTILE}`,
    });
    const foreign = tagsOf(page).filter((t) => !OWN_TAGS.has(t));
    assert.deepEqual(foreign, [], 'only the renderer’s own elements');
    // Attribute values are the only double-quoted text left (a report's quotes are &quot;): with
    // them gone, what remains inside a tag is its names.
    const bare = page.replace(/"[^"]*"/g, '""');
    assert.ok(!/<[^>]*\sonerror\s*=/i.test(bare), 'no event handler attribute inside a tag');
    assert.ok(page.includes(escapeHtml(`message ${HOSTILE}`)), 'the root cause is shown, escaped');
    assert.ok(page.includes(escapeHtml(`fix ${HOSTILE}`)), 'the fix is shown, escaped');
    assert.ok(page.includes(escapeHtml(`vpc-${HOSTILE}`)), 'the VPC is shown, escaped');
    assert.ok(page.includes('&amp;amp;') && !page.includes('&amp;amp;amp;'), 'escaped once, not twice');
    assert.equal(
      escapeHtml(`<a href="x" title='y'>&</a>`),
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });

  it('puts failing services first, then undecided ones, warnings and the passing', () => {
    const r = report([
      target('a-pass', 'pass'),
      target('b-warn', 'warn'),
      target('c-fail', 'fail'),
      target('d-unknown', 'unknown'),
      target('e-fail', 'fail'),
    ]);
    const page = renderHtml(r, runsOf([r]), options);
    assert.deepEqual(servicesIn(page, '<section id="attention"'), [
      'c-fail',
      'e-fail',
      'd-unknown',
      'b-warn',
    ]);
    assert.deepEqual(servicesIn(page, '<section id="services"'), [
      'c-fail',
      'e-fail',
      'd-unknown',
      'b-warn',
      'a-pass',
    ]);
    assert.match(page, /<p class="verdict">✗ FAIL<\/p>/);
    assert.match(page, /<p class="counts">2 failing, 1 undecided, 1 warning, 1 passing<\/p>/);
    assert.match(
      page,
      /<title>✗ FAIL · vpce-doctor · vpc-0a1b subnet-0c2d \(us-east-1a\) 10\.0\.1\.10<\/title>/,
    );
  });

  it("shows a failing service's root cause, fix and per-phase timings in its card", () => {
    const broken = target('ecr.dkr', 'fail');
    broken.probe = { dns: 'private', dnsMs: 1.2, tcp: 'timeout', tls: 'skipped', addresses: ['10.0.11.5'] };
    broken.findings.push({
      check: 'http',
      code: 'L7_SKIPPED',
      status: 'info',
      message: 'no TLS',
      evidence: {},
    });
    const ok = target('sts', 'pass');
    ok.findings.push({
      check: 'http',
      code: 'L7_AWS_OK',
      status: 'pass',
      message: 'AWS',
      evidence: {},
      durationMs: 21.04,
    });
    const page = renderHtml(report([broken, ok]), [], options);
    const card = page.slice(page.indexOf('<article class="service fail"'), page.indexOf('</article>'));
    assert.match(card, /SG_ENDPOINT_INGRESS_DENIED/);
    assert.match(card, /sg-0ep on vpce-02 allows tcp\/443 only from 10\.9\.0\.0\/16/);
    assert.match(
      card,
      /<pre class="fix">aws ec2 authorize-security-group-ingress --group-id sg-0ep --protocol tcp --port 443 --source-group sg-0app<\/pre>/,
    );
    assert.match(card, /<dt>dns<\/dt><dd>private 1\.2 ms<\/dd>/);
    assert.match(card, /<dt>tcp<\/dt><dd>timeout<\/dd>/);
    assert.match(card, /<dt>tls<\/dt><dd>—<\/dd>/);
    assert.match(card, /<dt>l7<\/dt><dd>—<\/dd>/);
    const row = page.slice(page.indexOf('<tr class="pass" data-service="sts"'));
    assert.match(row.slice(0, row.indexOf('</tr>')), /<td class="t">AWS answered 21\.0 ms<\/td>/);
  });

  it('folds the fix as Terraform and CloudFormation under the fix, escaped', () => {
    const broken = target('ecr.dkr', 'fail');
    broken.rootCause = {
      ...broken.rootCause!,
      fixes: {
        terraform: 'resource "aws_vpc_security_group_ingress_rule" "x" {\n  security_group_id = "sg-0ep"\n}',
        cloudformation: 'Ingress:\n  Type: AWS::EC2::SecurityGroupIngress',
      },
    };
    const page = renderHtml(report([broken]), [], options);
    assert.match(
      page,
      /<details class="fix-as-code"><summary>Terraform<\/summary><pre>resource &quot;aws_vpc_security_group_ingress_rule&quot; &quot;x&quot; \{\n {2}security_group_id = &quot;sg-0ep&quot;\n\}<\/pre><\/details>/,
    );
    assert.match(
      page,
      /<summary>CloudFormation<\/summary><pre>Ingress:\n {2}Type: AWS::EC2::SecurityGroupIngress<\/pre>/,
    );
    assert.ok(!renderHtml(report([target('ecr.dkr', 'fail')]), [], options).includes('fix-as-code'));
  });

  it('says no runs are recorded yet when the history is empty, and draws no plot', () => {
    const page = renderHtml(report([target('sts', 'pass')]), [], options);
    assert.match(
      page,
      /<section id="history"><h2>History<\/h2><p class="muted">No runs recorded yet\.<\/p><\/section>/,
    );
    assert.ok(!page.includes('<svg'));
  });

  it('says what was not checked and why for a blind agent, without an empty table', () => {
    const page = renderHtml(blind(), runsOf([blind()]), options);
    assert.match(page, /<p class="verdict">\? UNKNOWN<\/p>/);
    assert.match(
      page,
      /<p class="counts">nothing checked: no targets \(AWS_API_ERROR, CONTEXT_UNRESOLVED\)<\/p>/,
    );
    assert.match(page, /No services: nothing checked\./);
    assert.match(page, /<article class="problem unknown" data-code="CONTEXT_UNRESOLVED">/);
    assert.match(page, /Set VPCE_DOCTOR_VPC_ID=vpc-…/, 'the fix of the unresolved context');
    assert.match(page, /context unresolved \(found region us-east-1\)/);
    assert.ok(!page.includes('<table>'), 'no services table, no history table');
    assert.match(page, /No services to plot\./);
  });

  it('shows the context and the inventory age', () => {
    const r = report([target('sts', 'pass')]);
    r.inventory = { ...r.inventory, fetchedAt: '2026-01-01T00:00:00.500Z', ageMs: 400 };
    const page = renderHtml(r, [], options);
    const context = page.slice(page.indexOf('<section id="context"'));
    for (const fact of [
      'vpc-0a1b',
      'subnet-0c2d',
      'us-east-1a',
      '10.0.1.10',
      'sg-0app',
      '10.0.0.2 (resolv.conf)',
    ]) {
      assert.ok(context.includes(fact), fact);
    }
    assert.match(
      context,
      /<dt>inventory<\/dt><dd>read 00:00:00 UTC, 12\.5 s ago \(400 ms old when the run used it\)/,
    );
    assert.match(page, /checked 12\.0 s ago \(00:00:01 UTC\)/);
  });

  it('draws one series per service over every kept run, bounded by the history', () => {
    const history = createHistory();
    for (let i = 0; i < HISTORY_RUNS + 30; i++) {
      const ecr = target('ecr.dkr', i % 10 === 0 ? 'fail' : 'pass');
      if (i % 10 === 0) ecr.probe = { dns: 'private', tcp: 'timeout', tls: 'skipped', addresses: [] };
      history.record(report([target('secretsmanager', 'pass'), ecr]), FINISHED + i * 60_000);
    }
    const r = report([target('secretsmanager', 'pass'), target('ecr.dkr', 'pass'), target('new', 'pass')]);
    const page = renderHtml(r, history.runs(), options);
    const plots = [...page.matchAll(/<svg class="plot" data-service="([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(plots, ['ecr.dkr', 'new', 'secretsmanager']);
    const ecr = renderPlot('ecr.dkr', history.runs()).text;
    // One rectangle per stretch of equal runs; together they cover every kept run, no more.
    const stretches = [...ecr.matchAll(/<rect class="st (\w+)"[^>]*><title>[^<]*\((\d+) runs?\)<\/title>/g)];
    assert.equal(stretches.length, (HISTORY_RUNS / 10) * 2);
    assert.deepEqual(
      stretches.slice(0, 2).map((m) => [m[1], m[2]]),
      [
        ['fail', '1'],
        ['pass', '9'],
      ],
    );
    assert.equal(
      stretches.reduce((sum, m) => sum + Number(m[2]), 0),
      HISTORY_RUNS,
    );
    // The latency line breaks where the connection did not complete: one segment per gap.
    const d = /<path class="latency" d="([^"]+)"/.exec(ecr)![1]!;
    assert.equal((d.match(/M/g) ?? []).length, HISTORY_RUNS / 10);
    assert.match(
      ecr,
      /aria-label="ecr\.dkr over 120 runs: 12 fail, 108 pass; connect latency 13\.5 ms to 13\.5 ms, last 13\.5 ms"/,
    );
    // A service the kept runs never saw gets an empty plot that says so.
    assert.match(renderPlot('new', history.runs()).text, /not in the kept runs/);
  });

  it('allows exactly its own style block in the CSP, and no script', () => {
    const page = renderHtml(report([target('sts', 'pass')]), [], options);
    const style = /<style>([\s\S]*?)<\/style>/.exec(page)![1]!;
    const hash = createHash('sha256').update(style).digest('base64');
    assert.match(STATUS_PAGE_CSP, new RegExp(`style-src 'sha256-${hash.replace(/[+/]/g, '\\$&')}'`));
    assert.match(STATUS_PAGE_CSP, /default-src 'none'/);
    assert.ok(!/script-src|unsafe-inline/.test(STATUS_PAGE_CSP));
    assert.ok(!page.includes('<script'));
    assert.ok(!/\sstyle="/.test(page), 'no style attribute (the CSP would block it)');
  });

  it('reloads itself to the given URL, never to a fresh run', () => {
    const page = renderHtml(report([target('sts', 'pass')]), [], {
      ...options,
      refreshSeconds: 30,
      refreshUrl: '/?service=sts',
    });
    assert.match(page, /<meta http-equiv="refresh" content="30; url=\/\?service=sts">/);
    assert.ok(!renderHtml(report([]), [], options).includes('http-equiv="refresh"'));
  });
});
