import { eligibleInOrder } from '../agent-state.js';
import type { DistributionPolicy } from './types.js';

/** Linear ("regular"): always the first eligible agent in list order. */
export const linear: DistributionPolicy = (agents, ctx) => {
  const first = eligibleInOrder(agents, ctx.callId)[0];
  return first ? [first.extension] : [];
};
