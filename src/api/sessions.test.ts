import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LOGINS, startTestApi, type TestApi } from './test-api.js';

describe('api: sessions', () => {
  let t: TestApi;
  before(async () => {
    t = await startTestApi();
  });
  after(() => t.close());

  it('logs in with 201, a token and an ISO expiry; the token opens /me', async () => {
    const r = await t.call(undefined, 'POST', '/api/v1/sessions', LOGINS.anna);
    assert.equal(r.status, 201);
    assert.match(String(r.json['token']), /^[A-Za-z0-9_-]{43}$/);
    assert.ok(Date.parse(String(r.json['expiresAt'])) > Date.now());
    const me = await t.call(String(r.json['token']), 'GET', '/api/v1/me');
    assert.equal(me.status, 200);
    assert.equal(me.json['extension'], '100');
    assert.equal(me.json['role'], 'admin');
    assert.equal(me.json['tenant'], 'acme');
  });

  it('answers a wrong password, an unknown user, a workplace without login and an unknown domain alike', async () => {
    const bodies = [];
    for (const who of [
      { ...LOGINS.ben, password: 'Wrong-Pa55word-x' },
      { ...LOGINS.ben, extension: '199' },
      { ...LOGINS.ben, extension: '102' },
      { ...LOGINS.ben, domain: 'nowhere.example' },
    ]) {
      const started = process.hrtime.bigint();
      const r = await t.call(undefined, 'POST', '/api/v1/sessions', who);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      assert.equal(r.status, 401);
      bodies.push(JSON.stringify(r.json));
      // Each costs one argon2 verification: none answers in next to no time.
      assert.ok(ms > 5, `${who.extension}@${who.domain} answered in ${ms} ms`);
    }
    assert.equal(new Set(bodies).size, 1, bodies.join('\n'));
    assert.equal(JSON.parse(bodies[0]!).error, 'INVALID_CREDENTIALS');
  });

  it('401 without a token, with a malformed one and with an unknown one', async () => {
    for (const token of [undefined, 'x', 'A'.repeat(43)]) {
      const r = await t.call(token, 'GET', '/api/v1/me');
      assert.equal(r.status, 401);
      assert.equal(r.json.error, 'UNAUTHENTICATED');
    }
  });

  it('logout ends the token at once', async () => {
    const token = await t.login(LOGINS.ben);
    assert.equal((await t.call(token, 'GET', '/api/v1/me')).status, 200);
    assert.equal((await t.call(token, 'DELETE', '/api/v1/sessions/current')).status, 204);
    assert.equal((await t.call(token, 'GET', '/api/v1/me')).status, 401);
  });

  it('a token survives a restart (only its hash is stored)', async () => {
    const token = await t.login(LOGINS.ben);
    const rows = await t.store.webAccess.session((await import('./session-service.js')).tokenHash(token));
    assert.ok(rows);
    const second = await startTestApi({ store: t.store });
    try {
      assert.equal((await second.call(token, 'GET', '/api/v1/me')).status, 200);
    } finally {
      await second.close();
    }
  });

  it('throttles failed logins per user and source: 429 even for the right password, others unaffected', async () => {
    for (let i = 0; i < 5; i++) {
      const r = await t.call(undefined, 'POST', '/api/v1/sessions', {
        ...LOGINS.anna,
        password: `Wrong-Pa55-${i}`,
      });
      assert.equal(r.status, 401);
    }
    const banned = await t.call(undefined, 'POST', '/api/v1/sessions', LOGINS.anna);
    assert.equal(banned.status, 429);
    assert.equal(banned.json.error, 'TOO_MANY_ATTEMPTS');
    assert.equal((await t.call(undefined, 'POST', '/api/v1/sessions', LOGINS.olga)).status, 201);
    assert.ok(!t.logs.join('').includes('Wrong-Pa55'), 'no password in the logs');
  });
});
