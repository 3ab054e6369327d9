// The Prometheus kit in deploy/: the alert rules checked and unit-tested with promtool (Debian's
// prometheus package, installed by test/lab/host-deps.sh), the Grafana dashboard's queries
// parsed by promtool, and every metric the rules and the dashboard name one the agent really
// exposes — read from /metrics of the app after a run, not from a list kept by hand. Then a real
// Prometheus on loopback scrapes the app every second: the rules evaluate, the alerts the report
// calls for are pending, and every panel and variable of the dashboard gets data.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { parse } from 'yaml';
import { buildApp } from '../../src/app.js';
import { createMetrics } from '../../src/metrics.js';
import type { Finding } from '../../src/model.js';
import { readServeSettings } from '../../src/server.js';
import { freePort } from '../support/moto.js';
import { waitFor } from '../support/wait.js';
import { FakeRunner, report, target } from '../unit/app-fixtures.js';

const run = promisify(execFile);
const root = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const PROMETHEUS_DIR = root('deploy/prometheus');
const ALERTS = join(PROMETHEUS_DIR, 'alerts.yml');
const DASHBOARD = root('deploy/grafana/vpce-doctor-fleet.json');

/** Series Prometheus makes itself for every target, not the agent. */
const PROMETHEUS_MADE = new Set(['up']);
const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'inf',
  'nan',
]);

/** The metric names a PromQL expression selects (function names, labels and keywords left out). */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\{?\w+\}?/g, ' ');
  const names = [...bare.matchAll(/(?<![\w:.])[a-zA-Z_:][\w:]*(?![\w:])(?!\s*\()/g)].map((m) => m[0]);
  return [...new Set(names.filter((name) => !KEYWORDS.has(name.toLowerCase())))];
}

const dns = (code: string, status: Finding['status']): Finding => ({
  check: 'dns',
  code,
  status,
  message: '',
  evidence: {},
});

/** The app after a failed run and a report with every kind of service in it, metrics included. */
async function kitApp(): Promise<FastifyInstance> {
  const metrics = createMetrics({ version: '9.9.9', processMetrics: false, scheduleIntervalSeconds: 60 });
  metrics.observeEc2Call('DescribeVpcEndpoints');
  metrics.observeEc2Call('DescribeFlowLogs', 'UnauthorizedOperation');
  const publicDns = target('logs', 'fail');
  publicDns.findings.push(dns('DNS_RESOLVES_PUBLIC', 'fail'));
  const r = report([
    { ...target('secretsmanager', 'pass'), findings: [dns('DNS_PRIVATE_OK', 'pass')] },
    target('ecr.dkr', 'fail'),
    publicDns,
    target('sts', 'unknown'),
    target('s3', 'pass', { type: 'Gateway' }),
  ]);
  r.inventory.gaps.push({
    call: 'DescribeFlowLogs',
    action: 'ec2:DescribeFlowLogs',
    kind: 'permission',
    errorCode: 'UnauthorizedOperation',
    message: 'denied',
  });
  const runner = new FakeRunner([r]);
  const app = buildApp({ runner, version: '9.9.9', metrics });
  runner.failWith = new Error('a run that ends in an internal error');
  await app.reports.tick();
  runner.failWith = undefined;
  await app.reports.tick();
  return app;
}

/** Sample names on the app's /metrics. */
async function scrapeNames(): Promise<Set<string>> {
  const app = await kitApp();
  try {
    const res = await app.inject('/metrics');
    assert.equal(res.statusCode, 200);
    return new Set(
      res.body
        .split('\n')
        .filter((line) => line !== '' && !line.startsWith('#'))
        .map((line) => /^[a-zA-Z_:][\w:]*/.exec(line)![0]),
    );
  } finally {
    await app.close();
  }
}

interface Panel {
  title?: string;
  type: string;
  targets?: Array<{ expr?: string }>;
  panels?: Panel[];
}
interface Dashboard {
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; query?: string | { query: string } }> };
}

const dashboard = (): Dashboard => JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;

