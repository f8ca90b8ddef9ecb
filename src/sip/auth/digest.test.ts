import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { FakeClock } from '../../util/clock.js';
import type { AuthValue } from '../message/types.js';
import { formatChallenge, parseAuthValue } from './auth-header.js';
import { DigestAuthenticator } from './digest.js';
import { computeDigestResponse } from './digest-response.js';
import { computeHa1, type DigestAlgorithm } from './ha1.js';

describe('computeDigestResponse: RFC 7616 section 3.9.1', () => {
  const example = {
    nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
    cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
    nc: '00000001',
    qop: 'auth' as const,
    uri: '/dir/index.html',
    method: 'GET',
  };
  const cases: Array<{ algorithm: DigestAlgorithm; response: string }> = [
    { algorithm: 'MD5', response: '8ca523f5e9506fed4657c9700eebdbec' },
    { algorithm: 'SHA-256', response: '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1' },
  ];
  for (const c of cases) {
    it(c.algorithm, () => {
      const ha1 = computeHa1(c.algorithm, 'Mufasa', 'http-auth@example.org', 'Circle of Life');
      assert.equal(computeDigestResponse({ ...example, algorithm: c.algorithm, ha1 }), c.response);
    });
  }
});

const REALM = 'acme.example.com';
const USER = 'alice';
const PASSWORD = 'correct horse';
const HA1 = {
  md5: computeHa1('MD5', USER, REALM, PASSWORD),
  sha256: computeHa1('SHA-256', USER, REALM, PASSWORD),
};

/** A UA answering one of our challenges, the way a phone would. */
function answer(
  challenge: string,
  o: {
    password?: string;
    nc?: number;
    method?: string;
    qop?: boolean;
    realm?: string;
    user?: string;
    /** The digest-uri hashed; `claimUri` (default the same) is the one the header names. */
    uri?: string;
    claimUri?: string;
  } = {},
): AuthValue {
  const ch = parseAuthValue(challenge)!;
  const algorithm = ch.params.get('algorithm') as DigestAlgorithm;
  const realm = o.realm ?? ch.params.get('realm')!;
  const user = o.user ?? USER;
  const nonce = ch.params.get('nonce')!;
  const uri = o.uri ?? 'sip:acme.example.com';
  const nc = (o.nc ?? 1).toString(16).padStart(8, '0');
  const cnonce = 'c0ffee42';
  const qop = o.qop === false ? undefined : ('auth' as const);
  const response = computeDigestResponse({
    algorithm,
    ha1: computeHa1(algorithm, user, realm, o.password ?? PASSWORD),
    nonce,
    uri,
    method: o.method ?? 'REGISTER',
    ...(qop ? { qop, nc, cnonce } : {}),
  });
  const qopPart = qop ? `, qop=auth, nc=${nc}, cnonce="${cnonce}"` : '';
  const header =
    `Digest username="${user}", realm="${realm}", nonce="${nonce}", uri="${o.claimUri ?? uri}", response="${response}", ` +
    `algorithm=${algorithm}, opaque="${ch.params.get('opaque')}"${qopPart}`;
  return parseAuthValue(header)!;
}

function setup(opts: { maxTrackedNonces?: number } = {}) {
  const clock = new FakeClock();
  const auth = new DigestAuthenticator({ clock, secret: Buffer.alloc(32, 7), ...opts });
  /** `ha1: null` = unknown user. */
  const verify = (credentials: AuthValue, ha1: typeof HA1 | null = HA1, method = 'REGISTER') =>
    auth.verify({ method, credentials, realm: REALM, ha1: ha1 ?? undefined });
  return { clock, auth, verify };
}

