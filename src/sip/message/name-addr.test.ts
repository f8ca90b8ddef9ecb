import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Headers } from './headers.js';
import {
  contactsValid,
  formatNameAddr,
  isNameAddr,
  parseContacts,
  parseNameAddr,
  parseNameAddrList,
  tagOf,
  tagOfValue,
} from './name-addr.js';
import { formatUri } from './uri.js';

describe('parseNameAddr', () => {
  const cases: Array<[string, string | undefined, string, Array<[string, string | null]>]> = [
    ['"Alice" <sip:alice@example.com>;tag=1', 'Alice', 'sip:alice@example.com', [['tag', '1']]],
    ['Alice Smith <sip:alice@example.com>', 'Alice Smith', 'sip:alice@example.com', []],
    ['caller<sip:caller@example.com>;tag=323', 'caller', 'sip:caller@example.com', [['tag', '323']]],
    ['<sip:a@b;lr>', undefined, 'sip:a@b;lr', []],
    ['sip:a@b;tag=x', undefined, 'sip:a@b', [['tag', 'x']]],
    ['sip:a@b ;  TAG = x', undefined, 'sip:a@b', [['tag', 'x']]],
    ['"\\"q\\" \\\\" <sip:a@b>', '"q" \\', 'sip:a@b', []],
    ['"" <sip:a@b>', '', 'sip:a@b', []],
    ['<tel:+123>;x="a;b,c"', undefined, 'tel:+123', [['x', '"a;b,c"']]],
    ['isbn:2983792873', undefined, 'isbn:2983792873', []],
  ];
  for (const [input, dn, uri, params] of cases) {
    test(input, () => {
      const na = parseNameAddr(input);
      assert.ok(na);
      assert.equal(na.displayName, dn);
      assert.equal(formatUri(na.uri), uri);
      assert.deepEqual([...na.params], params);
    });
  }

  test('addr-spec: parameters after ; belong to the header (RFC 3261 20.10, RFC 4475 cparam01/02)', () => {
    const a = parseNameAddr('sip:+19725552222@gw1.example.net;unknownparam')!;
    assert.equal(a.params.get('unknownparam'), null);
    const b = parseNameAddr('<sip:+19725552222@gw1.example.net;unknownparam>')!;
    assert.equal(b.params.size, 0);
    assert.equal(formatUri(b.uri), 'sip:+19725552222@gw1.example.net;unknownparam');
  });

  const invalid: Array<[string, string]> = [
    ['"Mr. J. User <sip:j.user@example.com>', 'unterminated quote (quotbal)'],
    ['Bell, Alexander <sip:a.g.bell@example.com>', 'comma in unquoted display name (baddn)'],
    ['"Watson, Thomas" < sip:t.watson@example.org >', 'LWS inside <> (badaspec)'],
    ['sip:user@example.com?Route=%3Csip:sip.example.com%3E', 'addr-spec with ? (regbadct)'],
    ['"Joe" <sip:joe@example.org>;;;;', 'empty parameters (badinv01)'],
    ['<sip:a@b', 'unterminated <'],
    ['<sip:a@b>x', 'junk after >'],
    ['<sip:a@b>;tag=', 'empty parameter value'],
    ['<sip:a@b>;x="abc', 'unterminated quoted value'],
    ['"A" sip:a@b', 'quoted display name without <>'],
    ['', 'empty'],
    ['sip:a@b, sip:c@d', 'two values where one is expected'],
  ];
  for (const [s, why] of invalid)
    test(`rejects ${JSON.stringify(s)}: ${why}`, () => assert.equal(parseNameAddr(s), undefined));

  test('isNameAddr, the check without building, agrees with parseNameAddr', () => {
    const more = [
      '<sip:a@b:99999>',
      '<sip:a@b;x=>',
      '<sip:a%zz@b>',
      '<sip:a@b?h=1>',
      '<sip:a@b?h>',
      '"a\\" <sip:a@b>;tag="x"',
      '<sip:a@[::1]:5060;transport=tcp>;+sip.instance="<urn:uuid:1>";reg-id=1',
    ];
    for (const s of [...cases.map((c) => c[0]), ...invalid.map((c) => c[0]), ...more])
      assert.equal(isNameAddr(s), parseNameAddr(s) !== undefined, s);
  });
});

