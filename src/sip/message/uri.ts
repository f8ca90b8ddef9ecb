/**
 * SIP and SIPS URIs (RFC 3261 section 19.1, grammar in 25.1) and any other absolute URI, kept opaque.
 *
 * %-escapes are validated but never decoded: user, password, parameters and URI headers keep them exactly as
 * received (RFC 4475 esc01/escnull: `%00` must not truncate a user, `value%25%34%31` is not `valueA`). Decoding
 * belongs to comparison (19.1.4), done by whoever compares. Host names are lower-cased (they are case-insensitive).
 * Whitespace anywhere makes the URI invalid (RFC 4475 lwsruri, badaspec).
 */
import { DIGIT, HEX, HOST, IPV6, charClass, inClass, parseDigits, scanClass } from './lexical.js';
import type { AbsoluteUri, Params, SipUri, Uri } from './types.js';
import { isSipUri } from './types.js';

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
/** unreserved = alphanum / mark */
const UNRESERVED = ALNUM + "-_.!~*'()";
/** user = 1*( unreserved / escaped / user-unreserved ); user-unreserved = "&" / "=" / "+" / "$" / "," / ";" / "?" / "/" */
const USER = charClass(UNRESERVED + '%&=+$,;?/');
/** password = *( unreserved / escaped / "&" / "=" / "+" / "$" / "," ) */
const PASSWORD = charClass(UNRESERVED + '%&=+$,');
/** paramchar = param-unreserved / unreserved / escaped; param-unreserved = "[" / "]" / "/" / ":" / "&" / "+" / "$" */
const PARAM = charClass(UNRESERVED + '%[]/:&+$');
/** hname / hvalue characters: hnv-unreserved / unreserved / escaped; hnv-unreserved = "[" / "]" / "/" / "?" / ":" / "+" / "$" */
const HNV = charClass(UNRESERVED + '%[]/?:+$');
/** scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) (RFC 3986 3.1) */
const SCHEME = charClass(ALNUM + '+-.');
/** Characters of an opaque absolute URI: RFC 3986 unreserved, gen-delims, sub-delims and "%". */
const OPAQUE = charClass(ALNUM + "-._~:/?#[]@!$&'()*+,;=%");

/** True when every `%` in s[start, end) is followed by two hex digits (RFC 3261 25.1 escaped). */
function escapesValid(s: string, start: number, end: number): boolean {
  // A bounded loop rather than indexOf('%'): indexOf would search past `end`, quadratic over many parameters.
  for (let i = start; i < end; i++) {
    if (s.charCodeAt(i) !== 0x25 /* % */) continue;
    // The two hex digits must lie inside the same component (before `end`).
    if (i + 2 >= end || !inClass(HEX, s.charCodeAt(i + 1)) || !inClass(HEX, s.charCodeAt(i + 2)))
      return false;
    i += 2;
  }
  return true;
}

