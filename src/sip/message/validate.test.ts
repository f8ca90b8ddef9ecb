import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseMessage } from './parser.js';
import type { SipRequest, SipResponse } from './types.js';
import { validateRequest, validateResponse } from './validate.js';

const BASE: Array<[string, string]> = [
  ['Via', 'SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1'],
  ['From', '<sip:alice@example.com>;tag=1'],
  ['To', '<sip:bob@example.com>'],
  ['Call-ID', 'abc@192.0.2.1'],
  ['CSeq', '1 INVITE'],
  ['Max-Forwards', '70'],
];

function build(start: string, headers: Array<[string, string]>): string {
  return start + '\r\n' + headers.map(([n, v]) => `${n}: ${v}\r\n`).join('') + '\r\n';
}

function request(headers = BASE, start = 'INVITE sip:bob@example.com SIP/2.0'): SipRequest {
  const r = parseMessage(Buffer.from(build(start, headers)));
  assert.ok(r.ok, !r.ok ? r.reason : '');
  return r.message as SipRequest;
}

function response(headers: Array<[string, string]>): SipResponse {
  const r = parseMessage(Buffer.from(build('SIP/2.0 200 OK', headers)));
  assert.ok(r.ok);
  return r.message as SipResponse;
}

function without(name: string): Array<[string, string]> {
  return BASE.filter(([n]) => n !== name);
}

function replace(name: string, value: string): Array<[string, string]> {
  return BASE.map(([n, v]) => [n, n === name ? value : v]);
}

describe('validateRequest', () => {
  test('a well-formed request is OK; Max-Forwards may be absent (RFC 2543)', () => {
    assert.deepEqual(validateRequest(request()), { ok: true });
    assert.deepEqual(validateRequest(request(without('Max-Forwards'))), { ok: true });
  });

  const cases: Array<[string, Array<[string, string]>, number, string, string?]> = [
    ['missing Via', without('Via'), 400, 'Missing Via Header'],
    ['missing From', without('From'), 400, 'Missing From Header'],
    ['missing To', without('To'), 400, 'Missing To Header'],
    ['missing Call-ID', without('Call-ID'), 400, 'Missing Call-ID Header'],
    ['missing CSeq', without('CSeq'), 400, 'Missing CSeq Header'],
    ['two Call-ID', [...BASE, ['i', 'other']], 400, 'Multiple Call-ID Headers'],
    ['two To', [...BASE, ['t', '<sip:x@y>']], 400, 'Multiple To Headers'],
    ['two Max-Forwards', [...BASE, ['Max-Forwards', '5']], 400, 'Multiple Max-Forwards Headers'],
    [
      'two Content-Type',
      [...BASE, ['c', 'a/b'], ['Content-Type', 'a/b']],
      400,
      'Multiple Content-Type Headers',
    ],
    ['CSeq method mismatch', replace('CSeq', '1 OPTIONS'), 400, 'CSeq Method Does Not Match Request Method'],
    ['CSeq overflow', replace('CSeq', '4294967296 INVITE'), 400, 'Malformed CSeq'],
    ['malformed Via', replace('Via', 'SIP/2.0/UDP h;;'), 400, 'Malformed Via'],
    ['malformed From', replace('From', '"unterminated <sip:a@b>'), 400, 'Malformed From'],
    ['malformed To', replace('To', 'Bell, Alexander <sip:a@b>'), 400, 'Malformed To'],
    ['malformed Contact', [...BASE, ['Contact', '<sip:a@b>;;']], 400, 'Malformed Contact'],
    ['star with others', [...BASE, ['Contact', '*, <sip:a@b>']], 400, 'Malformed Contact'],
    ['Max-Forwards 300', replace('Max-Forwards', '300'), 400, 'Invalid Max-Forwards'],
    ['Call-ID with SP', replace('Call-ID', 'a b'), 400, 'Malformed Call-ID'],
  ];
  for (const [name, headers, status, reason] of cases) {
    test(`${name}: ${status} ${reason}`, () => {
      assert.deepEqual(validateRequest(request(headers)), { ok: false, status, reason });
    });
  }

  test('R-URI schemes: sip, sips, tel OK; others 416 (RFC 3261 8.2.2.1)', () => {
    for (const uri of ['sips:bob@example.com', 'tel:+15551234']) {
      assert.deepEqual(validateRequest(request(BASE, `INVITE ${uri} SIP/2.0`)), { ok: true });
    }
    assert.deepEqual(validateRequest(request(BASE, 'INVITE mailto:bob@example.com SIP/2.0')), {
      ok: false,
      status: 416,
      reason: 'Unsupported URI Scheme',
    });
  });

  test('headers in the Request-URI: 400 (RFC 3261 19.1.1)', () => {
    const v = validateRequest(request(BASE, 'INVITE sip:bob@example.com?Route=%3Csip:x%3E SIP/2.0'));
    assert.deepEqual(v, { ok: false, status: 400, reason: 'Headers Not Allowed In Request-URI' });
  });

  test('Contact * alone is fine', () => {
    const reg = request(
      [...replace('CSeq', '2 REGISTER'), ['Contact', '*'], ['Expires', '0']],
      'REGISTER sip:example.com SIP/2.0',
    );
    assert.deepEqual(validateRequest(reg), { ok: true });
  });
});

describe('validateResponse', () => {
  const RES = BASE.filter(([n]) => n !== 'Max-Forwards');

  test('a well-formed response is OK', () => assert.deepEqual(validateResponse(response(RES)), { ok: true }));

  test('more than one Via: dropped by a UAC (RFC 3261 8.1.3.3), fine for a proxy', () => {
    const r = response([...RES, ['Via', 'SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK2']]);
    assert.deepEqual(validateResponse(r), { ok: false, reason: 'More Than One Via' });
    assert.deepEqual(validateResponse(r, { role: 'proxy' }), { ok: true });
  });

  test('proxy: next hop broadcast or multicast is dropped', () => {
    for (const host of ['255.255.255.255', '224.0.0.1', '239.1.2.3', '[ff02::1]']) {
      const r = response([...RES, ['Via', `SIP/2.0/UDP ${host};branch=z9hG4bK2`]]);
      assert.equal(validateResponse(r, { role: 'proxy' }).ok, false, host);
    }
  });

  test('missing or malformed headers drop the response', () => {
    assert.equal(validateResponse(response(RES.filter(([n]) => n !== 'Call-ID'))).ok, false);
    assert.equal(
      validateResponse(
        response(RES.map(([n, v]) => [n, n === 'CSeq' ? '9292394834772304023312 OPTIONS' : v])),
      ).ok,
      false,
    );
  });

  test('a built response with an out-of-range status is invalid', () => {
    const r = response(RES);
    r.status = 4294967301;
    assert.deepEqual(validateResponse(r), { ok: false, reason: 'Invalid Status-Code' });
  });
});
