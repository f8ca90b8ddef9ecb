// The RFC 4475 torture corpus (a byte-exact copy in test/fixtures/rfc4475, SHA256SUMS beside it) and the checks
// its tests share: load a message, parse it expecting a request or response, and judge it accepted, rejected with
// a status, or dropped.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseContacts, parseNameAddr } from './name-addr.js';
import { parseMessage } from './parser.js';
import { createResponseFromHeaders } from './response.js';
import { serializeMessage } from './serializer.js';
import type { NameAddr, ParseResult, SipMessage, SipRequest, SipResponse, SipUri, Uri } from './types.js';
import { isSipUri } from './types.js';
import { validateRequest, validateResponse } from './validate.js';
import { parseVias } from './via.js';

export const CORPUS = fileURLToPath(new URL('../../../test/fixtures/rfc4475/', import.meta.url));

export interface Entry {
  file: string;
  section: string;
  title: string;
  harness_expectation: string;
  content_length: string[];
  octets_after_headers: number;
}

export function load(file: string): Buffer {
  return readFileSync(join(CORPUS, file));
}

export const entries: Entry[] = existsSync(join(CORPUS, 'index.json'))
  ? (JSON.parse(readFileSync(join(CORPUS, 'index.json'), 'utf8')) as Entry[])
  : [];

// ---- reading and judging messages -------------------------------------------------------------------------------------------------

export function parsed(r: ParseResult): SipMessage {
  if (!r.ok) assert.fail(`expected a parsed message, got ${r.status} ${r.reason}`);
  return r.message;
}

export function request(file: string): SipRequest {
  const m = parsed(parseMessage(load(file)));
  assert.equal(m.type, 'request');
  return m as SipRequest;
}

export function response(file: string): SipResponse {
  const m = parsed(parseMessage(load(file)));
  assert.equal(m.type, 'response');
  return m as SipResponse;
}

export function sip(u: Uri): SipUri {
  assert.ok(isSipUri(u), `expected a SIP URI, got ${u.scheme}`);
  return u as SipUri;
}

export function nameAddr(value: string | undefined): NameAddr {
  assert.ok(value !== undefined);
  const na = parseNameAddr(value);
  assert.ok(na, `unparsable name-addr: ${value}`);
  return na;
}

export function contacts(m: SipMessage): NameAddr[] {
  const c = parseContacts(m.headers);
  assert.ok(c !== undefined && c !== '*');
  return c;
}

export function allVias(m: SipMessage) {
  return m.headers.getAll('Via').flatMap((line) => {
    const v = parseVias(line);
    assert.ok(v, `unparsable Via: ${line}`);
    return v;
  });
}

/** Accepted by the parser and, for requests, by validateRequest; for responses by validateResponse. */
export function assertAccepted(e: Entry): SipMessage {
  const m = parsed(parseMessage(load(e.file)));
  if (m.type === 'request') assert.deepEqual(validateRequest(m), { ok: true });
  else assert.deepEqual(validateResponse(m), { ok: true });
  // Framing as documented by the corpus: Content-Length octets, or the rest of the datagram without one.
  const expected = e.content_length.length === 1 ? Number(e.content_length[0]) : e.octets_after_headers;
  assert.equal(m.body.length, expected);
  // Whatever we accept we can write out and read back.
  const again = parsed(parseMessage(serializeMessage(m)));
  const withoutLength = (x: SipMessage) => x.headers.entries().filter(([n]) => n !== 'Content-Length');
  assert.deepEqual(withoutLength(again), withoutLength(m));
  assert.equal(again.headers.get('Content-Length'), String(m.body.length));
  assert.deepEqual(again.body, m.body);
  return m;
}

/** The request is answered with `status`: either the parser refuses it or validateRequest does. */
export function assertRequestRejected(file: string, status: number): void {
  const r = parseMessage(load(file));
  if (!r.ok) {
    assert.equal(r.status, status, r.reason);
    assert.equal(r.isRequest, true);
    // The caller can still answer statelessly when the broken request had a Via.
    if (r.headers?.has('Via')) {
      const res = createResponseFromHeaders(r.headers, status);
      assert.ok(res);
      assert.equal(res.status, status);
    }
    return;
  }
  assert.equal(r.message.type, 'request');
  const v = validateRequest(r.message as SipRequest);
  assert.equal(v.ok, false, `${file} validated OK, expected ${status}`);
  if (!v.ok) assert.equal(v.status, status, v.reason);
}

/** A response that must be silently discarded: parse failure or validateResponse failure. */
export function assertDropped(file: string): void {
  const r = parseMessage(load(file));
  if (!r.ok) {
    assert.equal(r.isRequest, false);
    return;
  }
  assert.equal(r.message.type, 'response');
  assert.equal(validateResponse(r.message as SipResponse).ok, false);
}
