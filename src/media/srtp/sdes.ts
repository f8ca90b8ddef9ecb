import { randomBytes } from 'node:crypto';
import { MASTER_KEY_LENGTH, MASTER_SALT_LENGTH, SRTP_SUITES, type SrtpSuite } from './srtp-keys.js';
import type { SrtpKeyMaterial } from './srtp-context.js';

/**
 * SDP Security Descriptions (RFC 4568): `a=crypto:<tag> <suite> inline:<base64 key||salt>[|lifetime][|MKI:len]`.
 * We accept the AES_CM_128_HMAC_SHA1_80/_32 suites with one inline key, no MKI and no session parameters, and
 * answer with the offered tag and suite and a key of our own (section 5.1.2: each direction has its own key).
 */

export interface CryptoAttribute {
  tag: number;
  suite: string;
  /** The key parameters (after the suite), e.g. `inline:...|2^20`. */
  keyParams: string;
  sessionParams?: string;
}

/** One offered crypto line we can use: its tag, and the offerer's key (which protects what the offerer sends). */
export interface SdesChoice {
  tag: number;
  remote: SrtpKeyMaterial;
}

export function isSrtpSuite(s: string): s is SrtpSuite {
  return (SRTP_SUITES as readonly string[]).includes(s);
}

/** The master key and salt of a key-params field, or undefined when we cannot use it (MKI, several keys, size). */
export function parseKeyParams(suite: SrtpSuite, keyParams: string): SrtpKeyMaterial | undefined {
  // Several keys (';'-separated) only make sense with an MKI, which we do not implement (RFC 4568 section 6.1).
  if (keyParams.includes(';')) return undefined;
  const m = /^inline:([A-Za-z0-9+/=]+)((?:\|[^|]*)*)$/.exec(keyParams.trim());
  if (!m) return undefined;
  const extra = m[2]!.split('|').slice(1);
  // An MKI field ("1:4") means every packet carries a key identifier: not supported, so not this line.
  if (extra.some((x) => x.includes(':'))) return undefined;
  const raw = Buffer.from(m[1]!, 'base64');
  if (raw.length !== MASTER_KEY_LENGTH + MASTER_SALT_LENGTH) return undefined;
  return {
    suite,
    masterKey: raw.subarray(0, MASTER_KEY_LENGTH),
    masterSalt: raw.subarray(MASTER_KEY_LENGTH),
  };
}

/** The first offered crypto attribute we support (the offerer's preference order, RFC 4568 section 7.1.1). */
export function chooseCrypto(offered: readonly CryptoAttribute[]): SdesChoice | undefined {
  for (const c of offered) {
    if (!isSrtpSuite(c.suite) || (c.sessionParams ?? '').trim() !== '') continue;
    const remote = parseKeyParams(c.suite, c.keyParams);
    if (remote) return { tag: c.tag, remote };
  }
  return undefined;
}

/** A fresh master key and salt for what we send (RFC 4568 section 6.1: from a cryptographically secure source). */
export function newKeyMaterial(suite: SrtpSuite): SrtpKeyMaterial {
  const raw = randomBytes(MASTER_KEY_LENGTH + MASTER_SALT_LENGTH);
  return {
    suite,
    masterKey: raw.subarray(0, MASTER_KEY_LENGTH),
    masterSalt: raw.subarray(MASTER_KEY_LENGTH),
  };
}

/** Our a=crypto line's key parameters for key material. */
export function keyParamsOf(k: SrtpKeyMaterial): string {
  return `inline:${Buffer.concat([k.masterKey, k.masterSalt]).toString('base64')}`;
}
