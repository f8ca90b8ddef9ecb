import { eligibleInOrder } from '../agent-state.js';
import type { DistributionPolicy } from './types.js';

/** Simultaneous: every eligible agent rings at once (returned in list order). */
export const simultaneous: DistributionPolicy = (agents, ctx) =>
  eligibleInOrder(agents, ctx.callId).map((a) => a.extension);
