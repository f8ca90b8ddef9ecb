import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseMessage } from './parser.js';
import type { ParseResult, SipRequest, SipResponse } from './types.js';

const REQ =
  'OPTIONS sip:bob@example.com SIP/2.0\r\n' +
  'Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n' +
  'f: <sip:alice@example.com>;tag=1\r\n' +
  't: <sip:bob@example.com>\r\n' +
  'i: abc@192.0.2.1\r\n' +
  'CSeq: 1 OPTIONS\r\n' +
  'Max-Forwards: 70\r\n';

function req(s: string | Buffer): SipRequest {
  const r = parseMessage(typeof s === 'string' ? Buffer.from(s, 'latin1') : s);
  assert.ok(r.ok, !r.ok ? r.reason : '');
  assert.equal(r.message.type, 'request');
  return r.message as SipRequest;
}

function failure(s: string | Buffer): Extract<ParseResult, { ok: false }> {
  const r = parseMessage(typeof s === 'string' ? Buffer.from(s, 'latin1') : s);
  assert.ok(!r.ok, 'expected a parse failure');
  return r;
}

describe('parseMessage: start line', () => {
  test('request line, compact names expanded, Content-Length framing', () => {
    const m = req(REQ + 'l: 5\r\n\r\nhello world');
    assert.equal(m.method, 'OPTIONS');
    assert.equal(m.version, 'SIP/2.0');
    assert.equal(m.headers.get('From'), '<sip:alice@example.com>;tag=1');
    assert.equal(m.headers.get('Call-ID'), 'abc@192.0.2.1');
    assert.equal(m.body.toString(), 'hello');
  });

  test('status line; reason may be empty or missing its SP', () => {
    const r = parseMessage(Buffer.from('SIP/2.0 180 Ringing Now\r\nVia: SIP/2.0/UDP h\r\n\r\n'));
    assert.ok(r.ok);
    const res = r.message as SipResponse;
    assert.deepEqual([res.type, res.status, res.reason], ['response', 180, 'Ringing Now']);
    const bare = parseMessage(Buffer.from('SIP/2.0 100\r\n\r\n'));
    assert.ok(bare.ok && (bare.message as SipResponse).reason === '');
  });

  test('leading CRLFs are ignored (RFC 3261 7.5)', () => {
    assert.equal(req('\r\n\r\n' + REQ + '\r\n').method, 'OPTIONS');
  });

  test('extra and trailing SP in the request line are tolerated, SP inside the URI is not', () => {
    assert.equal(
      req(
        REQ.replace('OPTIONS sip:bob@example.com SIP/2.0', 'OPTIONS  sip:bob@example.com  SIP/2.0  ') +
          '\r\n',
      ).method,
      'OPTIONS',
    );
    assert.equal(
      failure(REQ.replace('sip:bob@example.com SIP', 'sip:bob@example.com; lr SIP') + '\r\n').reason,
      'Bad Request-URI',
    );
  });

  const bad: Array<[string, number, string]> = [
    ['OPTIONS sip:a@b SIP/3.0', 505, 'other SIP version'],
    ['OPTIONS sip:a@b sip/2.0x', 400, 'not a SIP-Version'],
    ['OPTIONS sip:a@b', 400, 'no version'],
    ['OPTIONS', 400, 'method only'],
    ['OPT/IONS sip:a@b SIP/2.0', 400, 'method not a token'],
    ['OPTIONS <sip:a@b> SIP/2.0', 400, 'R-URI in <>'],
    ['SIP/2.0 4294967301 big', 400, 'status code too long'],
    ['SIP/2.0 099 low', 400, 'status code below 100'],
    ['SIP/2.0 700 high', 400, 'status code above 699'],
    ['SIP/2.0 2x0 bad', 400, 'status code not digits'],
    ['SIP/1.0 200 OK', 505, 'response with other version'],
    ['SIP/2.0 200 O\rK', 400, 'bare CR in the reason phrase'],
  ];
  for (const [line, status, why] of bad) {
    test(`${line}: ${status} (${why})`, () => {
      const f = failure(line + '\r\nVia: SIP/2.0/UDP h\r\n\r\n');
      assert.equal(f.status, status);
      assert.equal(f.isRequest, !line.startsWith('SIP/'));
      assert.equal(f.headers?.get('Via'), 'SIP/2.0/UDP h');
    });
  }
});

