/**
 * Header parameters: `*( SEMI generic-param )` with generic-param = token [ EQUAL gen-value ] and
 * gen-value = token / host / quoted-string (RFC 3261 section 25.1, used by From, To, Contact, Via, Route ...).
 *
 * Names are lower-cased (parameter names are case-insensitive, RFC 3261 7.3.1). Values are kept exactly as
 * received, a quoted-string value with its quotes: formatting then reproduces it and `x="a"` stays distinct
 * from `x=a`. Use `unquote()` (lexical.ts) to read the text of a quoted value such as `+sip.instance`.
 */
import { HOST, TOKEN, charClass, scanClass, scanQuoted, skipLws } from './lexical.js';
import type { Params } from './types.js';

/**
 * Characters of an unquoted gen-value: token and host characters, plus `:` `[` `]` so that IPv6 addresses in
 * `received=` (RFC 3261 20.42, written without brackets) and `maddr=[::1]` are accepted.
 */
const VALUE = (() => {
  const t = charClass(':[]');
  for (let c = 0; c < 128; c++) if (TOKEN[c] || HOST[c]) t[c] = 1;
  return t;
})();

/**
 * Parses `;name[=value]` parameters from s[pos] to the end of s, allowing LWS around `;` and `=` (SEMI and EQUAL
 * are SWS-delimited). Returns undefined for an empty parameter (`;;`, RFC 4475 badinv01), a missing value after
 * `=`, an unterminated quoted value, or anything that is not a parameter. A repeated name keeps its first value.
 */
export function parseHeaderParams(s: string, pos: number): Params | undefined {
  const params: Params = new Map();
  return scanParams(s, pos, params, '') === false ? undefined : params;
}

/** Whether parseHeaderParams accepts the parameters from s[pos], without building its Map. */
export function headerParamsValid(s: string, pos: number): boolean {
  return scanParams(s, pos, undefined, '') !== false;
}

/**
 * The value of parameter `lower` (a lower-case name) in the parameters from s[pos], read under the same rules
 * as parseHeaderParams but without building its Map: null when present without a value, undefined when absent,
 * false when the parameters are malformed (where parseHeaderParams gives undefined).
 */
export function headerParam(s: string, pos: number, lower: string): string | null | undefined | false {
  return scanParams(s, pos, undefined, lower);
}

/** Fills `into` with every parameter, or else returns the first value of `want`; false when malformed. */
function scanParams(
  s: string,
  pos: number,
  into: Params | undefined,
  want: string,
): string | null | undefined | false {
  let found: string | null | undefined;
  let i = skipLws(s, pos);
  while (i < s.length) {
    if (s.charCodeAt(i) !== 0x3b /* ; */) return false;
    i = skipLws(s, i + 1);
    const nameEnd = scanClass(s, i, TOKEN);
    if (nameEnd === i) return false;
    const name = into ? s.slice(i, nameEnd).toLowerCase() : undefined;
    const wanted = !into && found === undefined && named(s, i, nameEnd, want);
    i = skipLws(s, nameEnd);
    let value: string | null = null;
    if (s.charCodeAt(i) === 0x3d /* = */) {
      i = skipLws(s, i + 1);
      let end: number;
      if (s.charCodeAt(i) === 0x22) {
        end = scanQuoted(s, i);
        if (end < 0) return false;
      } else {
        end = scanClass(s, i, VALUE);
        if (end === i) return false;
      }
      if (into || wanted) value = s.slice(i, end);
      i = skipLws(s, end);
    }
    if (name !== undefined && !into!.has(name)) into!.set(name, value);
    else if (wanted) found = value;
  }
  return found;
}

/** Whether s[from, to) is `lower`, ASCII case-insensitively (token characters only reach here). */
function named(s: string, from: number, to: number, lower: string): boolean {
  if (to - from !== lower.length) return false;
  for (let k = 0; k < lower.length; k++)
    if ((s.charCodeAt(from + k) | 0x20) !== lower.charCodeAt(k)) return false;
  return true;
}

/** `;name=value;flag` in map order; values are written as stored (quoted ones keep their quotes). */
export function formatParams(params: Params): string {
  let out = '';
  for (const [name, value] of params) out += value === null ? `;${name}` : `;${name}=${value}`;
  return out;
}

/** True when the value can be written unquoted as a gen-value (token / host); otherwise quote it first. */
export function isPlainParamValue(v: string): boolean {
  return v.length > 0 && scanClass(v, 0, VALUE) === v.length;
}
