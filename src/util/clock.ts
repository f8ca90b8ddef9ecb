/**
 * Time, injected. Every timer in Zentrale (SIP timers, registration expiry, nonce lifetime, bans) goes through
 * a Clock so tests can drive time by hand instead of sleeping.
 */
export interface TimerHandle {
  readonly id: number;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
  /** Timers scheduled and not yet fired or cleared; end-to-end tests assert this returns to its baseline. */
  pendingTimers(): number;
}

/**
 * The real clock: wall time and Node timers, with a count of the pending ones. With `unref`, its timers never keep
 * the process alive on their own (for housekeeping such as idle timeouts that stop() clears anyway).
 */
export class SystemClock implements Clock {
  #timers = new Map<number, NodeJS.Timeout>();
  #next = 1;
  readonly #unref: boolean;

  constructor(opts: { unref?: boolean } = {}) {
    this.#unref = opts.unref ?? false;
  }

  now(): number {
    return Date.now();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.#next++;
    const t = setTimeout(() => {
      this.#timers.delete(id);
      fn();
    }, ms);
    if (this.#unref) t.unref();
    this.#timers.set(id, t);
    return { id };
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (!handle) return;
    const t = this.#timers.get(handle.id);
    if (t) {
      clearTimeout(t);
      this.#timers.delete(handle.id);
    }
  }

  pendingTimers(): number {
    return this.#timers.size;
  }
}

interface FakeTimer {
  id: number;
  at: number;
  seq: number;
  fn: () => void;
}

/** A clock that only moves when told to: `advance(ms)` fires due timers in time order. */
export class FakeClock implements Clock {
  #now: number;
  #timers = new Map<number, FakeTimer>();
  #next = 1;

  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.#next++;
    this.#timers.set(id, { id, at: this.#now + Math.max(0, ms), seq: id, fn });
    return { id };
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle) this.#timers.delete(handle.id);
  }

  pendingTimers(): number {
    return this.#timers.size;
  }

  /** Moves time forward by `ms`, firing every timer that falls due, including timers set by fired timers. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      let due: FakeTimer | undefined;
      for (const t of this.#timers.values()) {
        if (t.at <= end && (!due || t.at < due.at || (t.at === due.at && t.seq < due.seq))) due = t;
      }
      if (!due) break;
      this.#timers.delete(due.id);
      this.#now = due.at;
      due.fn();
    }
    this.#now = end;
  }
}