describe('parseMessage: header section', () => {
  test('folding joins continuation lines with one SP; HCOLON allows LWS before the colon', () => {
    const m = req(REQ + 'Subject  :\r\n  first\r\n\tsecond  \r\nX-Empty:\r\n\r\n');
    assert.equal(m.headers.get('Subject'), 'first second');
    assert.equal(m.headers.get('X-Empty'), '');
  });

  test('bare LF line endings are tolerated', () => {
    const m = req(REQ.replace(/\r\n/g, '\n') + '\nbody');
    assert.equal(m.headers.get('CSeq'), '1 OPTIONS');
    assert.equal(m.body.toString(), 'body');
  });

  test('UTF-8 values decoded; invalid UTF-8 falls back to latin1 without losing bytes', () => {
    const utf = req(Buffer.concat([Buffer.from(REQ), Buffer.from('Subject: Grüße\r\n\r\n', 'utf8')]));
    assert.equal(utf.headers.get('Subject'), 'Grüße');
    const latin = req(
      Buffer.concat([Buffer.from(REQ), Buffer.from('Subject: M\xfcller\xa0\r\n\r\n', 'latin1')]),
    );
    assert.equal(latin.headers.get('Subject'), 'M\u00fcller\u00a0');
  });

  const bad: Array<[string, string]> = [
    ['No colon here\r\n', 'Malformed Header Line'],
    ['Bad Name: x\r\n', 'Malformed Header Line'],
    [': empty name\r\n', 'Malformed Header Line'],
    ['X: a\rb\r\n', 'Bare CR in Header'],
  ];
  for (const [line, reason] of bad) {
    test(`${JSON.stringify(line)}: ${reason}, with the headers read before it`, () => {
      const f = failure(REQ + line + 'Contact: <sip:x@y>\r\n\r\n');
      assert.equal(f.status, 400);
      assert.equal(f.reason, reason);
      assert.equal(f.headers?.get('CSeq'), '1 OPTIONS');
    });
  }

  test('a continuation line right after the start line is malformed', () => {
    const f = failure('OPTIONS sip:a@b SIP/2.0\r\n folded: x\r\nVia: SIP/2.0/UDP h\r\n\r\n');
    assert.equal(f.reason, 'Continuation Line Without Header');
  });

  test('no empty line: incomplete header section', () => {
    assert.equal(failure(REQ).reason, 'Incomplete Header Section');
  });

  test('empty and CRLF-only datagrams fail', () => {
    assert.equal(failure('').reason, 'Empty Message');
    assert.equal(failure('\r\n\r\n').reason, 'Empty Message');
  });
});

describe('parseMessage: body framing (RFC 3261 18.3)', () => {
  test('octets after Content-Length are ignored', () => {
    assert.equal(req(REQ + 'Content-Length: 2\r\n\r\nabcdef').body.toString(), 'ab');
  });

  test('no Content-Length: the body is the rest of the datagram', () => {
    assert.equal(req(REQ + '\r\nrest of it').body.toString(), 'rest of it');
  });

  test('binary body is kept byte for byte', () => {
    const body = Buffer.from([0, 1, 2, 0x0d, 0x0a, 0x0d, 0x0a, 0xff, 0xfe]);
    const m = req(Buffer.concat([Buffer.from(REQ + `Content-Length: ${body.length}\r\n\r\n`), body]));
    assert.deepEqual(m.body, body);
  });

  test('equal duplicate Content-Length values frame normally (validation reports the duplicate)', () => {
    assert.equal(req(REQ + 'Content-Length: 1\r\nl: 01\r\n\r\nxy').body.toString(), 'x');
  });

  const bad: Array<[string, string]> = [
    ['Content-Length: 10\r\n\r\nshort', 'Content-Length Larger Than Message'],
    ['Content-Length: -1\r\n\r\n', 'Invalid Content-Length'],
    ['Content-Length: five\r\n\r\n', 'Invalid Content-Length'],
    ['Content-Length: 1 2\r\n\r\n', 'Invalid Content-Length'],
    ['Content-Length: 99999999999999999999999\r\n\r\n', 'Invalid Content-Length'],
    ['Content-Length: 1\r\nContent-Length: 2\r\n\r\nab', 'Conflicting Content-Length'],
  ];
  for (const [lines, reason] of bad) {
    test(reason + ': ' + JSON.stringify(lines.split('\r\n')[0]), () => {
      const f = failure(REQ + lines);
      assert.equal(f.status, 400);
      assert.equal(f.reason, reason);
      assert.equal(f.isRequest, true);
    });
  }

  test('maxSize: 513 above the limit', () => {
    const msg = Buffer.from(REQ + '\r\n' + 'x'.repeat(100));
    assert.equal(failure(parseMessageInput(msg)).status, 513);
    function parseMessageInput(b: Buffer): Buffer {
      return Buffer.concat([b, Buffer.alloc(65536 - b.length + 1, 0x78)]);
    }
    const r = parseMessage(msg, { maxSize: 50 });
    assert.ok(!r.ok);
    assert.equal(r.status, 513);
  });

  test('accepts a Uint8Array as well as a Buffer', () => {
    const r = parseMessage(new Uint8Array(Buffer.from(REQ + '\r\n')) as Buffer);
    assert.ok(r.ok);
  });
});