describe('parseNameAddrList and parseContacts', () => {
  test('commas inside quotes and <> do not split', () => {
    const l = parseNameAddrList('"Doe, John" <sip:j,k@a;x=1>, <sip:b@c>;q=0.5, sip:d@e')!;
    assert.deepEqual(
      l.map((n) => [n.displayName, formatUri(n.uri)]),
      [
        ['Doe, John', 'sip:j,k@a;x=1'],
        [undefined, 'sip:b@c'],
        [undefined, 'sip:d@e'],
      ],
    );
    assert.equal(l[1]!.params.get('q'), '0.5');
  });

  test('empty element is malformed', () =>
    assert.equal(parseNameAddrList('<sip:a@b>,,<sip:c@d>'), undefined));

  test('contactsValid, the check without building, agrees with parseContacts', () => {
    const sets: Array<Array<[string, string]>> = [
      [],
      [['Contact', '*']],
      [['Contact', ' * ']],
      [
        ['Contact', '*'],
        ['m', '<sip:a@b>'],
      ],
      [
        ['m', '<sip:a@b>'],
        ['Contact', '*'],
      ],
      [['Contact', '*, <sip:a@b>']],
      [
        ['Contact', '<sip:a@b>, <sip:c@d>'],
        ['m', 'sip:e@f;expires=0'],
      ],
      [['Contact', '<sip:a@b>,,<sip:c@d>']],
      [['Contact', '<sip:a@b>;expires=']],
      [['Contact', '"Doe, John" <sip:j,k@a;x=1>, <sip:b@c>;q=0.5']],
    ];
    for (const lines of sets) {
      const h = new Headers(lines);
      assert.equal(contactsValid(h), parseContacts(h) !== undefined, JSON.stringify(lines));
    }
  });

  test('star only where allowed and alone', () => {
    assert.equal(parseNameAddrList(' * ', { allowStar: true }), '*');
    assert.equal(parseNameAddrList('*'), undefined);
    assert.equal(parseContacts(new Headers([['Contact', '*']])), '*');
    assert.equal(
      parseContacts(
        new Headers([
          ['Contact', '*'],
          ['m', '<sip:a@b>'],
        ]),
      ),
      undefined,
    );
    assert.deepEqual(parseContacts(new Headers()), []);
    const two = parseContacts(
      new Headers([
        ['Contact', '<sip:a@b>, <sip:c@d>'],
        ['m', 'sip:e@f;expires=0'],
      ]),
    );
    assert.ok(Array.isArray(two));
    assert.equal(two.length, 3);
  });
});

describe('formatNameAddr', () => {
  test('always bracketed; display name quoted and escaped; params kept', () => {
    const na = parseNameAddr('sip:+1@gw;unknownparam;expires=60')!;
    assert.equal(formatNameAddr(na), '<sip:+1@gw>;unknownparam;expires=60');
    const q = parseNameAddr('"J Rosenberg \\\\\\"" <sip:jdrosen@example.com>;tag=98asjd8')!;
    assert.equal(q.displayName, 'J Rosenberg \\"');
    assert.equal(formatNameAddr(q), '"J Rosenberg \\\\\\"" <sip:jdrosen@example.com>;tag=98asjd8');
    assert.deepEqual(parseNameAddr(formatNameAddr(q)), q);
  });

  test('tagOf', () => {
    assert.equal(tagOf(parseNameAddr('<sip:a@b>;TAG=Xy')!), 'Xy');
    assert.equal(tagOf(parseNameAddr('<sip:a@b>')!), undefined);
  });
});

describe('tagOfValue', () => {
  test('finds the tag header parameter, whatever its case, and nothing else', () => {
    assert.equal(tagOfValue('<sip:a@b.example>;tag=x1'), 'x1');
    assert.equal(tagOfValue('"A" <sip:a@b.example> ; TaG = x2'), 'x2');
    assert.equal(tagOfValue('sip:a@b.example;tag=x3'), 'x3');
    assert.equal(tagOfValue('<sip:a@b.example>'), undefined);
    // the letters alone, or a URI parameter named tag, are no tag parameter
    assert.equal(tagOfValue('<sip:tagger@b.example>'), undefined);
    assert.equal(tagOfValue('<sip:a@b.example;tag=u>'), undefined);
    // unparsable values have no tag
    assert.equal(tagOfValue('<sip:a@b.example;tag=x4'), undefined);
  });

  test('reads what parseNameAddr would give, without building the value', () => {
    const values = [
      '<sip:a@b>;tag=1;x=2',
      '<sip:a@b>;x=2;tag=1;tag=3',
      '<sip:a@b>;tag',
      '<sip:a@b>;tag="q"',
      'sip:a@b;lr;tag=5',
      '<sip:a@b:99999>;tag=6',
      '<sip:a@b>;tag=7;;',
      '"tag" <sip:tag@tag;tag=8>',
      'Tag <sip:a@b> ; tag = 9',
    ];
    for (const v of values) {
      const na = parseNameAddr(v);
      assert.equal(tagOfValue(v), na ? tagOf(na) : undefined, v);
    }
  });
});