/** Each panel's queries, by panel title. */
function panelQueries(d: Dashboard): Array<{ panel: string; expr: string }> {
  const panels = d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
  return panels.flatMap((p) =>
    (p.targets ?? []).flatMap((t) => (t.expr ? [{ panel: p.title ?? p.type, expr: t.expr }] : [])),
  );
}

/** The series selector inside each `label_values(selector, label)` variable. */
function variableSelectors(d: Dashboard): Array<{ variable: string; expr: string }> {
  return d.templating.list
    .filter((v) => v.type === 'query')
    .map((v) => {
      const query = typeof v.query === 'string' ? v.query : (v.query?.query ?? '');
      const selector = /^label_values\((.+),\s*\w+\)$/.exec(query.trim());
      assert.ok(selector, `variable ${v.name}: label_values(selector, label) expected, got ${query}`);
      return { variable: v.name, expr: selector[1]! };
    });
}

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  annotations?: Record<string, string>;
}
const alertRules = (): Rule[] =>
  (parse(readFileSync(ALERTS, 'utf8')) as { groups: Array<{ rules: Rule[] }> }).groups.flatMap(
    (g) => g.rules,
  );

/** Grafana's variables as values PromQL parses, so promtool can read a panel's query. */
const withoutVariables = (expr: string): string =>
  expr.replace(/\$__rate_interval|\$__interval|\$__range/g, '5m').replace(/\$\{?\w+\}?/g, '.*');

let promtool: string;
let exposed: Set<string>;
let scratch: string;

before(async () => {
  promtool = (await run('sh', ['-c', 'command -v promtool'])).stdout.trim();
  exposed = await scrapeNames();
  scratch = mkdtempSync(join(tmpdir(), 'vpce-doctor-prom-'));
});
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('metricNames', () => {
  it('finds the selected series and leaves functions, labels, keywords and variables out', () => {
    assert.deepEqual(
      metricNames(
        'max by (job, service) (rate(a_total{x=~"$v|y"}[$__rate_interval]) * on (instance) group_left(vpc_id) b_info) or vector(0) unless c == bool 1',
      ),
      ['a_total', 'b_info', 'c'],
    );
    assert.deepEqual(metricNames('time() - x_seconds > 300'), ['x_seconds']);
  });
});

describe('alert rules (deploy/prometheus/alerts.yml)', () => {
  it('pass promtool check rules', async () => {
    const { stdout } = await run(promtool, ['check', 'rules', ALERTS]);
    assert.match(stdout, /SUCCESS: \d+ rules found/);
  });

  it('pass their unit tests (promtool test rules alerts.test.yml)', async () => {
    const { stdout } = await run(promtool, ['test', 'rules', 'alerts.test.yml'], { cwd: PROMETHEUS_DIR });
    assert.match(stdout, /SUCCESS/);
  });

  it('name only metrics the agent exposes, in expressions and annotation queries', () => {
    const rules = alertRules();
    assert.ok(rules.length >= 5, `${rules.length} rules`);
    for (const rule of rules) {
      const named = [
        ...metricNames(rule.expr),
        ...Object.values(rule.annotations ?? {}).flatMap((text) => text.match(/vpce_doctor_\w+/g) ?? []),
      ];
      assert.ok(named.length > 0, `${rule.alert}: no metric found in ${rule.expr}`);
      for (const name of named) {
        assert.ok(
          exposed.has(name) || PROMETHEUS_MADE.has(name),
          `${rule.alert} names ${name}, not on /metrics`,
        );
      }
    }
  });

  it('have a unit test for every alert', () => {
    const tests = readFileSync(join(PROMETHEUS_DIR, 'alerts.test.yml'), 'utf8');
    for (const rule of alertRules()) {
      assert.match(
        tests,
        new RegExp(`alertname: ${rule.alert}\\n\\s+exp_alerts:\\n\\s+- exp_labels`),
        rule.alert,
      );
    }
  });
});

