// IPv6 and dual-stack lab scenarios (issue 16, see support/scenario-suite.ts): IPv6 on in the
// lab's namespaces for these only; each scenario brought up once, proven from vdl-agent-a over
// both families, the agent's report held to its expectation, then the gap matrix.
import { describeScenarios, ipv6Shard } from './support/scenario-suite.js';

describeScenarios(ipv6Shard());
