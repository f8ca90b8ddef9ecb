import { compareByPosition, isEligible } from '../agent-state.js';
import type { DistributionPolicy } from './types.js';

/**
 * Circular: the first eligible agent after the one offered last (ctx.lastOffered), in list order,
 * wrapping around. The last-offered agent themselves comes last in the rotation (picked only when they
 * are the only eligible one). Without lastOffered, or when that extension is no longer in the list, the
 * rotation starts at the head of the list.
 */
export const circular: DistributionPolicy = (agents, ctx) => {
  const ordered = [...agents].sort(compareByPosition);
  const last = ctx.lastOffered === undefined ? -1 : ordered.findIndex((a) => a.extension === ctx.lastOffered);
  const start = last + 1; // -1 (unknown) -> head of the list
  for (let i = 0; i < ordered.length; i++) {
    const a = ordered[(start + i) % ordered.length];
    if (a && isEligible(a, ctx.callId)) return [a.extension];
  }
  return [];
};
