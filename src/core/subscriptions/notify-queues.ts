import type { NotifyBody } from './event-package.js';

/** One queued NOTIFY of a subscription. */
export interface NotifyJob {
  kind: 'notify';
  version: number;
  /** Only an active NOTIFY may be replaced by a newer full state; a terminated one stays the last word. */
  active: boolean;
  body: NotifyBody;
  /** The Subscription-State value. */
  state: string;
}

/** A NOTIFY, or a change of the subscription's dialog that must wait for the NOTIFYs queued before it. */
export type Job = NotifyJob | { kind: 'run'; run: () => void };

/** The per-subscription state the queues keep on each subscription. */
export interface Queued {
  /**
   * What waits to go out, in order. NOTIFYs go one after another (RFC 6665 4.2.2 ordering; versions must arrive in
   * order).
   */
  queue: Job[];
  /** A NOTIFY of this subscription is in flight. */
  busy: boolean;
  /** In the list of subscriptions the next flush works. */
  scheduled: boolean;
  /** Called once the queue has run dry with nothing in flight. */
  idle: Array<() => void>;
}

/** The fields a new subscription starts its queue with. */
export function emptyQueue(): Queued {
  return { queue: [], busy: false, scheduled: false, idle: [] };
}

/**
 * The NOTIFY queues of all subscriptions. A queue is worked at the next flush: once for all subscriptions a burst of
 * changes touched (a microtask after the change), so a fan-out sends its NOTIFYs in one synchronous loop and no 200
 * is handled mid-burst; one NOTIFY per subscription is in flight at a time.
 */
export class NotifyQueues<S extends Queued> {
  /**
   * Sends the NOTIFY; true when it is in flight (`answered` follows, possibly before this returns), false when
   * nothing was sent. `busy` is set while it runs.
   */
  readonly #send: (s: S, job: NotifyJob) => boolean;
  readonly #onError: (s: S, err: unknown) => void;
  #ready: S[] = [];
  #flushQueued = false;

  constructor(send: (s: S, job: NotifyJob) => boolean, onError: (s: S, err: unknown) => void) {
    this.#send = send;
    this.#onError = onError;
  }

  /** The last job queued when it is an active NOTIFY not yet sent (a newer full state may replace its document). */
  replaceable(s: S): NotifyJob | undefined {
    const tail = s.queue.length > 0 ? s.queue[s.queue.length - 1] : undefined;
    return tail?.kind === 'notify' && tail.active ? tail : undefined;
  }

  enqueue(s: S, job: Job): void {
    s.queue.push(job);
    if (s.busy || s.scheduled) return;
    s.scheduled = true;
    this.#ready.push(s);
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    queueMicrotask(() => this.#flush());
  }

  /** The NOTIFY in flight got its final response (or a local 408/503): the next job may go. */
  answered(s: S): void {
    s.busy = false;
    this.#pump(s);
  }

  /** Resolves once nothing of `s` waits or is in flight. */
  settled(s: S): Promise<void> {
    if (!s.busy && s.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => s.idle.push(resolve));
  }

  #flush(): void {
    this.#flushQueued = false;
    const ready = this.#ready;
    this.#ready = [];
    for (const s of ready) {
      s.scheduled = false;
      this.#pump(s);
    }
  }

  /** Works the queue up to the next NOTIFY in flight. */
  #pump(s: S): void {
    while (!s.busy && s.queue.length > 0) {
      const job = s.queue.shift()!;
      try {
        if (job.kind === 'notify') {
          s.busy = true;
          if (!this.#send(s, job)) s.busy = false;
        } else job.run();
      } catch (err) {
        s.busy = false;
        this.#onError(s, err);
      }
    }
    if (!s.busy && s.queue.length === 0 && s.idle.length > 0) for (const f of s.idle.splice(0)) f();
  }
}
