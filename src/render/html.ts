// The status page of `vpce-doctor serve` at `/`, for a person with a browser during an incident:
// what is broken first, its cause and fix in large type, then every service's timings, the
// recent runs as small plots drawn here (inline SVG: no JavaScript, nothing fetched), and where
// the agent sits. Pure: a report and the kept runs in, a string out.
//
// Every value from the report is escaped: names, messages and fixes can carry text an endpoint,
// a DNS answer or an AWS error chose. The `html` tag below escapes whatever it interpolates
// unless it is markup this file built, so forgetting to escape takes effort.
import { createHash } from 'node:crypto';
import type { RunPoint, ServicePoint } from '../history.js';
import type { Finding, FixSet, Report, Status, TargetReport } from '../model.js';
import { byCodeUnits } from '../order.js';
import { countTargets, describePlace, nothingChecked } from './summary.js';
import { snippetOf } from './text.js';

export interface HtmlOptions {
  /** When the page is rendered (epoch ms): the report's age is said from it. */
  now: number;
  /** When the served report's run finished (epoch ms). */
  finishedAt: number;
  /** Reload the page every this many seconds (meta refresh); absent or 0: never. */
  refreshSeconds?: number;
  /** Where a reload goes: the page's own path and `?service=`, never `?fresh=1`. */
  refreshUrl?: string;
}