describe('Grafana dashboard (deploy/grafana/vpce-doctor-fleet.json)', () => {
  it('filters by VPC, subnet, AZ and service', () => {
    const names = dashboard().templating.list.map((v) => v.name);
    for (const name of ['vpc', 'subnet', 'az', 'service']) assert.ok(names.includes(name), name);
  });

  it('shows status by service × sidecar, a failing-now table, phase latency and DNS private', () => {
    const queries = panelQueries(dashboard());
    const panelUsing = (metric: string) => queries.find((q) => metricNames(q.expr).includes(metric));
    assert.ok(panelUsing('vpce_doctor_status'));
    assert.ok(panelUsing('vpce_doctor_target_root_cause'));
    assert.ok(panelUsing('vpce_doctor_probe_phase_duration_seconds'));
    assert.ok(panelUsing('vpce_doctor_dns_private'));
  });

  it('queries only metrics the agent exposes, in every panel and variable', () => {
    const d = dashboard();
    const queries = [
      ...panelQueries(d),
      ...variableSelectors(d).map((v) => ({ panel: `$${v.variable}`, expr: v.expr })),
    ];
    assert.ok(queries.length >= 10, `${queries.length} queries`);
    for (const { panel, expr } of queries) {
      const names = metricNames(expr);
      assert.ok(names.length > 0, `${panel}: no metric in ${expr}`);
      for (const name of names) assert.ok(exposed.has(name), `${panel} queries ${name}, not on /metrics`);
    }
  });

  it('has queries promtool parses', async () => {
    const d = dashboard();
    const rules = [
      ...panelQueries(d),
      ...variableSelectors(d).map((v) => ({ panel: v.variable, expr: v.expr })),
    ];
    const file = join(scratch, 'dashboard-queries.yml');
    writeFileSync(
      file,
      JSON.stringify({
        groups: [
          {
            name: 'dashboard',
            rules: rules.map((q, i) => ({ record: `dashboard:query_${i}`, expr: withoutVariables(q.expr) })),
          },
        ],
      }),
    );
    const { stdout } = await run(promtool, ['check', 'rules', file]);
    assert.match(stdout, new RegExp(`SUCCESS: ${rules.length} rules found`));
  });
});

interface PromResponse<T> {
  status: string;
  data: T;
  error?: string;
}
interface Sample {
  metric: Record<string, string>;
}
interface RulesData {
  groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }>;
}
interface AlertsData {
  alerts: Array<{ labels: Record<string, string>; state: string }>;
}

/** Grafana's variables as one sidecar's job and every VPC, subnet, AZ and service. */
const asGrafanaWould = (expr: string): string =>
  expr
    .replace(/\$__rate_interval|\$__interval|\$__range/g, '1m')
    .replace(/\$\{?job\}?/g, 'vpce-doctor')
    .replace(/\$\{?\w+\}?/g, '.*');

