// A report to paste into an incident channel or ticket.
import type { Report } from '../model.js';

const MARK: Record<string, string> = { pass: '✅', warn: '⚠️', fail: '❌', unknown: '❔', info: 'ℹ️' };

const cell = (text: string | undefined): string => (text ?? '').replaceAll('|', '\\|').replaceAll('\n', ' ');

export function renderMarkdown(report: Report): string {
  const c = report.context;
  const lines = [
    `### vpce-doctor: ${MARK[report.status]} ${report.status} — ${c.vpcId || 'context unresolved'} ${c.subnetId} (${c.availabilityZone}) ${c.privateIp}`,
    '',
    `${report.startedAt} · ${report.durationMs} ms · security groups ${c.securityGroupIds.join(', ') || 'none'} · resolvers ${
      c.resolvers.map((r) => `${r.address} (${r.source})`).join(', ') || 'none'
    }`,
    '',
    '| | service | endpoint | type | dns | tcp | tls | root cause |',
    '|---|---|---|---|---|---|---|---|',
    ...report.targets.map(
      (t) =>
        `| ${MARK[t.status]} | ${cell(t.shortName)} | ${cell(t.endpointId ?? 'none')} | ${t.endpointType} | ${cell(t.probe?.dns)} | ${cell(
          t.probe?.tcp,
        )} | ${cell(t.probe?.tls)} | ${cell(t.rootCause?.code)} |`,
    ),
  ];
  const problems = report.targets.filter((t) => t.rootCause && t.status !== 'pass');
  const global = report.findings.filter((f) => f.status !== 'pass' && f.status !== 'info');
  if (problems.length > 0 || global.length > 0) {
    lines.push('', '#### Causes and fixes', '');
    for (const f of global) {
      lines.push(`- ${MARK[f.status]} **${f.code}**: ${f.message}`);
      if (f.fix) lines.push(`  - fix: \`${f.fix}\``);
    }
    for (const t of problems) {
      lines.push(
        `- ${MARK[t.status]} **${t.shortName}** — \`${t.rootCause!.code}\`: ${t.rootCause!.message}`,
      );
      if (t.rootCause!.fix) lines.push(`  - fix: \`${t.rootCause!.fix}\``);
    }
  }
  const s = report.summary;
  lines.push('', `${s.fail} failing, ${s.warn} warning, ${s.unknown} unknown, ${s.pass} passing`);
  return `${lines.join('\n')}\n`;
}
