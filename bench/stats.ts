// Medians, spreads and markdown tables for the results files: every figure is a median of
// repetitions taken in one run, shown with its min–max.

export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function spread(values: number[]): Spread {
  if (values.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted.at(-1)!, n: sorted.length };
}

export const pick = <T>(items: T[], fn: (item: T) => number): Spread => spread(items.map(fn));

/** `median (min–max)`, or the one value. */
export function ms(s: Spread, digits = 0): string {
  if (s.n === 0) return '–';
  const f = (v: number) => v.toFixed(digits);
  return s.n === 1 || s.min === s.max ? f(s.median) : `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
}

export const passFail = (ok: boolean): string => (ok ? '**pass**' : '**FAIL**');
export const yesNo = (ok: boolean): string => (ok ? 'yes' : 'no');

export function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

/** The most events within any 1000 ms window of sorted times (ms). */
export function peakPerSecond(times: number[]): number {
  let peak = 0;
  let start = 0;
  for (let end = 0; end < times.length; end += 1) {
    while (times[end]! - times[start]! >= 1000) start += 1;
    peak = Math.max(peak, end - start + 1);
  }
  return peak;
}

/** Distinct values, joined: `15` when every repetition agrees, `15,16` when not. */
export const distinct = (values: Array<string | number>): string => [...new Set(values)].join(',');
