// Preloaded into `vpce-doctor serve` by bench/serve.ts (NODE_OPTIONS=--import=…): on SIGUSR2 it
// writes one line, `VPCE_HEAP {…}`, to stderr: where the process's memory is, in MB, as V8 and
// Node account for it (heap spaces, committed and used; code; malloc; what lives outside V8).
// Plain JavaScript so the server loads it without tsx; it adds one listener and nothing else.
import v8 from 'node:v8';

const mb = (bytes) => Math.round((bytes / 2 ** 20) * 10) / 10;

process.on('SIGUSR2', () => {
  const usage = process.memoryUsage();
  const heap = v8.getHeapStatistics();
  const code = v8.getHeapCodeStatistics();
  const out = {
    rss: mb(usage.rss),
    heapCommitted: mb(usage.heapTotal),
    heapUsed: mb(usage.heapUsed),
    external: mb(usage.external),
    arrayBuffers: mb(usage.arrayBuffers),
    mallocedNow: mb(heap.malloced_memory),
    mallocedPeak: mb(heap.peak_malloced_memory),
    bytecode: mb(code.bytecode_and_metadata_size),
    compiledCode: mb(code.code_and_metadata_size),
    scriptSources: mb(code.external_script_source_size),
  };
  for (const space of v8.getHeapSpaceStatistics()) {
    if (space.space_size === 0) continue;
    out[`${space.space_name} committed`] = mb(space.space_size);
    out[`${space.space_name} used`] = mb(space.space_used_size);
  }
  process.stderr.write(`VPCE_HEAP ${JSON.stringify(out)}\n`);
});