describe('DigestAuthenticator.challenge', () => {
  it('offers SHA-256 first, then MD5 (RFC 8760 section 2.4), with qop, nonce and opaque', () => {
    const { auth } = setup();
    const values = auth.challenge(REALM);
    assert.equal(values.length, 2);
    const [sha, md5] = values.map((v) => parseAuthValue(v)!);
    assert.equal(sha!.params.get('algorithm'), 'SHA-256');
    assert.equal(md5!.params.get('algorithm'), 'MD5');
    for (const c of [sha!, md5!]) {
      assert.equal(c.scheme, 'Digest');
      assert.equal(c.params.get('realm'), REALM);
      assert.equal(c.params.get('qop'), 'auth');
      assert.ok(c.params.get('nonce'));
      assert.ok(c.params.get('opaque'));
      assert.equal(c.params.has('stale'), false);
    }
    assert.match(auth.challenge(REALM, { stale: true })[0]!, /, stale=true$/);
    assert.notEqual(parseAuthValue(auth.challenge(REALM)[0]!)!.params.get('nonce'), sha!.params.get('nonce'));
  });

  it('builds each challenge as formatChallenge would, per realm and stale flag (the texts are kept)', () => {
    const { auth } = setup();
    for (const [realm, stale] of [
      [REALM, false],
      [REALM, true],
      [REALM, false],
      ['other.example.com', false],
      ['we\\ird"realm', true],
    ] as const) {
      for (const [i, value] of auth.challenge(realm, { stale }).entries()) {
        const c = parseAuthValue(value)!;
        const expected = formatChallenge({
          realm,
          nonce: c.params.get('nonce')!,
          opaque: c.params.get('opaque')!,
          algorithm: i === 0 ? 'SHA-256' : 'MD5',
          qop: 'auth',
          stale,
        });
        assert.equal(value, expected);
        assert.equal(c.params.get('realm'), realm);
        assert.equal(c.params.has('stale'), stale);
      }
    }
  });
});