describe('a real Prometheus scraping the app (rules loaded, dashboard queried)', () => {
  let app: FastifyInstance;
  let prometheus: ChildProcess | undefined;
  let base: string;
  let stderr = '';

  const api = async <T>(path: string): Promise<T> => {
    const body = (await (await fetch(`${base}${path}`)).json()) as PromResponse<T>;
    assert.equal(body.status, 'success', `${path}: ${body.error}`);
    return body.data;
  };
  const query = (expr: string) =>
    api<{ result: Sample[] }>(`/api/v1/query?query=${encodeURIComponent(expr)}`).then((d) => d.result);

  before(async () => {
    app = await kitApp();
    await app.listen({ host: '127.0.0.1', port: 0 });
    const agent = `127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const config = join(scratch, 'prometheus.yml');
    // JSON is YAML: one scrape of the agent every second, the rules evaluated as often.
    writeFileSync(
      config,
      JSON.stringify({
        global: { scrape_interval: '1s', evaluation_interval: '1s' },
        rule_files: [ALERTS],
        scrape_configs: [{ job_name: 'vpce-doctor', static_configs: [{ targets: [agent] }] }],
      }),
    );
    const binary = (await run('sh', ['-c', 'command -v prometheus'])).stdout.trim();
    prometheus = spawn(
      binary,
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(scratch, 'tsdb')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    prometheus.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    // Three scrapes, so that rate() over the dashboard's window has points to work with.
    await waitFor(
      `Prometheus to scrape ${agent} three times (its log: ${stderr})`,
      async () => ((await query('count_over_time(vpce_doctor_build_info[1m])'))[0] ? true : undefined),
      30_000,
      250,
    );
    await waitFor(
      'three scrapes',
      async () =>
        (await query('count_over_time(up{job="vpce-doctor"}[1m]) >= 3 and up{job="vpce-doctor"} == 1'))[0]
          ? true
          : undefined,
      30_000,
      250,
    );
  });

  after(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus?.once('exit', resolve));
      prometheus.kill('SIGTERM');
      await exited;
    }
    await app?.close();
  });

  it('loads every alert rule and evaluates it without error', async () => {
    const names = alertRules().map((r) => r.alert);
    const rules = await waitFor(
      'every rule evaluated',
      async () => {
        const all = (await api<RulesData>('/api/v1/rules')).groups.flatMap((g) => g.rules);
        return all.length === names.length && all.every((r) => r.health !== 'unknown') ? all : undefined;
      },
      15_000,
      250,
    );
    for (const rule of rules) assert.equal(rule.health, 'ok', `${rule.name}: ${rule.lastError}`);
  });

  it('holds the alerts the exposed report calls for, pending their for: duration', async () => {
    const wanted = [
      'VpceDoctorServiceFailing ecr.dkr',
      'VpceDoctorServiceFailing logs',
      'VpceDoctorServiceUnknown sts',
      'VpceDoctorDnsNotPrivate logs',
    ];
    const alerts = await waitFor(
      'the pending alerts',
      async () => {
        const found = (await api<AlertsData>('/api/v1/alerts')).alerts;
        const keys = found.map((a) => `${a.labels['alertname']} ${a.labels['service'] ?? ''}`.trim());
        return wanted.every((w) => keys.includes(w)) ? keys : undefined;
      },
      15_000,
      250,
    );
    assert.deepEqual(
      [...alerts].sort(),
      [...wanted].sort(),
      'no other alert: the report is fresh and scraped',
    );
  });

  it('answers every dashboard query with data', async () => {
    const d = dashboard();
    for (const { panel, expr } of panelQueries(d)) {
      const result = await query(asGrafanaWould(expr));
      assert.ok(result.length > 0, `${panel}: no data for ${asGrafanaWould(expr)}`);
    }
  });

  it('fills every dashboard variable with the values the app exposes', async () => {
    const expected: Record<string, string> = {
      job: 'vpce-doctor',
      vpc: 'vpc-0a1b',
      subnet: 'subnet-0c2d',
      az: 'us-east-1a',
      service: 'ecr.dkr',
    };
    const d = dashboard();
    for (const v of d.templating.list.filter((x) => x.type === 'query')) {
      const query_ = typeof v.query === 'string' ? v.query : (v.query?.query ?? '');
      const [, selector, label] = /^label_values\((.+),\s*(\w+)\)$/.exec(query_.trim()) ?? [];
      const values = (await query(asGrafanaWould(selector!))).map((sample) => sample.metric[label!]);
      assert.ok(values.includes(expected[v.name]), `$${v.name}: ${values.join(', ')}`);
    }
  });
});

describe('the default port', () => {
  const port = readServeSettings({}).port;

  it('is out of the way of the app in a shared awsvpc namespace and of Prometheus itself', () => {
    assert.notEqual(port, 8080);
    assert.ok(port >= 9000 && port < 10_000, `${port}`);
    assert.ok(port < 9090 || port > 9094, 'Prometheus, Pushgateway and Alertmanager use 9090-9094');
    assert.ok(port < 9100, '9100-9999 are allocated to other exporters');
  });

  it('is the one the image, the templates and the scrape recipe use', () => {
    assert.match(readFileSync(root('Dockerfile'), 'utf8'), new RegExp(`^EXPOSE ${port}$`, 'm'));
    assert.match(
      readFileSync(root('deploy/cloudformation/ecs-sidecar-fragment.yaml'), 'utf8'),
      new RegExp(`ContainerPort: ${port}$`, 'm'),
    );
    assert.match(
      readFileSync(root('deploy/terraform/modules/vpce-doctor/variables.tf'), 'utf8'),
      new RegExp(`default\\s+= ${port}$`, 'm'),
    );
    assert.match(readFileSync(join(PROMETHEUS_DIR, 'README.md'), 'utf8'), new RegExp(`\\b${port}\\b`));
  });
});
