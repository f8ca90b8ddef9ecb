import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FEATURE_LOGINS as L, startFeaturesApi, type FeaturesApi } from './test-features.js';

interface ExecutiveJson {
  extension: string;
  name: string;
  filtering: string;
  filterOn: boolean;
  alerting: string;
  assistants: Array<{ extension: string; optedIn: boolean; divertTo: string | null; divertOn: boolean }>;
}

describe('api: executive–assistant settings', () => {
  let t: FeaturesApi;
  const tokens: Record<string, string> = {};
  before(async () => {
    t = await startFeaturesApi();
    for (const [k, v] of Object.entries(L)) tokens[k] = await t.login(v);
  });
  after(() => t.close());
  const get = async (who: string, ext = '200') => {
    const r = await t.call(tokens[who], 'GET', `/api/v1/executives/${ext}`);
    return { status: r.status, e: r.json as unknown as ExecutiveJson, error: r.json.error };
  };

  it('lists the executives I am or assist; an admin sees all of its tenant; others see none', async () => {
    const list = async (who: string) =>
      ((await t.call(tokens[who], 'GET', '/api/v1/executives')).json as unknown as ExecutiveJson[]).map(
        (e) => e.extension,
      );
    assert.deepEqual(await list('eva'), ['200']);
    assert.deepEqual(await list('alex'), ['200']);
    assert.deepEqual(await list('anna'), ['200']);
    assert.deepEqual(await list('carl'), []);
    const { e } = await get('eva');
    assert.equal(e.name, 'Eva Executive');
    assert.equal(e.filtering, 'all');
    assert.equal(e.filterOn, true);
    assert.deepEqual(
      e.assistants.map((a) => [a.extension, a.optedIn, a.divertTo, a.divertOn]),
      [
        ['201', true, '203', true],
        ['202', true, null, false],
      ],
    );
    // Not mine, not assisted: as if it did not exist.
    assert.equal((await get('carl')).status, 404);
  });

  it('the executive switches its own filter and changes mode and alerting through the planner', async () => {
    let r = await t.call(tokens['eva'], 'PUT', '/api/v1/executives/200', { filterOn: false });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal((r.json as unknown as ExecutiveJson).filterOn, false);
    const state = await t.store.executives.state('acme');
    assert.deepEqual(state.filters, [{ executive: '200', on: false }]);
    r = await t.call(tokens['eva'], 'PUT', '/api/v1/executives/200', {
      filtering: 'external',
      alerting: 'sequential',
      filterOn: true,
    });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const e = r.json as unknown as ExecutiveJson;
    assert.deepEqual([e.filtering, e.alerting, e.filterOn], ['external', 'sequential', true]);
    const stored = (await t.store.executives.executives('acme'))[0]!;
    assert.deepEqual([stored.filtering, stored.alerting], ['external', 'sequential']);
    // Filtering off: the switch reads off whatever it was.
    r = await t.call(tokens['anna'], 'PUT', '/api/v1/executives/200', { filtering: 'off' });
    assert.equal((r.json as unknown as ExecutiveJson).filterOn, false);
    r = await t.call(tokens['anna'], 'PUT', '/api/v1/executives/200', { filtering: 'all' });
    assert.equal((r.json as unknown as ExecutiveJson).filterOn, true);
  });

  it("an assistant may not switch the executive's filter; a colleague does not even see it", async () => {
    const alex = await t.call(tokens['alex'], 'PUT', '/api/v1/executives/200', { filterOn: false });
    assert.equal(alex.status, 403);
    assert.equal(alex.json.error, 'FORBIDDEN');
    const carl = await t.call(tokens['carl'], 'PUT', '/api/v1/executives/200', { filterOn: false });
    assert.equal(carl.status, 404);
    assert.equal((await get('eva')).e.filterOn, true);
  });

  it('an assistant changes only its own opt-in and divert; the executive cannot; an admin can', async () => {
    let r = await t.call(tokens['alex'], 'PUT', '/api/v1/executives/200/assistants/201', {
      optedIn: false,
      divertOn: false,
    });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    let a = (r.json as unknown as ExecutiveJson).assistants[0]!;
    assert.deepEqual([a.optedIn, a.divertOn, a.divertTo], [false, false, '203']);
    // Another assistant's switches, and the executive touching them: refused.
    r = await t.call(tokens['alex'], 'PUT', '/api/v1/executives/200/assistants/202', { optedIn: false });
    assert.equal(r.status, 403);
    r = await t.call(tokens['eva'], 'PUT', '/api/v1/executives/200/assistants/201', { optedIn: true });
    assert.equal(r.status, 403);
    // Divert on without a target is a conflict; with a target (through the planner) it works.
    r = await t.call(tokens['bea'], 'PUT', '/api/v1/executives/200/assistants/202', { divertOn: true });
    assert.equal(r.status, 409);
    assert.equal(r.json.field, 'divertOn');
    r = await t.call(tokens['bea'], 'PUT', '/api/v1/executives/200/assistants/202', {
      divertTo: '203',
      divertOn: true,
    });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    a = (r.json as unknown as ExecutiveJson).assistants[1]!;
    assert.deepEqual([a.divertTo, a.divertOn], ['203', true]);
    // A divert target the planner refuses names the field of the request's executive.
    r = await t.call(tokens['bea'], 'PUT', '/api/v1/executives/200/assistants/202', { divertTo: '200' });
    assert.equal(r.status, 422, JSON.stringify(r.json));
    assert.match(String(r.json.field), /^assistants\[1\]/);
    // The admin switches anyone back.
    r = await t.call(tokens['anna'], 'PUT', '/api/v1/executives/200/assistants/201', { optedIn: true });
    assert.equal(r.status, 200);
    assert.equal((r.json as unknown as ExecutiveJson).assistants[0]!.optedIn, true);
    // Not an assistant of this executive: 404.
    r = await t.call(tokens['anna'], 'PUT', '/api/v1/executives/200/assistants/203', { optedIn: true });
    assert.equal(r.status, 404);
  });

  it("another tenant's executive with the same extension is never reached", async () => {
    // Olga is admin of `other`: she sees other's 200, never acme's.
    const olga = await get('olga');
    assert.equal(olga.e.name, 'Otto Executive');
    await t.call(tokens['olga'], 'PUT', '/api/v1/executives/200', { filterOn: false });
    await t.call(tokens['oskar'], 'PUT', '/api/v1/executives/200/assistants/201', { optedIn: false });
    assert.equal((await get('eva')).e.filterOn, true);
    assert.equal((await get('alex')).e.assistants[0]!.optedIn, true);
    assert.equal((await get('otto')).e.filterOn, false);
    // acme's assistant 202 does not exist in other: 404, as for a missing one.
    const r = await t.call(tokens['olga'], 'PUT', '/api/v1/executives/200/assistants/202', { optedIn: true });
    assert.equal(r.status, 404);
    // Nor may other's assistant 201 switch acme's settings.
    const before = (await t.store.executives.state('acme')).assistants;
    await t.call(tokens['oskar'], 'PUT', '/api/v1/executives/200/assistants/201', { optedIn: true });
    assert.deepEqual((await t.store.executives.state('acme')).assistants, before);
  });

  it('bad bodies name the field', async () => {
    for (const [body, field] of [
      [{}, '(body)'],
      [{ filtering: 'all-calls' }, 'filtering'],
      [{ filterOn: 'yes' }, 'filterOn'],
      [{ mode: 'all' }, 'mode'],
    ] as const) {
      const r = await t.call(tokens['eva'], 'PUT', '/api/v1/executives/200', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.json.field, field, JSON.stringify(r.json));
    }
    const r = await t.call(tokens['alex'], 'PUT', '/api/v1/executives/200/assistants/201', {
      divertTo: '12ab',
    });
    assert.equal(r.status, 400);
    assert.equal(r.json.field, 'divertTo');
  });
});
