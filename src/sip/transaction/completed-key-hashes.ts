import type { Clock, TimerHandle } from '../../util/clock.js';

/**
 * Timer K (T4, RFC 3261 17.1.2.2) of the raw non-INVITE client transactions over UDP (the NOTIFYs of a fan-out),
 * with no object per transaction. In Completed such a transaction only absorbs retransmitted final responses, and
 * a response that matches no transaction is discarded too (section 18.1.2): knowing a key as completed decides
 * only how cheaply a late response is dropped (no full parse) and how it is counted. So a completed key is kept as
 * a count under its 32-bit hash, and its expiry as (slot, deadline) in a ring of typed arrays: Timer K has one
 * duration, so entries fall due in the order they were added. Nothing here is traced or copied by the garbage
 * collector, where a Map of key strings held about 190 bytes per NOTIFY for 5 s (some 28 MB at 30 000 NOTIFYs/s),
 * all of it promoted through the scavenges that a fan-out's own garbage triggers.
 *
 * `has` may answer yes for a key never added (two keys on one slot): use it only where that is harmless. It never
 * answers no for a key added and not yet expired, unless `max` entries forced the oldest out early.
 */
export class CompletedKeyHashes {
  readonly #clock: Clock;
  readonly #lifetime: number;
  readonly #max: number;
  /** Completed keys per hash slot; allocated on the first add (a layer without raw requests never needs it). */
  #counts: Uint16Array | undefined;
  #slots: Int32Array = new Int32Array(256);
  #at: Float64Array = new Float64Array(256);
  #head = 0;
  #length = 0;
  #timer: TimerHandle | undefined;

  constructor(clock: Clock, lifetimeMs: number, max: number) {
    this.#clock = clock;
    this.#lifetime = lifetimeMs;
    this.#max = max;
  }

  /** Keys added and not yet expired. */
  get size(): number {
    return this.#length;
  }

  has(key: string): boolean {
    return this.#counts !== undefined && this.#counts[slotOf(key)] !== 0;
  }

  add(key: string): void {
    const counts = (this.#counts ??= new Uint16Array(SLOTS));
    const slot = slotOf(key);
    // A full count cannot be told apart from one more: the key is then not kept (a late response gets parsed).
    if (counts[slot] === 0xffff) return;
    if (this.#length >= this.#max) this.#dropHead();
    if (this.#length === this.#slots.length) this.#grow();
    const i = (this.#head + this.#length) & (this.#slots.length - 1);
    this.#slots[i] = slot;
    this.#at[i] = this.#clock.now() + this.#lifetime;
    this.#length++;
    counts[slot]!++;
    if (this.#timer === undefined) this.#arm();
  }

  clear(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#counts = undefined;
    this.#head = 0;
    this.#length = 0;
  }

  #dropHead(): void {
    this.#counts![this.#slots[this.#head]!]!--;
    this.#head = (this.#head + 1) & (this.#slots.length - 1);
    this.#length--;
  }

  /** Doubles the ring (its capacity stays a power of two), keeping the entries in order from index 0. */
  #grow(): void {
    const n = this.#slots.length;
    const slots = new Int32Array(n * 2);
    const at = new Float64Array(n * 2);
    for (let k = 0; k < this.#length; k++) {
      const i = (this.#head + k) & (n - 1);
      slots[k] = this.#slots[i]!;
      at[k] = this.#at[i]!;
    }
    this.#slots = slots;
    this.#at = at;
    this.#head = 0;
  }

  #arm(): void {
    if (this.#length === 0) return;
    const wait = Math.max(0, this.#at[this.#head]! - this.#clock.now());
    this.#timer = this.#clock.setTimeout(() => this.#expire(), wait);
  }

  #expire(): void {
    this.#timer = undefined;
    const now = this.#clock.now();
    while (this.#length > 0 && this.#at[this.#head]! <= now) this.#dropHead();
    this.#arm();
  }
}

const SLOT_BITS = 18;
const SLOTS = 1 << SLOT_BITS;

/** FNV-1a over the UTF-16 code units of a transaction key (32 bits, signed). */
export function keyHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h;
}

/** keyHash folded to a slot (exported for tests that need two keys on one slot). */
export function slotOf(key: string): number {
  const h = keyHash(key);
  return (h ^ (h >>> SLOT_BITS)) & (SLOTS - 1);
}
