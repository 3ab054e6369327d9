// `report --format junit`: a report as JUnit XML, which CI systems (GitLab, Jenkins, GitHub
// test reporters) show as a test run. One <testcase> per service, classname the service:
//   pass    an empty test case
//   warn    passes, the warning and its fix in <system-out> (it works, but costs or risks something)
//   fail    <failure type=ROOT_CAUSE message=…> with the cause and its fix
//   unknown <error type=CODE …>: the agent could not decide. Not <skipped>: a pipeline must not
//           read "nothing to see" into an undecided check, and the exit code (3) says the same.
// Findings about the agent itself (where it runs, AWS access) are one more test case, classname
// `vpce-doctor`, name `context`, so that a run that checked nothing is never an empty, green suite.
import type { Report, Status, TargetReport } from '../model.js';
import { describePlace } from './summary.js';
import { type FixFormat, fixLines } from './text.js';

export interface JunitOptions {
  /** Which form of each fix to print, as the text report does (default cli: the `fix` line). */
  fixFormat?: FixFormat;
}

interface Case {
  classname: string;
  name: string;
  ms: number;
  status: Status;
  /** The code that decided the status, for the failure or error element's type. */
  code?: string;
  message?: string;
  body: string;
}

/** XML 1.0 allows tab, newline, carriage return and printable characters only, even escaped. */
const INVALID = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

function escapeXml(text: string): string {
  return text
    .replace(INVALID, '\uFFFD')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}

/** Attribute values keep line breaks only as character references (parsers fold raw ones). */
const attr = (text: string): string => escapeXml(text).replaceAll('\n', '&#10;').replaceAll('\r', '&#13;');

const time = (ms: number | undefined): string => ((ms ?? 0) / 1000).toFixed(3);

function targetCase(target: TargetReport, options: JunitOptions): Case {
  const undecided = target.findings.find((f) => f.status === 'unknown');
  const decided = target.rootCause ?? (target.status === 'unknown' ? undecided : undefined);
  const probe = target.probe;
  const lines = [
    `${target.status}: ${target.shortName} (${target.hostname}) through ${target.endpointId ?? 'no endpoint'} (${target.endpointType})`,
    ...(probe ? [`dns ${probe.dns} · tcp ${probe.tcp} · tls ${probe.tls}`] : []),
    ...(decided ? [`${decided.code}: ${decided.message}`] : []),
    ...(decided ? fixLines(decided, options.fixFormat).map((line) => line.slice(2)) : []),
  ];
  const ms = (probe?.dnsMs ?? 0) + (probe?.tcpMs ?? 0) + (probe?.tlsMs ?? 0);
  return {
    classname: target.service,
    name: target.shortName,
    ms,
    status: target.status,
    ...(decided ? { code: decided.code, message: decided.message } : {}),
    body: lines.join('\n'),
  };
}

function contextCase(report: Report, options: JunitOptions): Case {
  const findings = report.findings.filter((f) => f.status !== 'pass' && f.status !== 'info');
  const worst =
    (['fail', 'unknown', 'warn'] as const).find((s) => findings.some((f) => f.status === s)) ??
    (report.targets.length === 0 ? 'unknown' : 'pass');
  const first = findings.find((f) => f.status === worst);
  const lines = [
    `${worst}: ${describePlace(report).text}`,
    ...findings.flatMap((f) => [`${f.status} ${f.code}: ${f.message}`, ...fixLines(f, options.fixFormat)]),
    ...(report.targets.length === 0 ? ['no services were checked'] : []),
  ];
  return {
    classname: 'vpce-doctor',
    name: 'context',
    ms: report.phases['context'] ?? 0,
    status: worst,
    code: first?.code ?? worst,
    message: first?.message ?? 'no services were checked',
    body: lines.join('\n'),
  };
}

function renderCase(c: Case): string {
  const open = `    <testcase classname="${attr(c.classname)}" name="${attr(c.name)}" time="${time(c.ms)}"`;
  const summary = `${c.code ?? ''}: ${c.message ?? ''}`;
  switch (c.status) {
    case 'fail':
      return `${open}>\n      <failure type="${attr(c.code ?? 'FAIL')}" message="${attr(summary)}">${escapeXml(c.body)}</failure>\n    </testcase>`;
    case 'unknown':
      return `${open}>\n      <error type="${attr(c.code ?? 'UNKNOWN')}" message="${attr(summary)}">${escapeXml(c.body)}</error>\n    </testcase>`;
    case 'warn':
      return `${open}>\n      <system-out>${escapeXml(c.body)}</system-out>\n    </testcase>`;
    default:
      return `${open}/>`;
  }
}

export function renderJunit(report: Report, options: JunitOptions = {}): string {
  const cases = [contextCase(report, options), ...report.targets.map((t) => targetCase(t, options))];
  const count = (status: Status) => cases.filter((c) => c.status === status).length;
  const totals = `tests="${cases.length}" failures="${count('fail')}" errors="${count('unknown')}" skipped="0"`;
  const seconds = time(report.durationMs);
  const name = `vpce-doctor ${describePlace(report).text}`;
  const c = report.context;
  const properties = [
    ['vpce-doctor.version', report.tool.version],
    ['status', report.status],
    ['region', c.region],
    ['vpcId', c.vpcId],
    ['subnetId', c.subnetId],
    ['availabilityZone', c.availabilityZone],
    ['privateIp', c.privateIp],
    ['securityGroupIds', c.securityGroupIds.join(',')],
  ].filter((p): p is [string, string] => Boolean(p[1]));
  return `${[
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="vpce-doctor" ${totals} time="${seconds}">`,
    `  <testsuite name="${attr(name)}" ${totals} time="${seconds}" timestamp="${attr(report.startedAt)}">`,
    '    <properties>',
    ...properties.map(([k, v]) => `      <property name="${attr(k)}" value="${attr(v)}"/>`),
    '    </properties>',
    ...cases.map(renderCase),
    '  </testsuite>',
    '</testsuites>',
  ].join('\n')}\n`;
}
