import { eligibleInOrder } from '../agent-state.js';
import type { DistributionPolicy } from './types.js';

/**
 * Weighted: the eligible agent with the lowest served/weight ratio (calls answered per unit of weight), so
 * over time each agent's share of calls is proportional to their weight (smooth weighted round robin).
 * Ratios are compared exactly by cross-multiplication (no floating point); ties by list position.
 * Agents with weight <= 0 are never picked.
 */
export const weighted: DistributionPolicy = (agents, ctx) => {
  let best: { ext: string; served: number; weight: number } | undefined;
  for (const a of eligibleInOrder(agents, ctx.callId)) {
    if (!(a.weight > 0)) continue;
    const served = ctx.served.get(a.extension) ?? 0;
    // served/weight < best.served/best.weight  <=>  served*best.weight < best.served*weight
    if (!best || served * best.weight < best.served * a.weight) {
      best = { ext: a.extension, served, weight: a.weight };
    }
  }
  return best ? [best.ext] : [];
};
