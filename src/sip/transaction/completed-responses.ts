import type { Clock, TimerHandle } from '../../util/clock.js';
import type { Flow } from '../transport/types.js';
import type { WireCopy } from './types.js';

interface Entry {
  readonly key: string;
  /** The slab holding the bytes, from `offset` for `length` bytes. */
  readonly slab: Buffer;
  readonly offset: number;
  readonly length: number;
  readonly to: Flow;
  readonly at: number;
}

/**
 * Bytes of kept responses are copied into slabs of this size, one after the other. Entries fall due in the order
 * they were added, so a slab's entries die together and the slab with them: one allocation per few hundred
 * responses instead of each response's own buffer — which, cut from Node's shared 8 KiB pool, kept its whole pool
 * page alive for 32 s (hundreds of megabytes in a registration storm).
 */
const SLAB_BYTES = 256 * 1024;
/** A response larger than this keeps its own buffer rather than a slab's tail. */
const SLAB_MAX_COPY = SLAB_BYTES / 8;

/**
 * The Completed state of non-INVITE server transactions over UDP, kept as bytes. RFC 3261 section 17.2.2: once the
 * final response is sent the transaction only absorbs retransmissions of the request, resending that response, until
 * Timer J (64*T1) ends it. That needs neither the request nor the response objects, only the bytes written and where
 * they went — a few hundred bytes instead of both parsed messages for 32 s (a REGISTER flood keeps hundreds of
 * thousands of them). Timer J has one duration, so the entries fall due in the order they were added: one FIFO and
 * one clock timer for all of them.
 *
 * Past `max` entries the oldest is dropped early: a retransmission that late is rare (a client retransmits within
 * T2 of our answer), and a dropped one is handled as a new request — better than refusing new requests.
 */
export class CompletedResponses {
  readonly #clock: Clock;
  readonly #lifetime: number;
  readonly #max: number;
  readonly #byKey = new Map<string, Entry>();
  #queue: Entry[] = [];
  #head = 0;
  #timer: TimerHandle | undefined;
  #slab: Buffer | undefined;
  #slabUsed = 0;

  constructor(clock: Clock, lifetimeMs: number, max: number) {
    this.#clock = clock;
    this.#lifetime = lifetimeMs;
    this.#max = max;
  }

  get size(): number {
    return this.#byKey.size;
  }

  /** The kept response of `key` (a view into its slab: made only for a retransmission, which is rare). */
  get(key: string): WireCopy | undefined {
    const e = this.#byKey.get(key);
    return e && { bytes: e.slab.subarray(e.offset, e.offset + e.length), to: e.to };
  }

  /** Keeps a copy of `copy.bytes` (the caller may reuse its buffer). */
  add(key: string, copy: WireCopy): void {
    if (this.#byKey.size >= this.#max) this.#dropOldest();
    const { slab, offset } = this.#store(copy.bytes);
    const e: Entry = {
      key,
      slab,
      offset,
      length: copy.bytes.length,
      to: copy.to,
      at: this.#clock.now() + this.#lifetime,
    };
    this.#byKey.set(key, e);
    this.#queue.push(e);
    if (this.#timer === undefined) this.#arm();
  }

  #store(bytes: Buffer): { slab: Buffer; offset: number } {
    const n = bytes.length;
    if (n > SLAB_MAX_COPY) return { slab: Buffer.from(bytes), offset: 0 };
    let slab = this.#slab;
    if (slab === undefined || this.#slabUsed + n > slab.length) {
      slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
      this.#slab = slab;
      this.#slabUsed = 0;
    }
    const offset = this.#slabUsed;
    bytes.copy(slab, offset);
    this.#slabUsed = offset + n;
    return { slab, offset };
  }

  clear(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#byKey.clear();
    this.#queue = [];
    this.#head = 0;
    this.#slab = undefined;
    this.#slabUsed = 0;
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
