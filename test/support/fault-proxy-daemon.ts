// The EC2 fault proxy as a lab daemon: `node --import tsx fault-proxy-daemon.ts HOST PORT UPSTREAM LOG`.
// Runs inside vdl-aws in front of moto; every agent run names its faults in the endpoint's path
// (see fault-proxy.ts) and every call is appended to LOG as one JSON line {run, action, denied}.
import { appendFileSync } from 'node:fs';
import { startFaultProxy } from './fault-proxy.js';

const [host, port, upstream, log] = process.argv.slice(2);
if (!host || !port || !upstream || !log) {
  process.stderr.write('usage: fault-proxy-daemon.ts HOST PORT UPSTREAM LOG\n');
  process.exit(2);
}
const proxy = await startFaultProxy(upstream, {
  host,
  port: Number(port),
  faultsFromPath: true,
  onCall: (call) => appendFileSync(log, `${JSON.stringify(call)}\n`),
});
process.stdout.write(`fault proxy on ${proxy.url} in front of ${upstream}\n`);
process.on('SIGTERM', () => {
  void proxy.stop().finally(() => process.exit(0));
});
