import type { Clock, TimerHandle } from '../../util/clock.js';
import type { TransactionLayer } from '../transaction/transaction-layer.js';
import type { TimerConfig } from '../transaction/timer-config.js';
import type { MessageSender } from '../transaction/types.js';
import type { Endpoint, TransportProtocol } from '../transport/types.js';

export type UaLogLevel = 'debug' | 'info' | 'warn' | 'error';
export type UaLog = (level: UaLogLevel, msg: string, fields?: Record<string, unknown>) => void;

/**
 * Timers of the UA core (2xx retransmission, ACK wait, CANCEL guard) on the injected Clock, counted so tests and
 * leak checks can assert that nothing is left behind after teardown.
 */
export class UaTimers {
  readonly #clock: Clock;
  readonly #live = new Set<TimerHandle>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  set(fn: () => void, ms: number): TimerHandle {
    const h = this.#clock.setTimeout(() => {
      this.#live.delete(h);
      fn();
    }, ms);
    this.#live.add(h);
    return h;
  }

  clear(h: TimerHandle | undefined): void {
    if (!h) return;
    this.#clock.clearTimeout(h);
    this.#live.delete(h);
  }

  clearAll(): void {
    for (const h of this.#live) this.#clock.clearTimeout(h);
    this.#live.clear();
  }

  get size(): number {
    return this.#live.size;
  }
}

/**
 * What dialogs and invite sessions need from the UA core: no back-reference to the core itself, only the
 * collaborators (the style rule against transactions or dialogs reaching into the whole user agent).
 */
export interface DialogContext {
  readonly transactions: TransactionLayer;
  /** For what travels outside transactions: the ACK to a 2xx (13.2.2.4) and 2xx retransmissions (13.3.1.4). */
  readonly sender: MessageSender;
  readonly timers: UaTimers;
  readonly timerConfig: TimerConfig;
  localEndpoint(protocol: TransportProtocol): Endpoint | undefined;
  readonly userAgent: string | undefined;
  readonly log: UaLog;
  /** Runs a listener so that a throwing one cannot corrupt UA state (logged, swallowed). */
  callOut(what: string, fn: () => void): void;
}
