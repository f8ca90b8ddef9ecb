import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { memoBounded } from '../../util/bounded-memo.js';
import type { Clock } from '../../util/clock.js';
import type { AuthValue } from '../message/types.js';
import { challengeAround } from './auth-header.js';
import { digestFromHa2, digestHash } from './digest-response.js';
import type { DigestAlgorithm } from './ha1.js';
import { NonceCodec } from './nonce.js';
import { NonceTracker } from './nonce-tracker.js';

export type VerifyResult = 'ok' | 'stale' | 'invalid' | 'replay';

export interface DigestAuthenticatorOptions {
  clock: Clock;
  /** HMAC key for nonces; random when absent (nonces then die with the process, which only costs a re-challenge). */
  secret?: Buffer;
  nonceTtlMs?: number;
  maxTrackedNonces?: number;
  /**
   * Challenges offered, in this order. Default SHA-256 then MD5, the RFC 8760 section 2.4 preference order. A
   * server may put MD5 first for UAs that read only the first challenge and know only MD5 (sipp 3.6 is one).
   */
  algorithms?: DigestAlgorithm[];
}

export interface VerifyInput {
  method: string;
  credentials: AuthValue;
  realm: string;
  /** The user's stored HA1 values for this realm; undefined = unknown user. */
  ha1: { md5: string; sha256: string } | undefined;
}

const HEX_LEN: Record<DigestAlgorithm, number> = { MD5: 32, 'SHA-256': 64 };
const NC = /^[0-9a-fA-F]{8}$/;
const HEX = /^[0-9a-fA-F]+$/;

/**
 * Digest authentication for SIP (RFC 3261 section 22, RFC 7616, RFC 8760): challenges, and verification with
 * self-validating nonces, expiry (`stale`) and nonce-count replay protection.
 */
export class DigestAuthenticator {
  readonly #clock: Clock;
  readonly #nonces: NonceCodec;
  readonly #tracker: NonceTracker;
  readonly #ttl: number;
  readonly #algorithms: DigestAlgorithm[];
  readonly #opaqueKey: Buffer;
  readonly #opaques = new Map<string, string>();
  readonly #challengeTexts = new Map<string, Array<[string, string]>>();
  readonly #ha2s = new Map<string, string>();
  /** Stand-ins for an unknown user's HA1, so that user sees the same work and the same answer as a wrong password. */
  readonly #dummyHa1: { md5: string; sha256: string };

