// The YAML parser, in a module of its own that src/config.ts imports with the first configuration
// file. A named re-export: esbuild's interop gives this module `parse` whatever shape the package
// takes, where a dynamic import('yaml') of the bundled package did not (`parse` was undefined).
export { parse } from 'yaml';