describe('DigestAuthenticator.verify', () => {
  for (const index of [0, 1]) {
    const alg = index === 0 ? 'SHA-256' : 'MD5';
    it(`${alg}: ok, wrong password, unknown user, replay, next nc, stale`, () => {
      const { auth, verify, clock } = setup();
      const ch = auth.challenge(REALM)[index]!;
      assert.equal(verify(answer(ch)), 'ok');
      assert.equal(verify(answer(ch)), 'replay', 'the same nc again');
      assert.equal(verify(answer(ch, { nc: 2 })), 'ok');
      assert.equal(verify(answer(ch, { nc: 4 })), 'ok', 'gaps are fine (UDP reorders)');
      assert.equal(verify(answer(ch, { nc: 3 })), 'ok');
      assert.equal(verify(answer(ch, { nc: 2 })), 'replay');
      assert.equal(verify(answer(ch, { nc: 5, password: 'wrong' })), 'invalid');
      assert.equal(verify(answer(ch, { nc: 5 }), null), 'invalid', 'unknown user');
      assert.equal(verify(answer(ch, { nc: 5, user: 'mallory' }), null), 'invalid');
      assert.equal(verify(answer(ch, { nc: 5 }), HA1, 'INVITE'), 'invalid', 'digest covers the method');
      assert.equal(verify(answer(ch, { nc: 5, uri: 'sip:other.example.com' })), 'ok', 'another digest-uri');
      assert.equal(
        verify(answer(ch, { nc: 6, uri: 'sip:other.example.com', claimUri: 'sip:acme.example.com' })),
        'invalid',
        'digest covers the uri',
      );
      assert.equal(auth.counts().trackedNonces, 1);
      clock.advance(300_001);
      assert.equal(verify(answer(ch, { nc: 5 })), 'stale');
      assert.equal(
        verify(answer(ch, { nc: 6, password: 'wrong' })),
        'invalid',
        'stale only with a right digest',
      );
      const fresh = auth.challenge(REALM, { stale: true })[index]!;
      assert.equal(verify(answer(fresh)), 'ok');
    });
  }

  it('an expired nonce with a right digest is stale; the stale nonce is not tracked', () => {
    const { auth, verify, clock } = setup();
    const ch = auth.challenge(REALM)[0]!;
    clock.advance(300_000);
    assert.equal(verify(answer(ch, { nc: 1 })), 'ok', 'valid up to and including the TTL');
    const late = auth.challenge(REALM)[0]!;
    clock.advance(300_001);
    assert.equal(verify(answer(late)), 'stale');
    assert.equal(verify(answer(ch, { nc: 2 })), 'stale');
    assert.equal(auth.counts().trackedNonces, 0, 'expired entries are pruned');
  });

  it('qop-less (RFC 2069) nonces are single use', () => {
    const { auth, verify } = setup();
    const ch = auth.challenge(REALM)[1]!;
    assert.equal(verify(answer(ch, { qop: false })), 'ok');
    assert.equal(verify(answer(ch, { qop: false })), 'replay');
  });

  it('refuses nonces from another secret, another realm, or tampered ones', () => {
    const { verify } = setup();
    const other = new DigestAuthenticator({ clock: new FakeClock(), secret: Buffer.alloc(32, 8) });
    assert.equal(verify(answer(other.challenge(REALM)[0]!)), 'invalid');
    const mine = setup();
    const ch = mine.auth.challenge('other.example.com')[0]!;
    // Correct digest for realm other.example.com, presented for REALM: realm mismatch.
    assert.equal(mine.verify(answer(ch)), 'invalid');
    // Same digest, realm param rewritten to REALM: the nonce is bound to the realm it was minted for.
    assert.equal(mine.verify(answer(ch, { realm: REALM })), 'invalid');
    const good = answer(mine.auth.challenge(REALM)[0]!);
    const nonce = good.params.get('nonce')!;
    good.params.set('nonce', (nonce[0] === 'A' ? 'B' : 'A') + nonce.slice(1));
    assert.equal(mine.verify(good), 'invalid');
  });

  it('checks required parameters, algorithm and response length', () => {
    const { auth, verify } = setup();
    const ch = auth.challenge(REALM)[0]!;
    const mutations: Array<[string, (p: Map<string, string>) => void]> = [
      ['no username', (p) => p.delete('username')],
      ['no uri', (p) => p.delete('uri')],
      ['no nonce', (p) => p.delete('nonce')],
      ['no response', (p) => p.delete('response')],
      ['no realm', (p) => p.delete('realm')],
      ['realm mismatch', (p) => p.set('realm', 'ACME.example.com')],
      ['unknown algorithm', (p) => p.set('algorithm', 'SHA-512-256')],
      ['MD5-sess', (p) => p.set('algorithm', 'MD5-sess')],
      ['short response', (p) => p.set('response', p.get('response')!.slice(2))],
      ['non-hex response', (p) => p.set('response', 'z'.repeat(64))],
      ['MD5 length for SHA-256', (p) => p.set('response', p.get('response')!.slice(0, 32))],
      ['qop auth-int', (p) => p.set('qop', 'auth-int')],
      ['bad nc', (p) => p.set('nc', '1')],
      ['no cnonce', (p) => p.delete('cnonce')],
      ['userhash', (p) => p.set('userhash', 'true')],
    ];
    for (const [name, mutate] of mutations) {
      const cred = answer(ch);
      mutate(cred.params);
      assert.equal(verify(cred), 'invalid', name);
    }
    assert.equal(verify({ scheme: 'Basic', params: new Map() }), 'invalid');
    // Algorithm absent means MD5 (RFC 7616 section 3.4): the MD5 answer without the parameter still verifies.
    const md5 = answer(auth.challenge(REALM)[1]!);
    md5.params.delete('algorithm');
    assert.equal(verify(md5), 'ok');
  });

  it('never throws on garbage credentials', () => {
    const { verify } = setup();
    for (let i = 0; i < 500; i++) {
      const params = new Map<string, string>();
      for (const k of ['username', 'realm', 'nonce', 'uri', 'response', 'algorithm', 'qop', 'nc', 'cnonce']) {
        if (randomBytes(1)[0]! & 1) params.set(k, randomBytes(1 + (i % 80)).toString('latin1'));
      }
      params.set('realm', REALM);
      assert.doesNotThrow(() => verify({ scheme: 'Digest', params }));
      assert.doesNotThrow(() => verify({ scheme: 'Digest', params }, null));
    }
  });

  it('bounds the replay table and never re-opens a replay window on eviction', () => {
    const { auth, verify } = setup({ maxTrackedNonces: 2 });
    const a = auth.challenge(REALM)[0]!;
    const b = auth.challenge(REALM)[0]!;
    const c = auth.challenge(REALM)[0]!;
    assert.equal(verify(answer(a)), 'ok');
    assert.equal(verify(answer(b)), 'ok');
    assert.equal(verify(answer(c)), 'ok');
    assert.equal(auth.counts().trackedNonces, 2);
    // `a` was evicted: its nc=1 must not be accepted again; the client is told to fetch a new nonce.
    assert.equal(verify(answer(a)), 'stale');
    assert.equal(verify(answer(a, { nc: 2 })), 'stale');
    assert.equal(verify(answer(c)), 'replay');
  });
});