  constructor(opts: DigestAuthenticatorOptions) {
    this.#clock = opts.clock;
    const secret = opts.secret ?? randomBytes(32);
    this.#nonces = new NonceCodec(secret);
    this.#ttl = opts.nonceTtlMs ?? 300_000;
    this.#algorithms =
      opts.algorithms && opts.algorithms.length > 0 ? [...opts.algorithms] : ['SHA-256', 'MD5'];
    this.#tracker = new NonceTracker(opts.maxTrackedNonces ?? 100_000, this.#ttl);
    this.#opaqueKey = createHmac('sha256', secret).update('zentrale-digest-opaque').digest();
    const seed = randomBytes(32);
    this.#dummyHa1 = {
      md5: createHash('md5').update(seed).digest('hex'),
      sha256: createHash('sha256').update(seed).digest('hex'),
    };
  }

  /**
   * Values for WWW-Authenticate / Proxy-Authenticate, one per algorithm. RFC 8760 section 2.4: the challenges
   * are listed in order of preference, so SHA-256 comes first and MD5 stays for older phones.
   */
  challenge(realm: string, opts: { stale?: boolean } = {}): string[] {
    const nonce = this.#nonces.mint(realm, this.#clock.now());
    // The nonce is base64url, so it goes between the quotes as it is.
    return this.#textsAround(realm, opts.stale === true).map(
      ([before, after]) => `${before}"${nonce}"${after}`,
    );
  }

  /** The text of each offered challenge around its nonce: the same for every challenge of one realm. */
  #textsAround(realm: string, stale: boolean): Array<[string, string]> {
    return memoBounded(this.#challengeTexts, `${stale ? 's' : '-'}${realm}`, 10_000, () => {
      const opaque = this.#opaque(realm);
      return this.#algorithms.map((algorithm) =>
        challengeAround({ realm, opaque, algorithm, qop: 'auth', stale }),
      );
    });
  }

  /**
   * H(method:uri) (RFC 7616 section 3.4.3): a phone sends the same method and digest-uri every time, so the hash
   * is kept. The uri comes from the request, hence the bound.
   */
  #ha2(algorithm: DigestAlgorithm, method: string, uri: string): string {
    const a2 = `${method}:${uri}`;
    return memoBounded(this.#ha2s, `${algorithm} ${a2}`, 4_096, () => digestHash(algorithm, a2));
  }

  /** The opaque value is a function of the realm only: computed once per realm, not per challenge. */
  #opaque(realm: string): string {
    return memoBounded(this.#opaques, realm, 10_000, () =>
      createHmac('sha256', this.#opaqueKey).update(realm, 'utf8').digest('base64url').slice(0, 22),
    );
  }

  verify(input: VerifyInput): VerifyResult {
    const { credentials: c, realm } = input;
    if (c.scheme.toLowerCase() !== 'digest') return 'invalid';
    const p = c.params;
    const username = p.get('username');
    const nonce = p.get('nonce');
    const uri = p.get('uri');
    const response = p.get('response');
    // RFC 7616 section 3.4: username, realm, nonce, uri and response are required.
    if (!username || !nonce || !uri || !response) return 'invalid';
    if (p.get('realm') !== realm) return 'invalid';
    // RFC 7616 section 3.4: "If [algorithm] is not present, it is assumed to be 'MD5'." The -sess variants and
    // userhash are not offered by challenge(), so credentials using them cannot be answers to our challenges.
    const algorithm = parseAlgorithm(p.get('algorithm'));
    if (!algorithm) return 'invalid';
    if (p.get('userhash')?.toLowerCase() === 'true') return 'invalid';
    if (response.length !== HEX_LEN[algorithm] || !HEX.test(response)) return 'invalid';

    const qopRaw = p.get('qop');
    let qop: 'auth' | undefined;
    let nc: string | undefined;
    let cnonce: string | undefined;
    if (qopRaw !== undefined) {
      // We offer qop="auth" only; auth-int would need the body hash and is refused.
      if (qopRaw.toLowerCase() !== 'auth') return 'invalid';
      qop = 'auth';
      nc = p.get('nc');
      cnonce = p.get('cnonce');
      // RFC 7616 section 3.4: with qop, cnonce and nc (8 hex digits) MUST be present.
      if (nc === undefined || !NC.test(nc) || !cnonce) return 'invalid';
    }

    // A forged nonce, one from another secret or minted for another realm: refused before any digest work.
    const minted = this.#nonces.check(realm, nonce);
    if (!minted.ok) return 'invalid';

    // Unknown users get the dummy HA1 and the same comparison, so neither timing nor result reveals them.
    const ha1 = input.ha1 ?? this.#dummyHa1;
    const expected = digestFromHa2(
      {
        algorithm,
        ha1: algorithm === 'MD5' ? ha1.md5 : ha1.sha256,
        nonce,
        ...(qop ? { qop, nc, cnonce } : {}),
      },
      this.#ha2(algorithm, input.method, uri),
    );
    const match = safeEqualHex(expected, response);
    if (!match || input.ha1 === undefined) return 'invalid';

    const now = this.#clock.now();
    this.#tracker.prune(now);
    // RFC 7616 section 3.3: stale means "the nonce was rejected because it is too old but the digest was valid",
    // so age is judged only after the digest checked out.
    if (now - minted.issuedAt > this.#ttl || minted.issuedAt > now + this.#ttl) return 'stale';

    const used = this.#tracker.use(
      minted.hi,
      minted.lo,
      minted.issuedAt,
      nc === undefined ? undefined : parseInt(nc, 16),
      now,
    );
    if (used === 'replay') return 'replay';
    // An evicted or exhausted nonce cannot be checked for replays any more: make the client fetch a new one.
    if (used !== 'fresh') return 'stale';
    return 'ok';
  }

  counts(): { trackedNonces: number } {
    return { trackedNonces: this.#tracker.size };
  }
}

function parseAlgorithm(v: string | undefined): DigestAlgorithm | undefined {
  if (v === undefined) return 'MD5';
  const u = v.toUpperCase();
  return u === 'MD5' ? 'MD5' : u === 'SHA-256' ? 'SHA-256' : undefined;
}

/** Constant-time comparison of two hex strings of equal length (checked by the caller), case-insensitive. */
function safeEqualHex(expected: string, got: string): boolean {
  const a = Buffer.from(expected.toLowerCase(), 'latin1');
  const b = Buffer.from(got.toLowerCase(), 'latin1');
  return a.length === b.length && timingSafeEqual(a, b);
}
