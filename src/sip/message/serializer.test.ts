import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Headers } from './headers.js';
import { parseMessage } from './parser.js';
import { serializeMessage } from './serializer.js';
import type { SipRequest, SipResponse } from './types.js';
import { parseUri } from './uri.js';

describe('serializeMessage', () => {
  test('request: start line, headers in order, Content-Length from the body', () => {
    const req: SipRequest = {
      type: 'request',
      method: 'MESSAGE',
      uri: parseUri('sip:bob@example.com;transport=tcp')!,
      version: 'SIP/2.0',
      headers: new Headers([
        ['v', 'SIP/2.0/TCP h;branch=z9hG4bK1'],
        ['Content-Length', '999'],
        ['To', '<sip:bob@example.com>'],
        ['l', '3'],
      ]),
      body: Buffer.from('hé'),
    };
    assert.equal(
      serializeMessage(req).toString('utf8'),
      'MESSAGE sip:bob@example.com;transport=tcp SIP/2.0\r\n' +
        'Via: SIP/2.0/TCP h;branch=z9hG4bK1\r\n' +
        'Content-Length: 3\r\n' +
        'To: <sip:bob@example.com>\r\n' +
        '\r\nhé',
    );
  });

  test('response without Content-Length gets one appended', () => {
    const res: SipResponse = {
      type: 'response',
      version: 'SIP/2.0',
      status: 200,
      reason: 'OK',
      headers: new Headers([['CSeq', '1 OPTIONS']]),
      body: Buffer.alloc(0),
    };
    assert.equal(
      serializeMessage(res).toString(),
      'SIP/2.0 200 OK\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n',
    );
  });

  test('CR/LF in values cannot inject header lines', () => {
    const res: SipResponse = {
      type: 'response',
      version: 'SIP/2.0',
      status: 200,
      reason: 'OK\r\nX-Evil: 1',
      headers: new Headers([['Subject', 'a\r\nX-Evil: 2\r\n\r\nbody']]),
      body: Buffer.alloc(0),
    };
    const r = parseMessage(serializeMessage(res));
    assert.ok(r.ok);
    assert.equal(r.message.headers.has('X-Evil'), false);
    assert.equal(r.message.headers.get('Subject'), 'a  X-Evil: 2    body');
  });

  test('round trip: parse(serialize(parse(x))) equals parse(x), binary body included', () => {
    const body = Buffer.from([0x00, 0x0d, 0x0a, 0xff, 0x41]);
    const src = Buffer.concat([
      Buffer.from(
        'INVITE sip:bob@example.com SIP/2.0\r\n' +
          'v: SIP/2.0/UDP a;branch=z9hG4bK1\r\n' +
          'Subject: folded\r\n  value\r\n' +
          'From: "Jürgen" <sip:j@example.com>;tag=1\r\n' +
          `l: ${body.length}\r\n\r\n`,
        'utf8',
      ),
      body,
      Buffer.from('trailing junk'),
    ]);
    const first = parseMessage(src);
    assert.ok(first.ok);
    const bytes = serializeMessage(first.message);
    const second = parseMessage(bytes);
    assert.ok(second.ok);
    assert.deepEqual(second.message, first.message);
    // And serializing again is byte-identical.
    assert.deepEqual(serializeMessage(second.message), bytes);
  });
});
