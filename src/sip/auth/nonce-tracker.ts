/**
 * Replay protection (RFC 7616 section 5.10 / RFC 3261 section 22.4): remembers, per nonce, which nonce-count
 * values were accepted (qop=auth), or that a qop-less nonce was used once. Bounded: past `max` nonces the oldest
 * entries are evicted, and every untracked nonce issued no later than the newest evicted one is then reported
 * `evicted`, so an eviction can force a fresh challenge but never re-open a replay window.
 *
 * A nonce is known by 64 bits of its random part (`NonceCodec.check` gives them as two 32-bit words): the MAC
 * makes them the server's own random bits, so they need no hashing and two nonces sharing them are as likely as
 * guessing a nonce. Were it to happen, the later nonce would be taken for a used one and re-challenged — never a
 * replay let through. The entries are rows of typed arrays in a ring kept in first-use order (the order of expiry
 * and eviction), indexed by chains from a bucket table like completed-responses.ts: a registration flood keeps
 * 100 000 of them, and a Map of nonce strings and an object each cost some 3–4 µs more per REGISTER in allocation,
 * promotion and lookups.
 */

import { doubled } from '../../util/ring-column.js';

export type TrackResult = 'fresh' | 'replay' | 'evicted' | 'full';

/** nc values per nonce before the client is made to fetch a new nonce (stops unbounded growth per entry). */
export const MAX_NC_PER_NONCE = 1024;

export class NonceTracker {
  readonly #max: number;
  readonly #ttlMs: number;
  /** Newest entry's sequence number per bucket (-1: none); allocated on the first use. */
  #buckets: Float64Array | undefined;
  // The ring: entry `seq` lives at index seq & (capacity - 1) while #head <= seq < #tail.
  #hi = new Int32Array(INITIAL);
  #lo = new Int32Array(INITIAL);
  #issuedAt = new Float64Array(INITIAL);
  /** The first nc value used; -1 marks a qop-less (single use) nonce. */
  #firstNc = new Float64Array(INITIAL);
  #next = new Float64Array(INITIAL);
  #head = 0;
  #tail = 0;
  /** Further nc values used, by sequence number: most nonces are answered once, and a Set each would cost more. */
  readonly #more = new Map<number, Set<number>>();
  #evictedUpTo = -Infinity;

  constructor(max: number, ttlMs: number) {
    this.#max = Math.max(1, max);
    this.#ttlMs = ttlMs;
  }

  get size(): number {
    return this.#tail - this.#head;
  }

  /**
   * Records use of the nonce known by (`hi`, `lo`) with `nc` (undefined = qop-less use). Call only after the digest
   * was verified.
   */
  use(hi: number, lo: number, issuedAt: number, nc: number | undefined, now: number): TrackResult {
    this.prune(now);
    const seq = this.#find(hi, lo);
    if (seq < 0) {
      if (issuedAt <= this.#evictedUpTo) return 'evicted';
      this.#add(hi, lo, issuedAt, nc ?? -1);
      while (this.size > this.#max) {
        this.#evictedUpTo = Math.max(this.#evictedUpTo, this.#issuedAt[this.#index(this.#head)]!);
        this.#shift();
      }
      return 'fresh';
    }
    const first = this.#firstNc[this.#index(seq)]!;
    if (nc === undefined || first === -1 || nc === first) return 'replay';
    let more = this.#more.get(seq);
    if (more?.has(nc) === true) return 'replay';
    if (more === undefined) this.#more.set(seq, (more = new Set()));
    else if (more.size + 1 >= MAX_NC_PER_NONCE) return 'full';
    more.add(nc);
    return 'fresh';
  }

  /** Drops entries whose nonce expired: the nonce itself is refused as stale from then on. */
  prune(now: number): void {
    // First-use order is close to issue order (a nonce is answered within seconds of its challenge): stop at the
    // first live entry, as an entry used late but issued early only outlives its nonce by that delay.
    while (this.size > 0 && now - this.#issuedAt[this.#index(this.#head)]! > this.#ttlMs) this.#shift();
  }

  #index(seq: number): number {
    return seq & (this.#hi.length - 1);
  }

  /** The sequence number of the nonce's entry, or -1. */
  #find(hi: number, lo: number): number {
    if (this.#buckets === undefined) return -1;
    // Newest first along the chain, which ends at the first number that left the ring.
    for (let seq = this.#buckets[lo & BUCKET_MASK]!; seq >= this.#head; seq = this.#next[this.#index(seq)]!) {
      const i = this.#index(seq);
      if (this.#lo[i] === lo && this.#hi[i] === hi) return seq;
    }
    return -1;
  }

  #add(hi: number, lo: number, issuedAt: number, firstNc: number): void {
    const buckets = (this.#buckets ??= new Float64Array(BUCKETS).fill(-1));
    if (this.size === this.#hi.length) this.#grow();
    const seq = this.#tail++;
    const i = this.#index(seq);
    this.#hi[i] = hi;
    this.#lo[i] = lo;
    this.#issuedAt[i] = issuedAt;
    this.#firstNc[i] = firstNc;
    this.#next[i] = buckets[lo & BUCKET_MASK]!;
    buckets[lo & BUCKET_MASK] = seq;
  }

  /** Removes the oldest entry. Only called while the ring is not empty. */
  #shift(): void {
    if (this.#more.size > 0) this.#more.delete(this.#head);
    this.#head++;
  }

  /** Doubles the ring (its capacity stays a power of two). */
  #grow(): void {
    const [head, tail] = [this.#head, this.#tail];
    this.#hi = doubled(this.#hi, head, tail);
    this.#lo = doubled(this.#lo, head, tail);
    this.#issuedAt = doubled(this.#issuedAt, head, tail);
    this.#firstNc = doubled(this.#firstNc, head, tail);
    this.#next = doubled(this.#next, head, tail);
  }
}

const INITIAL = 256;
const BUCKET_BITS = 17;
const BUCKETS = 1 << BUCKET_BITS;
const BUCKET_MASK = BUCKETS - 1;
