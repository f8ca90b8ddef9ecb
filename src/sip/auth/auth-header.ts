import type { AuthValue } from '../message/types.js';
import { scanClass, TOKEN } from '../message/lexical.js';
import type { DigestAlgorithm } from './ha1.js';

/**
 * Authorization / WWW-Authenticate values (RFC 3261 section 25.1, RFC 7616 section 3.3-3.4):
 * `scheme LWS auth-param *(COMMA auth-param)`, auth-param = token "=" ( token / quoted-string ).
 */

/** Longer values are refused unparsed: real credentials are a few hundred bytes. */
export const MAX_AUTH_VALUE_LENGTH = 4096;
const MAX_PARAMS = 32;

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

/**
 * Parses one credentials or challenge value. Returns undefined for anything malformed (unterminated quotes, a
 * parameter without value, duplicate parameters, over-long input) and never throws, whatever the input.
 * Parameter names are lower-cased; quoted-string values are unquoted and their quoted-pairs unescaped.
 * Every authenticated request goes through here, so it scans by character code and slices whole values.
 */
export function parseAuthValue(s: string): AuthValue | undefined {
  if (typeof s !== 'string' || s.length > MAX_AUTH_VALUE_LENGTH) return undefined;
  const n = s.length;
  let i = skipWs(s, 0);
  let end = scanClass(s, i, TOKEN);
  const scheme = s.slice(i, end);
  if (!scheme) return undefined;
  const params = new Map<string, string>();
  i = skipWs(s, end);
  while (i < n) {
    // Empty list elements (", ,") are allowed by the #rule (RFC 3261 section 7.3.1).
    if (s.charCodeAt(i) === 0x2c /* , */) {
      i = skipWs(s, i + 1);
      continue;
    }
    end = scanClass(s, i, TOKEN);
    if (end === i) return undefined;
    const name = s.slice(i, end).toLowerCase();
    i = skipWs(s, end);
    if (s.charCodeAt(i) !== 0x3d /* = */) return undefined;
    i = skipWs(s, i + 1);
    let value: string;
    if (s.charCodeAt(i) === 0x22 /* " */) {
      const close = quotedEnd(s, i + 1);
      if (close < 0) return undefined;
      value = unescapeQuoted(s, i + 1, close);
      i = close + 1;
    } else {
      // Lenient token: some agents send unquoted values with ':' or '/' (e.g. algorithm, nc, qop).
      // '=' stays out so token68 credentials ("Basic QWxh...==") are refused rather than misread.
      const start = i;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (isWs(c) || c === 0x2c || c === 0x22 || c === 0x3d) break;
      }
      value = s.slice(start, i);
      if (!value) return undefined;
    }
    // RFC 7616 section 3.4: each parameter appears at most once; a repeat is an attempt to confuse, not a typo.
    if (params.has(name) || params.size >= MAX_PARAMS) return undefined;
    params.set(name, value);
    i = skipWs(s, i);
    if (i < n) {
      if (s.charCodeAt(i) !== 0x2c) return undefined;
      i = skipWs(s, i + 1);
    }
  }
  return { scheme, params };
}

function skipWs(s: string, i: number): number {
  while (i < s.length && isWs(s.charCodeAt(i))) i++;
  return i;
}

/** Index of the `"` closing a quoted-string whose text starts at `i` (a backslash escapes any octet), or -1. */
function quotedEnd(s: string, i: number): number {
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) return i;
    if (c === 0x5c /* \\ */) i++;
  }
  return -1;
}

/** The text of s[from, to) with its quoted-pairs unescaped: a slice when it has none. */
function unescapeQuoted(s: string, from: number, to: number): string {
  let bs = s.indexOf('\\', from);
  if (bs < 0 || bs >= to) return s.slice(from, to);
  let out = '';
  let at = from;
  while (bs >= 0 && bs < to) {
    out += s.slice(at, bs) + s[bs + 1]!;
    at = bs + 2;
    bs = s.indexOf('\\', at);
  }
  return out + s.slice(at, to);
}

export interface DigestChallenge {
  realm: string;
  nonce: string;
  algorithm: DigestAlgorithm;
  opaque?: string;
  /** Defaults to "auth", the only quality of protection we offer. */
  qop?: string;
  /** RFC 7616 section 3.3: the nonce was stale but the digest was right; the client retries without a prompt. */
  stale?: boolean;
}

function quote(v: string): string {
  // A CR or LF would split the header: values come from configuration, so refuse instead of sanitising.
  if (/[\r\n\0]/.test(v)) throw new RangeError('challenge parameter contains a control character');
  return `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** A `Digest` challenge for WWW-Authenticate / Proxy-Authenticate (RFC 7616 section 3.3). */
export function formatChallenge(c: DigestChallenge): string {
  const [before, after] = challengeAround(c);
  return `${before}${quote(c.nonce)}${after}`;
}

/**
 * A challenge's text before and after its quoted nonce, for a server that sends many challenges for one realm:
 * `before + '"' + nonce + '"' + after` is formatChallenge's result for a nonce that needs no escaping.
 */
export function challengeAround(c: Omit<DigestChallenge, 'nonce'>): [string, string] {
  const after = [];
  if (c.opaque !== undefined) after.push(`opaque=${quote(c.opaque)}`);
  // algorithm and stale are tokens, qop a quoted list (RFC 7616 section 3.3 ABNF).
  after.push(`algorithm=${c.algorithm}`, `qop=${quote(c.qop ?? 'auth')}`);
  if (c.stale) after.push('stale=true');
  return [`Digest realm=${quote(c.realm)}, nonce=`, `, ${after.join(', ')}`];
}
