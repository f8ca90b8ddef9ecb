// One queue call as the tenant's runtime tracks it, from the caller's arrival until the connected conversation ends.

import type { TimerHandle } from '../../util/clock.js';
import type { QueueCaller } from './queue-port.js';

export interface Entry {
  readonly id: string;
  group: string;
  /** When the caller entered the first queue: the wait that ordering, statistics and maxWait use. */
  readonly arrivedAt: number;
  /** When it entered this group's queue (after an overflow from another group). */
  enqueuedAt: number;
  readonly call: QueueCaller;
  /** Agents who declined this call: never offered it again. */
  readonly declined: Set<string>;
  /** Agents who let it ring out: skipped for this call while someone else can take it. */
  passedOver: Set<string>;
  offering: { agents: string[]; cancel(): void } | undefined;
  connectedTo: string | undefined;
  connectedAt: number;
  /** An overflowed call never overflows again (busy instead): no loops between groups. */
  overflowed: boolean;
  done: boolean;
  maxWaitTimer: TimerHandle | undefined;
  comfortTimer: TimerHandle | undefined;
  /**
   * Set while the call rests after an offer that found none of its agents with a registered phone: such an offer
   * ends at once, and offering again at once would spin without end (no I/O in between, nothing else runs).
   */
  restTimer: TimerHandle | undefined;
}

/** A caller arriving at `group` now. */
export function newEntry(call: QueueCaller, group: string, now: number): Entry {
  return {
    id: call.id,
    group,
    arrivedAt: now,
    enqueuedAt: now,
    call,
    declined: new Set(),
    passedOver: new Set(),
    offering: undefined,
    connectedTo: undefined,
    connectedAt: 0,
    overflowed: false,
    done: false,
    maxWaitTimer: undefined,
    comfortTimer: undefined,
    restTimer: undefined,
  };
}

/** Queue order: longest wait first, the id breaking ties so the order is total. */
export function byWait(a: Entry, b: Entry): number {
  return a.arrivedAt - b.arrivedAt || (a.id < b.id ? -1 : 1);
}
