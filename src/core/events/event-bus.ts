import type { DomainEvent, DomainEventType, EventOf } from './types.js';

export type Unsubscribe = () => void;

/** Called when a listener throws; `event` is the event it was handling. */
export type ListenerErrorHandler = (err: unknown, event: DomainEvent) => void;

export interface EventBusOptions {
  /**
   * Where listener failures go. The composition root passes one that logs; without it they are reported as
   * process warnings so they are never silent.
   */
  onError?: ListenerErrorHandler;
}

interface Subscription {
  /** undefined: every event (onAny). */
  readonly type: DomainEventType | undefined;
  readonly handler: (e: DomainEvent) => void;
  active: boolean;
}

/**
 * The in-process domain event bus. One per process, built by the composition root and passed in; no module
 * state, so tests make as many as they like.
 *
 * Delivery is synchronous, in subscription order (typed and catch-all listeners interleave by when they
 * subscribed). Two guarantees that listeners may rely on:
 * - A throwing listener affects neither the other listeners nor the emitter: the error goes to `onError`.
 * - Every listener sees events in the order they were emitted. An `emit` from inside a listener is queued and
 *   delivered after the current event has reached every listener (still before the outermost `emit` returns);
 *   nested delivery would let a later listener see `call.ended` before the `call.answered` that caused it.
 */
export class EventBus {
  #subs: Subscription[] = [];
  #queue: DomainEvent[] = [];
  #delivering = false;
  readonly #onError: ListenerErrorHandler;

  constructor(opts: EventBusOptions = {}) {
    this.#onError = opts.onError ?? defaultOnError;
  }

  /** Listens to one event type. Returns the function that unsubscribes (idempotent). */
  on<T extends DomainEventType>(type: T, handler: (e: EventOf<T>) => void): Unsubscribe {
    // The cast is sound: #deliver only calls this handler for events whose type is T.
    return this.#add(type, handler as (e: DomainEvent) => void);
  }

  /** Listens to every event (the API stream, tracing). */
  onAny(handler: (e: DomainEvent) => void): Unsubscribe {
    return this.#add(undefined, handler);
  }

  emit(event: DomainEvent): void {
    this.#queue.push(event);
    if (this.#delivering) return;
    this.#delivering = true;
    try {
      for (let e = this.#queue.shift(); e !== undefined; e = this.#queue.shift()) this.#deliver(e);
    } finally {
      this.#delivering = false;
    }
  }

  /** Active listeners, of one type (catch-all listeners included, as they receive it too) or in total. */
  listenerCount(type?: DomainEventType): number {
    if (type === undefined) return this.#subs.length;
    return this.#subs.filter((s) => s.type === undefined || s.type === type).length;
  }

  #add(type: DomainEventType | undefined, handler: (e: DomainEvent) => void): Unsubscribe {
    const sub: Subscription = { type, handler, active: true };
    // Copy-on-write: a delivery in progress keeps iterating the array it started with.
    this.#subs = [...this.#subs, sub];
    return () => {
      if (!sub.active) return;
      sub.active = false;
      this.#subs = this.#subs.filter((s) => s !== sub);
    };
  }

  #deliver(event: DomainEvent): void {
    // Listeners added while delivering wait for the next event; ones removed while delivering are not called.
    for (const sub of this.#subs) {
      if (!sub.active || (sub.type !== undefined && sub.type !== event.type)) continue;
      try {
        sub.handler(event);
      } catch (err) {
        this.#report(err, event);
      }
    }
  }

  #report(err: unknown, event: DomainEvent): void {
    try {
      this.#onError(err, event);
    } catch {
      // An error handler that throws has nowhere left to report to; the emitter must still not see it.
    }
  }
}

function defaultOnError(err: unknown, event: DomainEvent): void {
  const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.emitWarning(`event bus listener for ${event.type} threw: ${detail}`, 'EventBusListenerError');
}
