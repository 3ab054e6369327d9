// The lab's API for tests and the demo. See test/lab/README.md.
export type { ExecOptions, ExecResult, MachineFacts } from './lab.js';
export {
  LabUsageError,
  labDown,
  labEnv,
  labExec,
  labUp,
  preflightProblem,
  setTlsFaults,
  waitForFreeLab,
  withLab,
} from './lab.js';
export { leftovers, selfCheck } from './network.js';
export type { AgentExpect, Proof, Scenario, TargetExpect } from './scenarios.js';
export {
  findScenario,
  HUB_SCENARIOS as hubScenarios,
  SCENARIOS as scenarios,
  scaleScenario,
} from './scenarios.js';
export { IPV6_SCENARIOS as ipv6Scenarios } from './scenarios-ipv6.js';
export type { AwsState, EndpointState, LabState } from './state.js';
export { readState } from './state.js';
export * as topology from './topology.js';
