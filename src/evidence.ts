// The optional extras every long-running entry point wires the same way: flow-log evidence for
// failing targets (VPCE_DOCTOR_FLOW_LOGS=0 turns it off) and EMF lines on stdout.
import { createFlowLogEvidence } from './aws/flow-logs.js';
import { createLogsClientFactory } from './aws/logs.js';
import type { Report } from './model.js';
import { renderEmf } from './render/emf.js';
import type { RunnerDeps } from './runner.js';

/** `logsFor`: the caller's Logs clients, when it already has them (the Lambda ships reports too). */
export function flowLogEvidenceFor(
  env: NodeJS.ProcessEnv,
  logsFor = createLogsClientFactory({ env }),
): Pick<RunnerDeps, 'flowLogEvidence'> {
  if (env['VPCE_DOCTOR_FLOW_LOGS'] === '0') return {};
  return { flowLogEvidence: createFlowLogEvidence({ logsFor }) };
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
