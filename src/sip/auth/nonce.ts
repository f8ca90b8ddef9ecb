import { hash, timingSafeEqual } from 'node:crypto';
import { memoBounded } from '../../util/bounded-memo.js';
import { randomInto } from '../../util/random-id.js';

/**
 * Self-validating nonces (RFC 7616 section 5.4 suggests "time-stamp H(time-stamp ":" ETag ":" secret-data)"):
 * base64url( timestamp(8) | random(16) | MAC ), MAC = SHA-512/256(secret | realm | timestamp | random). A nonce we
 * did not mint, or minted for another realm, fails the MAC check without any table lookup.
 *
 * A keyed prefix hash instead of HMAC: SHA-512/256 is a truncated SHA-512 and so not open to length extension (the
 * weakness HMAC's double hash exists for), and one one-shot hash per challenge and per check costs less than an
 * HMAC object each time, which a registration flood does twice per REGISTER.
 */
const TS_LEN = 8;
const RAND_LEN = 16;
const MAC_LEN = 32;
const NONCE_BYTES = TS_LEN + RAND_LEN + MAC_LEN;
/** base64url length of NONCE_BYTES (56 bytes, no padding). */
const NONCE_CHARS = Math.ceil((NONCE_BYTES * 4) / 3);

/** `hi` and `lo`: 64 of the nonce's random bits, which tell it from every other nonce (nonce-tracker.ts). */
export type NonceCheck = { ok: true; issuedAt: number; hi: number; lo: number } | { ok: false };

/** Realms whose MAC prefix is kept; past it the cache starts over (a bound, not an LRU). */
const MAX_REALMS = 10_000;

export class NonceCodec {
  readonly #secret: Buffer;
  /** Length-prefixed realm bytes per realm: built once, not per challenge and per check. */
  readonly #prefixes = new Map<string, Buffer>();

  constructor(secret: Buffer) {
    this.#secret = secret;
  }

  mint(realm: string, now: number): string {
    const head = Buffer.alloc(TS_LEN + RAND_LEN);
    head.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(now))), 0);
    // Pooled CSPRNG bytes: a randomBytes call per challenge cost more than the HMAC.
    randomInto(head, TS_LEN, RAND_LEN);
    return Buffer.concat([head, this.#mac(realm, head)]).toString('base64url');
  }

  /** Verifies origin and realm binding; the caller decides about age. */
  check(realm: string, nonce: string): NonceCheck {
    if (typeof nonce !== 'string' || nonce.length !== NONCE_CHARS || !/^[A-Za-z0-9_-]+$/.test(nonce)) {
      return { ok: false };
    }
    const raw = Buffer.from(nonce, 'base64url');
    if (raw.length !== NONCE_BYTES) return { ok: false };
    const head = raw.subarray(0, TS_LEN + RAND_LEN);
    const mac = raw.subarray(TS_LEN + RAND_LEN);
    if (!timingSafeEqual(mac, this.#mac(realm, head))) return { ok: false };
    return {
      ok: true,
      issuedAt: Number(head.readBigUInt64BE(0)),
      hi: head.readInt32BE(TS_LEN),
      lo: head.readInt32BE(TS_LEN + 4),
    };
  }

  #mac(realm: string, head: Buffer): Buffer {
    return hash('sha512-256', Buffer.concat([this.#secret, this.#prefix(realm), head]), 'buffer');
  }

  /** Length-prefixed realm so that no (realm, head) pair can be re-split into another. */
  #prefix(realm: string): Buffer {
    return memoBounded(this.#prefixes, realm, MAX_REALMS, () => {
      const realmBytes = Buffer.from(realm, 'utf8');
      const p = Buffer.alloc(4 + realmBytes.length);
      p.writeUInt32BE(realmBytes.length, 0);
      realmBytes.copy(p, 4);
      return p;
    });
  }
}
