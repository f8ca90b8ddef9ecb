/**
 * RFC 4475 torture messages that must be refused, read closely: the reason each refusal names, and that a 400 or
 * 505 can still be answered statelessly from the headers of a message that did not parse. The corpus-wide run is
 * in rfc4475.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseMessage } from './parser.js';
import { createResponseFromHeaders } from './response.js';
import type { SipRequest } from './types.js';
import { validateRequest, validateResponse } from './validate.js';
import { load, request, response } from './rfc4475-corpus.js';

describe('RFC 4475 torture messages: refusals', () => {
  test('baddn variants/baddn.terminated.dat [reject-400-or-tolerate]: we reject, unquoted display name with "," is malformed', () => {
    const r = parseMessage(load('variants/baddn.terminated.dat'));
    assert.ok(r.ok);
    const v = validateRequest(r.message as SipRequest);
    assert.deepEqual(v, { ok: false, status: 400, reason: 'Malformed From' });
  });

  test('baddn.dat (archive bytes): the incomplete header section still yields headers for a 400', () => {
    const r = parseMessage(load('baddn.dat'));
    assert.ok(!r.ok);
    assert.equal(r.reason, 'Incomplete Header Section');
    assert.equal(r.headers?.get('Call-ID'), 'baddn.31415@c.example.com');
    const res = createResponseFromHeaders(r.headers!, 400, undefined, { toTag: 'x1' });
    assert.ok(res);
    assert.equal(res.headers.get('To'), 'Watson, Thomas <sip:t.watson@example.org>;tag=x1');
  });

  test('ncl.dat: negative Content-Length is never used as a length', () => {
    const r = parseMessage(load('ncl.dat'));
    assert.deepEqual([r.ok, !r.ok && r.reason], [false, 'Invalid Content-Length']);
  });

  test('clerr.dat: Content-Length 9999 beyond the datagram is 400 with headers for the answer', () => {
    const r = parseMessage(load('clerr.dat'));
    assert.ok(!r.ok);
    assert.equal(r.status, 400);
    assert.equal(r.reason, 'Content-Length Larger Than Message');
    const res = createResponseFromHeaders(r.headers!, r.status);
    assert.equal(res?.headers.get('CSeq'), '8 INVITE');
  });

  test('mcl01.dat: Content-Length 13 and 5 conflict', () => {
    const r = parseMessage(load('mcl01.dat'));
    assert.ok(!r.ok);
    assert.equal(r.reason, 'Conflicting Content-Length');
  });

  test('badvers.dat: 505 can be answered statelessly', () => {
    const r = parseMessage(load('badvers.dat'));
    assert.ok(!r.ok);
    assert.equal(r.status, 505);
    const res = createResponseFromHeaders(r.headers!, 505);
    assert.equal(res?.reason, 'Version Not Supported');
    assert.equal(res?.headers.get('Via'), 'SIP/7.0/UDP c.example.com;branch=z9hG4bKkdjuw');
  });

  test('bigcode.dat: status 4294967301 fails parsing without overflow', () => {
    const r = parseMessage(load('bigcode.dat'));
    assert.ok(!r.ok);
    assert.equal(r.isRequest, false);
    assert.equal(r.reason, 'Invalid Status-Code');
  });

  test('scalarlg.dat: CSeq beyond 2^32-1 makes the response invalid', () => {
    const res = response('scalarlg.dat');
    assert.deepEqual(validateResponse(res), { ok: false, reason: 'Malformed CSeq' });
  });

  test('bcast.dat: dropped as UAC (two Vias) and as proxy (next hop is 255.255.255.255)', () => {
    const res = response('bcast.dat');
    assert.deepEqual(validateResponse(res), { ok: false, reason: 'More Than One Via' });
    assert.deepEqual(validateResponse(res, { role: 'proxy' }), {
      ok: false,
      reason: 'Next Via Is A Broadcast Or Multicast Address',
    });
  });

  test('multi01.dat and insuf.dat: the 400 reasons name the problem', () => {
    assert.deepEqual(validateRequest(request('multi01.dat')), {
      ok: false,
      status: 400,
      reason: 'Multiple Call-ID Headers',
    });
    assert.deepEqual(validateRequest(request('insuf.dat')), {
      ok: false,
      status: 400,
      reason: 'Missing From Header',
    });
  });

  test('mismatch02.dat: unknown method with CSeq mismatch gets 400 (RFC allows 400 instead of 501)', () => {
    const req = request('mismatch02.dat');
    assert.equal(req.method, 'NEWMETHOD');
    assert.equal(validateRequest(req).ok, false);
  });
});
