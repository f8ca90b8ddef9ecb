import type { Clock, TimerHandle } from '../../util/clock.js';
import { doubled } from '../../util/ring-column.js';
import { keyHash } from './completed-key-hashes.js';

/**
 * The Completed state of non-INVITE server transactions over UDP, kept as bytes. RFC 3261 section 17.2.2: once the
 * final response is sent the transaction only absorbs retransmissions of the request, resending that response, until
 * Timer J (64*T1) ends it. That needs neither the request nor the response objects, only the transaction key and the
 * bytes written; where they go is worked out from the retransmission itself, as for any response (18.2.2).
 *
 * A registration storm keeps hundreds of thousands of these for 32 s, so an entry is a row of typed arrays in a ring
 * plus its key string, and the bytes are copied one after the other into shared 256 KiB slabs: no object, Map entry
 * or buffer of its own per transaction for the garbage collector to copy through its young generation and trace in
 * the old one. (A Map of key → entry objects, each with its destination and slab view, cost 4–5 µs more per REGISTER
 * with 160 000 entries live, all promoted through two scavenges.)
 *
 * Timer J has one duration, so entries fall due in the order they were added: the ring is also the expiry queue, and
 * a slab's entries die together. A slab whose entries are all gone is used again (after a pause, for a resend of one
 * of its views the socket may still hold): new memory costs a page fault per 4 KiB on first write, about 11 µs on
 * the virtual machines this was measured on, a quarter of a fault per registration when every slab was new.
 *
 * Lookup is a hash table of chains through the ring: each bucket holds the sequence number of its newest entry and
 * each entry that of the next older one in its bucket, so a chain ends at the first number that has left the ring.
 * Past `max` entries the oldest goes early: a retransmission that late is rare (a client retransmits within T2 of
 * our answer), and a dropped one is handled as a new request — better than refusing new requests.
 */
export class CompletedResponses {
  readonly #clock: Clock;
  readonly #lifetime: number;
  readonly #max: number;
  /** Newest entry's sequence number per bucket, -1 for none; allocated on the first add. */
  #buckets: Float64Array | undefined;
  // The ring: entry `seq` lives at index seq & (capacity - 1) while #head <= seq < #tail.
  #keys: Array<string | undefined> = new Array<string | undefined>(INITIAL).fill(undefined);
  #slabOf: Array<Buffer | undefined> = new Array<Buffer | undefined>(INITIAL).fill(undefined);
  #hash = new Int32Array(INITIAL);
  #next = new Float64Array(INITIAL);
  #at = new Float64Array(INITIAL);
  #offset = new Int32Array(INITIAL);
  #length = new Int32Array(INITIAL);
  #head = 0;
  #tail = 0;
  #slab: Buffer | undefined;
  #used = 0;
  /** Slabs no longer written to, oldest first, with the sequence number of the last entry each holds. */
  #sealed: Array<{ slab: Buffer; last: number }> = [];
  /** Slabs whose entries are all gone, oldest first, with the time the last one went. */
  #free: Array<{ slab: Buffer; since: number }> = [];
  #timer: TimerHandle | undefined;

  constructor(clock: Clock, lifetimeMs: number, max: number) {
    this.#clock = clock;
    this.#lifetime = lifetimeMs;
    this.#max = Math.max(1, max);
  }

  get size(): number {
    return this.#tail - this.#head;
  }

  /** The bytes kept for `key`, as a view (made only for a retransmission, which is rare). */
  get(key: string): Buffer | undefined {
    const buckets = this.#buckets;
    if (buckets === undefined) return undefined;
    const h = keyHash(key);
    const mask = this.#keys.length - 1;
    // Newest first: a key answered again after an early drop finds its newer entry.
    for (let seq = buckets[h & BUCKET_MASK]!; seq >= this.#head; seq = this.#next[seq & mask]!) {
      const i = seq & mask;
      if (this.#hash[i] === h && this.#keys[i] === key) {
        const at = this.#offset[i]!;
        return this.#slabOf[i]!.subarray(at, at + this.#length[i]!);
      }
    }
    return undefined;
  }

