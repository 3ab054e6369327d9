// Lab scenarios, shard 6 of 8 (see support/scenario-suite.ts): each brought up once, the agent's
// report held to the scenario's expectation, then every EC2 action denied in turn (the gap matrix).
import { describeScenarios, shardOf } from './support/scenario-suite.js';

describeScenarios(shardOf(6, 8));
