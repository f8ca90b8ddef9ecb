import type { Clock, TimerHandle } from '../../util/clock.js';

/** Where the timers run: the Clock itself, or timers shared on it (DeadlineQueues). */
export type TimerSource = Pick<Clock, 'setTimeout' | 'clearTimeout'>;

/**
 * The named timers of one transaction (A, B, D, ...) on the injected Clock. Starting a running timer restarts
 * it; `clearAll()` on termination guarantees a terminated transaction leaves no timer behind.
 */
export class TimerSet<Name extends string> {
  readonly #clock: TimerSource;
  readonly #handles = new Map<Name, TimerHandle>();

  constructor(clock: TimerSource) {
    this.#clock = clock;
  }

  start(name: Name, ms: number, fn: () => void): void {
    this.stop(name);
    const handle = this.#clock.setTimeout(() => {
      this.#handles.delete(name);
      fn();
    }, ms);
    this.#handles.set(name, handle);
  }

  stop(name: Name): void {
    const h = this.#handles.get(name);
    if (h) {
      this.#clock.clearTimeout(h);
      this.#handles.delete(name);
    }
  }

  clearAll(): void {
    for (const h of this.#handles.values()) this.#clock.clearTimeout(h);
    this.#handles.clear();
  }

  get size(): number {
    return this.#handles.size;
  }
}
