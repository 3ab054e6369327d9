// The findings catalogue: docs/findings.md is its one source; `vpce-doctor explain CODE`
// prints an entry and a test keeps the codes the checks can emit and the catalogue in step.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface CatalogueEntry {
  code: string;
  status: string;
  check: string;
  reachabilityAnalyzer?: string;
  text: string;
}

/** docs/findings.md beside the package root, from src/ (tsx) or dist/src/ (built). */
export function cataloguePath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const candidate = join(dir, 'docs', 'findings.md');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error('docs/findings.md not found beside the package');
}

export function parseCatalogue(markdown: string): Map<string, CatalogueEntry> {
  const entries = new Map<string, CatalogueEntry>();
  const sections = markdown.split(/^## (?=[A-Z][A-Z0-9_]+\s*$)/m).slice(1);
  for (const section of sections) {
    const [heading = '', ...rest] = section.split('\n');
    const code = heading.trim();
    const body = rest
      .join('\n')
      .split(/^#{1,2} /m)[0]!
      .trim();
    const field = (name: string) => new RegExp(`^- ${name}:\\s*(.+)$`, 'm').exec(body)?.[1]?.trim();
    const entry: CatalogueEntry = {
      code,
      status: field('status') ?? '',
      check: field('check') ?? '',
      text: body,
    };
    const ra = field('reachability-analyzer');
    if (ra) entry.reachabilityAnalyzer = ra;
    entries.set(code, entry);
  }
  return entries;
}

let cached: Map<string, CatalogueEntry> | undefined;

export function loadCatalogue(): Map<string, CatalogueEntry> {
  cached ??= parseCatalogue(readFileSync(cataloguePath(), 'utf8'));
  return cached;
}

/** A code's catalogue entry as markdown under its own heading (`explain`, `/findings/CODE`). */
export function explain(code: string): string | undefined {
  const entry = loadCatalogue().get(code.trim().toUpperCase());
  return entry ? `# ${entry.code}\n\n${entry.text}\n` : undefined;
}
