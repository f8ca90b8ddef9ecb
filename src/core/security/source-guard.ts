import { peekMessage, type Peek } from '../../sip/message/peek.js';
import type { Clock } from '../../util/clock.js';
import type { AuthThrottle } from './auth-throttle.js';
import type { SecurityEvents } from './security-events.js';

/**
 * Per-source admission, run by the transport for every datagram and every framed stream message before it is
 * parsed (the stack's `admit` hook). It defends against floods and keeps an office behind one NAT address working
 * when one of its devices misbehaves:
 *
 * - Each source address has a token bucket (`ratePerSecond`, `burst`). Within it a message is admitted after one
 *   map lookup — nothing of the message is read.
 * - Past it, or while the source is banned for flooding, only "accountable" traffic passes, from a second bucket
 *   of the same size: responses, requests inside a dialog (To tag), ACK/CANCEL/BYE, and requests that carry
 *   credentials, and everything from the address and port a phone registered from (behind a NAT each device has
 *   its own port). While the source is banned for unanswered challenges (`AuthThrottle`), unaccountable requests
 *   other than REGISTER are dropped. The header section is scanned with byte searches to tell (`peekMessage`); the digest
 *   check after parsing decides whether the credentials are valid. So a scanner or a broken phone that never
 *   answers its challenges is cut off, while the correctly registered phones at the same address keep working.
 * - Messages refused that way are dropped silently (answering a flood would amplify it). `floodThreshold` of them
 *   within `windowMs` ban the source's unaccountable traffic for `banMs` (a `flood.ban` security event).
 * - A source banned for repeated wrong passwords across users (`AuthThrottle`) is refused altogether.
 * - Trunk peers (`trusted`) are never limited or banned: a carrier's signalling is not ours to shed.
 *
 * Memory is bounded like the throttle's: lapsed entries are swept when the table is full.
 */
export interface SourceGuardOptions {
  clock: Clock;
  throttle: AuthThrottle;
  events: SecurityEvents;
  /** Sustained messages per second per source address. 0 turns the rate limit off. */
  ratePerSecond?: number;
  /** Messages a source may send at once above the rate; defaults to twice the rate. */
  burst?: number;
  /** Refused messages within `windowMs` that ban the source. */
  floodThreshold?: number;
  windowMs?: number;
  banMs?: number;
  /** Addresses never limited (trunk peers). */
  trusted?: (address: string) => boolean;
  /** Source address and port a phone registered from: its requests count as accountable. */
  registered?: (address: string, port: number) => boolean;
  maxEntries?: number;
}

interface SourceState {
  tokens: number;
  spare: number;
  refilledAt: number;
  refused: number;
  windowStart: number;
  bannedUntil: number;
}

const ALWAYS_ACCOUNTABLE = new Set(['ACK', 'CANCEL', 'BYE']);

export class SourceGuard {
  readonly #o: Required<Omit<SourceGuardOptions, 'trusted' | 'registered'>> &
    Pick<SourceGuardOptions, 'trusted' | 'registered'>;
  readonly #sources = new Map<string, SourceState>();

