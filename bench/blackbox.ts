// Baseline 2: Prometheus blackbox_exporter (Debian's prometheus-blackbox-exporter) probing the
// same targets as the agent: a dns probe per service against the workload's resolver and a
// tcp+tls probe per ENI (per hostname for services without ENIs), all at once, as Prometheus
// scrapes them. bench/baselines.ts runs this file inside the agent's namespace:
//
//   node --import tsx bench/blackbox.ts INPUT.json          (INPUT: BlackboxInput; prints BlackboxOutput)
//
// The per-probe budgets match the agent's defaults (src/config.ts DEFAULT_TIMEOUTS): dns 1.5 s,
// tcp+tls 3 s (the agent's 1 s connect plus 2 s handshake).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import { DEFAULT_TIMEOUTS } from '../src/config.js';

export const BLACKBOX_BINARY = '/usr/bin/prometheus-blackbox-exporter';
const LISTEN = '127.0.0.1:9115';

export interface BlackboxTarget {
  shortName: string;
  hostname: string;
  /** interface endpoints: their answers must be private addresses */
  private: boolean;
  /** ENI addresses to probe; empty → probe the hostname as DNS answers it */
  eniIps: string[];
}

export interface BlackboxInput {
  targets: BlackboxTarget[];
  resolver: string;
  caPath: string;
  reps: number;
}

export interface Probe {
  shortName: string;
  kind: 'dns' | 'tls';
  module: string;
  target: string;
}

export interface ProbeResult extends Probe {
  success: boolean;
  ms: number;
  /** the exporter's debug page: the probe's log lines and metrics */
  debug: string;
}

export interface BlackboxOutput {
  version: string;
  probes: number;
  /** per repetition: every probe sent at once, wall time to the last answer */
  rounds: Array<{ wallMs: number; results: ProbeResult[] }>;
}

const seconds = (ms: number): string => `${ms / 1000}s`;

/** The exporter's configuration and the probes that cover the targets. */
export function blackboxConfig(input: Omit<BlackboxInput, 'reps'>): { yaml: string; probes: Probe[] } {
  const modules: Record<string, unknown> = {};
  const probes: Probe[] = [];
  input.targets.forEach((t, i) => {
    const dns = `dns_${i}`;
    const tls = `tls_${i}`;
    modules[dns] = {
      prober: 'dns',
      timeout: seconds(DEFAULT_TIMEOUTS.dnsMs),
      dns: {
        query_name: t.hostname,
        query_type: 'A',
        transport_protocol: 'udp',
        preferred_ip_protocol: 'ip4',
        ip_protocol_fallback: false,
        valid_rcodes: ['NOERROR'],
        // What a careful operator adds for an endpoint: the answer must be a private address.
        ...(t.private
          ? {
              validate_answer_rrs: {
                fail_if_none_matches_regexp: [
                  '.*\\tIN\\tA\\t(10|172\\.(1[6-9]|2[0-9]|3[01])|192\\.168)\\..*',
                ],
              },
            }
          : {}),
      },
    };
    modules[tls] = {
      prober: 'tcp',
      timeout: seconds(DEFAULT_TIMEOUTS.tcpMs + DEFAULT_TIMEOUTS.tlsMs),
      tcp: {
        preferred_ip_protocol: 'ip4',
        ip_protocol_fallback: false,
        tls: true,
        tls_config: { ca_file: input.caPath, server_name: t.hostname },
      },
    };
    probes.push({ shortName: t.shortName, kind: 'dns', module: dns, target: input.resolver });
    const addresses = t.eniIps.length > 0 ? t.eniIps : [t.hostname];
    for (const a of addresses)
      probes.push({ shortName: t.shortName, kind: 'tls', module: tls, target: `${a}:443` });
  });
  return { yaml: stringify({ modules }), probes };
}

async function probeOnce(probe: Probe): Promise<ProbeResult> {
  const url = `http://${LISTEN}/probe?module=${probe.module}&target=${encodeURIComponent(probe.target)}&debug=true`;
  const started = performance.now();
  // Prometheus tells the exporter its scrape timeout; 10 s leaves the module timeouts in charge.
  const response = await fetch(url, { headers: { 'X-Prometheus-Scrape-Timeout-Seconds': '10' } });
  const debug = await response.text();
  const ms = performance.now() - started;
  return { ...probe, success: /^probe_success 1$/m.test(debug), ms, debug };
}

async function waitReady(deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    try {
      if ((await fetch(`http://${LISTEN}/-/healthy`)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > until)
      throw new Error(`blackbox_exporter did not answer on ${LISTEN} within ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function runBlackbox(input: BlackboxInput): Promise<BlackboxOutput> {
  const { yaml, probes } = blackboxConfig(input);
  const dir = mkdtempSync(join(tmpdir(), 'vdl-blackbox-'));
  const configFile = join(dir, 'blackbox.yml');
  writeFileSync(configFile, yaml);
  const exporter = spawn(BLACKBOX_BINARY, [`--config.file=${configFile}`, `--web.listen-address=${LISTEN}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  exporter.stderr.on('data', (c: Buffer) => {
    log = (log + c.toString()).slice(-2000);
  });
  try {
    await waitReady(10_000).catch((e: Error) => {
      throw new Error(`${e.message}: ${log.trim()}`);
    });
    const version = await fetch(`http://${LISTEN}/metrics`)
      .then((r) => r.text())
      .then((t) => /blackbox_exporter_build_info\{[^}]*version="([^"]+)"/.exec(t)?.[1] ?? 'unknown');
    // One unmeasured round: the exporter's first probes pay its lazy start-up.
    await Promise.all(probes.map(probeOnce));
    const rounds: BlackboxOutput['rounds'] = [];
    for (let i = 0; i < input.reps; i += 1) {
      const started = performance.now();
      const results = await Promise.all(probes.map(probeOnce));
      rounds.push({ wallMs: performance.now() - started, results });
    }
    return { version, probes: probes.length, rounds };
  } finally {
    exporter.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) throw new Error('usage: node --import tsx bench/blackbox.ts INPUT.json');
  const input = JSON.parse(readFileSync(file, 'utf8')) as BlackboxInput;
  process.stdout.write(`${JSON.stringify(await runBlackbox(input))}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`blackbox: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
