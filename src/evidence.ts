// The optional extras every long-running entry point wires the same way: flow-log evidence for
// failing targets (VPCE_DOCTOR_FLOW_LOGS=0 turns it off) and EMF lines on stdout.
import type { Logs } from './aws/logs.js';
import { loadOnce } from './lazy.js';
import type { Report } from './model.js';
import { renderEmf } from './render/emf.js';
import type { EvidenceSource, RunnerDeps } from './runner.js';

/**
 * `logsFor`: the caller's Logs clients, when it already has them (the Lambda ships reports too).
 * The CloudWatch Logs client and the flow-log search load with the first failing target that
 * needs them: a sidecar whose services pass never carries them (issue 17).
 */
export function flowLogEvidenceFor(
  env: NodeJS.ProcessEnv,
  logsFor?: (region: string) => Logs,
): Pick<RunnerDeps, 'flowLogEvidence'> {
  if (env['VPCE_DOCTOR_FLOW_LOGS'] === '0') return {};
  const source = loadOnce(async (): Promise<EvidenceSource> => {
    const [{ createFlowLogEvidence }, { createLogsClientFactory }] = await Promise.all([
      import('./aws/flow-logs.js'),
      import('./aws/logs.js'),
    ]);
    return createFlowLogEvidence({ logsFor: logsFor ?? createLogsClientFactory({ env }) });
  });
  return { flowLogEvidence: async (input) => (await source())(input) };
}

/** A runner whose every report is also written as CloudWatch EMF lines (the sidecar with VPCE_DOCTOR_EMF=1). */
export function withEmf<R extends { run(...args: never[]): Promise<Report> }>(
  runner: R,
  write: (text: string) => unknown = (text) => process.stdout.write(text),
): R {
  return {
    ...runner,
    run: async (...args: Parameters<R['run']>) => {
      const report = await runner.run(...args);
      write(renderEmf(report));
      return report;
    },
  };
}
