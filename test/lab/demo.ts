// `npm run demo [-- SCENARIO]`: brings the lab up, shows what the agent (or, before the agent is
// built, real clients) see from inside vdl-agent-a, and always brings the lab down again.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LabUsageError, labDown, labExec, labUp } from './lab.js';
import { proveScenario, renderProof } from './prove.js';
import { findScenario } from './scenarios.js';
import type { LabState } from './state.js';
import { NODES, SUBNETS } from './topology.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

function topology(state: LabState): string {
  const aws = state.aws;
  const lines = [
    `scenario ${state.scenario}: ${findScenario(state.scenario)?.description ?? ''}`,
    `VPC ${aws.vpcId} 10.0.0.0/16 (enableDnsSupport ${aws.dnsSupport}, enableDnsHostnames ${aws.dnsHostnames}, DHCP DNS ${aws.dhcpDnsServers.join(',')})`,
    `agent a ${NODES['agent-a'].address} in ${SUBNETS['agent-a'].cidr} ${SUBNETS['agent-a'].az} (route table ${aws.routeTables.a}); agent b ${NODES['agent-b'].address} in ${SUBNETS['agent-b'].cidr} ${SUBNETS['agent-b'].az} (main ${aws.routeTables.main})`,
    `resolvers: AmazonProvidedDNS ${state.resolvers.vpc} and ${state.resolvers.linkLocal}; custom ${state.resolvers.custom}; the agent's resolv.conf names ${state.resolvers.agent}`,
    'endpoints:',
  ];
  for (const [name, e] of Object.entries(aws.endpoints)) {
    const where =
      e.type === 'Gateway'
        ? `route tables ${e.routeTableIds.join(',')} → ${state.gatewayAddresses[name]}`
        : e.eniIps.join(', ');
    lines.push(`  ${name.padEnd(15)} ${e.id}  ${e.type.padEnd(9)} ${e.state.padEnd(10)} ${where}`);
  }
  if (aws.endpointService) {
    const e = aws.endpointService.endpoint;
    lines.push(
      `  ${aws.endpointService.serviceId.padEnd(15)} ${e.id}  ${e.type.padEnd(9)} ${e.state.padEnd(10)} ${e.eniIps.join(', ')}`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<number> {
  const name = process.argv[2] ?? 'healthy';
  const scenario = findScenario(name);
  if (!scenario) throw new LabUsageError(`unknown scenario "${name}"`);
  let interrupted = false;
  let up: Promise<unknown> = Promise.resolve();
  const onSignal = (): void => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write('\ninterrupted: bringing the lab down\n');
    // An up in flight keeps making things; let it settle before sweeping.
    void Promise.allSettled([up])
      .then(() => labDown())
      .finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    process.stdout.write(`bringing the lab up (${name})…\n`);
    const starting = labUp(name);
    up = starting;
    const state = await starting;
    if (interrupted) return 130;
    process.stdout.write(`${topology(state)}\n\n`);
    if (existsSync(`${REPO_ROOT}/dist/cli/cli.js`)) {
      const result = await labExec(['node', 'bin/vpce-doctor.js', 'report'], { timeoutMs: 120_000 });
      process.stdout.write(result.stdout);
      process.stderr.write(result.stderr);
      process.stdout.write(
        `\nvpce-doctor exited ${result.code} (the scenario expects ${state.expect.exitCode})\n`,
      );
    } else {
      process.stdout.write(
        'the agent is not built yet (no dist/cli/cli.js): what real clients see from vdl-agent-a\n',
      );
      const lines = await proveScenario(state, scenario);
      process.stdout.write(`${renderProof(lines)}\n`);
    }
    return 0;
  } finally {
    if (!interrupted) await labDown();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = err instanceof LabUsageError ? 2 : 1;
  },
);
