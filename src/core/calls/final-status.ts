/**
 * Which final status the caller hears when every forked branch failed (RFC 3261 16.7 step 6, simplified for a
 * B2BUA that forks to one workplace's devices): a 6xx from any device wins (busy or declined everywhere),
 * then "busy" when any device was busy, then the lowest 4xx/5xx class seen, else 480.
 */
import type { CallEndReason } from '../events/types.js';

export function bestFinalStatus(statuses: readonly number[]): number {
  const six = statuses.find((s) => s >= 600);
  if (six !== undefined) return six;
  if (statuses.includes(486)) return 486;
  // Timeouts (408) and transport failures (503 made locally) mean "not reachable now".
  const real = statuses.filter((s) => s !== 408 && s !== 503 && s !== 487);
  if (real.length === 0) return 480;
  return Math.min(...real);
}

export function reasonForStatus(status: number): CallEndReason {
  if (status === 486 || status === 600) return 'busy';
  if (status === 603) return 'declined';
  if (status === 404 || status === 484) return 'not-found';
  if (status === 480 || status === 408) return 'unavailable';
  if (status === 487) return 'cancelled';
  return 'failed';
}
