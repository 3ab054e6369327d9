// Bundles an entry point and everything it imports into minified ESM, the AWS SDK inside: the
// Lambda handler (src/lambda.ts → dist/lambda.js, one file), so the function does not depend on
// the runtime's copy, and the CLI (src/cli.ts → dist/cli/cli.js, which bin/vpce-doctor.js loads),
// because a bundle loads in a third of the time Node takes to resolve hundreds of SDK modules.
// With --outdir, code only a dynamic import reaches (the HTTP stack of `serve`) goes to its own
// chunk, so a one-shot report does not load it.
//
//   node scripts/bundle.mjs [--entry src/lambda.ts] [--outfile dist/lambda.js | --outdir DIR] [--metafile]
//
// ESM because the package is `"type": "module"`: deploy dist/lambda.js with a package.json
// holding {"type":"module"} beside it (this script writes dist/package.json), or rename it .mjs.
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    entry: { type: 'string', default: 'src/lambda.ts' },
    outfile: { type: 'string' },
    outdir: { type: 'string' },
    metafile: { type: 'boolean' },
  },
});
if (values.outfile && values.outdir) throw new Error('bundle: --outfile or --outdir, not both');
const output = values.outdir
  ? {
      outdir: join(ROOT, values.outdir),
      splitting: true,
      entryNames: '[name]',
      chunkNames: 'chunks/[name]-[hash]',
    }
  : { outfile: join(ROOT, values.outfile ?? 'dist/lambda.js') };
const outputDir = output.outdir ?? dirname(output.outfile);
const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

// src/version.ts reads package.json beside the code; a bundle has none, so it is inlined.
const inlineVersion = {
  name: 'inline-version',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]version\.ts$/ }, () => ({
      contents: `export const VERSION = ${JSON.stringify(version)};`,
      loader: 'ts',
    }));
  },
};

const started = performance.now();
// The chunks of an earlier build would stay beside the new ones (their names carry a hash) and
// ship in the npm package: the directory holds only what this script writes, so it goes first.
if (output.outdir) rmSync(join(output.outdir, 'chunks'), { recursive: true, force: true });
const result = await build({
  absWorkingDir: ROOT,
  entryPoints: [join(ROOT, values.entry)],
  ...output,
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'node',
  // The image's and Lambda's runtime (nodejs22.x); the CLI on Node 20 reads the same syntax.
  target: 'node22',
  // Prefer the SDK's ESM builds, which tree-shake to the commands the agent sends.
  mainFields: ['module', 'main'],
  // Bundled CommonJS (pino) still calls require() for Node's built-ins.
  banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
  legalComments: 'none',
  sourcemap: false,
  metafile: true,
  logLevel: 'warning',
  plugins: [inlineVersion],
});
writeFileSync(join(outputDir, 'package.json'), '{"type":"module"}\n');
if (values.metafile) writeFileSync(join(outputDir, 'meta.json'), JSON.stringify(result.metafile));
const files = Object.keys(result.metafile.outputs);
const bytes = files.reduce((sum, file) => sum + statSync(join(ROOT, file)).size, 0);
process.stdout.write(
  `${values.outdir ?? values.outfile ?? 'dist/lambda.js'}: ${(bytes / 1024 / 1024).toFixed(2)} MiB (${bytes} bytes, ${files.length} file${files.length > 1 ? 's' : ''}) in ${Math.round(performance.now() - started)} ms\n`,
);
