/**
 * Building the requests a UA sends (RFC 3261 8.1.1, 12.2.1.1, 13.2.2.4) and the identifiers they carry. Pure
 * functions: no state, no I/O; randomness from node:crypto (tags, Call-IDs and branches feed matching).
 */
import { randomInt } from 'node:crypto';
import { randomBase64url, randomHex } from '../../util/random-id.js';
import {
  Headers,
  createResponse,
  formatUri,
  parseNameAddr,
  parseUri,
  type SipRequest,
  type SipResponse,
  type Uri,
} from '../message/index.js';
import { newBranch } from '../transaction/branch.js';
import type { Endpoint, Flow } from '../transport/types.js';

/** RFC 3261 19.3: a tag needs at least 32 bits of randomness; we use 64. */
export function newTag(): string {
  return randomHex(8);
}

/** RFC 3261 8.1.1.4: globally unique over space and time. */
export function newCallId(): string {
  return randomBase64url(16);
}

/** RFC 3261 8.1.1.5: the initial CSeq "MUST be less than 2**31". */
export function initialCSeq(): number {
  return randomInt(1, 2 ** 31 - 1);
}

/** host:port with IPv6 literals in brackets. */
export function hostPort(ep: Endpoint): string {
  const host = ep.address.includes(':') && !ep.address.startsWith('[') ? `[${ep.address}]` : ep.address;
  return `${host}:${ep.port}`;
}

/** Top Via of a new request: our sent-by, a fresh branch (8.1.1.7) and rport (RFC 3581 section 3). */
export function viaValue(flow: Flow, local: Endpoint | undefined): string {
  return `SIP/2.0/${flow.protocol.toUpperCase()} ${hostPort(local ?? flow.local)};branch=${newBranch()};rport`;
}

/** Our Contact (8.1.1.8): where in-dialog requests to us go, with the transport we were reached on. */
export function contactValue(flow: Flow, local: Endpoint | undefined): string {
  return `<sip:zentrale@${hostPort(local ?? flow.local)};transport=${flow.protocol}>`;
}

/** `<uri>;tag=...` for the From/To of an in-dialog request. */
export function addrWithTag(uri: string, tag: string): string {
  return `<${uri}>;tag=${tag}`;
}

/** The URI of a name-addr header value (From, To, Contact, Record-Route), as text. */
export function uriOfNameAddr(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const na = parseNameAddr(value);
  return na ? formatUri(na.uri) : undefined;
}

export interface RequestSpec {
  method: string;
  requestUri: Uri;
  via: string;
  routes: readonly string[];
  from: string;
  to: string;
  callId: string;
  cseq: number;
  contact?: string;
  userAgent?: string;
  body?: Buffer;
  contentType?: string;
  headers?: ReadonlyArray<readonly [string, string]>;
}

/** A request in the header order RFC 3261 8.1.1 lists; extra headers after the mandatory ones. */
export function buildRequest(s: RequestSpec): SipRequest {
  const h = new Headers();
  h.add('Via', s.via);
  for (const r of s.routes) h.add('Route', r);
  h.add('Max-Forwards', '70');
  h.add('From', s.from);
  h.add('To', s.to);
  h.add('Call-ID', s.callId);
  h.add('CSeq', `${s.cseq} ${s.method}`);
  if (s.contact !== undefined) h.add('Contact', s.contact);
  if (s.userAgent !== undefined) h.add('User-Agent', s.userAgent);
  for (const [n, v] of s.headers ?? []) h.add(n, v);
  if (s.contentType !== undefined) h.set('Content-Type', s.contentType);
  return {
    type: 'request',
    method: s.method,
    uri: s.requestUri,
    version: 'SIP/2.0',
    headers: h,
    body: s.body ?? Buffer.alloc(0),
  };
}

/**
 * RFC 3261 12.2.1.1: the Request-URI and Route headers of an in-dialog request. With a loose router first in the
 * route set (`lr`), R-URI = remote target and Route = route set; otherwise (strict routing, RFC 2543) the first
 * route becomes the R-URI and the remote target is appended as the last Route.
 */
export function targetAndRoutes(
  remoteTarget: string,
  routeSet: readonly string[],
): { requestUri: Uri; routes: string[] } | undefined {
  const first = routeSet[0];
  const firstNa = first === undefined ? undefined : parseNameAddr(first);
  if (first !== undefined && firstNa && firstNa.uri.scheme.startsWith('sip')) {
    const params = 'params' in firstNa.uri ? firstNa.uri.params : undefined;
    if (params && !params.has('lr')) {
      const strictUri = { ...firstNa.uri, params: new Map(params), headers: new Map() };
      return { requestUri: strictUri, routes: [...routeSet.slice(1), `<${remoteTarget}>`] };
    }
  }
  const requestUri = parseUri(remoteTarget);
  if (!requestUri) return undefined;
  return { requestUri, routes: [...routeSet] };
}

/**
 * A response made up locally for a request that got none (RFC 3261 8.1.3.1: transport error → 503; Timer B/F →
 * 408). It never goes on the wire; it lets callers handle every outcome as a response.
 */
export function localResponse(req: SipRequest, status: number, reason?: string): SipResponse {
  return createResponse(req, status, reason);
}
