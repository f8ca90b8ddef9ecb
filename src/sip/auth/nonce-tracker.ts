/**
 * Replay protection (RFC 7616 section 5.10 / RFC 3261 section 22.4): remembers, per nonce, which nonce-count
 * values were accepted (qop=auth), or that a qop-less nonce was used once. Bounded: past `max` nonces the oldest
 * entries are evicted, and every untracked nonce issued no later than the newest evicted one is then reported
 * `evicted`, so an eviction can force a fresh challenge but never re-open a replay window.
 */
import { ownString } from '../../util/own-string.js';

export type TrackResult = 'fresh' | 'replay' | 'evicted' | 'full';

interface Entry {
  issuedAt: number;
  /** nc values used; null marks a qop-less (single use) nonce. */
  ncs: Set<number> | null;
}

/** nc values per nonce before the client is made to fetch a new nonce (stops unbounded growth per entry). */
export const MAX_NC_PER_NONCE = 1024;

export class NonceTracker {
  readonly #max: number;
  readonly #ttlMs: number;
  readonly #entries = new Map<string, Entry>();
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
      this.#entries.set(ownString(nonce), { issuedAt, ncs: nc === undefined ? null : new Set([nc]) });
      this.#evictOverflow();
      return 'fresh';
    }
    if (nc === undefined || entry.ncs === null) return 'replay';
    if (entry.ncs.has(nc)) return 'replay';
    if (entry.ncs.size >= MAX_NC_PER_NONCE) return 'full';
    entry.ncs.add(nc);
    return 'fresh';
  }

  /** Drops entries whose nonce expired: the nonce itself is refused as stale from then on. */
  prune(now: number): void {
    for (const [nonce, e] of this.#entries) {
      if (now - e.issuedAt <= this.#ttlMs) break; // insertion order ~ issue order: stop at the first live one
      this.#entries.delete(nonce);
    }
  }

  #evictOverflow(): void {
    while (this.#entries.size > this.#max) {
      const oldest = this.#entries.entries().next().value;
      if (!oldest) break;
      this.#entries.delete(oldest[0]);
      this.#evictedUpTo = Math.max(this.#evictedUpTo, oldest[1].issuedAt);
    }
  }
}
