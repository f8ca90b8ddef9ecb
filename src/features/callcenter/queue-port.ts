// The SIP side of one queue call as the call-center runtime sees it. The runtime only speaks to this port, so its
// rules run on a FakeClock in tests; `queue-caller.ts` implements it over core's queued call.

import type { Party } from '../../core/events/types.js';

/** How one offer of a queue call ended (mirrors core's queue OfferResult, core/calls/queue-offer.ts). */
export interface QueueOfferResult {
  outcome: 'answered' | 'declined' | 'no-answer' | 'unavailable' | 'caller-gone' | 'cancelled';
  answeredBy?: string;
  declinedBy: string[];
  unreachable: string[];
}

/** One caller waiting in (or connected from) a queue, as the runtime drives it. */
export interface QueueCaller {
  readonly id: string;
  readonly caller: Party;
  /** Entrance message, then music on a loop. */
  entrance(): void;
  /** Position and estimated wait, then back to music. */
  comfort(position: number, estimatedWaitS: number): void;
  /** Rings the agents' devices; the caller keeps hearing music meanwhile. */
  offer(agents: readonly string[], timeoutMs: number): { result: Promise<QueueOfferResult>; cancel(): void };
  /** Overflow: ring this workplace or outside number (not as a queue call); busy when nobody answers. */
  transferTo(extension: string): void;
  /** Overflow to busy: busy tone, then hang up. */
  busy(): void;
  /** Called once when the caller's call ends (hung up, or the connected conversation ended). */
  onEnded(cb: () => void): void;
}
