import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SipUri } from './types.js';
import { formatUri, isUri, parseUri } from './uri.js';

function sip(s: string): SipUri {
  const u = parseUri(s);
  assert.ok(u && (u.scheme === 'sip' || u.scheme === 'sips'), `not a SIP URI: ${s}`);
  return u as SipUri;
}

describe('parseUri', () => {
  test('full sip URI: user, password, host lower-cased, port, params, headers', () => {
    const u = sip(
      'SIP:Alice:secret@Example.COM:5070;Transport=TCP;lr;maddr=[2001:db8::1]?Subject=hi&Priority=',
    );
    assert.equal(u.scheme, 'sip');
    assert.equal(u.user, 'Alice');
    assert.equal(u.password, 'secret');
    assert.equal(u.host, 'example.com');
    assert.equal(u.port, 5070);
    assert.deepEqual(
      [...u.params],
      [
        ['transport', 'TCP'],
        ['lr', null],
        ['maddr', '[2001:db8::1]'],
      ],
    );
    assert.deepEqual(
      [...u.headers],
      [
        ['Subject', 'hi'],
        ['Priority', ''],
      ],
    );
  });

  test('IPv6 reference host, sips, no user', () => {
    const u = sip('sips:[2001:DB8::10]:5061');
    assert.equal(u.scheme, 'sips');
    assert.equal(u.host, '[2001:db8::10]');
    assert.equal(u.port, 5061);
    assert.equal(u.user, undefined);
  });

  test('escapes are kept, never decoded', () => {
    const u = sip('sip:null-%00-null@example.com;n%61me=v%61lue%25%34%31');
    assert.equal(u.user, 'null-%00-null');
    assert.equal(u.params.get('n%61me'), 'v%61lue%25%34%31');
  });

  test('user part with ; ? / (user-unreserved)', () => {
    assert.equal(sip('sip:user;par=u%40example.net@example.com').user, 'user;par=u%40example.net');
  });

  test('other schemes are opaque absolute URIs with a lower-cased scheme', () => {
    assert.deepEqual(parseUri('tel:+1-201-555-0123;phone-context=example.com'), {
      scheme: 'tel',
      opaque: '+1-201-555-0123;phone-context=example.com',
    });
    assert.deepEqual(parseUri('Soap.BEEP://192.0.2.103:3002'), {
      scheme: 'soap.beep',
      opaque: '//192.0.2.103:3002',
    });
    assert.deepEqual(parseUri('urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6'), {
      scheme: 'urn',
      opaque: 'uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6',
    });
  });

  const invalid: Array<[string, string]> = [
    ['', 'empty'],
    ['sip:', 'no host'],
    ['sip:user@', 'no host after @'],
    ['sip:a@b@c', 'two @'],
    ['sip:user@example.com; lr', 'embedded SP (RFC 4475 lwsruri)'],
    [' sip:a@b', 'leading SP'],
    ['<sip:user@example.com>', 'angle brackets (RFC 4475 ltgtruri)'],
    ['sip:a@b:99999', 'port out of range'],
    ['sip:a@b:', 'empty port'],
    ['sip:a@b;', 'empty parameter'],
    ['sip:a@b;x=', 'empty parameter value'],
    ['sip:%4@b', 'truncated escape'],
    ['sip:%zz@b', 'bad escape'],
    ['sip:a@[::1', 'unterminated IPv6 reference'],
    ['sip:a@[zz]', 'bad IPv6 reference'],
    ['sip:a@b?x', 'URI header without ='],
    ['sip:a@b>', 'trailing junk'],
    ['1sip:a@b', 'scheme must start with a letter'],
    ['foo:', 'empty opaque part'],
    ['foo:a b', 'SP in opaque part'],
    ['foo:<x>', 'angle bracket in opaque part'],
    ['sip:a\u00e9@b', 'non-ASCII'],
  ];
  for (const [s, why] of invalid)
    test(`rejects ${JSON.stringify(s)}: ${why}`, () => assert.equal(parseUri(s), undefined));

  test('isUri, the check without building, agrees with parseUri', () => {
    const valid = [
      'sip:alice:pw@example.com:5060;transport=tcp;lr?subject=x&h=',
      'sips:[2001:db8::1]:5061;maddr=[::1]',
      'sip:a@b;x;y=1;x=2',
      'tel:+15551234',
    ];
    for (const s of [...valid, ...invalid.map((c) => c[0])])
      assert.equal(isUri(s), parseUri(s) !== undefined, s);
  });
});

describe('formatUri', () => {
  const roundTrip = [
    'sip:alice@example.com',
    'sip:alice:pw@example.com:5060;transport=tcp;lr',
    'sips:[2001:db8::1]:5061;maddr=[::1]',
    'sip:user@example.com?Route=%3Csip:sip.example.com%3E',
    'sip:a@b?h1=x&h2=',
    'tel:+15551234',
    'urn:service:sos',
  ];
  for (const s of roundTrip) test(`round trip ${s}`, () => assert.equal(formatUri(parseUri(s)!), s));

  test('normalizes scheme, host and parameter-name case', () => {
    assert.equal(
      formatUri(parseUri('SIP:Bob@EXAMPLE.com;TRANSPORT=UDP')!),
      'sip:Bob@example.com;transport=UDP',
    );
  });
});
