import type { Headers } from '../message/headers.js';
import { tagOfValue } from '../message/name-addr.js';
import { parseCSeq } from '../message/cseq.js';
import type { CSeq, Uri } from '../message/types.js';
import { formatUri } from '../message/uri.js';
import { branchOf, firstVia } from '../message/via.js';
import { responseDestination } from '../transport/response-routing.js';
import type { Flow } from '../transport/types.js';

/**
 * The few header fields transaction matching needs (sections 17.1.3, 17.2.3), read through sip/message's parsers
 * and reduced to comparable strings. Nothing here throws on a message the parser let through.
 */

export interface TopVia {
  /** The top Via value as received (one element of a possibly comma-separated line), for 17.1.1.3 and 2543 keys. */
  raw: string;
  /** host[:port] as compared by section 17.2.3 (host lower-cased by the Via parser). */
  sentBy: string;
  branch?: string;
}

export function topVia(headers: Headers): TopVia | undefined {
  const line = headers.get('Via');
  if (line === undefined) return undefined;
  const first = firstVia(line);
  if (!first) return undefined;
  const { raw, via } = first;
  const branch = branchOf(via);
  return {
    raw,
    sentBy: via.port === undefined ? via.host : `${via.host}:${via.port}`,
    ...(branch ? { branch } : {}),
  };
}

export function cseqOf(headers: Headers): CSeq | undefined {
  const v = headers.get('CSeq');
  return v === undefined ? undefined : parseCSeq(v);
}

/** The `tag` parameter of a From or To value; undefined when absent or unparsable. */
export function tagOf(value: string | undefined): string | undefined {
  return value === undefined ? undefined : tagOfValue(value);
}

/** A comparable form of a Request-URI for RFC 2543 matching. */
export function uriKey(uri: Uri): string {
  return formatUri(uri);
}

/**
 * Where a response to a request that came on `requestFlow` goes (RFC 3261 18.2.2, RFC 3581), from the top Via of
 * `headers` (the request's or the response's, which carries the same line). A Via too broken to read (a 400 for
 * exactly that): back to where the request came from.
 */
export function responseFlow(headers: Headers, requestFlow: Flow): Flow {
  const top = firstVia(headers.get('Via') ?? '')?.via;
  return top ? responseDestination(top, requestFlow) : requestFlow;
}
