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
import { formatParams, parseHeaderParams } from './params.js';
import type { Via } from './types.js';

/** Parses one via-parm; undefined when malformed. */
export function parseVia(s: string): Via | undefined {
  let i = skipLws(s, 0);
  const parts: string[] = [];
  for (let k = 0; k < 3; k++) {
    if (k > 0) {
      if (s.charCodeAt(i) !== 0x2f /* / */) return undefined;
      i = skipLws(s, i + 1);
    }
    const end = scanClass(s, i, TOKEN);
    if (end === i) return undefined;
    parts.push(s.slice(i, end));
    i = skipLws(s, end);
  }
  // sent-protocol and sent-by are separated by LWS (required: "UDP192.0.2.1" would have been one token).
  if (!isSp(s.charCodeAt(i - 1))) return undefined;
  let host: string;
  if (s.charCodeAt(i) === 0x5b /* [ */) {
    const close = s.indexOf(']', i);
    if (close < 0) return undefined;
    const inner = s.slice(i + 1, close);
    if (inner.indexOf(':') < 0 || scanClass(inner, 0, IPV6) !== inner.length) return undefined;
    host = s.slice(i, close + 1).toLowerCase();
    i = close + 1;
  } else {
    const end = scanClass(s, i, HOST);
    if (end === i) return undefined;
    host = s.slice(i, end).toLowerCase();
    i = end;
  }
  const via: Via = {
    protocol: `${parts[0]!.toUpperCase()}/${parts[1]!}`,
    transport: parts[2]!.toUpperCase(),
    host,
    params: new Map(),
  };
  i = skipLws(s, i);
  if (s.charCodeAt(i) === 0x3a /* : */) {
    i = skipLws(s, i + 1);
    const end = scanClass(s, i, DIGIT);
    const port = parseDigits(s.slice(i, end), 65535);
    if (port === undefined) return undefined;
    via.port = port;
    i = end;
  }
  const params = parseHeaderParams(s, i);
  if (!params) return undefined;
  via.params = params;
  return via;
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

/** The first Via value of a message (the top Via, RFC 3261 8.2.6.2, 18.2.2), parsed; undefined if absent or bad. */
export function topVia(viaLines: readonly string[]): Via | undefined {
  const first = viaLines[0];
  if (first === undefined) return undefined;
  const parts = splitList(first);
  return parts && parts[0] !== undefined ? parseVia(parts[0]) : undefined;
}

export function formatVia(v: Via): string {
  const port = v.port !== undefined ? `:${v.port}` : '';
  return `${v.protocol}/${v.transport} ${v.host}${port}${formatParams(v.params)}`;
}

/** The `branch` parameter, or undefined (RFC 2543 peers send none). */
export function branchOf(v: Via): string | undefined {
  return v.params.get('branch') ?? undefined;
}