  constructor(o: SourceGuardOptions) {
    const rate = o.ratePerSecond ?? 200;
    this.#o = {
      clock: o.clock,
      throttle: o.throttle,
      events: o.events,
      ratePerSecond: rate,
      burst: o.burst ?? rate * 2,
      floodThreshold: o.floodThreshold ?? 1000,
      windowMs: o.windowMs ?? 10_000,
      banMs: o.banMs ?? 300_000,
      maxEntries: o.maxEntries ?? 100_000,
      trusted: o.trusted,
      registered: o.registered,
    };
  }

  /**
   * The transport's check. Without `bytes` (a new connection, or data before framing) only the hard ban counts;
   * with `bytes` (one message) the rate limit and the accountability rule apply.
   */
  admit(remote: { address: string; port: number }, bytes?: Buffer): boolean {
    const address = remote.address;
    if (this.#o.trusted?.(address)) return true;
    if (this.#o.throttle.isFailureBanned(address)) return false;
    if (bytes === undefined) return true;
    const now = this.#o.clock.now();
    const s = this.#state(address, now);
    const unlimited = this.#o.ratePerSecond === 0;
    if (s.bannedUntil > now) {
      if (this.#accountable(remote, peekMessage(bytes)) && (unlimited || take(s, 'spare'))) return true;
      this.#o.events.countDropped();
      return false;
    }
    if (this.#o.throttle.isChallengeBanned(address)) {
      // Unanswered challenges: drop what would only be challenged again, except REGISTER — a phone's first
      // REGISTER after a restart carries no credentials and must get its challenge. Not counted towards a
      // flood ban, which would take that last path away too.
      const p = peekMessage(bytes);
      if (!this.#accountable(remote, p) && p.method !== 'REGISTER') {
        this.#o.events.countDropped();
        return false;
      }
    }
    if (unlimited || take(s, 'tokens')) return true;
    if (this.#accountable(remote, peekMessage(bytes)) && take(s, 'spare')) return true;
    this.#refuse(address, s, now);
    return false;
  }

  /** Whether `address` is banned for flooding now (for tests and the API). */
  isFloodBanned(address: string): boolean {
    const s = this.#sources.get(address);
    return s !== undefined && s.bannedUntil > this.#o.clock.now();
  }

  /** Entries held, for the leak and memory checks. */
  size(): number {
    return this.#sources.size;
  }

  #accountable(remote: { address: string; port: number }, p: Peek): boolean {
    return isAccountable(p) || this.#o.registered?.(remote.address, remote.port) === true;
  }

  #refuse(address: string, s: SourceState, now: number): void {
    this.#o.events.countDropped();
    if (now - s.windowStart > this.#o.windowMs) {
      s.windowStart = now;
      s.refused = 0;
    }
    s.refused++;
    if (s.refused === 1) {
      this.#o.events.emit('flood.limited', address, { rate: this.#o.ratePerSecond }, 'source over its rate');
    }
    if (s.refused >= this.#o.floodThreshold) {
      s.bannedUntil = now + this.#o.banMs;
      s.refused = 0;
      this.#o.events.emit(
        'flood.ban',
        address,
        { seconds: Math.round(this.#o.banMs / 1000) },
        'source banned for flooding',
      );
    }
  }

  #state(address: string, now: number): SourceState {
    let s = this.#sources.get(address);
    if (!s) {
      if (this.#sources.size >= this.#o.maxEntries) this.#sweep(now);
      s = {
        tokens: this.#o.burst,
        spare: this.#o.burst,
        refilledAt: now,
        refused: 0,
        windowStart: now,
        bannedUntil: 0,
      };
      this.#sources.set(address, s);
      return s;
    }
    const elapsed = now - s.refilledAt;
    if (elapsed > 0) {
      const add = (elapsed / 1000) * this.#o.ratePerSecond;
      s.tokens = Math.min(this.#o.burst, s.tokens + add);
      s.spare = Math.min(this.#o.burst, s.spare + add);
      s.refilledAt = now;
    }
    return s;
  }

  /** Drops full, unbanned, quiet sources first, then the oldest, until a tenth of the table is free. */
  #sweep(now: number): void {
    for (const [k, v] of this.#sources) {
      if (v.bannedUntil <= now && now - v.refilledAt > this.#o.windowMs) this.#sources.delete(k);
    }
    const target = Math.floor(this.#o.maxEntries * 0.9);
    for (const k of this.#sources.keys()) {
      if (this.#sources.size <= target) break;
      this.#sources.delete(k);
    }
  }
}

function take(s: SourceState, bucket: 'tokens' | 'spare'): boolean {
  if (s[bucket] < 1) return false;
  s[bucket] -= 1;
  return true;
}

function isAccountable(p: Peek): boolean {
  return p.response || p.credentials || p.inDialog || ALWAYS_ACCOUNTABLE.has(p.method);
}
