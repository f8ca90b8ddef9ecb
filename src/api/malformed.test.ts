import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BAD_REQUESTS } from '../../test/support/api-bad-requests.js';
import { LOGINS, startTestApi, type TestApi } from './test-api.js';

describe('api: malformed requests are 4xx naming the field, never 500', () => {
  let t: TestApi;
  const tokens: Record<'user' | 'admin', string> = { user: '', admin: '' };
  before(async () => {
    t = await startTestApi();
    tokens.user = await t.login(LOGINS.ben);
    tokens.admin = await t.login(LOGINS.anna);
  });
  after(() => t.close());

  it(`has at least 20 cases`, () => assert.ok(BAD_REQUESTS.length >= 20));

  for (const c of BAD_REQUESTS) {
    it(c.name, async () => {
      const r = await t.app.inject({
        method: c.method,
        url: c.path,
        headers: {
          authorization: `Bearer ${tokens[c.as]}`,
          ...(c.body !== undefined ? { 'content-type': c.contentType ?? 'application/json' } : {}),
        },
        ...(c.body !== undefined
          ? { payload: typeof c.body === 'string' ? c.body : JSON.stringify(c.body) }
          : {}),
      });
      const body = JSON.parse(r.body) as { error: string; field?: string; message: string };
      assert.equal(r.statusCode, c.status, r.body);
      assert.equal(body.error, c.error, r.body);
      assert.equal(body.field, c.field, r.body);
      assert.ok(body.message.length > 0);
      assert.equal((await t.call(tokens.user, 'GET', '/api/v1/me')).status, 200, 'still serving');
    });
  }
});
