// The table an on-call engineer reads at 3 a.m.: one line per service, then causes and fixes.
import type { Finding, FixSet, Report, TargetReport } from '../model.js';
import { countTargets, describePlace, nothingChecked } from './summary.js';

/** Which form of the fix the report shows: the `fix` line (cli, the default), or its code. */
export type FixFormat = 'cli' | 'terraform' | 'cloudformation';

export interface TextOptions {
  color: boolean;
  /** Which of a failing finding's `fixes` to print (default cli: the `fix` line). */
  fixFormat?: FixFormat;
}

const FIX_LABEL: Record<FixFormat, string> = {
  cli: 'AWS CLI',
  terraform: 'Terraform',
  cloudformation: 'CloudFormation',
};

/**
 * The snippet of this kind worth printing: the CLI one only when it says more than the `fix`
 * line (real ids instead of `sg-…`, a policy inline instead of file://): when the fix line
 * already holds each of its commands word for word, it would only be printed twice.
 */
export function snippetOf(item: { fix?: string; fixes?: FixSet }, format: FixFormat): string | undefined {
  const snippet = item.fixes?.[format];
  if (!snippet) return undefined;
  if (format !== 'cli' || !item.fix) return snippet;
  const commands = snippet.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#'));
  const fix = item.fix;
  return commands.every((command) => fix.includes(command)) ? undefined : snippet;
}

/**
 * The `fix` line, always (it says why and which option is preferred), then the snippet the
 * format asks for under it. A finding without a snippet of that kind says there is none: a fix
 * that is not a resource change (a restart, a DNS server outside AWS), or one that removes a
 * resource instead of adding one (a route to delete); a snippet is never invented for it.
 */
export function fixLines(item: { fix?: string; fixes?: FixSet }, format: FixFormat = 'cli'): string[] {
  const lines = item.fix ? [`  fix: ${item.fix}`] : [];
  const snippet = snippetOf(item, format);
  if (snippet) {
    return [
      ...lines,
      `  fix (${FIX_LABEL[format]}):`,
      ...snippet
        .trimEnd()
        .split('\n')
        .map((line) => (line ? `    ${line}` : '')),
    ];
  }
  if (format === 'cli' || !item.fix) return lines;
  const why = item.fixes ? 'it is not expressible as a snippet to add' : 'it is not a resource change';
  return [...lines, `  (no ${FIX_LABEL[format]} for this fix: ${why})`];
}

const MARK: Record<string, string> = { pass: '✓', warn: '!', fail: '✗', unknown: '?', info: 'i' };
const COLOR: Record<string, string> = { pass: '32', warn: '33', fail: '31', unknown: '35', info: '36' };

/** Colour only on a terminal and never with NO_COLOR (https://no-color.org). */
export function shouldColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return Boolean(stream.isTTY) && env.NO_COLOR === undefined && env.TERM !== 'dumb';
}

const CONFIG_LABELS: Array<[RegExp, string]> = [
  [/^ENDPOINT_MISSING$/, 'no endpoint'],
  [/^ENDPOINT_NOT_AVAILABLE$/, 'not available'],
  [/^ENDPOINT_NOT_IN_AZ$/, 'other AZ only'],
  [/^ENDPOINT_PRIVATE_DNS_DISABLED$/, 'private DNS off'],
  [/^VPC_DNS_/, 'VPC DNS off'],
  [/^DHCP_CUSTOM_DNS$/, 'custom DNS'],
  [/^HUB_ZONE_NOT_ASSOCIATED$/, 'zone not associated'],
  [/^HUB_RULE_NOT_ASSOCIATED$/, 'rule not associated'],
  [/^HUB_RULE_TARGETS_DOWN$/, 'rule targets down'],
  [/^HUB_SG_EXCLUDES_SPOKE$/, 'hub SG blocks'],
  [/^HUB_UNREADABLE$/, 'hub unread'],
  [/^TGW_ROUTE_MISSING$/, 'no TGW route'],
  [/^TGW_RETURN_ROUTE_MISSING$/, 'no TGW return route'],
  [/^PEERING_NOT_ACTIVE$/, 'peering inactive'],
  [/^ENDPOINT_IPV4_ONLY_AAAA_FIRST$/, 'IPv4-only endpoint'],
  [/^ENDPOINT_IPV6_ONLY_AGENT_IPV4$/, 'IPv6-only endpoint'],
  [/^ROUTE_VIA_NAT$/, 'via NAT'],
  [/^ROUTE_GATEWAY_MISSING$/, 'no route'],
  [/^ROUTE_/, 'route'],
  [/^SG_/, 'SG blocks'],
  [/^NACL_/, 'ACL blocks'],
  [/^PROBE_CONTRADICTS_CONFIG$/, 'config allows'],
  [/^CONFIG_CONTRADICTS_PROBE$/, 'config denies'],
];

function configLabel(target: TargetReport): string {
  const code = target.rootCause?.code;
  if (!code) {
    const unknown = target.findings.some((f) => f.status === 'unknown');
    if (unknown) return 'unknown';
    return target.endpointType === 'Gateway' ? 'route ok' : 'ok';
  }
  return (
    CONFIG_LABELS.find(([pattern]) => pattern.test(code))?.[1] ?? code.toLowerCase().replaceAll('_', ' ')
  );
}

const ms = (value: number | undefined): string => (value === undefined ? '' : `${value.toFixed(1)} ms`);

