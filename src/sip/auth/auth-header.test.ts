import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { formatChallenge, MAX_AUTH_VALUE_LENGTH, parseAuthValue } from './auth-header.js';

describe('parseAuthValue', () => {
  const ok: Array<{ in: string; scheme: string; params: Record<string, string> }> = [
    {
      in: 'Digest username="bob", realm="biloxi.com", nonce="dcd98b", uri="sip:bob@biloxi.com", response="245f2341", algorithm=MD5, qop=auth, nc=00000001, cnonce="0a4f113b"',
      scheme: 'Digest',
      params: {
        username: 'bob',
        realm: 'biloxi.com',
        nonce: 'dcd98b',
        uri: 'sip:bob@biloxi.com',
        response: '245f2341',
        algorithm: 'MD5',
        qop: 'auth',
        nc: '00000001',
        cnonce: '0a4f113b',
      },
    },
    { in: 'Digest', scheme: 'Digest', params: {} },
    { in: '  digest   REALM = "a b" ,, Nonce="x"  ', scheme: 'digest', params: { realm: 'a b', nonce: 'x' } },
    {
      in: 'Digest realm="q\\"uo\\\\te", nonce=""',
      scheme: 'Digest',
      params: { realm: 'q"uo\\te', nonce: '' },
    },
    {
      in: 'Digest realm="a,b", qop="auth,auth-int"',
      scheme: 'Digest',
      params: { realm: 'a,b', qop: 'auth,auth-int' },
    },
    { in: 'Digest\r\n realm="x"', scheme: 'Digest', params: { realm: 'x' } },
    // quoted-pairs at either end of the text, an escaped backslash just before the closing quote
    { in: 'Digest realm="\\a\\\\", nonce=n', scheme: 'Digest', params: { realm: 'a\\', nonce: 'n' } },
  ];
  for (const c of ok) {
    it(`parses ${JSON.stringify(c.in).slice(0, 60)}`, () => {
      const v = parseAuthValue(c.in);
      assert.ok(v);
      assert.equal(v.scheme, c.scheme);
      assert.deepEqual(Object.fromEntries(v.params), c.params);
    });
  }

  const bad = [
    '',
    '   ',
    '"Digest"',
    'Digest realm',
    'Digest realm=',
    'Digest realm="unterminated',
    'Digest realm="x\\',
    'Digest realm="a" nonce="b"',
    'Digest realm="a", realm="b"',
    'Digest =x',
    'Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==',
    'Digest ' + 'a=b,'.repeat(40),
    'Digest realm="' + 'x'.repeat(MAX_AUTH_VALUE_LENGTH) + '"',
  ];
  for (const s of bad) {
    it(`refuses ${JSON.stringify(s).slice(0, 50)}`, () => {
      assert.equal(parseAuthValue(s), undefined);
    });
  }

  it('never throws on random garbage or non-strings', () => {
    for (let i = 0; i < 2000; i++) {
      const bytes = randomBytes(1 + (i % 200));
      assert.doesNotThrow(() => parseAuthValue(bytes.toString('latin1')));
      assert.doesNotThrow(() => parseAuthValue('Digest ' + bytes.toString('latin1')));
    }
    for (const v of [undefined, null, 42, {}, []]) {
      assert.equal(parseAuthValue(v as unknown as string), undefined);
    }
  });
});

describe('formatChallenge', () => {
  it('quotes strings, leaves tokens bare, and round-trips through the parser', () => {
    const s = formatChallenge({
      realm: 'a"b\\c',
      nonce: 'n1',
      opaque: 'o',
      algorithm: 'SHA-256',
      stale: true,
    });
    assert.equal(
      s,
      'Digest realm="a\\"b\\\\c", nonce="n1", opaque="o", algorithm=SHA-256, qop="auth", stale=true',
    );
    assert.deepEqual(Object.fromEntries(parseAuthValue(s)!.params), {
      realm: 'a"b\\c',
      nonce: 'n1',
      opaque: 'o',
      algorithm: 'SHA-256',
      qop: 'auth',
      stale: 'true',
    });
  });

  it('refuses CR/LF in values (header injection)', () => {
    assert.throws(() => formatChallenge({ realm: 'a\r\nVia: x', nonce: 'n', algorithm: 'MD5' }), RangeError);
  });
});
