export { FeatureCodeRegistry } from './feature-codes.js';
export type { FeatureCodeDef, FeatureCodeHandlerId, FeatureCodeMatch } from './feature-codes.js';
export { DEFAULT_EXTERNAL_PREFIX, normaliseDialString, resolveDialString } from './dial-plan.js';
export type { InvalidRouteReason, ResolveDialStringInput, Route } from './dial-plan.js';
