/**
 * Replay protection (RFC 7616 section 5.10 / RFC 3261 section 22.4): remembers, per nonce, which nonce-count
 * values were accepted (qop=auth), or that a qop-less nonce was used once. Bounded: past `max` nonces the oldest
 * entries are evicted, and every untracked nonce issued no later than the newest evicted one is then reported
 * `evicted`, so an eviction can force a fresh challenge but never re-open a replay window.
 *
 * The entries are also kept in a FIFO (first use order) for expiry and eviction. Taking the oldest entry from the
 * Map itself would start an iterator at the Map's front each time, and V8 leaves a hole there for every deleted
 * entry until the table is rebuilt: with a full tracker under a registration flood that walk over holes cost tens
 * of microseconds per REGISTER.
 */
import { ownString } from '../../util/own-string.js';

export type TrackResult = 'fresh' | 'replay' | 'evicted' | 'full';

interface Entry {
  readonly nonce: string;
  readonly issuedAt: number;
  /** The first nc value used; -1 marks a qop-less (single use) nonce. */
  readonly firstNc: number;
  /** Further nc values used: most nonces are answered once, and a Set each would cost more than the rest. */
  more: Set<number> | undefined;
}

/** nc values per nonce before the client is made to fetch a new nonce (stops unbounded growth per entry). */
export const MAX_NC_PER_NONCE = 1024;

/** Consumed FIFO slots kept before the array is compacted. */
const COMPACT_AFTER = 4096;

export class NonceTracker {
  readonly #max: number;
  readonly #ttlMs: number;
  readonly #entries = new Map<string, Entry>();
  /** Every entry of the Map, oldest first, from `#head` on (taken slots are cleared); an entry leaves both at once. */
  #queue: Array<Entry | undefined> = [];
  #head = 0;
  #evictedUpTo = -Infinity;

  constructor(max: number, ttlMs: number) {
    this.#max = Math.max(1, max);
    this.#ttlMs = ttlMs;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Records use of (nonce, nc); nc undefined = qop-less use. Call only after the digest was verified. */
  use(nonce: string, issuedAt: number, nc: number | undefined, now: number): TrackResult {
    this.prune(now);
    const entry = this.#entries.get(nonce);
    if (!entry) {
      if (issuedAt <= this.#evictedUpTo) return 'evicted';
      // Kept up to the nonce's lifetime: a copy, not a view holding the whole received request.
      const e: Entry = { nonce: ownString(nonce), issuedAt, firstNc: nc ?? -1, more: undefined };
      this.#entries.set(e.nonce, e);
      this.#queue.push(e);
      while (this.#entries.size > this.#max) {
        const oldest = this.#shift();
        this.#evictedUpTo = Math.max(this.#evictedUpTo, oldest.issuedAt);
      }
      return 'fresh';
    }
    if (nc === undefined || entry.firstNc === -1) return 'replay';
    if (nc === entry.firstNc || entry.more?.has(nc) === true) return 'replay';
    if (entry.more === undefined) entry.more = new Set();
    else if (entry.more.size + 1 >= MAX_NC_PER_NONCE) return 'full';
    entry.more.add(nc);
    return 'fresh';
  }

  /** Drops entries whose nonce expired: the nonce itself is refused as stale from then on. */
  prune(now: number): void {
    // First-use order is close to issue order (a nonce is answered within seconds of its challenge): stop at the
    // first live entry, as an entry used late but issued early only outlives its nonce by that delay.
    while (this.#head < this.#queue.length && now - this.#queue[this.#head]!.issuedAt > this.#ttlMs)
      this.#shift();
  }

  /** Removes the oldest entry from both the FIFO and the Map. Only called while the FIFO is not empty. */
  #shift(): Entry {
    const e = this.#queue[this.#head]!;
    this.#queue[this.#head] = undefined;
    this.#head++;
    this.#entries.delete(e.nonce);
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head >= COMPACT_AFTER && this.#head * 2 >= this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    return e;
  }
}
