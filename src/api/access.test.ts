import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LOGINS, startTestApi, type TestApi } from './test-api.js';

describe('api: tenant scope, roles and admin edits', () => {
  let t: TestApi;
  let anna: string;
  let ben: string;
  let olga: string;
  before(async () => {
    t = await startTestApi();
    [anna, ben, olga] = await Promise.all([t.login(LOGINS.anna), t.login(LOGINS.ben), t.login(LOGINS.olga)]);
  });
  after(() => t.close());

  it('the directory and /me are the token tenant’s only', async () => {
    const acme = (await t.call(ben, 'GET', '/api/v1/workplaces')).json as unknown as Array<{
      extension: string;
    }>;
    assert.deepEqual(
      acme.map((w) => w.extension),
      ['100', '101', '102'],
    );
    const other = (await t.call(olga, 'GET', '/api/v1/workplaces')).json as unknown as Array<{
      name: string;
    }>;
    assert.deepEqual(
      other.map((w) => w.name),
      ['Olga Other', 'Otto Other'],
    );
  });

  it("another tenant's resources answer 404 exactly like missing ones", async () => {
    const pairs: Array<[string, 'GET' | 'PUT' | 'DELETE', string, unknown?]> = [
      ['queue', 'GET', '/api/v1/callcenter/groups/600/queue'],
      ['admin workplace', 'GET', '/api/v1/admin/workplaces/101'],
      ['admin workplace blf', 'PUT', '/api/v1/admin/workplaces/101/blf', { extensions: [] }],
      ['admin workplace delete', 'DELETE', '/api/v1/admin/workplaces/101'],
      ['admin group delete', 'DELETE', '/api/v1/admin/callcenter-groups/600'],
      ['group login', 'PUT', '/api/v1/me/callcenter/groups/600', { loggedIn: true }],
    ];
    for (const [name, method, url, body] of pairs) {
      const r = await t.call(olga, method, url, body);
      const missing = await t.call(olga, method, url.replace(/\/(600|101)(\/|$)/, '/699$2'), body);
      assert.equal(r.status, 404, `${name}: ${JSON.stringify(r.json)}`);
      assert.equal(r.json.error, 'NOT_FOUND');
      assert.equal(missing.status, 404, name);
    }
    // Nothing of acme changed.
    assert.ok(await t.store.webAccess.login('acme', '101'));
  });

  it('admin routes answer 403 to a user', async () => {
    for (const [method, url, body] of [
      ['GET', '/api/v1/admin/workplaces'],
      ['GET', '/api/v1/admin/devices'],
      ['PUT', '/api/v1/admin/workplaces/101/blf', { extensions: [] }],
      ['PUT', '/api/v1/admin/pickup-groups', { groups: [] }],
      ['DELETE', '/api/v1/admin/callcenter-groups/600'],
    ] as const) {
      const r = await t.call(ben, method, url, body);
      assert.equal(r.status, 403, url);
      assert.equal(r.json.error, 'FORBIDDEN');
    }
  });

  it('a dry run answers the plan and writes nothing; the real run writes it in one go', async () => {
    const body = {
      name: 'Dora New',
      packages: ['group'],
      webPassword: 'Dora-Web-Pa55word',
      devices: [{ username: 'dora', password: 'Desk-Pa55-word-D' }],
    };
    const dry = await t.call(anna, 'PUT', '/api/v1/admin/workplaces/103?dryRun=true', body);
    assert.equal(dry.status, 200, JSON.stringify(dry.json));
    assert.equal(dry.json['dryRun'], true);
    const entities = (dry.json['changes'] as Array<{ entity: string; action: string }>).map(
      (c) => `${c.action} ${c.entity}`,
    );
    assert.deepEqual(entities.sort(), ['create device', 'create web-login', 'create workplace']);
    assert.equal((await t.call(anna, 'GET', '/api/v1/admin/workplaces/103')).status, 404);

    const real = await t.call(anna, 'PUT', '/api/v1/admin/workplaces/103', body);
    assert.equal(real.status, 200);
    assert.equal(real.json['dryRun'], false);
    const w = await t.call(anna, 'GET', '/api/v1/admin/workplaces/103');
    assert.equal(w.json['name'], 'Dora New');
    assert.equal(w.json['webLogin'], true);
    // The new workplace can log in at once.
    const dora = await t.login({ domain: 'acme.example', extension: '103', password: 'Dora-Web-Pa55word' });
    assert.equal((await t.call(dora, 'GET', '/api/v1/me')).json['name'], 'Dora New');

    // Leaving the passwords out keeps them; renaming is the only change.
    const rename = await t.call(anna, 'PUT', '/api/v1/admin/workplaces/103', {
      name: 'Dora Renamed',
      packages: ['group'],
      devices: [{ username: 'dora' }],
    });
    assert.deepEqual(
      (rename.json['changes'] as Array<{ entity: string; fields: Array<{ field: string }> }>).map((c) => [
        c.entity,
        c.fields.map((f) => f.field),
      ]),
      [['workplace', ['name']]],
    );
    assert.equal((await t.call(dora, 'GET', '/api/v1/me')).json['name'], 'Dora Renamed');
  });

  it('a refused edit names the field and changes nothing; removing a workplace a group names is refused', async () => {
    const r = await t.call(anna, 'DELETE', '/api/v1/admin/workplaces/101');
    assert.equal(r.status, 422, JSON.stringify(r.json));
    assert.equal(r.json.error, 'VALIDATION_FAILED');
    assert.match(String(r.json.field), /^groups\[0\]\.agents|^workplaces\[0\]\.blf/);
    assert.ok(await t.store.webAccess.login('acme', '101'));
  });

  it('the user changes their own BLF list and call-center state', async () => {
    const r = await t.call(ben, 'PUT', '/api/v1/me/blf', { extensions: ['102', '100'] });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const list = (await t.call(ben, 'GET', '/api/v1/me/blf')).json as unknown as Array<{ extension: string }>;
    assert.deepEqual(
      list.map((b) => b.extension),
      ['102', '100'],
    );
    assert.equal(
      (await t.call(ben, 'PUT', '/api/v1/me/callcenter/status', { status: 'unavailable' })).status,
      200,
    );
    assert.equal(
      (await t.call(ben, 'PUT', '/api/v1/me/callcenter/groups/600', { loggedIn: true })).status,
      200,
    );
    const cc = await t.call(ben, 'GET', '/api/v1/me/callcenter');
    assert.deepEqual(cc.json, {
      status: 'unavailable',
      groups: [{ extension: '600', name: 'Support', loggedIn: true, allowAgentLogin: true }],
    });
    const q = await t.call(ben, 'GET', '/api/v1/callcenter/groups/600/queue');
    assert.equal(q.status, 200);
    assert.ok((q.json['waiting'] as Array<{ waitingMs: number }>)[0]!.waitingMs >= 5000);
  });

  it('serves an OpenAPI 3.1 document listing every route with its schemas', async () => {
    const r = await t.call(undefined, 'GET', '/api/v1/openapi.json');
    assert.equal(r.status, 200);
    assert.equal(r.json['openapi'], '3.1.0');
    const paths = r.json['paths'] as Record<
      string,
      Record<string, { requestBody?: unknown; responses: object }>
    >;
    for (const route of t.api.routes.routes) {
      const op = paths[route.url.replace(/:([A-Za-z]+)/g, '{$1}')]?.[route.method.toLowerCase()];
      assert.ok(op, `${route.method} ${route.url} is documented`);
      if (route.body) assert.ok(op.requestBody, `${route.url} has its body schema`);
    }
    assert.ok(paths['/api/v1/events']);
    const login = paths['/api/v1/sessions']!['post']!.requestBody as {
      content: { 'application/json': { schema: { required: string[]; additionalProperties: boolean } } };
    };
    assert.deepEqual(login.content['application/json'].schema.required.sort(), [
      'domain',
      'extension',
      'password',
    ]);
    assert.equal(login.content['application/json'].schema.additionalProperties, false);
  });
});
