// Line plots for the benches: Vega-Lite → Vega → SVG → PNG (resvg), all in-process and offline.
// Run by hand: node --import tsx bench/plot.ts IN.json OUT.png   (IN.json holds a PlotSpec)
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Resvg } from '@resvg/resvg-js';
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export interface PlotSeries {
  name: string;
  points: Array<{ x: number; y: number; min?: number; max?: number }>;
}
export interface PlotSpec {
  title: string;
  xTitle: string;
  yTitle: string;
  series: PlotSeries[];
  width?: number;
  height?: number;
  subtitle?: string;
  /** Appended to the value labelled at each point, e.g. "ms". */
  yUnit?: string;
}

const FONT = 'DejaVu Sans';
const FONT_DIRS = ['/usr/share/fonts'];

function validatePlotSpec(spec: PlotSpec): void {
  const fail = (what: string): never => {
    throw new Error(`plot: ${what}`);
  };
  if (typeof spec?.title !== 'string') fail('title must be a string');
  if (!Array.isArray(spec.series) || spec.series.length === 0) fail('series is empty');
  for (const [key, value] of [
    ['width', spec.width],
    ['height', spec.height],
  ] as const) {
    if (value !== undefined && !(Number.isInteger(value) && value >= 100)) {
      fail(`${key} must be an integer of at least 100, got ${value}`);
    }
  }
  const names = new Set<string>();
  for (const [i, series] of spec.series.entries()) {
    const label = `series[${i}]${typeof series?.name === 'string' ? ` "${series.name}"` : ''}`;
    if (typeof series?.name !== 'string' || series.name === '') fail(`${label} has no name`);
    if (names.has(series.name)) fail(`${label} repeats a series name`);
    names.add(series.name);
    if (!Array.isArray(series.points) || series.points.length === 0) fail(`${label} has no points`);
    for (const [j, point] of series.points.entries()) {
      for (const key of ['x', 'y', 'min', 'max'] as const) {
        const value = point?.[key];
        if ((key === 'x' || key === 'y' || value !== undefined) && !Number.isFinite(value)) {
          fail(`${label} point ${j}: ${key} is not a finite number (${String(value)})`);
        }
      }
      if ((point.min === undefined) !== (point.max === undefined)) {
        fail(`${label} point ${j}: give both min and max, or neither`);
      }
      if (point.min !== undefined && point.max !== undefined && point.min > point.max) {
        fail(`${label} point ${j}: min ${point.min} is above max ${point.max}`);
      }
    }
  }
}

function formatValue(y: number, unit: string | undefined): string {
  const digits = Math.abs(y) < 10 ? 2 : Math.abs(y) < 100 ? 1 : 0;
  const text = y.toLocaleString('en-US', { maximumFractionDigits: digits });
  return unit ? `${text} ${unit}` : text;
}

/** The Vega-Lite spec; the whole image (axes and legend included) is exactly width × height. */
export function vegaLiteSpec(spec: PlotSpec): TopLevelSpec {
  validatePlotSpec(spec);
  const rows = spec.series.flatMap((s) =>
    s.points.map((p) => ({ ...p, series: s.name, label: formatValue(p.y, spec.yUnit) })),
  );
  const xTicks = [...new Set(rows.map((r) => r.x))].sort((a, b) => a - b);
  const color = {
    field: 'series',
    type: 'nominal',
    title: null,
    scale: { domain: spec.series.map((s) => s.name) },
  } as const;
  const x = {
    field: 'x',
    type: 'quantitative',
    title: spec.xTitle,
    // Linear and from zero, so that growth with x reads as it is; padding keeps end labels inside.
    scale: { zero: true, padding: 24 },
    axis: { values: xTicks, format: 'd', grid: false },
  } as const;
  const y = { field: 'y', type: 'quantitative', title: spec.yTitle, scale: { zero: true } } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: spec.subtitle === undefined ? spec.title : { text: spec.title, subtitle: spec.subtitle },
    width: spec.width ?? 900,
    height: spec.height ?? 500,
    autosize: { type: 'fit', contains: 'padding' },
    padding: 12,
    background: 'white',
    config: { font: FONT, legend: { orient: 'top-left', labelFontSize: 12, labelLimit: 0 } },
    data: { values: rows },
    layer: [
      {
        transform: [{ filter: 'isValid(datum.min) && isValid(datum.max)' }],
        mark: { type: 'errorbar', ticks: true },
        encoding: { x, y: { ...y, field: 'min' }, y2: { field: 'max' }, color },
      },
      { mark: { type: 'line', point: { size: 50, filled: true } }, encoding: { x, y, color } },
      {
        // Up and to the left of the point, clear of the error bar drawn through it.
        mark: { type: 'text', align: 'right', dx: -6, dy: -8, fontSize: 11 },
        encoding: { x, y, color, text: { field: 'label', type: 'nominal' } },
      },
    ],
  };
}

/** The SVG intermediate (exposed for tests: text in it is readable, pixels are not). */
export async function renderPlotSvg(spec: PlotSpec): Promise<string> {
  // Data is inline and the view is never attached to a page, so vega loads nothing from anywhere.
  const view = new View(parse(compile(vegaLiteSpec(spec)).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export async function renderPlotPng(spec: PlotSpec): Promise<Buffer> {
  const svg = await renderPlotSvg(spec);
  const resvg = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'width', value: spec.width ?? 900 },
    font: { loadSystemFonts: false, fontDirs: FONT_DIRS, defaultFontFamily: FONT },
  });
  return resvg.render().asPng();
}

async function main(args: string[]): Promise<void> {
  const [input, output] = args;
  if (!input || !output || args.length !== 2) throw new Error('usage: bench/plot.ts IN.json OUT.png');
  const spec = JSON.parse(readFileSync(input, 'utf8')) as PlotSpec;
  writeFileSync(output, await renderPlotPng(spec));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`plot: ${err instanceof Error ? err.message.replace(/^plot: /, '') : err}\n`);
    process.exit(2);
  });
}
