import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type PlotSpec, renderPlotPng, renderPlotSvg, vegaLiteSpec } from '../../bench/plot.js';

const PLOT_SCRIPT = fileURLToPath(new URL('../../bench/plot.ts', import.meta.url));
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function twoSeries(): PlotSpec {
  return {
    title: 'Report time by endpoint count',
    xTitle: 'interface endpoints',
    yTitle: 'report time (ms)',
    yUnit: 'ms',
    width: 640,
    height: 360,
    series: [
      {
        name: 'cold start',
        points: [
          { x: 10, y: 410, min: 380, max: 450 },
          { x: 50, y: 655, min: 600, max: 720 },
          { x: 200, y: 1481, min: 1400, max: 1600 },
        ],
      },
      {
        name: 'warm',
        points: [
          { x: 10, y: 88.2 },
          { x: 50, y: 140 },
          { x: 200, y: 391 },
        ],
      },
    ],
  };
}

function withPoint(point: Record<string, unknown>): PlotSpec {
  const spec = twoSeries();
  spec.series[1]!.points[1] = point as PlotSpec['series'][number]['points'][number];
  return spec;
}

test('the PNG has the PNG signature and exactly the width and height asked for', async () => {
  const png = await renderPlotPng(twoSeries());
  assert.deepEqual(png.subarray(0, 8), PNG_SIGNATURE);
  assert.equal(png.toString('latin1', 12, 16), 'IHDR');
  assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [640, 360]);
});

test('the SVG carries the title, every series name, the x tick labels and the point values', async () => {
  const svg = await renderPlotSvg(twoSeries());
  for (const text of ['Report time by endpoint count', 'cold start', 'warm', '1,481 ms', '88.2 ms']) {
    assert.ok(svg.includes(`>${text}<`), `SVG lacks text "${text}"`);
  }
  for (const tick of ['10', '50', '200']) assert.ok(svg.includes(`>${tick}<`), `SVG lacks x tick "${tick}"`);
});

test('the spec uses a linear x from zero with the data x values as ticks, and y from zero', () => {
  type Channel = { scale?: { type?: string; zero?: boolean }; axis?: { values?: number[] } };
  const spec = vegaLiteSpec(twoSeries()) as {
    background?: string;
    layer: Array<{ mark: { type: string }; encoding: { x: Channel; y: Channel } }>;
  };
  const line = spec.layer.find((layer) => layer.mark.type === 'line');
  assert.ok(line, 'no line layer');
  assert.deepEqual(line.encoding.x.axis?.values, [10, 50, 200]);
  assert.equal(line.encoding.x.scale?.type ?? 'linear', 'linear');
  assert.equal(line.encoding.x.scale?.zero, true);
  assert.equal(line.encoding.y.scale?.zero, true);
  assert.equal(spec.background, 'white');
});

test('bad input throws one line naming what is wrong', () => {
  const cases: Array<[string, PlotSpec, RegExp]> = [
    ['no series', { ...twoSeries(), series: [] }, /^plot: series is empty$/],
    ['series without points', { ...twoSeries(), series: [{ name: 'a', points: [] }] }, /"a" has no points/],
    [
      'NaN y',
      withPoint({ x: 50, y: Number.NaN }),
      /series\[1\] "warm" point 1: y is not a finite number \(NaN\)/,
    ],
    ['infinite x', withPoint({ x: Number.POSITIVE_INFINITY, y: 1 }), /point 1: x is not a finite number/],
    ['min above max', withPoint({ x: 50, y: 5, min: 9, max: 4 }), /min 9 is above max 4/],
    ['min without max', withPoint({ x: 50, y: 5, min: 4 }), /give both min and max/],
  ];
  for (const [name, spec, message] of cases) {
    assert.throws(
      () => vegaLiteSpec(spec),
      (err: Error) => message.test(err.message) && !err.message.includes('\n'),
      name,
    );
  }
});

test('run as a script it writes the PNG, and on bad input prints one line and exits 2', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-plot-'));
  const run = (args: string[]) =>
    new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        ['--import', 'tsx', PLOT_SCRIPT, ...args],
        (_err, _out, stderr) => resolve({ code: child.exitCode, stderr }),
      );
    });
  try {
    writeFileSync(join(dir, 'good.json'), JSON.stringify(twoSeries()));
    const good = await run([join(dir, 'good.json'), join(dir, 'good.png')]);
    assert.deepEqual(good, { code: 0, stderr: '' });
    assert.deepEqual(readFileSync(join(dir, 'good.png')).subarray(0, 8), PNG_SIGNATURE);

    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ ...twoSeries(), series: [] }));
    const bad = await run([join(dir, 'bad.json'), join(dir, 'bad.png')]);
    assert.deepEqual(bad, { code: 2, stderr: 'plot: series is empty\n' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