  /** Keeps a copy of `bytes` for `key` until Timer J (the caller may reuse its buffer). */
  add(key: string, bytes: Buffer): void {
    const buckets = (this.#buckets ??= new Float64Array(BUCKETS).fill(-1));
    if (this.size >= this.#max) this.#dropHead();
    if (this.size === this.#keys.length) this.#grow();
    const seq = this.#tail++;
    const i = seq & (this.#keys.length - 1);
    const h = keyHash(key);
    this.#keys[i] = key;
    this.#hash[i] = h;
    this.#next[i] = buckets[h & BUCKET_MASK]!;
    buckets[h & BUCKET_MASK] = seq;
    this.#at[i] = this.#clock.now() + this.#lifetime;
    this.#copy(i, bytes);
    if (this.#timer === undefined) this.#arm();
  }

  clear(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#buckets = undefined;
    this.#keys.fill(undefined);
    this.#slabOf.fill(undefined);
    this.#head = this.#tail = 0;
    this.#slab = undefined;
    this.#used = 0;
    this.#sealed = [];
    this.#free = [];
  }

  /** Slabs kept for use again (for the tests). */
  get spareSlabs(): number {
    return this.#free.length;
  }

  /** Copies the bytes into the current slab, or a buffer of their own when larger than a slab's eighth. */
  #copy(i: number, bytes: Buffer): void {
    const n = bytes.length;
    let slab: Buffer;
    let offset = 0;
    if (n > SLAB_MAX_COPY) {
      slab = Buffer.allocUnsafeSlow(n);
    } else {
      if (this.#slab === undefined || this.#used + n > this.#slab.length) {
        // Entry `seq` (at ring index i) is the first of the new slab, so the one before was the old slab's last.
        if (this.#slab !== undefined) this.#sealed.push({ slab: this.#slab, last: this.#tail - 2 });
        this.#slab = this.#spareSlab() ?? Buffer.allocUnsafeSlow(SLAB_BYTES);
        this.#used = 0;
      }
      slab = this.#slab;
      offset = this.#used;
      this.#used += n;
    }
    bytes.copy(slab, offset);
    this.#slabOf[i] = slab;
    this.#offset[i] = offset;
    this.#length[i] = n;
  }

  #dropHead(): void {
    const i = this.#head & (this.#keys.length - 1);
    this.#keys[i] = undefined;
    this.#slabOf[i] = undefined;
    this.#head++;
    const sealed = this.#sealed;
    while (sealed.length > 0 && sealed[0]!.last < this.#head) {
      const { slab } = sealed.shift()!;
      if (this.#free.length < SPARE_SLABS) this.#free.push({ slab, since: this.#clock.now() });
    }
  }

  /** The oldest slab without entries, once no send can still be reading one of its views. */
  #spareSlab(): Buffer | undefined {
    const oldest = this.#free[0];
    if (oldest === undefined || this.#clock.now() - oldest.since < SPARE_PAUSE_MS) return undefined;
    this.#free.shift();
    return oldest.slab;
  }

  /** Doubles the ring (its capacity stays a power of two). */
  #grow(): void {
    const [head, tail] = [this.#head, this.#tail];
    this.#keys = doubled(this.#keys, head, tail);
    this.#slabOf = doubled(this.#slabOf, head, tail);
    this.#hash = doubled(this.#hash, head, tail);
    this.#next = doubled(this.#next, head, tail);
    this.#at = doubled(this.#at, head, tail);
    this.#offset = doubled(this.#offset, head, tail);
    this.#length = doubled(this.#length, head, tail);
  }

  #arm(): void {
    if (this.size === 0) return;
    const first = this.#at[this.#head & (this.#keys.length - 1)]!;
    this.#timer = this.#clock.setTimeout(() => this.#expire(), Math.max(0, first - this.#clock.now()));
  }

  #expire(): void {
    this.#timer = undefined;
    const now = this.#clock.now();
    while (this.size > 0 && this.#at[this.#head & (this.#keys.length - 1)]! <= now) this.#dropHead();
    this.#arm();
  }
}

const INITIAL = 256;
const BUCKET_BITS = 18;
const BUCKETS = 1 << BUCKET_BITS;
const BUCKET_MASK = BUCKETS - 1;
/** Bytes of kept responses are copied into slabs of this size, one after the other. */
const SLAB_BYTES = 256 * 1024;
/** A response larger than this keeps its own buffer rather than a slab's tail. */
const SLAB_MAX_COPY = SLAB_BYTES / 8;
/** Empty slabs kept for use again (8 MiB); more go to the collector. */
const SPARE_SLABS = 32;
/**
 * How long an empty slab rests before it is written again: `get` hands out views for resends, and a datagram the
 * kernel could not take at once waits in the socket's queue (milliseconds) with the view.
 */
const SPARE_PAUSE_MS = 1000;
