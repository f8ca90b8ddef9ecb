import type { Headers } from '../message/headers.js';
import { isSipUri, type Uri } from '../message/types.js';

/**
 * The few header fields transaction matching needs (section 17.1.3, 17.2.3), read leniently. Kept private to this
 * folder: it needs only the top Via's transport, sent-by and branch, the CSeq, and From/To tags, and must not
 * throw on a message the parser let through.
 */

export interface TopVia {
  /** The top Via value exactly as received (one element of a possibly comma-separated line), trimmed. */
  raw: string;
  transport: string;
  /** host[:port], host lower-cased, as compared by section 17.2.3. */
  sentBy: string;
  branch?: string;
}

/** Splits at commas outside double quotes and angle brackets. */
function splitTopLevel(value: string): string[] {
  const out: string[] = [];
  let depthAngle = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '<') depthAngle++;
    else if (c === '>') depthAngle = Math.max(0, depthAngle - 1);
    else if (c === ',' && depthAngle === 0) {
      out.push(value.slice(start, i));
      start = i + 1;
    }
  }
  out.push(value.slice(start));
  return out.map((s) => s.trim()).filter((s) => s.length > 0);
}

/** Parses `;name=value` parameters (names lower-cased). */
function parseParams(s: string): Map<string, string | null> {
  const params = new Map<string, string | null>();
  for (const part of s.split(';')) {
    const p = part.trim();
    if (!p) continue;
    const eq = p.indexOf('=');
    if (eq < 0) params.set(p.toLowerCase(), null);
    else params.set(p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim());
  }
  return params;
}

export function topVia(headers: Headers): TopVia | undefined {
  const line = headers.get('Via');
  if (line === undefined) return undefined;
  const raw = splitTopLevel(line)[0];
  if (!raw) return undefined;
  // sent-protocol LWS sent-by *( SEMI via-params ), e.g. "SIP/2.0/UDP host:5060;branch=z9hG4bK..."
  const m = /^([^/\s]+)\s*\/\s*([^/\s]+)\s*\/\s*([^\s]+)\s+([^;]+)(.*)$/s.exec(raw);
  if (!m) return undefined;
  const params = parseParams(m[5] ?? '');
  const branch = params.get('branch') ?? undefined;
  return {
    raw,
    transport: (m[3] ?? '').toUpperCase(),
    sentBy: (m[4] ?? '').replace(/\s+/g, '').toLowerCase(),
    ...(branch ? { branch } : {}),
  };
}

export function cseqOf(headers: Headers): { seq: number; method: string } | undefined {
  const v = headers.get('CSeq');
  if (v === undefined) return undefined;
  const m = /^\s*(\d{1,10})\s+([A-Za-z0-9!%*_+`'~.-]+)\s*$/.exec(v);
  if (!m) return undefined;
  const seq = Number(m[1]);
  if (seq > 0xffffffff) return undefined;
  return { seq, method: m[2]! };
}

/** The `tag` parameter of a From or To value, after the name-addr / addr-spec. */
export function tagOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let paramsStart = -1;
  let quoted = false;
  let sawAngle = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '<') sawAngle = true;
    else if (c === '>' && sawAngle) {
      paramsStart = i + 1;
      break;
    }
  }
  if (!sawAngle) {
    // addr-spec form: header parameters start at the first semicolon (section 20.10).
    const semi = value.indexOf(';');
    paramsStart = semi < 0 ? value.length : semi;
  }
  if (paramsStart < 0) return undefined;
  return parseParams(value.slice(paramsStart)).get('tag') ?? undefined;
}

/** A comparable form of a Request-URI for RFC 2543 matching: scheme, user, host, port and sorted parameters. */
export function uriKey(uri: Uri): string {
  if (!isSipUri(uri)) return `${uri.scheme.toLowerCase()}:${uri.opaque}`;
  const params = [...uri.params.entries()]
    .map(([k, v]) => (v === null ? k : `${k}=${v.toLowerCase()}`))
    .sort()
    .join(';');
  return `${uri.scheme}:${uri.user ?? ''}@${uri.host.toLowerCase()}:${uri.port ?? ''};${params}`;
}
