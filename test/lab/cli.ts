// `npm run lab -- up [--scenario NAME] | exec [--ns a|b|spoke] -- CMD… | down | status | scenarios | check`
import { parseArgs } from 'node:util';
import { LabUsageError, labDown, labExec, labUp } from './lab.js';
import { leftovers, selfCheck } from './network.js';
import { HUB_SCENARIOS, SCALE_MAX_INTERFACE_ENDPOINTS, SCENARIOS } from './scenarios.js';
import { IPV6_SCENARIOS } from './scenarios-ipv6.js';
import { readState } from './state.js';

const USAGE =
  'usage: lab up [--scenario NAME] | exec [--ns a|b|spoke] -- CMD... | down | status | scenarios | check';

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'up': {
      const { values } = parseArgs({ args: rest, options: { scenario: { type: 'string', short: 's' } } });
      const up = labUp(values.scenario ?? 'healthy');
      // Ctrl-C half-way: let the up settle, then remove everything it made.
      process.once('SIGINT', () => {
        process.stderr.write('lab: interrupted, bringing the lab down\n');
        void Promise.allSettled([up])
          .then(() => labDown())
          .finally(() => process.exit(130));
      });
      const state = await up;
      process.stdout.write(
        `lab up: scenario ${state.scenario}, vpc ${state.aws.vpcId}, moto ${state.motoUrl}, ` +
          `agent resolver ${state.resolvers.agent}, CA ${state.caPath}\n`,
      );
      return 0;
    }
    case 'exec': {
      const split = rest.indexOf('--');
      const options = split >= 0 ? rest.slice(0, split) : [];
      const cmd = split >= 0 ? rest.slice(split + 1) : rest;
      const { values } = parseArgs({ args: options, options: { ns: { type: 'string' } } });
      if (values.ns !== undefined && values.ns !== 'a' && values.ns !== 'b' && values.ns !== 'spoke') {
        throw new LabUsageError(`--ns must be a, b or spoke, not "${values.ns}"`);
      }
      const result = await labExec(cmd, { ...(values.ns ? { ns: values.ns } : {}), timeoutMs: 3_600_000 });
      process.stdout.write(result.stdout);
      process.stderr.write(result.stderr);
      return result.code;
    }
    case 'down':
      await labDown();
      process.stdout.write('lab down\n');
      return 0;
    case 'status': {
      const state = readState();
      const left = await leftovers();
      if (state) {
        process.stdout.write(`up: scenario ${state.scenario} since ${state.startedAt}\n`);
        process.stdout.write(
          `${JSON.stringify({ vpcId: state.aws.vpcId, eniIps: state.eniIps, gatewayAddresses: state.gatewayAddresses, pids: state.pids }, null, 2)}\n`,
        );
      } else if (left.namespaces.length + left.links.length > 0) {
        process.stdout.write(`down, but leftovers remain (run \`lab down\`): ${JSON.stringify(left)}\n`);
      } else {
        process.stdout.write('down\n');
      }
      return 0;
    }
    case 'scenarios':
      for (const s of [...SCENARIOS, ...HUB_SCENARIOS, ...IPV6_SCENARIOS])
        process.stdout.write(`${s.name.padEnd(22)} ${s.description}\n`);
      process.stdout.write(
        `${'scale-N'.padEnd(22)} healthy, grown to N interface endpoints (8..${SCALE_MAX_INTERFACE_ENDPOINTS}; generated)\n`,
      );
      return 0;
    case 'check': {
      if (!readState()) throw new LabUsageError('no lab is up; run `lab up` first');
      const problems = await selfCheck();
      for (const p of problems) process.stdout.write(`NOT CLOSED: ${p}\n`);
      if (problems.length === 0)
        process.stdout.write(
          'closed: no default route, no forwarding beyond the lab, no bridge address, every route leads to a lab namespace\n',
        );
      return problems.length === 0 ? 0 : 1;
    }
    default:
      throw new LabUsageError(command ? `unknown command "${command}"; ${USAGE}` : USAGE);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (
      err instanceof LabUsageError ||
      (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))
    ) {
      process.stderr.write(`lab: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`lab: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
