import type { Clock, TimerHandle } from '../../util/clock.js';

/**
 * Timers of many transactions on few clock timers. The client transaction timers run for fixed durations (Timer F
 * 64*T1, K T4, E T1 doubling up to T2, RFC 3261 17.1.2.2), so the deadlines scheduled with one duration fall due
 * in the order they were scheduled: a FIFO per duration with one clock timer armed for its first live deadline
 * fires each at the same moment as a timer of its own would. A NOTIFY fan-out starts a thousand transactions at
 * once; this way they share three clock timers instead of arming and clearing three each.
 *
 * A cancelled deadline stays in its queue until it reaches the head; when a queue holds no live deadline its clock
 * timer is cleared at once, so pendingTimers() of the clock returns to its baseline when the transactions end.
 */
export class DeadlineQueues {
  readonly #clock: Clock;
  readonly #queues = new Map<number, Queue>();
  #next = 1;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    let q = this.#queues.get(ms);
    if (!q) this.#queues.set(ms, (q = { items: [], head: 0, live: 0, timer: undefined, firing: false }));
    const d: Deadline = { id: this.#next++, at: this.#clock.now() + ms, fn, queue: q, state: PENDING };
    q.items.push(d);
    q.live++;
    if (q.timer === undefined && !q.firing) this.#arm(q);
    return d;
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    const d = handle as Deadline | undefined;
    if (!d || d.state !== PENDING) return;
    d.state = CANCELLED;
    // It waits in its queue until it reaches the head (up to 64*T1 for Timer F): without its callback, it no
    // longer holds the transaction (request, handlers) in memory meanwhile.
    d.fn = NOTHING;
    const q = d.queue;
    if (--q.live > 0) {
      // Most Timer F deadlines are cleared within milliseconds (the answer came) but would wait 64*T1 to reach the
      // head: once cleared ones are most of a long queue, keep only the pending ones (in order, so the queue stays
      // sorted and its clock timer right). Each compaction halves the queue at least: amortised O(1) per clear.
      const span = q.items.length - q.head;
      if (span > COMPACT_FROM && q.live * 2 < span && !q.firing) {
        q.items = q.items.filter((x, i) => i >= q.head && x.state === PENDING);
        q.head = 0;
      }
      return;
    }
    this.#clock.clearTimeout(q.timer);
    q.timer = undefined;
    q.items = [];
    q.head = 0;
  }

  /** Deadlines scheduled and neither fired nor cleared. */
  pending(): number {
    let n = 0;
    for (const q of this.#queues.values()) n += q.live;
    return n;
  }

  #arm(q: Queue): void {
    while (q.head < q.items.length && q.items[q.head]!.state !== PENDING) q.head++;
    const first = q.items[q.head];
    if (!first) return;
    q.timer = this.#clock.setTimeout(() => this.#fire(q), Math.max(0, first.at - this.#clock.now()));
  }

  #fire(q: Queue): void {
    q.timer = undefined;
    q.firing = true;
    const now = this.#clock.now();
    try {
      // Read items and head afresh each round: a callback may cancel the queue's last deadline (which empties it)
      // or schedule new ones behind.
      while (q.head < q.items.length) {
        const d = q.items[q.head]!;
        if (d.state === PENDING && d.at > now) break;
        q.head++;
        if (d.state !== PENDING) continue;
        d.state = FIRED;
        q.live--;
        const fn = d.fn;
        d.fn = NOTHING;
        fn();
      }
    } finally {
      q.firing = false;
      if (q.live === 0) {
        q.items = [];
        q.head = 0;
      } else {
        if (q.head > 1024 && q.head * 2 > q.items.length) {
          q.items = q.items.slice(q.head);
          q.head = 0;
        }
        if (q.timer === undefined) this.#arm(q);
      }
    }
  }
}

const NOTHING = (): void => undefined;
/** Queues shorter than this are never compacted (the cleared deadlines go when they reach the head). */
const COMPACT_FROM = 1024;
const PENDING = 0;
const FIRED = 1;
const CANCELLED = 2;

interface Deadline extends TimerHandle {
  readonly at: number;
  fn: () => void;
  readonly queue: Queue;
  state: typeof PENDING | typeof FIRED | typeof CANCELLED;
}

interface Queue {
  items: Deadline[];
  head: number;
  /** Deadlines in `items` still pending. */
  live: number;
  timer: TimerHandle | undefined;
  /** True while its due deadlines run: scheduling then must not arm the timer (the loop re-arms it). */
  firing: boolean;
}
