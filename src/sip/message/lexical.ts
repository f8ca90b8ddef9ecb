/**
 * Character classes and small scanners for the basic rules of RFC 3261 section 25.1 (token, LWS, quoted-string).
 * Every scanner works on indexes into a string and never backtracks, so parsing cost is linear in the input:
 * header values come from the network and a registrar parses tens of thousands of them per second.
 *
 * After unfolding (parser.ts), LWS inside a header value is only SP and HTAB.
 */

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** A 128-entry lookup table: 1 for each listed ASCII character. Non-ASCII characters are never in a class. */
export function charClass(chars: string): Uint8Array {
  const t = new Uint8Array(128);
  for (let i = 0; i < chars.length; i++) t[chars.charCodeAt(i)] = 1;
  return t;
}

export function inClass(table: Uint8Array, c: number): boolean {
  return c < 128 && table[c] === 1;
}

/** token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") */
export const TOKEN = charClass(ALNUM + "-.!%*_+`'~");
/** hostname / IPv4address characters. `_` is outside RFC 1034 but seen in the wild (SRV-style names); harmless. */
export const HOST = charClass(ALNUM + '-._');
/** Characters of an IPv6reference between the brackets (hex digits, colons, and dots of an embedded IPv4). */
export const IPV6 = charClass('0123456789abcdefABCDEF:.');
export const DIGIT = charClass('0123456789');
export const HEX = charClass('0123456789abcdefABCDEF');

export function isSp(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/** Index of the first non-SP/HTAB character at or after i. */
export function skipLws(s: string, i: number): number {
  while (i < s.length && isSp(s.charCodeAt(i))) i++;
  return i;
}

/** Index just past a run of characters of the class starting at i (i itself when there is none). */
export function scanClass(s: string, i: number, table: Uint8Array): number {
  while (i < s.length && inClass(table, s.charCodeAt(i))) i++;
  return i;
}

export function isToken(s: string): boolean {
  return s.length > 0 && scanClass(s, 0, TOKEN) === s.length;
}

/**
 * With s[i] === '"', the index just past the closing quote, or -1 when the string is unterminated (RFC 3261 25.1:
 * quoted-string = SWS DQUOTE *(qdtext / quoted-pair) DQUOTE; quoted-pair = "\" followed by any octet but CR/LF).
 */
export function scanQuoted(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === 0x5c /* \ */) {
      j++;
      continue;
    }
    if (c === 0x22 /* " */) return j + 1;
  }
  return -1;
}

/** The content of a quoted-string with its quoted-pairs resolved; a value that is not quoted is returned as is. */
export function unquote(v: string): string {
  if (v.length < 2 || v.charCodeAt(0) !== 0x22 || v.charCodeAt(v.length - 1) !== 0x22) return v;
  const inner = v.slice(1, -1);
  if (inner.indexOf('\\') < 0) return inner;
  let out = '';
  for (let j = 0; j < inner.length; j++) {
    const ch = inner[j]!;
    if (ch === '\\' && j + 1 < inner.length) {
      out += inner[j + 1];
      j++;
    } else out += ch;
  }
  return out;
}

/** A quoted-string for any text: `"` and `\` escaped; CR and LF (not allowed even as quoted-pair) become SP. */
export function quote(text: string): string {
  return '"' + text.replace(/[\r\n]/g, ' ').replace(/["\\]/g, '\\$&') + '"';
}

/**
 * Splits a header value at the commas that separate list elements (RFC 3261 7.3.1), ignoring commas inside
 * quoted-strings and `<...>`. Elements are trimmed. Returns undefined for an unterminated quote or `<`.
 */
export function splitList(s: string): string[] | undefined {
  const out: string[] = [];
  let start = 0;
  let angle = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) {
      const end = scanQuoted(s, i);
      if (end < 0) return undefined;
      i = end - 1;
    } else if (c === 0x3c /* < */) angle = true;
    else if (c === 0x3e /* > */) angle = false;
    else if (c === 0x2c /* , */ && !angle) {
      out.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  if (angle) return undefined;
  out.push(s.slice(start).trim());
  return out;
}

/**
 * Parses 1*DIGIT as an unsigned integer no larger than max; undefined for anything else (sign, blanks, overflow).
 * Leading zeros are allowed ("0068", RFC 4475 wsinv) and do not count towards overflow.
 */
export function parseDigits(s: string, max: number): number | undefined {
  if (s.length === 0) return undefined;
  let v = 0;
  for (let i = 0; i < s.length; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return undefined;
    v = v * 10 + d;
    // Checked per digit so a 100-digit value never grows past max * 10 (no precision loss, no Infinity).
    if (v > max) return undefined;
  }
  return v;
}
