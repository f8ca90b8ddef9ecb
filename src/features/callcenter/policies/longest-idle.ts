import { eligibleInOrder } from '../agent-state.js';
import type { DistributionPolicy } from './types.js';

/** Longest-idle ("uniform"): the eligible agent with the smallest idleSince; ties by list position. */
export const longestIdle: DistributionPolicy = (agents, ctx) => {
  let best: (typeof agents)[number] | undefined;
  for (const a of eligibleInOrder(agents, ctx.callId)) {
    if (!best || a.idleSince < best.idleSince) best = a; // strict '<': earlier position wins ties
  }
  return best ? [best.extension] : [];
};
