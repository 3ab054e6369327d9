#!/usr/bin/env node
// dist/cli/cli.js is src/cli.ts bundled by `npm run build` (scripts/bundle.mjs).
import { main } from '../dist/cli/cli.js';

process.exitCode = await main(process.argv.slice(2));
