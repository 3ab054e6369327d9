// What every bench shares: a current dist/ (they run bin/vpce-doctor.js, which loads it) and
// the machine facts every results file starts with.
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

function newestMtime(dir: string, ext: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith(ext)) continue;
    newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

export function ensureBuilt(log: (line: string) => void): void {
  const src = Math.max(newestMtime(join(ROOT, 'src'), '.ts'), newestMtime(join(ROOT, 'checks'), '.ts'));
  let dist = 0;
  try {
    dist = newestMtime(join(ROOT, 'dist'), '.js');
  } catch {
    // no dist yet
  }
  if (dist >= src) return;
  log('dist/ is older than src/: building');
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
}

/** A command's stdout, trimmed, or `fallback` when it cannot run or fails. */
export function sh(argv: string[], fallback = 'unknown'): string {
  try {
    return execFileSync(argv[0]!, argv.slice(1), {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return fallback;
  }
}

const git = (args: string[]): string => sh(['git', '-C', ROOT, ...args], '');

/** The 1, 5 and 15 minute load averages, `1.02 / 0.98 / 0.91`. */
export const loadAverage = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');

/** Date, commit (and whether src/ differs from it), cores, CPU, memory, kernel, node. */
export function baseMachineFacts(): Array<[string, string]> {
  const dirty = git(['status', '--porcelain', '--', 'src', 'checks', 'bin'])
    ? ' + uncommitted changes in src/checks/bin'
    : '';
  return [
    ['date', new Date().toISOString()],
    ['commit', `${git(['rev-parse', '--short', 'HEAD']) || 'unknown'}${dirty}`],
    ['nproc', String(availableParallelism())],
    ['cpu', cpus()[0]?.model ?? 'unknown'],
    ['memory', `${(totalmem() / 2 ** 30).toFixed(1)} GiB`],
    ['kernel', release()],
    ['node', process.version],
  ];
}
