/**
 * name-addr / addr-spec values with header parameters (RFC 3261 sections 20.10, 20.20, 20.39, 25.1): From, To,
 * Contact, Route, Record-Route, Reply-To, P-Asserted-Identity ...
 *
 *   ( name-addr / addr-spec ) *( SEMI generic-param )
 *   name-addr    = [ display-name ] LAQUOT addr-spec RAQUOT
 *   display-name = *(token LWS) / quoted-string
 *
 * Without `<...>` everything after the first `;` is a header parameter, not a URI parameter (20.10), which is what
 * tells RFC 4475 cparam01 (`unknownparam` is a contact-param) from cparam02 (it is a URI parameter). A URI holding
 * `,` `;` or `?` must be enclosed in `<>` (20.10), so an addr-spec with URI headers (RFC 4475 regbadct) is rejected.
 * The LWS that the grammar requires between display name and `<` is not required here (RFC 4475 lwsdisp).
 */
import type { Headers } from './headers.js';
import { TOKEN, inClass, isSp, quote, scanQuoted, skipLws, splitList, unquote } from './lexical.js';
import { formatParams, headerParam, headerParamsValid, parseHeaderParams } from './params.js';
import type { NameAddr } from './types.js';
import { formatUri, isUri, parseUri } from './uri.js';

/** Parses one value; undefined when malformed (unbalanced quotes or `<>`, bad URI, bad display name, `;;`). */
export function parseNameAddr(s: string): NameAddr | undefined {
  return readNameAddr(s, true);
}

/**
 * Whether parseNameAddr accepts `s`, without building the value: no parameter Maps, no display name. Every
 * received message's From and To are checked before anything reads them, and most are then parsed once more by
 * whoever needs them, or never.
 */
export function isNameAddr(s: string): boolean {
  return readNameAddr(s, false) >= 0;
}

/**
 * `build` true: the value, or undefined when malformed. `build` false: the same checks without building it, giving
 * where its header parameters begin, or -1 when malformed.
 */
function readNameAddr(s: string, build: true): NameAddr | undefined;
function readNameAddr(s: string, build: false): number;
function readNameAddr(s: string, build: boolean): NameAddr | number | undefined {
  const bad = build ? undefined : -1;
  let i = skipLws(s, 0);
  let displayName: string | undefined;
  let angle = false;
  if (s.charCodeAt(i) === 0x22 /* " */) {
    // quoted display name (RFC 4475 quotbal: unterminated -> malformed)
    const end = scanQuoted(s, i);
    if (end < 0) return bad;
    if (build) displayName = unquote(s.slice(i, end));
    i = skipLws(s, end);
    if (s.charCodeAt(i) !== 0x3c /* < */) return bad;
    angle = true;
  } else {
    // *(token LWS) then `<`; any other stop means this is an addr-spec (or malformed, caught by parseUri).
    let j = i;
    while (j < s.length) {
      const c = s.charCodeAt(j);
      if (!inClass(TOKEN, c) && !isSp(c)) break;
      j++;
    }
    if (s.charCodeAt(j) === 0x3c) {
      const dn = s.slice(i, j).trim();
      if (dn.length > 0) displayName = dn;
      i = j;
      angle = true;
    }
  }
  let uriText: string;
  if (angle) {
    // URIs cannot hold an unescaped ">" so the first one closes the addr-spec.
    const gt = s.indexOf('>', i + 1);
    if (gt < 0) return bad;
    uriText = s.slice(i + 1, gt);
    i = gt + 1;
  } else {
    // addr-spec: runs to the first ";" (header parameters follow), LWS, or ",".
    const start = i;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c === 0x3b || c === 0x2c || isSp(c)) break;
      i++;
    }
    uriText = s.slice(start, i);
    if (uriText.indexOf('?') >= 0) return bad;
  }
  if (!build) return isUri(uriText) && headerParamsValid(s, i) ? i : -1;
  const uri = parseUri(uriText);
  if (!uri) return undefined;
  const params = parseHeaderParams(s, i);
  if (!params) return undefined;
  const na: NameAddr = { uri, params };
  if (displayName !== undefined) na.displayName = displayName;
  return na;
}

/** A comma-separated list of name-addr/addr-spec values (commas inside quotes and `<>` do not split). */
export function parseNameAddrList(s: string): NameAddr[] | undefined;
/** The same, also accepting the Contact wildcard `*` (RFC 3261 10.2.2) as the only value. */
export function parseNameAddrList(s: string, opts: { allowStar: true }): NameAddr[] | '*' | undefined;
export function parseNameAddrList(s: string, opts?: { allowStar?: boolean }): NameAddr[] | '*' | undefined {
  return readList(s, opts?.allowStar === true, true);
}

/** `build` false: checked only, the array returned is empty. */
function readList(s: string, allowStar: boolean, build: boolean): NameAddr[] | '*' | undefined {
  if (allowStar && s.trim() === '*') return '*';
  const parts = splitList(s);
  if (!parts) return undefined;
  const out: NameAddr[] = [];
  for (const p of parts) {
    if (!build) {
      if (readNameAddr(p, false) < 0) return undefined;
      continue;
    }
    const na = readNameAddr(p, true);
    if (!na) return undefined;
    out.push(na);
  }
  return out;
}

/**
 * All Contact values of a message, across lines. `*` must stand alone (RFC 3261 20.10 grammar: STAR or a list);
 * mixing it with addresses is malformed. No Contact line gives []. Undefined when any value is malformed.
 */
export function parseContacts(headers: Headers): NameAddr[] | '*' | undefined {
  return readContacts(headers, true);
}

/** Whether parseContacts accepts the message's Contact lines, without building them. */
export function contactsValid(headers: Headers): boolean {
  return readContacts(headers, false) !== undefined;
}

function readContacts(headers: Headers, build: boolean): NameAddr[] | '*' | undefined {
  const lines = headers.getAll('Contact');
  const out: NameAddr[] = [];
  let star = false;
  for (const line of lines) {
    const r = readList(line, true, build);
    if (r === undefined) return undefined;
    if (r === '*') star = true;
    else out.push(...r);
  }
  // A line is `*` alone or a list of addresses, so `*` with any other line is the mix.
  if (star) return lines.length === 1 ? '*' : undefined;
  return out;
}

/** The `tag` parameter of a From or To value. */
export function tagOf(na: NameAddr): string | undefined {
  return na.params.get('tag') ?? undefined;
}

/** A parameter named `tag` (names are case-insensitive tokens, never escaped) has these letters somewhere. */
const MAY_HOLD_TAG = /tag/i;

/**
 * The `tag` parameter of a From or To header value; undefined when it has none or does not parse. Every request
 * and response asks this of its From and To, and most To values of new requests hold no tag at all: those are
 * answered without parsing, the others are checked and the tag read off, without building the value.
 */
export function tagOfValue(value: string): string | undefined {
  if (!MAY_HOLD_TAG.test(value)) return undefined;
  const paramsAt = readNameAddr(value, false);
  if (paramsAt < 0) return undefined;
  const tag = headerParam(value, paramsAt, 'tag');
  return typeof tag === 'string' ? tag : undefined;
}

/** Always in name-addr form (`<...>`), valid whatever the URI holds; the display name is quoted when present. */
export function formatNameAddr(na: NameAddr): string {
  const dn = na.displayName !== undefined && na.displayName.length > 0 ? quote(na.displayName) + ' ' : '';
  return `${dn}<${formatUri(na.uri)}>${formatParams(na.params)}`;
}
