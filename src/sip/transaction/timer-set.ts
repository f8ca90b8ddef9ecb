import type { Clock, TimerHandle } from '../../util/clock.js';

/** Where the timers run: the Clock itself, or timers shared on it (DeadlineQueues). */
export type TimerSource = Pick<Clock, 'setTimeout' | 'clearTimeout'>;

/**
 * The named timers of one transaction (A, B, D, ...) on the injected Clock. Starting a running timer restarts
 * it; `clearAll()` on termination guarantees a terminated transaction leaves no timer behind.
 * A transaction has at most three timers running at once, so two short arrays searched in order serve better
 * than a Map: every REGISTER creates two transactions, and a Map per transaction was garbage of its own.
 */
export class TimerSet<Name extends string> {
  readonly #clock: TimerSource;
  readonly #names: Name[] = [];
  readonly #handles: TimerHandle[] = [];

  constructor(clock: TimerSource) {
    this.#clock = clock;
  }

  start(name: Name, ms: number, fn: () => void): void {
    this.stop(name);
    const handle = this.#clock.setTimeout(() => {
      this.#forget(name);
      fn();
    }, ms);
    this.#names.push(name);
    this.#handles.push(handle);
  }

  stop(name: Name): void {
    const i = this.#names.indexOf(name);
    if (i < 0) return;
    this.#clock.clearTimeout(this.#handles[i]!);
    this.#names.splice(i, 1);
    this.#handles.splice(i, 1);
  }

  clearAll(): void {
    for (let i = 0; i < this.#handles.length; i++) this.#clock.clearTimeout(this.#handles[i]!);
    this.#names.length = 0;
    this.#handles.length = 0;
  }

  get size(): number {
    return this.#names.length;
  }

  #forget(name: Name): void {
    const i = this.#names.indexOf(name);
    if (i < 0) return;
    this.#names.splice(i, 1);
    this.#handles.splice(i, 1);
  }
}