function probeCell(label: string | undefined, duration: number | undefined): string {
  if (!label || label === 'skipped' || label === 'n/a') return '—';
  if (duration === undefined) return label;
  if (label === 'ok') return ms(duration);
  return label === 'private' || label === 'public' ? `${label} ${ms(duration)}` : label;
}

function endpointCell(target: TargetReport): string {
  if (!target.endpointId) return 'none';
  return target.endpointId;
}

function shapeCell(target: TargetReport): string {
  if (target.endpointType === 'Interface') {
    const n = target.probe?.addresses.length ?? 0;
    return `${n} ENI${n === 1 ? '' : 's'}`;
  }
  if (target.endpointType === 'Gateway') {
    const pl = target.findings.find((f) => typeof f.evidence['prefixListId'] === 'string')?.evidence[
      'prefixListId'
    ];
    return typeof pl === 'string' ? pl : 'prefix list';
  }
  return '';
}

function pad(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, [...cell].length);
    });
  }
  return rows.map((row) =>
    row
      .map((cell, i) =>
        i === row.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - [...cell].length),
      )
      .join('  ')
      .trimEnd(),
  );
}

function paint(text: string, status: string, color: boolean): string {
  return color ? `\u001b[${COLOR[status] ?? '0'}m${text}\u001b[0m` : text;
}

function formatSeconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export function renderText(report: Report, options: TextOptions = { color: false }): string {
  const c = report.context;
  const lines: string[] = [];
  const place = describePlace(report);
  const where = place.resolved
    ? `${place.text} · ${c.securityGroupIds.join(',') || 'no SG'} · resolver ${
        c.resolvers.map((r) => r.address).join(', ') || 'none'
      }`
    : place.text;
  lines.push(`vpce-doctor ${report.tool.version} · ${where}`);

  const header = ['', 'service', 'endpoint', 'type', '', 'dns', 'tcp', 'tls', 'config'];
  const rows = report.targets.map((t) => [
    MARK[t.status] ?? '?',
    t.shortName,
    endpointCell(t),
    t.endpointType === 'none' ? '—' : t.endpointType,
    shapeCell(t),
    probeCell(t.probe?.dns, t.probe?.dnsMs),
    probeCell(t.probe?.tcp, t.probe?.tcpMs),
    probeCell(t.probe?.tls, t.probe?.tlsMs),
    configLabel(t),
  ]);
  if (rows.length > 0) {
    const padded = pad([header, ...rows]);
    lines.push(padded[0]!);
    padded.slice(1).forEach((line, i) => {
      lines.push(paint(line, report.targets[i]!.status, options.color));
    });
  } else {
    lines.push('no targets: nothing checked');
  }

  const problems: string[] = [];
  for (const finding of report.findings.filter((f) => f.status !== 'pass' && f.status !== 'info')) {
    problems.push(...explainFinding(`${MARK[finding.status]} ${finding.code}`, finding, options));
  }
  // One cause shared by many services (an ACL, the agent's SG) is printed once, naming them all.
  const causes = new Map<string, TargetReport[]>();
  for (const t of report.targets.filter((x) => x.status !== 'pass' && x.rootCause)) {
    const key = `${t.status}|${t.rootCause!.code}|${t.rootCause!.fix ?? ''}`;
    causes.set(key, [...(causes.get(key) ?? []), t]);
  }
  for (const group of causes.values()) {
    const first = group[0]!;
    const root = first.rootCause!;
    problems.push(
      paint(
        `${MARK[first.status]} ${group.map((t) => t.shortName).join(', ')} — ${root.code}`,
        first.status,
        options.color,
      ),
    );
    problems.push(`  ${root.message}`);
    if (group.length > 1)
      problems.push(
        `  (the same for ${group.length - 1} more: ${group
          .slice(1)
          .map((t) => t.shortName)
          .join(', ')})`,
      );
    problems.push(...fixLines(root, options.fixFormat));
  }
  // Undecided for the same reason (one denied call), many services: one line.
  const undecided = new Map<string, string[]>();
  for (const t of report.targets.filter((x) => x.status === 'unknown' && !x.rootCause)) {
    const why = t.findings.find((f) => f.status === 'unknown')?.message ?? '';
    undecided.set(why, [...(undecided.get(why) ?? []), t.shortName]);
  }
  for (const [why, names] of undecided) {
    problems.push(`? ${names.join(', ')} — could not decide${why ? `: ${why}` : ''}`);
  }
  if (problems.length > 0) lines.push('', ...problems);

  const counts = countTargets(report.targets);
  const none = nothingChecked(report);
  const parts = none
    ? [`nothing checked: ${none}`]
    : [
        counts.fail ? `${counts.fail} failing` : '',
        counts.warn ? `${counts.warn} warning${counts.warn === 1 ? '' : 's'}` : '',
        counts.unknown ? `${counts.unknown} unknown` : '',
        `${counts.pass} passing`,
        counts.info ? `${counts.info} info` : '',
      ].filter(Boolean);
  const inventory = report.inventory.fetchedAt
    ? ` · inventory ${formatSeconds(report.inventory.ageMs)} old`
    : '';
  lines.push(
    '',
    `${parts.join(', ')} · ${formatSeconds(report.durationMs)}${inventory} · status ${report.status}`,
  );
  return `${lines.join('\n')}\n`;
}

function explainFinding(title: string, finding: Finding, options: TextOptions): string[] {
  return [
    paint(title, finding.status, options.color),
    `  ${finding.message}`,
    ...fixLines(finding, options.fixFormat),
  ];
}