function isAlpha(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** Parses a URI; undefined when it is not a valid SIP/SIPS URI or absolute URI. Never throws. */
export function parseUri(s: string): Uri | undefined {
  return readUri(s, true);
}

/**
 * Whether `s` is a URI parseUri accepts, without building its parameter and header Maps (the checks a received
 * message's From, To and Contact go through before anyone reads them).
 */
export function isUri(s: string): boolean {
  return readUri(s, false) !== undefined;
}

/** `build` false: the same checks, but the URI returned has neither parameters nor headers filled in. */
function readUri(s: string, build: boolean): Uri | undefined {
  const colon = s.indexOf(':');
  if (colon <= 0 || !isAlpha(s.charCodeAt(0)) || scanClass(s, 0, SCHEME) !== colon) return undefined;
  const scheme = s.slice(0, colon).toLowerCase();
  if (scheme === 'sip' || scheme === 'sips') return parseSipUri(s, colon + 1, scheme, build);
  const opaque = s.slice(colon + 1);
  if (opaque.length === 0 || scanClass(opaque, 0, OPAQUE) !== opaque.length) return undefined;
  if (!escapesValid(opaque, 0, opaque.length)) return undefined;
  const u: AbsoluteUri = { scheme, opaque };
  return u;
}

function parseSipUri(s: string, i: number, scheme: 'sip' | 'sips', build: boolean): SipUri | undefined {
  // Params and headers are filled in below: a Map each only when there is something to hold (most URIs have
  // no headers), since every message parses several URIs and each Map is an allocation of its own.
  const uri: SipUri = { scheme, host: '', params: NO_PARAMS, headers: NO_HEADERS };
  // userinfo: user and password cannot hold an unescaped "@", nor can host, params or headers, so the only "@"
  // ends the userinfo. The user part may contain ";" "?" "/" (RFC 4475 semiuri, intmeth).
  const at = s.indexOf('@', i);
  if (at >= 0) {
    if (s.indexOf('@', at + 1) >= 0) return undefined;
    const pc = s.indexOf(':', i);
    const userEnd = pc >= 0 && pc < at ? pc : at;
    if (userEnd === i || scanClass(s, i, USER) < userEnd || !escapesValid(s, i, userEnd)) return undefined;
    uri.user = s.slice(i, userEnd);
    if (userEnd < at) {
      if (scanClass(s, userEnd + 1, PASSWORD) < at || !escapesValid(s, userEnd + 1, at)) return undefined;
      uri.password = s.slice(userEnd + 1, at);
    }
    i = at + 1;
  }
  // host = hostname / IPv4address / IPv6reference
  if (s.charCodeAt(i) === 0x5b /* [ */) {
    const close = s.indexOf(']', i);
    if (close < 0) return undefined;
    const inner = s.slice(i + 1, close);
    if (inner.indexOf(':') < 0 || scanClass(inner, 0, IPV6) !== inner.length) return undefined;
    uri.host = s.slice(i, close + 1).toLowerCase();
    i = close + 1;
  } else {
    const end = scanClass(s, i, HOST);
    if (end === i) return undefined;
    uri.host = s.slice(i, end).toLowerCase();
    i = end;
  }
  if (s.charCodeAt(i) === 0x3a /* : */) {
    const end = scanClass(s, i + 1, DIGIT);
    const port = parseDigits(s.slice(i + 1, end), 65535);
    if (port === undefined) return undefined;
    uri.port = port;
    i = end;
  }
  const params: Params | undefined = build ? new Map() : undefined;
  i = parseUriParams(s, i, params);
  if (i < 0) return undefined;
  if (params) uri.params = params;
  if (s.charCodeAt(i) === 0x3f /* ? */) {
    // headers = "?" header *( "&" header ); header = hname "=" hvalue; hvalue may be empty
    const headers = build ? new Map<string, string>() : undefined;
    if (headers) uri.headers = headers;
    for (;;) {
      const nameStart = i + 1;
      const nameEnd = scanClass(s, nameStart, HNV);
      if (nameEnd === nameStart || s.charCodeAt(nameEnd) !== 0x3d /* = */) return undefined;
      const valueEnd = scanClass(s, nameEnd + 1, HNV);
      if (!escapesValid(s, nameStart, valueEnd)) return undefined;
      headers?.set(s.slice(nameStart, nameEnd), s.slice(nameEnd + 1, valueEnd));
      i = valueEnd;
      if (s.charCodeAt(i) !== 0x26 /* & */) break;
    }
  }
  return i === s.length ? uri : undefined;
}

/** A parsed URI without headers shares this one (never written to: SipUri.headers is read-only). */
const NO_HEADERS: ReadonlyMap<string, string> = new Map();
/** Only the placeholder while parseSipUri runs: every SipUri parseUri returns gets a Map of its own. */
const NO_PARAMS: Params = new Map();

/**
 * uri-parameters = *( ";" uri-parameter ) into `params` (when given); names lower-cased, values kept escaped; a
 * repeated name keeps the first. Returns where they end, or -1 when one is malformed.
 */
function parseUriParams(s: string, i: number, params: Params | undefined): number {
  while (s.charCodeAt(i) === 0x3b /* ; */) {
    const nameStart = i + 1;
    const nameEnd = scanClass(s, nameStart, PARAM);
    if (nameEnd === nameStart || !escapesValid(s, nameStart, nameEnd)) return -1;
    let valueEnd = -1;
    i = nameEnd;
    if (s.charCodeAt(i) === 0x3d /* = */) {
      valueEnd = scanClass(s, i + 1, PARAM);
      if (valueEnd === i + 1 || !escapesValid(s, i + 1, valueEnd)) return -1;
    }
    if (params) {
      const name = s.slice(nameStart, nameEnd).toLowerCase();
      if (!params.has(name)) params.set(name, valueEnd < 0 ? null : s.slice(i + 1, valueEnd));
    }
    if (valueEnd >= 0) i = valueEnd;
  }
  return i;
}

/** The URI as text; parseUri(formatUri(u)) gives back an equal URI. */
export function formatUri(u: Uri): string {
  if (!isSipUri(u)) return `${u.scheme}:${u.opaque}`;
  let out = u.scheme + ':';
  if (u.user !== undefined) out += u.password !== undefined ? `${u.user}:${u.password}@` : `${u.user}@`;
  out += u.host;
  if (u.port !== undefined) out += `:${u.port}`;
  for (const [name, value] of u.params) out += value === null ? `;${name}` : `;${name}=${value}`;
  let sep = '?';
  for (const [name, value] of u.headers) {
    out += `${sep}${name}=${value}`;
    sep = '&';
  }
  return out;
}
