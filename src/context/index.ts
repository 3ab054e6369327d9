export { findingsForGaps } from '../aws/gap-findings.js';
export {
  type DiscoverDeps,
  type DiscoverResult,
  type DiscoverTimeouts,
  discoverContext,
} from './discover.js';
export { type EcsFacts, parseEcsTask } from './ecs-metadata.js';
export { type ContextEnv, readContextEnv, validateContextEnv } from './env.js';
export { type ImdsFacts, readImds } from './imds.js';
export { LINK_LOCAL_RESOLVER, parseNameservers, readResolvers, vpcBasePlusTwo } from './resolvers.js';
