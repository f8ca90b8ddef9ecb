import type { AuthValue } from '../message/types.js';
import type { DigestAlgorithm } from './ha1.js';

/**
 * Authorization / WWW-Authenticate values (RFC 3261 section 25.1, RFC 7616 section 3.3-3.4):
 * `scheme LWS auth-param *(COMMA auth-param)`, auth-param = token "=" ( token / quoted-string ).
 */

/** Longer values are refused unparsed: real credentials are a few hundred bytes. */
export const MAX_AUTH_VALUE_LENGTH = 4096;
const MAX_PARAMS = 32;

// RFC 3261 section 25.1 token characters.
const TOKEN = /[A-Za-z0-9\-.!%*_+`'~]/;

function isWs(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

/**
 * Parses one credentials or challenge value. Returns undefined for anything malformed (unterminated quotes, a
 * parameter without value, duplicate parameters, over-long input) and never throws, whatever the input.
 * Parameter names are lower-cased; quoted-string values are unquoted and their quoted-pairs unescaped.
 */
export function parseAuthValue(s: string): AuthValue | undefined {
  if (typeof s !== 'string' || s.length > MAX_AUTH_VALUE_LENGTH) return undefined;
  let i = 0;
  const n = s.length;
  const skipWs = (): void => {
    while (i < n && isWs(s[i])) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < n && TOKEN.test(s[i]!)) i++;
    return s.slice(start, i);
  };

  skipWs();
  const scheme = token();
  if (!scheme) return undefined;
  const params = new Map<string, string>();
  skipWs();
  while (i < n) {
    // Empty list elements (", ,") are allowed by the #rule (RFC 3261 section 7.3.1).
    if (s[i] === ',') {
      i++;
      skipWs();
      continue;
    }
    const name = token().toLowerCase();
    if (!name) return undefined;
    skipWs();
    if (s[i] !== '=') return undefined;
    i++;
    skipWs();
    let value: string;
    if (s[i] === '"') {
      i++;
      let out = '';
      let closed = false;
      while (i < n) {
        const c = s[i]!;
        if (c === '\\') {
          if (i + 1 >= n) return undefined;
          out += s[i + 1];
          i += 2;
        } else if (c === '"') {
          i++;
          closed = true;
          break;
        } else {
          out += c;
          i++;
        }
      }
      if (!closed) return undefined;
      value = out;
    } else {
      // Lenient token: some agents send unquoted values with ':' or '/' (e.g. algorithm, nc, qop).
      const start = i;
      // '=' stays out so token68 credentials ("Basic QWxh...==") are refused rather than misread.
      while (i < n && !isWs(s[i]) && s[i] !== ',' && s[i] !== '"' && s[i] !== '=') i++;
      value = s.slice(start, i);
      if (!value) return undefined;
    }
    // RFC 7616 section 3.4: each parameter appears at most once; a repeat is an attempt to confuse, not a typo.
    if (params.has(name) || params.size >= MAX_PARAMS) return undefined;
    params.set(name, value);
    skipWs();
    if (i < n) {
      if (s[i] !== ',') return undefined;
      i++;
      skipWs();
    }
  }
  return { scheme, params };
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
  const parts = [`realm=${quote(c.realm)}`, `nonce=${quote(c.nonce)}`];
  if (c.opaque !== undefined) parts.push(`opaque=${quote(c.opaque)}`);
  // algorithm and stale are tokens, qop a quoted list (RFC 7616 section 3.3 ABNF).
  parts.push(`algorithm=${c.algorithm}`, `qop=${quote(c.qop ?? 'auth')}`);
  if (c.stale) parts.push('stale=true');
  return `Digest ${parts.join(', ')}`;
}
