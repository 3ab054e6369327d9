// Hub-and-spoke lab scenarios (issue 15, see support/scenario-suite.ts): the agent runs in the
// spoke VPC and reaches the hub's endpoints over the lab's transit gateway; each scenario brought
// up once, proven from vdl-spoke, the agent's report held to its expectation, then every action of
// the hub chain denied in turn (the gap matrix).
import { describeScenarios, hubShard } from './support/scenario-suite.js';

describeScenarios(hubShard());
