import type { Clock, TimerHandle } from '../../util/clock.js';

/**
 * The transport's default clock: wall time and Node timers that are unref()'d, so an idle-timeout timer never
 * keeps the process alive on its own (stop() clears them anyway). Tests inject a FakeClock instead.
 */
export class UnrefClock implements Clock {
  #timers = new Map<number, NodeJS.Timeout>();
  #next = 1;

  now(): number {
    return Date.now();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.#next++;
    const t = setTimeout(() => {
      this.#timers.delete(id);
      fn();
    }, ms);
    t.unref();
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
