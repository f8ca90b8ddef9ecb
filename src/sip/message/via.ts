/**
 * Via values (RFC 3261 section 20.42, grammar in 25.1):
 *
 *   Via           = ( "Via" / "v" ) HCOLON via-parm *(COMMA via-parm)
 *   via-parm      = sent-protocol LWS sent-by *( SEMI via-params )
 *   sent-protocol = protocol-name SLASH protocol-version SLASH transport      (SLASH = SWS "/" SWS)
 *   sent-by       = host [ COLON port ]
 *
 * One header line can hold several values (RFC 4475 wsinv: LWS around every separator, folded lines).
 */
import { DIGIT, HOST, IPV6, TOKEN, isSp, parseDigits, scanClass, skipLws, splitList } from './lexical.js';
import { formatParams, headerParam, parseHeaderParams } from './params.js';
import type { Via } from './types.js';

/** Only the placeholder while parseVia runs: every parsed Via gets a Map of its own. */
const PENDING_PARAMS: Via['params'] = new Map();

/** Parses one via-parm; undefined when malformed. */
export function parseVia(s: string): Via | undefined {
  const via: Via = { protocol: '', transport: '', host: '', params: PENDING_PARAMS };
  const at = scanViaHead(s, via);
  if (at < 0) return undefined;
  const params = parseHeaderParams(s, at);
  if (!params) return undefined;
  via.params = params;
  return via;
}

/**
 * The branch of one via-parm, checked against the same grammar as parseVia without building the Via (the
 * 200 OKs of a NOTIFY fan-out are matched by it, RFC 3261 17.1.3); undefined when malformed or branch-less.
 */
export function viaBranch(s: string): string | undefined {
  const at = scanViaHead(s, undefined);
  const branch = at < 0 ? false : headerParam(s, at, 'branch');
  return branch ? branch : undefined;
}

/**
 * sent-protocol LWS sent-by: the index where the parameters start, or -1 when malformed. Fills `via` (but its
 * params) when given.
 */
function scanViaHead(s: string, via: Via | undefined): number {
  let i = skipLws(s, 0);
  let protocol = '';
  for (let k = 0; k < 3; k++) {
    if (k > 0) {
      if (s.charCodeAt(i) !== 0x2f /* / */) return -1;
      i = skipLws(s, i + 1);
    }
    const end = scanClass(s, i, TOKEN);
    if (end === i) return -1;
    if (via) {
      if (k === 0) protocol = s.slice(i, end).toUpperCase();
      else if (k === 1) via.protocol = `${protocol}/${s.slice(i, end)}`;
      else via.transport = s.slice(i, end).toUpperCase();
    }
    i = skipLws(s, end);
  }
  // sent-protocol and sent-by are separated by LWS (required: "UDP192.0.2.1" would have been one token).
  if (!isSp(s.charCodeAt(i - 1))) return -1;
  if (s.charCodeAt(i) === 0x5b /* [ */) {
    const close = s.indexOf(']', i);
    if (close < 0) return -1;
    const inner = s.slice(i + 1, close);
    if (inner.indexOf(':') < 0 || scanClass(inner, 0, IPV6) !== inner.length) return -1;
    if (via) via.host = s.slice(i, close + 1).toLowerCase();
    i = close + 1;
  } else {
    const end = scanClass(s, i, HOST);
    if (end === i) return -1;
    if (via) via.host = s.slice(i, end).toLowerCase();
    i = end;
  }
  i = skipLws(s, i);
  if (s.charCodeAt(i) === 0x3a /* : */) {
    i = skipLws(s, i + 1);
    const end = scanClass(s, i, DIGIT);
    const port = parseDigits(s.slice(i, end), 65535);
    if (port === undefined) return -1;
    if (via) via.port = port;
    i = end;
  }
  return i;
}

/** Every via-parm of one header line, in order; undefined when any is malformed (RFC 4475 badinv01). */
export function parseVias(value: string): Via[] | undefined {
  const parts = splitList(value);
  if (!parts) return undefined;
  const out: Via[] = [];
  for (const p of parts) {
    const v = parseVia(p);
    if (!v) return undefined;
    out.push(v);
  }
  return out;
}

/**
 * The first via-parm of a Via header line (of the first line: the top Via, RFC 3261 8.2.6.2, 18.2.2): its text
 * (trimmed) and its parse, shared and so read-only.
 */
export interface FirstVia {
  readonly raw: string;
  readonly via: Readonly<Via>;
}

/** firstVia's memo: the last line it read (or was told about) and what that line's first value is. */
let memoLine: string | undefined;
let memoFirst: FirstVia | undefined;

/**
 * The first via-parm of one Via header line, parsed; undefined when absent or malformed (the rest of the line is
 * not looked at). Memoised on the last line: a request's top Via line is read to find its transaction (RFC 3261
 * 17.2.3) and again to route each response sent to it (18.2.2), with other messages' lines seldom in between.
 */
export function firstVia(line: string): FirstVia | undefined {
  if (line === memoLine) return memoFirst;
  const raw = splitList(line)?.[0]?.trim();
  const via = raw ? parseVia(raw) : undefined;
  memoLine = line;
  memoFirst = raw && via ? { raw, via } : undefined;
  return memoFirst;
}

/**
 * Tells firstVia what `line` holds when the caller has just formatted it from a parsed Via (the transport stamping
 * received/rport, RFC 3261 18.2.1): `raw` must be `formatVia(via)` and the line's first value, and `via` must not
 * change afterwards.
 */
export function rememberFirstVia(line: string, raw: string, via: Via): void {
  memoLine = line;
  memoFirst = { raw, via };
}

export function formatVia(v: Via): string {
  const port = v.port !== undefined ? `:${v.port}` : '';
  return `${v.protocol}/${v.transport} ${v.host}${port}${formatParams(v.params)}`;
}

/** The `branch` parameter, or undefined (RFC 2543 peers send none). */
export function branchOf(v: Via): string | undefined {
  return v.params.get('branch') ?? undefined;
}