/** Markup this file built; anything else interpolated into `html` is escaped. */
class Markup {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

function piece(value: unknown): string {
  if (value instanceof Markup) return value.text;
  if (Array.isArray(value)) return value.map(piece).join('');
  if (value === undefined || value === null || value === false) return '';
  return escapeHtml(String(value));
}

function html(strings: TemplateStringsArray, ...values: unknown[]): Markup {
  let out = strings[0]!;
  values.forEach((value, i) => {
    out += piece(value) + strings[i + 1]!;
  });
  return new Markup(out);
}

/** Failing services first, then undecided ones, warnings, and the passing. */
const STATUS_ORDER: Record<Status, number> = { fail: 0, unknown: 1, warn: 2, pass: 3, info: 4 };
const MARK: Record<Status, string> = { pass: '✓', warn: '!', fail: '✗', unknown: '?', info: 'i' };
const WORD: Record<Status, string> = {
  pass: 'PASS',
  warn: 'WARN',
  fail: 'FAIL',
  unknown: 'UNKNOWN',
  info: 'INFO',
};

// Dark unless the reader's system asks for light: the page is read at night. Colour never
// carries meaning alone: every status is also a mark and a word.
const STYLE = `
:root{color-scheme:dark light;--bg:#0f1216;--fg:#e8eaed;--muted:#9aa3ad;--card:#171b21;--line:#2c333c;--code:#0a0d11;--pass:#3ddc84;--warn:#ffc24b;--fail:#ff6b6b;--unknown:#d0a2ff;--info:#7cb8ff}
@media (prefers-color-scheme:light){:root{--bg:#f7f7f8;--fg:#14171a;--muted:#555f6a;--card:#fff;--line:#d5d9de;--code:#eef0f2;--pass:#1a7f37;--warn:#8a5a00;--fail:#c62828;--unknown:#7b3fc4;--info:#0b62c4}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:18px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
header,main,footer{max-width:75rem;margin:0 auto;padding:0 1.25rem}
h2{font-size:1.3rem;margin:2rem 0 .6rem;border-bottom:1px solid var(--line);padding-bottom:.3rem}
h3{font-size:1.25rem;margin:0 0 .3rem}
a{color:var(--info)}
.pass{--s:var(--pass)}.warn{--s:var(--warn)}.fail{--s:var(--fail)}.unknown{--s:var(--unknown)}.info{--s:var(--info)}
.banner{margin-top:1rem;padding:.9rem 1.25rem;border-left:.7rem solid var(--s);background:var(--card)}
.verdict{font-size:2.8rem;font-weight:800;line-height:1.1;margin:0;color:var(--s)}
.counts{font-size:1.3rem;margin:.3rem 0}
.muted,.where{color:var(--muted)}
.badge{color:var(--s);font-weight:800;white-space:nowrap}
.service,.problem{background:var(--card);border:1px solid var(--line);border-left:.55rem solid var(--s);border-radius:.35rem;padding:.8rem 1rem;margin:.8rem 0}
.code{font-weight:700}
.message{margin:.3rem 0}
pre{background:var(--code);border:1px solid var(--line);padding:.6rem .8rem;margin:.3rem 0;white-space:pre-wrap;overflow-wrap:anywhere}
code,pre{font:15px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
dl.phases{display:flex;flex-wrap:wrap;gap:.4rem 1.6rem;margin:.5rem 0}
dl.phases div{display:flex;gap:.4rem}
dt{color:var(--muted)}
dd{margin:0}
details{margin-top:.4rem}
details li{margin:.2rem 0}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid var(--line);vertical-align:middle}
td.t{white-space:nowrap}
th{color:var(--muted);font-weight:600}
td.plot{width:60%}
svg.plot{display:block;width:100%;height:auto}
svg .st{fill:var(--s);shape-rendering:crispEdges}
svg .latency{fill:none;stroke:var(--fg);stroke-width:1.5}
svg .dot{fill:var(--fg)}
svg .axis{stroke:var(--line)}
svg text{fill:var(--muted);font:11px system-ui,sans-serif}
dl.context{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1.2rem}
footer{margin:2rem auto;color:var(--muted);font-size:.9rem}
`;

/**
 * The page's Content-Security-Policy: nothing loads, nothing runs; the one inline style block is
 * allowed by its hash (no 'unsafe-inline'), so markup injected past the escaping could not style
 * or script the page either.
 */
export const STATUS_PAGE_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const utc = (ms: number): string => new Date(ms).toISOString().slice(11, 19);

function duration(ms: number): string {
  const abs = Math.max(0, ms);
  if (abs < 1000) return `${Math.round(abs)} ms`;
  if (abs < 60_000) return `${(abs / 1000).toFixed(1)} s`;
  if (abs < 3_600_000) return `${Math.floor(abs / 60_000)} min ${Math.round((abs % 60_000) / 1000)} s`;
  return `${Math.floor(abs / 3_600_000)} h ${Math.round((abs % 3_600_000) / 60_000)} min`;
}

const milliseconds = (ms: number): string => `${ms.toFixed(1)} ms`;

function sortTargets(targets: TargetReport[]): TargetReport[] {
  return [...targets].sort(
    (a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || byCodeUnits(a.shortName, b.shortName),
  );
}

interface Phase {
  name: string;
  value: string;
}

/** The four phases a client goes through, each with its outcome and time. */
function phasesOf(target: TargetReport): Phase[] {
  const p = target.probe;
  const cell = (label: string | undefined, ms: number | undefined): string => {
    if (!label || label === 'skipped' || label === 'n/a') return '—';
    if (ms === undefined) return label;
    return label === 'ok' ? milliseconds(ms) : `${label} ${milliseconds(ms)}`;
  };
  const l7 = target.findings.find((f) => f.check === 'http' && f.code.startsWith('L7_'));
  const l7Label =
    !l7 || l7.code === 'L7_SKIPPED'
      ? '—'
      : `${l7.code === 'L7_AWS_OK' ? 'AWS answered' : l7.code.slice(3).toLowerCase().replaceAll('_', ' ')}${
          l7.durationMs !== undefined ? ` ${milliseconds(l7.durationMs)}` : ''
        }`;
  return [
    { name: 'dns', value: cell(p?.dns, p?.dnsMs) },
    { name: 'tcp', value: cell(p?.tcp, p?.tcpMs) },
    { name: 'tls', value: cell(p?.tls, p?.tlsMs) },
    { name: 'l7', value: l7Label },
  ];
}

/** What a target that is not passing shows as its cause: the root cause, else what left it undecided. */
function causeOf(
  target: TargetReport,
): { code: string; message: string; fix?: string; fixes?: FixSet } | undefined {
  if (target.rootCause) return target.rootCause;
  if (target.status === 'pass' || target.status === 'info') return undefined;
  const finding = target.findings.find((f) => f.status === target.status);
  if (!finding) return undefined;
  return {
    code: finding.code,
    message: target.status === 'unknown' ? `could not decide: ${finding.message}` : finding.message,
    ...(finding.fix ? { fix: finding.fix } : {}),
    ...(finding.fixes ? { fixes: finding.fixes } : {}),
  };
}

function findingItem(f: Finding): Markup {
  return html`<li class="${f.status}"><span class="badge">${MARK[f.status]}</span> <code>${f.code}</code> ${f.message}</li>`;
}

/** The fix in words or as a command, then the same change as CLI commands, Terraform and CloudFormation, folded. */
function fixBlock(fix: string | undefined, fixes: FixSet | undefined): Markup {
  // The CLI commands with the real ids, when they say more than the fix line (no `sg-…` placeholders).
  const asCode: Array<[string, string | undefined]> = [
    ['AWS CLI', snippetOf({ ...(fix ? { fix } : {}), ...(fixes ? { fixes } : {}) }, 'cli')],
    ['Terraform', fixes?.terraform],
    ['CloudFormation', fixes?.cloudformation],
  ];
  return html`${fix ? html`<p class="fix-label muted">Fix</p><pre class="fix">${fix}</pre>` : ''}${asCode.map(
    ([kind, code]) =>
      code ? html`<details class="fix-as-code"><summary>${kind}</summary><pre>${code}</pre></details>` : '',
  )}`;
}

function causeBlock(cause: { code: string; message: string; fix?: string; fixes?: FixSet }): Markup {
  return html`<div class="cause">
<p class="code"><a href="/findings/${encodeURIComponent(cause.code)}">${cause.code}</a></p>
<p class="message">${cause.message}</p>
${fixBlock(cause.fix, cause.fixes)}
</div>`;
}

function serviceCard(target: TargetReport): Markup {
  const cause = causeOf(target);
  const endpoint = target.endpointId ? `${target.endpointId} · ${target.endpointType}` : 'no endpoint';
  return html`<article class="service ${target.status}" data-service="${target.shortName}" data-status="${target.status}">
<h3><span class="badge">${MARK[target.status]} ${WORD[target.status]}</span> ${target.shortName} <span class="muted">${endpoint}</span></h3>
<p class="muted">${target.hostname || target.service}</p>
${cause ? causeBlock(cause) : ''}
<dl class="phases">${phasesOf(target).map((p) => html`<div><dt>${p.name}</dt><dd>${p.value}</dd></div>`)}</dl>
<details><summary>${target.findings.length} findings</summary><ul>${target.findings.map(findingItem)}</ul></details>
</article>`;
}

function serviceRow(target: TargetReport): Markup {
  return html`<tr class="${target.status}" data-service="${target.shortName}" data-status="${target.status}">
<td><span class="badge">${MARK[target.status]} ${WORD[target.status]}</span></td>
<td>${target.shortName}</td><td>${target.endpointId ?? 'none'}</td>
${phasesOf(target).map((p) => html`<td class="t">${p.value}</td>`)}
<td>${target.rootCause?.code ?? ''}</td></tr>`;
}

function problemCard(f: Finding): Markup {
  return html`<article class="problem ${f.status}" data-code="${f.code}">
<h3><span class="badge">${MARK[f.status]} ${WORD[f.status]}</span> ${f.code}</h3>
<p class="message">${f.message}</p>
${fixBlock(f.fix, f.fixes)}
</article>`;
}

const PLOT = { width: 600, height: 64, left: 4, right: 4, top: 14, latency: 32, strip: 12 };

/**
 * One service over the kept runs: a coloured strip of its status per run (a gap where the run did
 * not have it) under a line of its connect latency (a gap where it did not connect). The time
 * axis is the runs' finish times, so fresh runs between scheduled ones sit where they happened.
 */
export function renderPlot(shortName: string, runs: readonly RunPoint[]): Markup {
  const { width, left, right, top, latency, strip } = PLOT;
  const first = runs[0]?.finishedAt ?? 0;
  const span = (runs.at(-1)?.finishedAt ?? 0) - first;
  const inner = width - left - right;
  const xs = runs.map((r) => (span > 0 ? left + ((r.finishedAt - first) / span) * inner : left + inner));
  const points = runs.map((r) => r.services[shortName]);
  const values = points.map((p) => p?.latencyMs).filter((v): v is number => v !== undefined);
  const max = values.length > 0 ? Math.max(...values) : 0;
  const y = (v: number): number => top + latency - (max > 0 ? (v / max) * latency : 0);
  const stripY = top + latency + 4;
  // One rectangle per stretch of runs with the same status and cause, not one per run: a page of
  // 30 services × 120 runs stays small, and a hover names the stretch.
  const leftEdge = (i: number): number => (i === 0 ? left : (xs[i - 1]! + xs[i]!) / 2);
  const rightEdge = (i: number): number => (i === xs.length - 1 ? width - right : (xs[i]! + xs[i + 1]!) / 2);
  const same = (a: ServicePoint | undefined, b: ServicePoint | undefined): boolean =>
    a !== undefined && b !== undefined && a.status === b.status && a.code === b.code;
  const rects: Markup[] = [];
  let stretch = 0;
  points.forEach((p, i) => {
    if (!same(points[i - 1], p)) stretch = i;
    if (!p || same(p, points[i + 1])) return;
    const from = leftEdge(stretch);
    const to = rightEdge(i);
    const n = i - stretch + 1;
    rects.push(
      html`<rect class="st ${p.status}" x="${from.toFixed(1)}" y="${stripY}" width="${Math.max(1, to - from).toFixed(1)}" height="${strip}"><title>${
        n === 1 ? utc(runs[i]!.finishedAt) : `${utc(runs[stretch]!.finishedAt)}–${utc(runs[i]!.finishedAt)}`
      } UTC: ${WORD[p.status]}${p.code ? ` ${p.code}` : ''} (${n} run${n === 1 ? '' : 's'})</title></rect>`,
    );
  });
  let d = '';
  const dots: Markup[] = [];
  points.forEach((p, i) => {
    const v = p?.latencyMs;
    if (v === undefined) return;
    const joined = points[i - 1]?.latencyMs !== undefined;
    d += `${joined ? 'L' : 'M'}${xs[i]!.toFixed(1)} ${y(v).toFixed(1)}`;
    // A dot where a stretch of measurements ends (the latest, or the last before a failure), so
    // a stretch of runs close in time still shows.
    if (points[i + 1]?.latencyMs === undefined) {
      dots.push(html`<circle class="dot" cx="${xs[i]!.toFixed(1)}" cy="${y(v).toFixed(1)}" r="2.5"/>`);
    }
  });
  const counts = new Map<Status, number>();
  for (const p of points) if (p) counts.set(p.status, (counts.get(p.status) ?? 0) + 1);
  const last = points.at(-1)?.latencyMs;
  const label = `${shortName} over ${runs.length} run${runs.length === 1 ? '' : 's'}: ${[...counts]
    .sort(([a], [b]) => STATUS_ORDER[a] - STATUS_ORDER[b])
    .map(([status, n]) => `${n} ${status}`)
    .join(', ')}; connect latency ${
    values.length > 0
      ? `${milliseconds(Math.min(...values))} to ${milliseconds(max)}${last !== undefined ? `, last ${milliseconds(last)}` : ''}`
      : 'not measured (no connection completed)'
  }`;
  return html`<svg class="plot" data-service="${shortName}" viewBox="0 0 ${width} ${PLOT.height}" role="img" aria-label="${label}" xmlns="http://www.w3.org/2000/svg">
<title>${label}</title>
<line class="axis" x1="${left}" y1="${top + latency}" x2="${width - right}" y2="${top + latency}"/>
<text x="${left}" y="10">${
    values.length > 0
      ? `max ${milliseconds(max)}`
      : rects.length > 0
        ? 'no connection completed'
        : 'not in the kept runs'
  }</text>
<g class="series" data-service="${shortName}">${rects}${d ? html`<path class="latency" d="${d}"/>` : ''}${dots}</g>
</svg>`;
}

function historySection(targets: TargetReport[], runs: readonly RunPoint[]): Markup {
  if (runs.length === 0 || targets.length === 0) {
    const why = runs.length === 0 ? 'No runs recorded yet.' : 'No services to plot.';
    return html`<section id="history"><h2>History</h2><p class="muted">${why}</p></section>`;
  }
  const first = runs[0]!.finishedAt;
  const last = runs.at(-1)!.finishedAt;
  const rows = targets.map((t) => {
    const latest = runs.at(-1)!.services[t.shortName];
    const latency = latest?.latencyMs;
    return html`<tr data-service="${t.shortName}"><td>${t.shortName}</td><td class="plot">${renderPlot(t.shortName, runs)}</td><td>${
      latency !== undefined ? milliseconds(latency) : '—'
    }</td></tr>`;
  });
  return html`<section id="history"><h2>History</h2>
<p class="muted">The last ${runs.length} run${runs.length === 1 ? '' : 's'}, ${utc(first)} to ${utc(last)} UTC: status per run (strip) and DNS + TCP + TLS connect latency (line).</p>
<table><thead><tr><th>service</th><th>status and latency over time</th><th>last latency</th></tr></thead><tbody>${rows}</tbody></table>
</section>`;
}

function contextSection(report: Report, now: number): Markup {
  const c = report.context;
  const fact = (name: string, value: string | undefined, key?: string): Markup | '' => {
    if (!value) return '';
    const source = key ? c.sources[key] : undefined;
    return html`<dt>${name}</dt><dd>${value}${source ? html` <span class="muted">(from ${source})</span>` : ''}</dd>`;
  };
  const inv = report.inventory;
  const fetched = inv.fetchedAt ? Date.parse(inv.fetchedAt) : Number.NaN;
  const inventory = Number.isNaN(fetched)
    ? 'not read'
    : `read ${utc(fetched)} UTC, ${duration(now - fetched)} ago (${duration(inv.ageMs)} old when the run used it), ${inv.calls} calls`;
  const gaps = inv.gaps.map((g) => `${g.action} ${g.errorCode}`).join(', ');
  const az =
    c.availabilityZoneId && c.availabilityZoneId !== c.availabilityZone
      ? `${c.availabilityZone} (${c.availabilityZoneId})`
      : c.availabilityZone;
  return html`<section id="context"><h2>Where this agent is</h2><dl class="context">
${fact('region', c.region, 'region')}${fact('VPC', c.vpcId, 'vpcId')}${fact('subnet', c.subnetId, 'subnetId')}${fact(
  'availability zone',
  az || 'unknown',
  'availabilityZone',
)}${fact('private IP', c.privateIp, 'privateIp')}${fact('security groups', c.securityGroupIds.join(', '), 'securityGroupIds')}
${fact('resolvers', c.resolvers.map((r) => `${r.address} (${r.source})`).join(', ') || 'none')}
${fact('inventory', inventory)}${fact('unread calls', gaps)}
${fact(
  'run phases',
  Object.entries(report.phases)
    .map(([phase, ms]) => `${phase} ${duration(ms)}`)
    .join(', '),
)}
</dl></section>`;
}

export function renderHtml(report: Report, runs: readonly RunPoint[], options: HtmlOptions): string {
  const place = describePlace(report);
  const counts = countTargets(report.targets);
  const none = nothingChecked(report);
  const countLine = none
    ? `nothing checked: ${none}`
    : [
        counts.fail ? `${counts.fail} failing` : '',
        counts.unknown ? `${counts.unknown} undecided` : '',
        counts.warn ? `${counts.warn} warning${counts.warn === 1 ? '' : 's'}` : '',
        `${counts.pass} passing`,
        counts.info ? `${counts.info} info` : '',
      ]
        .filter(Boolean)
        .join(', ');
  const targets = sortTargets(report.targets);
  const attention = targets.filter(
    (t) => t.status === 'fail' || t.status === 'unknown' || t.status === 'warn',
  );
  const problems = report.findings
    .filter((f) => f.status !== 'pass' && f.status !== 'info')
    .sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status]);
  const refresh =
    options.refreshSeconds && options.refreshSeconds > 0
      ? html`<meta http-equiv="refresh" content="${options.refreshSeconds}${options.refreshUrl ? `; url=${options.refreshUrl}` : ''}">`
      : '';
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="dark light">
${refresh}
<title>${MARK[report.status]} ${WORD[report.status]} · vpce-doctor · ${place.text}</title>
<style>${new Markup(STYLE)}</style>
</head>
<body>
<header class="banner ${report.status}" id="overall" data-status="${report.status}">
<p class="verdict">${MARK[report.status]} ${WORD[report.status]}</p>
<p class="counts">${countLine}</p>
<p class="where">${place.text} · checked ${duration(options.now - options.finishedAt)} ago (${utc(options.finishedAt)} UTC)</p>
</header>
<main>
${problems.length > 0 ? html`<section id="problems"><h2>This agent</h2>${problems.map(problemCard)}</section>` : ''}
${attention.length > 0 ? html`<section id="attention"><h2>Needs attention</h2>${attention.map(serviceCard)}</section>` : ''}
<section id="services"><h2>Services</h2>
${
  targets.length > 0
    ? html`<table><thead><tr><th>status</th><th>service</th><th>endpoint</th><th>dns</th><th>tcp</th><th>tls</th><th>l7</th><th>cause</th></tr></thead><tbody>${targets.map(serviceRow)}</tbody></table>`
    : html`<p>No services: nothing checked.</p>`
}
</section>
${historySection(targets, runs)}
${contextSection(report, options.now)}
</main>
<footer>vpce-doctor ${report.tool.version} · run started ${report.startedAt}, took ${duration(report.durationMs)} · also as <a href="/report.txt">text</a>, <a href="/report.json">JSON</a>, <a href="/report.md">Markdown</a>, <a href="/metrics">metrics</a></footer>
</body>
</html>
`;
  return page.text;
}
