import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Headers } from './headers.js';
import { parseMessage } from './parser.js';
import { createResponse, createResponseFromHeaders, reasonPhrase } from './response.js';
import { serializeMessage } from './serializer.js';
import type { SipRequest } from './types.js';

const INVITE =
  'INVITE sip:bob@example.com SIP/2.0\r\n' +
  'Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bK2, SIP/2.0/TCP p2.example.com;branch=z9hG4bK1\r\n' +
  'Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK0;received=192.0.2.1\r\n' +
  'Record-Route: <sip:proxy.example.com;lr>\r\n' +
  'From: "Alice" <sip:alice@example.com>;tag=a1\r\n' +
  'To: Bob <sip:bob@example.com>\r\n' +
  'Call-ID: c1@192.0.2.1\r\n' +
  'CSeq: 314 INVITE\r\n' +
  'Timestamp: 54.2\r\n' +
  'Max-Forwards: 69\r\n' +
  'Content-Type: application/sdp\r\n' +
  'Content-Length: 4\r\n\r\nv=0\n';

function invite(): SipRequest {
  const r = parseMessage(Buffer.from(INVITE));
  assert.ok(r.ok);
  return r.message as SipRequest;
}

describe('createResponse (RFC 3261 8.2.6)', () => {
  test('copies all Via lines in order, From, To, Call-ID, CSeq; adds the To tag; no request body or extras', () => {
    const res = createResponse(invite(), 486, undefined, { toTag: 'b2' });
    assert.equal(res.reason, 'Busy Here');
    assert.deepEqual(res.headers.entries(), [
      ['Via', 'SIP/2.0/UDP proxy.example.com;branch=z9hG4bK2, SIP/2.0/TCP p2.example.com;branch=z9hG4bK1'],
      ['Via', 'SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK0;received=192.0.2.1'],
      ['From', '"Alice" <sip:alice@example.com>;tag=a1'],
      ['To', 'Bob <sip:bob@example.com>;tag=b2'],
      ['Call-ID', 'c1@192.0.2.1'],
      ['CSeq', '314 INVITE'],
    ]);
    assert.equal(res.body.length, 0);
  });

  test('100 Trying: no To tag, Timestamp copied (8.2.6.1)', () => {
    const res = createResponse(invite(), 100, undefined, { toTag: 'b2' });
    assert.equal(res.headers.get('To'), 'Bob <sip:bob@example.com>');
    assert.equal(res.headers.get('Timestamp'), '54.2');
    assert.equal(createResponse(invite(), 180).headers.has('Timestamp'), false);
  });

  test('an existing To tag is kept', () => {
    const req = invite();
    req.headers.set('To', 'Bob <sip:bob@example.com>;tag=old');
    assert.equal(
      createResponse(req, 200, 'OK', { toTag: 'new' }).headers.get('To'),
      'Bob <sip:bob@example.com>;tag=old',
    );
  });

  test('extra headers, body, content type, Record-Route copy; serializer sets Content-Length', () => {
    const res = createResponse(invite(), 200, undefined, {
      toTag: 'b2',
      headers: [['Contact', '<sip:bob@192.0.2.4>']],
      body: Buffer.from('v=0\r\n'),
      contentType: 'application/sdp',
      copyRecordRoute: true,
    });
    assert.equal(res.headers.get('Record-Route'), '<sip:proxy.example.com;lr>');
    assert.equal(res.headers.get('Contact'), '<sip:bob@192.0.2.4>');
    assert.equal(res.headers.get('Content-Type'), 'application/sdp');
    const text = serializeMessage(res).toString();
    assert.ok(text.startsWith('SIP/2.0 200 OK\r\n'));
    assert.ok(text.endsWith('Content-Length: 5\r\n\r\nv=0\r\n'));
  });
});

describe('createResponseFromHeaders', () => {
  test('stateless 400 from the lines of a broken request', () => {
    const h = new Headers([
      ['v', 'SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK9'],
      ['f', 'sip:a@b;tag=1'],
      ['From', 'sip:dup@b;tag=2'],
      ['t', 'sip:c@d'],
      ['i', 'x'],
      ['CSeq', '1 INVITE'],
      ['Contact', '<sip:junk'],
    ]);
    const res = createResponseFromHeaders(h, 400, 'Malformed Contact', { toTag: 'z' });
    assert.ok(res);
    assert.equal(res.reason, 'Malformed Contact');
    assert.deepEqual(res.headers.entries(), [
      ['Via', 'SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK9'],
      ['From', 'sip:a@b;tag=1'],
      ['To', 'sip:c@d;tag=z'],
      ['Call-ID', 'x'],
      ['CSeq', '1 INVITE'],
    ]);
  });

  test('undefined without a Via', () => {
    assert.equal(createResponseFromHeaders(new Headers([['From', 'sip:a@b']]), 400), undefined);
  });
});

describe('reasonPhrase', () => {
  const table: Array<[number, string]> = [
    [100, 'Trying'],
    [200, 'OK'],
    [401, 'Unauthorized'],
    [416, 'Unsupported URI Scheme'],
    [420, 'Bad Extension'],
    [423, 'Interval Too Brief'],
    [481, 'Call/Transaction Does Not Exist'],
    [483, 'Too Many Hops'],
    [505, 'Version Not Supported'],
    [513, 'Message Too Large'],
    [603, 'Decline'],
    [299, 'Success'],
    [499, 'Client Error'],
  ];
  for (const [code, phrase] of table)
    test(`${code} ${phrase}`, () => assert.equal(reasonPhrase(code), phrase));
});
