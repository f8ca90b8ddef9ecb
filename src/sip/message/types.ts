/**
 * The SIP message model (RFC 3261 section 7). Parsing lives in parser.ts, serialization in serializer.ts,
 * typed header values in uri.ts, name-addr.ts, via.ts, params.ts, cseq.ts and scalar-headers.ts, checks in
 * validate.ts. Everything above sip/message works on these types only (index.ts re-exports the API).
 */

import type { Headers } from './headers.js';

/**
 * Header or URI parameters. Names are lower-cased; a parameter without `=value` maps to null. Values are kept as
 * received: URI parameter values keep their %-escapes, quoted header parameter values keep their quotes
 * (`unquote()` in lexical.ts reads them), so formatting reproduces what was received.
 */
export type Params = Map<string, string | null>;

/** A sip: or sips: URI (RFC 3261 section 19.1). `user` and `password` keep their %-escapes as received. */
export interface SipUri {
  scheme: 'sip' | 'sips';
  user?: string;
  password?: string;
  /** Lower-cased host name, IPv4 address, or IPv6 reference with brackets ("[::1]"). */
  host: string;
  port?: number;
  params: Params;
  /** URI headers (`?name=value&...`), values kept escaped; read-only (parsed URIs without any share one). */
  headers: ReadonlyMap<string, string>;
}

/** Any other absolute URI (tel:, urn:, unknown schemes): kept opaque. */
export interface AbsoluteUri {
  scheme: string;
  opaque: string;
}

export type Uri = SipUri | AbsoluteUri;

export function isSipUri(uri: Uri): uri is SipUri {
  return uri.scheme === 'sip' || uri.scheme === 'sips';
}

/** name-addr / addr-spec with header parameters: From, To, Contact, Route, Record-Route ... */
export interface NameAddr {
  displayName?: string;
  uri: Uri;
  params: Params;
}

/** One Via value (RFC 3261 section 20.42). */
export interface Via {
  protocol: string; // "SIP/2.0"
  transport: string; // upper-cased: UDP, TCP, TLS, WS, WSS, SCTP, ...
  host: string;
  port?: number;
  params: Params;
}

export interface CSeq {
  seq: number; // 0 .. 2^32-1
  method: string;
}

/** Credentials or challenge (RFC 7616): scheme plus auth-params, names lower-cased, quotes removed. */
export interface AuthValue {
  scheme: string;
  params: Map<string, string>;
}

export interface SipRequest {
  readonly type: 'request';
  method: string;
  uri: Uri;
  version: string;
  headers: Headers;
  body: Buffer;
}

export interface SipResponse {
  readonly type: 'response';
  version: string;
  status: number;
  reason: string;
  headers: Headers;
  body: Buffer;
}

export type SipMessage = SipRequest | SipResponse;

/**
 * Outcome of parsing one message. On failure `headers` holds what could be read, so the caller can still form a
 * `400 Bad Request` (or `505`) when the message was a request with usable Via/From/To/Call-ID/CSeq.
 */
export type ParseResult =
  | { ok: true; message: SipMessage }
  | {
      ok: false;
      /** Suggested final status for a request: 400, 505, or 416 ... */
      status: number;
      reason: string;
      isRequest: boolean;
      headers?: Headers;
    };
