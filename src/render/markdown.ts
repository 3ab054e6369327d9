// A report to paste into an incident channel or ticket.
import type { FixSet, Report, TargetReport } from '../model.js';
import { countTargets, describePlace, nothingChecked } from './summary.js';
import { type FixFormat, snippetOf } from './text.js';

export interface MarkdownOptions {
  /** Only this kind of fix as code; by default every snippet follows the `fix` line. */
  fixFormat?: FixFormat;
}

const SNIPPETS: Array<{ kind: FixFormat; label: string; fence: string }> = [
  { kind: 'cli', label: 'AWS CLI', fence: 'sh' },
  { kind: 'terraform', label: 'Terraform', fence: 'hcl' },
  { kind: 'cloudformation', label: 'CloudFormation', fence: 'yaml' },
];

/** The fix line, then the fix as code in fenced blocks nested under the list item. */
function fixLines(item: { fix?: string; fixes?: FixSet }, options: MarkdownOptions): string[] {
  const lines = item.fix ? [`  - fix: \`${item.fix}\``] : [];
  for (const { kind, label, fence } of SNIPPETS) {
    const snippet = snippetOf(item, kind);
    if (!snippet || (options.fixFormat && options.fixFormat !== kind)) continue;
    const code = snippet
      .trimEnd()
      .split('\n')
      .map((line) => (line ? `    ${line}` : ''));
    lines.push(`  - ${label}:`, '', `    \`\`\`${fence}`, ...code, '    ```', '');
  }
  return lines;
}

const MARK: Record<string, string> = { pass: '✅', warn: '⚠️', fail: '❌', unknown: '❔', info: 'ℹ️' };

const cell = (text: string | undefined): string => (text ?? '').replaceAll('|', '\\|').replaceAll('\n', ' ');

export function renderMarkdown(report: Report, options: MarkdownOptions = {}): string {
  const c = report.context;
  const place = describePlace(report);
  const lines = [
    `### vpce-doctor: ${MARK[report.status]} ${report.status} — ${place.text}`,
    '',
    `${report.startedAt} · ${report.durationMs} ms · security groups ${c.securityGroupIds.join(', ') || 'none'} · resolvers ${
      c.resolvers.map((r) => `${r.address} (${r.source})`).join(', ') || 'none'
    }`,
    '',
  ];
  if (report.targets.length === 0) {
    lines.push('_No targets: nothing checked._');
  } else {
    lines.push(
      '| | service | endpoint | type | dns | tcp | tls | root cause |',
      '|---|---|---|---|---|---|---|---|',
      ...report.targets.map(
        (t) =>
          `| ${MARK[t.status]} | ${cell(t.shortName)} | ${cell(t.endpointId ?? 'none')} | ${t.endpointType} | ${cell(t.probe?.dns)} | ${cell(
            t.probe?.tcp,
          )} | ${cell(t.probe?.tls)} | ${cell(t.rootCause?.code)} |`,
      ),
    );
  }
  // One cause shared by many services (the agent's SG, an ACL) is one bullet naming them all.
  const causes = new Map<string, TargetReport[]>();
  for (const t of report.targets.filter((x) => x.rootCause && x.status !== 'pass')) {
    const key = `${t.status}|${t.rootCause!.code}|${t.rootCause!.fix ?? ''}`;
    causes.set(key, [...(causes.get(key) ?? []), t]);
  }
  const global = report.findings.filter((f) => f.status !== 'pass' && f.status !== 'info');
  if (causes.size > 0 || global.length > 0) {
    lines.push('', '#### Causes and fixes', '');
    for (const f of global) {
      lines.push(`- ${MARK[f.status]} **${f.code}**: ${f.message}`);
      lines.push(...fixLines(f, options));
    }
    for (const group of causes.values()) {
      const first = group[0]!;
      const root = first.rootCause!;
      lines.push(
        `- ${MARK[first.status]} **${group.map((t) => t.shortName).join(', ')}** — \`${root.code}\`: ${root.message}`,
      );
      lines.push(...fixLines(root, options));
    }
  }
  lines.push('', summaryLine(report));
  return `${lines.join('\n')}\n`;
}

function summaryLine(report: Report): string {
  const none = nothingChecked(report);
  if (none) return `**Nothing checked**: ${none}`;
  const n = countTargets(report.targets);
  const info = n.info ? `, ${n.info} info` : '';
  return `${n.fail} failing, ${n.warn} warning, ${n.unknown} unknown, ${n.pass} passing${info}`;
}
