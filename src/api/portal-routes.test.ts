import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CallTrace } from '../core/trace/call-trace.js';
import { SystemClock } from '../util/clock.js';
import { LOGINS, startTestApi, type TestApi } from './test-api.js';
import { csvCell } from './wallboard.js';

describe('api: MyPortal settings, wallboard and call trace', () => {
  let t: TestApi;
  let anna: string;
  let ben: string;
  let olga: string;
  const trace = new CallTrace({ clock: new SystemClock() });
  before(async () => {
    t = await startTestApi({ trace });
    [anna, ben, olga] = await Promise.all([t.login(LOGINS.anna), t.login(LOGINS.ben), t.login(LOGINS.olga)]);
  });
  after(() => t.close());

  it('changes my profile through the planner, refusing a bad field at the field', async () => {
    const plan = await t.call(ben, 'PUT', '/api/v1/me/profile?dryRun=true', {
      name: 'Ben Neu',
      language: 'en',
    });
    assert.equal(plan.status, 200);
    assert.equal((await t.call(ben, 'GET', '/api/v1/me')).json['name'], 'Ben User');
    const bad = await t.call(ben, 'PUT', '/api/v1/me/profile', { name: 'Ben', language: 'en', email: 'x' });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.field, 'email');
    const ok = await t.call(ben, 'PUT', '/api/v1/me/profile', {
      name: 'Ben Neu',
      language: 'en',
      email: 'ben@acme.example',
    });
    assert.equal(ok.status, 200);
    const me = (await t.call(ben, 'GET', '/api/v1/me')).json;
    assert.deepEqual([me['name'], me['language'], me['email']], ['Ben Neu', 'en', 'ben@acme.example']);
  });

  it('creates and rotates a device password, shown once, strength-checked', async () => {
    const created = await t.call(ben, 'POST', '/api/v1/me/devices', {
      username: 'ben-desk',
      kind: 'deskphone',
    });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    assert.match(created.json['password'] as string, /^[A-Za-z0-9]{24}$/);
    const weak = await t.call(ben, 'POST', '/api/v1/me/devices/ben-desk/password', { password: 'abc' });
    assert.equal(weak.status, 422);
    assert.equal(weak.json.field, 'password');
    const rotated = await t.call(ben, 'POST', '/api/v1/me/devices/ben-desk/password', {});
    assert.equal(rotated.status, 200);
    assert.notEqual(rotated.json['password'], created.json['password']);
    // Only my own devices.
    const theirs = await t.call(ben, 'POST', '/api/v1/me/devices/anna-desk/password', {});
    assert.equal(theirs.status, 404);
    const me = JSON.stringify((await t.call(ben, 'GET', '/api/v1/me')).json);
    assert.doesNotMatch(me, new RegExp(rotated.json['password'] as string));
  });

  it('the wallboard counts queue outcomes of the day and lines up with the stream seq', async () => {
    const at = Date.now();
    const caller = { number: '+4930555' };
    t.bus.emit({
      type: 'callcenter.caller.queued',
      tenantId: 'acme',
      at,
      group: '600',
      callId: 'q1',
      caller,
      position: 1,
    });
    t.bus.emit({
      type: 'callcenter.caller.queued',
      tenantId: 'acme',
      at,
      group: '600',
      callId: 'q2',
      caller,
      position: 2,
    });
    t.bus.emit({
      type: 'callcenter.caller.queued',
      tenantId: 'acme',
      at,
      group: '600',
      callId: 'q3',
      caller,
      position: 3,
    });
    t.bus.emit({
      type: 'callcenter.caller.connected',
      tenantId: 'acme',
      at,
      group: '600',
      callId: 'q1',
      caller,
      agent: '101',
      waitMs: 4000,
    });
    t.bus.emit({
      type: 'callcenter.caller.connected',
      tenantId: 'acme',
      at,
      group: '600',
      callId: 'q2',
      caller,
      agent: '100',
      waitMs: 30_000,
    });
    t.bus.emit({
      type: 'callcenter.agent.status',
      tenantId: 'acme',
      at,
      agent: '101',
      status: 'unavailable',
      previous: 'available',
      cause: 'agent',
    });
    const r = await t.call(anna, 'GET', '/api/v1/wallboard?serviceLevelS=10');
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const g = (r.json['groups'] as Array<Record<string, unknown>>)[0]!;
    assert.equal(r.json['seq'], 6);
    assert.deepEqual(g['today'], {
      offered: 3,
      answered: 2,
      abandoned: 0,
      overflowed: 0,
      answeredWithinServiceLevel: 1,
      serviceLevel: 0.5,
      averageWaitMs: 17_000,
      longestWaitTodayMs: 30_000,
    });
    assert.deepEqual(
      (g['waiting'] as Array<{ callId: string }>).map((w) => w.callId),
      ['q3'],
    );
    const ben101 = (g['agents'] as Array<Record<string, unknown>>).find((a) => a['extension'] === '101')!;
    assert.equal(ben101['status'], 'unavailable');
    assert.equal(ben101['onCall'], true);
    assert.equal(ben101['since'], new Date(at).toISOString());
    // Another tenant's admin sees none of it; a group's agent sees its group.
    assert.deepEqual((await t.call(olga, 'GET', '/api/v1/wallboard')).json['groups'], []);
    assert.equal(((await t.call(ben, 'GET', '/api/v1/wallboard')).json['groups'] as unknown[]).length, 1);
    const csv = await t.app.inject({
      method: 'GET',
      url: '/api/v1/wallboard/groups/600/today.csv',
      headers: { authorization: `Bearer ${anna}` },
    });
    assert.equal(csv.statusCode, 200);
    assert.match(csv.headers['content-type'] as string, /^text\/csv/);
    assert.deepEqual(
      csv.body
        .trim()
        .split('\r\n')
        .slice(1)
        .map((l) => l.split(',').slice(1, 6).join(',')),
      ['q1,+4930555,answered,4.0,101', 'q2,+4930555,answered,30.0,100'],
    );
    const other = await t.app.inject({
      method: 'GET',
      url: '/api/v1/wallboard/groups/600/today.csv',
      headers: { authorization: `Bearer ${olga}` },
    });
    assert.equal(other.statusCode, 404);
    assert.equal(csvCell('=cmd()'), "'=cmd()");
    assert.equal(csvCell('+4930'), '+4930');
  });

  it('the call trace is admin-only and tenant-scoped', async () => {
    trace.callerLeg('acme', 'c-acme', 'sip-1');
    trace.note('c-acme', 'route 100 → workplace 101');
    assert.equal((await t.call(ben, 'GET', '/api/v1/admin/calls/recent')).status, 403);
    assert.equal((await t.call(ben, 'GET', '/api/v1/admin/calls/c-acme/trace')).status, 403);
    const mine = await t.call(anna, 'GET', '/api/v1/admin/calls/recent');
    assert.deepEqual(
      (mine.json as unknown as Array<{ id: string }>).map((c) => c.id),
      ['c-acme'],
    );
    const ladder = await t.call(anna, 'GET', '/api/v1/admin/calls/c-acme/trace');
    assert.equal((ladder.json['entries'] as Array<{ line: string }>)[0]!.line, 'route 100 → workplace 101');
    assert.deepEqual((await t.call(olga, 'GET', '/api/v1/admin/calls/recent')).json, []);
    assert.equal((await t.call(olga, 'GET', '/api/v1/admin/calls/c-acme/trace')).status, 404);
  });

  it('exports the tenant as the provisioning YAML and imports it back with no change', async () => {
    assert.equal((await t.call(ben, 'GET', '/api/v1/admin/export')).status, 403);
    const out = await t.call(anna, 'GET', '/api/v1/admin/export');
    const yaml = out.json['yaml'] as string;
    assert.match(yaml, /password: \(stored\)/);
    assert.doesNotMatch(yaml, /Desk-Pa55|Web-Pa55/);
    const back = await t.call(anna, 'PUT', '/api/v1/admin/import?dryRun=true', { yaml });
    assert.equal(back.status, 200, JSON.stringify(back.json));
    assert.deepEqual(back.json['changes'], []);
    const renamed = await t.call(anna, 'PUT', '/api/v1/admin/import', {
      yaml: yaml.replace('Cleo NoLogin', 'Cleo Neu'),
    });
    assert.equal((renamed.json['changes'] as unknown[]).length, 1);
    assert.equal(
      (await t.call(anna, 'PUT', '/api/v1/admin/import?dryRun=true', { yaml })).json['changes'] instanceof
        Array,
      true,
    );
    // A file of another tenant is refused; nothing of it is applied.
    const foreign = await t.call(olga, 'PUT', '/api/v1/admin/import?dryRun=true', { yaml });
    assert.equal(foreign.status, 422);
    assert.equal(foreign.json.field, 'yaml');
  });
});
