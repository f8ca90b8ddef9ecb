import type { Clock, TimerHandle } from '../../util/clock.js';
import type { WireCopy } from './types.js';

interface Entry<V> {
  readonly key: string;
  readonly copy: V;
  readonly at: number;
}

/**
 * The Completed state of non-INVITE server transactions over UDP, kept as bytes. RFC 3261 section 17.2.2: once the
 * final response is sent the transaction only absorbs retransmissions of the request, resending that response, until
 * Timer J (64*T1) ends it. That needs neither the request nor the response objects, only the bytes written and where
 * they went — a few hundred bytes instead of both parsed messages for 32 s (a REGISTER flood keeps hundreds of
 * thousands of them; the layer copies them into shared slabs, response-slabs.ts). Timer J has one duration, so the entries fall due in the order they were added: one FIFO and
 * one clock timer for all of them.
 *
 * Past `max` entries the oldest is dropped early: a retransmission that late is rare (a client retransmits within
 * T2 of our answer), and a dropped one is handled as a new request — better than refusing new requests.
 */
export class CompletedResponses<V = WireCopy> {
  readonly #clock: Clock;
  readonly #lifetime: number;
  readonly #max: number;
  readonly #byKey = new Map<string, Entry<V>>();
  #queue: Array<Entry<V>> = [];
  #head = 0;
  #timer: TimerHandle | undefined;

  constructor(clock: Clock, lifetimeMs: number, max: number) {
    this.#clock = clock;
    this.#lifetime = lifetimeMs;
    this.#max = max;
  }

  get size(): number {
    return this.#byKey.size;
  }

  get(key: string): V | undefined {
    return this.#byKey.get(key)?.copy;
  }

  add(key: string, copy: V): void {
    if (this.#byKey.size >= this.#max) this.#dropOldest();
    const e: Entry<V> = { key, copy, at: this.#clock.now() + this.#lifetime };
    this.#byKey.set(key, e);
    this.#queue.push(e);
    if (this.#timer === undefined) this.#arm();
  }

  clear(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#byKey.clear();
    this.#queue = [];
    this.#head = 0;
  }

  #dropOldest(): void {
    while (this.#head < this.#queue.length) {
      const e = this.#queue[this.#head++]!;
      if (this.#byKey.get(e.key) === e) {
        this.#byKey.delete(e.key);
        return;
      }
    }
  }

  #arm(): void {
    const first = this.#queue[this.#head];
    if (!first) return;
    this.#timer = this.#clock.setTimeout(() => this.#expire(), Math.max(0, first.at - this.#clock.now()));
  }

  #expire(): void {
    this.#timer = undefined;
    const now = this.#clock.now();
    while (this.#head < this.#queue.length) {
      const e = this.#queue[this.#head]!;
      if (e.at > now) break;
      this.#head++;
      // A key taken over by a newer entry (the same request answered again after an early drop) stays.
      if (this.#byKey.get(e.key) === e) this.#byKey.delete(e.key);
    }
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
      return;
    }
    if (this.#head > 4096 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    this.#arm();
  }
}
