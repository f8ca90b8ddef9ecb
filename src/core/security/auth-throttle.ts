import type { Clock } from '../../util/clock.js';

/**
 * Throttling of failed and unfinished authentication, so brute force and floods cost the attacker, not us.
 *
 * Three counters, each over a sliding window that restarts on the first event after it lapses:
 * - failures per (source address, tenant, user): wrong password or unknown user. Past `userThreshold` that
 *   source may not try that user for `banMs` (other users and other sources are unaffected).
 * - failures per source address, whatever the user: past `sourceThreshold` the whole source is banned — this
 *   is the check the transport runs before it parses anything.
 * - challenges per source not followed by a success: a flood of unauthenticated requests that never answers
 *   its challenges. Each success takes one off, so a busy NAT of honest phones never trips it.
 *
 * No timers: entries expire lazily, and the tables are bounded (oldest entries go first), so an attacker who
 * rotates addresses cannot grow our memory without bound.
 */
export interface AuthThrottleOptions {
  clock: Clock;
  userThreshold?: number;
  sourceThreshold?: number;
  challengeThreshold?: number;
  windowMs?: number;
  banMs?: number;
  maxEntries?: number;
}

interface Counter {
  count: number;
  windowStart: number;
  bannedUntil: number;
}

export type BanScope = 'user' | 'source';

export class AuthThrottle {
  readonly #clock: Clock;
  readonly #userThreshold: number;
  readonly #sourceThreshold: number;
  readonly #challengeThreshold: number;
  readonly #windowMs: number;
  readonly #banMs: number;
  readonly #maxEntries: number;
  readonly #byUser = new Map<string, Counter>();
  readonly #bySource = new Map<string, Counter>();
  readonly #challenges = new Map<string, Counter>();

  constructor(opts: AuthThrottleOptions) {
    this.#clock = opts.clock;
    this.#userThreshold = opts.userThreshold ?? 5;
    this.#sourceThreshold = opts.sourceThreshold ?? 30;
    this.#challengeThreshold = opts.challengeThreshold ?? 200;
    this.#windowMs = opts.windowMs ?? 60_000;
    this.#banMs = opts.banMs ?? 300_000;
    this.#maxEntries = opts.maxEntries ?? 100_000;
  }

  /** Cheap check, run before parsing: is this source address banned as a whole? */
  isSourceBanned(address: string): boolean {
    const now = this.#clock.now();
    return isBanned(this.#bySource.get(address), now) || isBanned(this.#challenges.get(address), now);
  }

  /** Banned for wrong passwords across users: nothing from this source is served, credentials or not. */
  isFailureBanned(address: string): boolean {
    return isBanned(this.#bySource.get(address), this.#clock.now());
  }

  /**
   * Banned for unanswered challenges: its unauthenticated requests are dropped, but requests that carry
   * credentials are still verified, so the other phones of an office behind the same NAT address keep working.
   */
  isChallengeBanned(address: string): boolean {
    return isBanned(this.#challenges.get(address), this.#clock.now());
  }

  /** Is this source banned from authenticating as this user of this tenant? */
  isUserBanned(address: string, tenant: string, user: string): boolean {
    return isBanned(this.#byUser.get(userKey(address, tenant, user)), this.#clock.now());
  }

  /** A wrong password or unknown user. Returns the scope of a ban this failure started, if any. */
  recordFailure(address: string, tenant: string, user: string): BanScope | undefined {
    const now = this.#clock.now();
    const u = this.#bump(this.#byUser, userKey(address, tenant, user), now, this.#userThreshold);
    const s = this.#bump(this.#bySource, address, now, this.#sourceThreshold);
    if (s) return 'source';
    if (u) return 'user';
    return undefined;
  }

  /** A challenge was sent to an unauthenticated request from this source. */
  recordChallenge(address: string): BanScope | undefined {
    return this.#bump(this.#challenges, address, this.#clock.now(), this.#challengeThreshold)
      ? 'source'
      : undefined;
  }

  /** Successful authentication: forget this user's failures and pay back one challenge. */
  recordSuccess(address: string, tenant: string, user: string): void {
    this.#byUser.delete(userKey(address, tenant, user));
    const c = this.#challenges.get(address);
    if (c && c.bannedUntil === 0 && c.count > 0) c.count--;
  }

  /** Entries held, for the leak and memory checks. */
  size(): number {
    return this.#byUser.size + this.#bySource.size + this.#challenges.size;
  }

  /** Counts one event; returns true when it starts a ban. */
  #bump(table: Map<string, Counter>, key: string, now: number, threshold: number): boolean {
    let c = table.get(key);
    if (!c || (c.bannedUntil !== 0 && c.bannedUntil <= now) || now - c.windowStart > this.#windowMs) {
      c = { count: 0, windowStart: now, bannedUntil: 0 };
      this.#insert(table, key, c, now);
    }
    if (c.bannedUntil > now) return false;
    c.count++;
    if (c.count >= threshold) {
      c.bannedUntil = now + this.#banMs;
      return true;
    }
    return false;
  }

  #insert(table: Map<string, Counter>, key: string, c: Counter, now: number): void {
    table.delete(key);
    if (table.size >= this.#maxEntries) {
      // Full: sweep lapsed entries, then drop the oldest until a tenth is free, so the O(n) sweep runs at
      // most once per maxEntries/10 inserts even under an address-rotation attack.
      for (const [k, v] of table) {
        if (v.bannedUntil <= now && now - v.windowStart > this.#windowMs) table.delete(k);
      }
      const target = Math.floor(this.#maxEntries * 0.9);
      for (const k of table.keys()) {
        if (table.size <= target) break;
        table.delete(k);
      }
    }
    table.set(key, c);
  }
}

function isBanned(c: Counter | undefined, now: number): boolean {
  return c !== undefined && c.bannedUntil > now;
}

function userKey(address: string, tenant: string, user: string): string {
  return `${address}\u0000${tenant}\u0000${user}`;
}
