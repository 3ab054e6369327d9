// Runs the real CLI (the built bundle that bin/vpce-doctor.js runs) several times in one process,
// each run with its own environment: the gap matrix's many runs pay Node's start and the SDK's
// load once instead of once per run. Runs inside the lab's agent namespace (`lab exec`).
// stdin: JSON [{ run, args, env }]; stdout: JSON [{ run, code, stdout, stderr }] in the same order.
import { readFileSync } from 'node:fs';

// The bundle has no type declarations of its own: it is src/cli.ts, so it takes that module's type.
const BUNDLE = new URL('../../../dist/cli/cli.js', import.meta.url).href;
const { main } = (await import(BUNDLE)) as typeof import('../../../src/cli.js');

interface DriverRun {
  run: string;
  args: string[];
  env: Record<string, string>;
}

export interface DriverResult {
  run: string;
  code: number;
  stdout: string;
  stderr: string;
}

/** At most this many runs at once: each waits mostly on moto, which is another process. */
const CONCURRENCY = 3;

async function runOne({ run, args, env }: DriverRun): Promise<DriverResult> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: {
      write: (text: string) => {
        stdout += text;
      },
    },
    stderr: {
      write: (text: string) => {
        stderr += text;
      },
    },
    env: { ...process.env, ...env },
  });
  return { run, code, stdout, stderr };
}

const runs = JSON.parse(readFileSync(0, 'utf8')) as DriverRun[];
const results: DriverResult[] = new Array(runs.length);
let next = 0;
await Promise.all(
  Array.from({ length: Math.min(CONCURRENCY, runs.length) }, async () => {
    while (next < runs.length) {
      const i = next++;
      results[i] = await runOne(runs[i]!);
    }
  }),
);
// Exit once the pipe has taken it all (a write to a pipe is asynchronous): keep-alive sockets of
// the runs' SDK clients must not hold the process open.
process.stdout.write(JSON.stringify(results), () => process.exit(0));
