import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LOGINS, startTestApi, type TestApi } from './test-api.js';

describe('api: admin trunks, DIDs and executives', () => {
  let t: TestApi;
  let anna: string;
  let ben: string;
  let olga: string;
  before(async () => {
    t = await startTestApi();
    [anna, ben, olga] = await Promise.all([t.login(LOGINS.anna), t.login(LOGINS.ben), t.login(LOGINS.olga)]);
  });
  after(() => t.close());

  const trunk = {
    peer: '192.0.2.10:5060',
    countryCode: '49',
    register: { username: 'acme-reg', password: 'Carrier-Secret-77' },
    dids: [{ number: '+4930111222', extension: '101' }],
  };

  it('creates a trunk with a DID, never shows its password and keeps it when left out', async () => {
    const plan = await t.call(anna, 'PUT', '/api/v1/admin/trunks/carrier?dryRun=true', trunk);
    assert.equal(plan.status, 200, JSON.stringify(plan.json));
    assert.doesNotMatch(JSON.stringify(plan.json), /Carrier-Secret-77/);
    assert.deepEqual((await t.call(anna, 'GET', '/api/v1/admin/trunks')).json, []);
    assert.equal((await t.call(anna, 'PUT', '/api/v1/admin/trunks/carrier', trunk)).status, 200);
    const list = await t.call(anna, 'GET', '/api/v1/admin/trunks');
    assert.doesNotMatch(JSON.stringify(list.json), /Carrier-Secret-77/);
    const [got] = list.json as unknown as Array<Record<string, unknown>>;
    assert.deepEqual(got?.['register'], { username: 'acme-reg', expires: 600, passwordSet: true });
    assert.deepEqual(got?.['dids'], trunk.dids);
    // The form sends the trunk back without the password: nothing changes.
    const same = { ...trunk, register: { username: 'acme-reg' } };
    const again = await t.call(anna, 'PUT', '/api/v1/admin/trunks/carrier?dryRun=true', same);
    assert.deepEqual(again.json['changes'], []);
    // A new password is a change, reported without its value.
    const rotated = await t.call(anna, 'PUT', '/api/v1/admin/trunks/carrier?dryRun=true', {
      ...trunk,
      register: { username: 'acme-reg', password: 'Carrier-Secret-88' },
    });
    assert.match(JSON.stringify(rotated.json), /"field":"password","secret":true/);
    assert.doesNotMatch(JSON.stringify(rotated.json), /Carrier-Secret-88/);
  });

  it('refuses a bad DID at its field and a new registration without a password', async () => {
    const bad = await t.call(anna, 'PUT', '/api/v1/admin/trunks/other', {
      ...trunk,
      dids: [{ number: '+4930999', extension: '999' }],
    });
    assert.equal(bad.status, 422, JSON.stringify(bad.json));
    assert.equal(bad.json.field, 'dids[0].extension');
    const noPw = await t.call(anna, 'PUT', '/api/v1/admin/trunks/other', {
      peer: '192.0.2.11:5060',
      register: { username: 'x' },
    });
    assert.equal(noPw.status, 400);
    assert.equal(noPw.json.field, 'register.password');
    assert.equal((await t.call(anna, 'GET', '/api/v1/admin/trunks')).json.length, 1);
  });

  it('assigns and removes assistants, refusing a workplace without the assistant package', async () => {
    const body = { assistants: ['101'], filtering: 'external' };
    const refused = await t.call(anna, 'PUT', '/api/v1/admin/executives/100', body);
    assert.equal(refused.status, 422);
    assert.match(refused.json.field ?? '', /^(executive|assistants\[0\])/);
    for (const ext of ['100', '101'])
      assert.equal(
        (
          await t.call(anna, 'PUT', `/api/v1/admin/workplaces/${ext}/packages`, {
            packages: ['group', 'assistant'],
          })
        ).status,
        200,
      );
    assert.equal((await t.call(anna, 'PUT', '/api/v1/admin/executives/100', body)).status, 200);
    const list = (await t.call(anna, 'GET', '/api/v1/admin/executives')).json as unknown as Array<
      Record<string, unknown>
    >;
    assert.equal(list.length, 1);
    assert.deepEqual([list[0]?.['executive'], list[0]?.['filtering']], ['100', 'external']);
    assert.deepEqual(list[0]?.['assistants'], [{ extension: '101' }]);
    const del = await t.call(anna, 'DELETE', '/api/v1/admin/executives/100?dryRun=true');
    assert.deepEqual(
      (del.json['changes'] as Array<{ action: string; entity: string }>).map(
        (c) => `${c.action} ${c.entity}`,
      ),
      ['delete executive'],
    );
  });

  it('is for admins of the tenant only', async () => {
    for (const [m, p] of [
      ['GET', '/api/v1/admin/trunks'],
      ['PUT', '/api/v1/admin/trunks/carrier'],
      ['DELETE', '/api/v1/admin/trunks/carrier'],
      ['GET', '/api/v1/admin/executives'],
      ['PUT', '/api/v1/admin/executives/100'],
      ['DELETE', '/api/v1/admin/executives/100'],
    ] as const)
      assert.equal((await t.call(ben, m, p, m === 'PUT' ? trunk : undefined)).status, 403, `${m} ${p}`);
    // Another tenant's admin sees none of it and cannot reach it.
    assert.deepEqual((await t.call(olga, 'GET', '/api/v1/admin/trunks')).json, []);
    assert.deepEqual((await t.call(olga, 'GET', '/api/v1/admin/executives')).json, []);
    assert.equal((await t.call(olga, 'DELETE', '/api/v1/admin/trunks/carrier')).status, 404);
    assert.equal((await t.call(olga, 'DELETE', '/api/v1/admin/executives/100')).status, 404);
    assert.equal((await t.call(anna, 'GET', '/api/v1/admin/trunks')).json.length, 1);
  });
});
