import type { Clock, TimerHandle } from '../../util/clock.js';

/**
 * Closes a connection after `timeoutMs` without traffic, without re-arming a timer on every packet: callers
 * just record activity with touch(); the single timer, when it fires early, re-arms for the remainder.
 */
export class IdleWatch {
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  readonly #onIdle: () => void;
  #last: number;
  #timer: TimerHandle | undefined;

  constructor(clock: Clock, timeoutMs: number, onIdle: () => void) {
    this.#clock = clock;
    this.#timeoutMs = timeoutMs;
    this.#onIdle = onIdle;
    this.#last = clock.now();
    this.#arm(timeoutMs);
  }

  touch(): void {
    this.#last = this.#clock.now();
  }

  stop(): void {
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(ms: number): void {
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      const idle = this.#clock.now() - this.#last;
      if (idle < this.#timeoutMs) this.#arm(this.#timeoutMs - idle);
      else this.#onIdle();
    }, ms);
  }
}
