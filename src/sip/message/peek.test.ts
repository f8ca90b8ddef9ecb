import { test } from 'node:test';
import assert from 'node:assert/strict';
import { peekMessage } from './peek.js';

const msg = (lines: string[]): Buffer => Buffer.from(`${lines.join('\r\n')}\r\n\r\n`);

test('tells responses, methods, credentials and in-dialog requests apart without parsing', () => {
  assert.equal(peekMessage(msg(['SIP/2.0 200 OK', 'Via: SIP/2.0/UDP h'])).response, true);
  const challengeless = peekMessage(msg(['OPTIONS sip:x SIP/2.0', 'Via: SIP/2.0/UDP h', 'To: <sip:x>']));
  assert.deepEqual(challengeless, {
    response: false,
    method: 'OPTIONS',
    credentials: false,
    inDialog: false,
  });
  const withAuth = peekMessage(
    msg(['REGISTER sip:x SIP/2.0', 'To: <sip:x>', 'authorization : Digest username="a"']),
  );
  assert.equal(withAuth.credentials, true);
  assert.equal(peekMessage(msg(['INVITE sip:x SIP/2.0', 'Proxy-Authorization: Digest x'])).credentials, true);
  assert.equal(peekMessage(msg(['BYE sip:x SIP/2.0', 't: <sip:x>;tag=abc'])).inDialog, true);
  assert.equal(peekMessage(msg(['INVITE sip:x SIP/2.0', 'To: <sip:x;tag=in-uri-only>'])).inDialog, true);
});

test('a credentials header in the body is not seen', () => {
  const b = Buffer.from('MESSAGE sip:x SIP/2.0\r\nTo: <sip:x>\r\n\r\nAuthorization: Digest fake\r\n');
  assert.equal(peekMessage(b).credentials, false);
});

test('garbage gives no exemptions', () => {
  const p = peekMessage(Buffer.from([0, 1, 2, 3, 0x0a, 0x0a]));
  assert.equal(p.response || p.credentials || p.inDialog, false);
});
