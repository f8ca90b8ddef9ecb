import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestPhone } from '../support/test-phone.js';
import { BAD_REQUESTS } from '../support/api-bad-requests.js';
import { ApiClient, type StreamMessage } from './support/api-client.js';
import {
  assertBaseline,
  DEMO_DOMAIN,
  DEMO_PASSWORDS,
  DEMO_WEB_PASSWORDS,
  startTestServer,
  type TestServer,
} from './support/server.js';

/**
 * The HTTP API and its event stream against the whole server over real HTTP and WebSocket, with real SIP
 * phones (the scripted test phone) making the calls the API sees.
 */
const OTHER_DOMAIN = 'other.zentrale.test';
/** Client ports from the range below this run's RTP ports (see ZENTRALE_TEST_RTP_PORTS). */
const PORT_BASE = Number((process.env.ZENTRALE_TEST_RTP_PORTS ?? '31000-31999').split('-')[0]) - 500;

describe('e2e: HTTP API and event stream', () => {
  let t: TestServer;
  const phones: TestPhone[] = [];
  const phone = async (user: string, password: string, n: number): Promise<TestPhone> => {
    const p = await TestPhone.open({
      user,
      password,
      domain: DEMO_DOMAIN,
      server: t.udp,
      port: PORT_BASE + n,
    });
    phones.push(p);
    return p;
  };
  const clients: ApiClient[] = [];
  const client = async (ext: string, domain = DEMO_DOMAIN, password = DEMO_WEB_PASSWORDS[ext]!) => {
    const c = new ApiClient(t.server.httpPort);
    clients.push(c);
    assert.equal(await c.login(domain, ext, password), 201);
    return c;
  };

  before(async () => {
    t = await startTestServer();
  });
  afterEach(async () => {
    // Streams a failed test left open are closed here, so one failure does not fail every later leak check.
    for (const c of clients.splice(0)) await c.closeStreams();
    for (const p of phones.splice(0)) await p.close();
    await assertBaseline(t);
  });
  after(() => t.stop());

  it('logs in; /me shows the device registration; the directory is the tenant’s', async () => {
    const karin = await client('100');
    const before = await karin.request('GET', '/api/v1/me');
    assert.equal(before.status, 200);
    assert.deepEqual(
      (before.json['devices'] as Array<{ registered: boolean }>).map((d) => d.registered),
      [false],
    );
    const desk = await phone('100', DEMO_PASSWORDS['100']!, 1);
    assert.equal((await desk.register()).status, 200);
    const me = await karin.request('GET', '/api/v1/me');
    assert.equal(me.json['role'], 'admin');
    assert.deepEqual(me.json['packages'], ['assistant', 'group', 'voicemail']);
    const dev = (
      me.json['devices'] as Array<{ username: string; registered: boolean; contacts: unknown[] }>
    )[0]!;
    assert.equal(dev.registered, true);
    assert.equal(dev.contacts.length, 1);
    const dir = (await karin.request('GET', '/api/v1/workplaces')).json as unknown as Array<{
      extension: string;
    }>;
    assert.deepEqual(
      dir.map((w) => w.extension),
      ['100', '101', '102', '103', '104'],
    );
    assert.equal((await karin.request('DELETE', '/api/v1/sessions/current')).status, 204);
    assert.equal((await karin.request('GET', '/api/v1/me')).status, 401);
    await desk.register(0);
  });

  it('a real call: the callee’s stream shows ringing → answered → ended, the watcher’s lamp follows, history has it', async () => {
    const jonas = await client('101');
    const karin = await client('100'); // monitors 101 (BLF)
    const petra = await client('100', OTHER_DOMAIN, 'web-Lorenz-Pa55word');
    const callee = await phone('101', DEMO_PASSWORDS['101']!, 2);
    const caller = await phone('102', 'demo-Krueger-Pa55word', 3);
    await callee.register();
    await caller.register();
    const js = await jonas.stream();
    const ks = await karin.stream();
    const ps = await petra.stream();
    const snap = await js.waitFor((m) => m.type === 'snapshot');
    assert.deepEqual(snap.data['calls'], []);
    const ksnap = await ks.waitFor((m) => m.type === 'snapshot');
    assert.deepEqual(
      (ksnap.data['blf'] as Array<{ extension: string; presence: string }>).map((b) => b.extension),
      ['101', '102', '103'],
    );

    callee.behaviour = { answerAfterMs: 300 };
    const r = await caller.dial('101');
    assert.equal(r.status, 200);
    await sleep(200);
    const busy = await ks.waitFor(
      (m) => m.type === 'presence.changed' && m.data['workplace'] === '101' && m.data['status'] === 'busy',
    );
    assert.equal(busy.data['workplace'], '101');
    // The BLF list over the API shows the same lamp.
    const blf = (await karin.request('GET', '/api/v1/me/blf')).json as unknown as Array<{
      extension: string;
      presence: string;
    }>;
    assert.equal(blf.find((b) => b.extension === '101')?.presence, 'busy');
    await caller.close();
    phones.splice(phones.indexOf(caller), 1);
    await js.waitFor((m) => m.type === 'call.ended');

    const callTypes = js.messages
      .filter((m) => m.type.startsWith('call.') && m.type !== 'call.offered')
      .map((m) => m.type);
    assert.deepEqual(
      callTypes.filter((x, i) => callTypes.indexOf(x) === i),
      ['call.ringing', 'call.answered', 'call.ended'],
    );
    const seqs = js.messages.filter((m) => m.type !== 'snapshot').map((m) => m.seq);
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => a - b),
      'increasing seq',
    );
    assert.ok(seqs[0]! > snap.seq);
    const lamps = ks.messages
      .filter((m) => m.type === 'presence.changed' && m.data['workplace'] === '101')
      .map((m) => m.data['status']);
    assert.deepEqual(lamps, ['ringing', 'busy', 'idle']);
    // The other tenant saw nothing of it (its own 100 has the same extension).
    await sleep(100);
    assert.deepEqual(
      ps.messages.map((m) => m.type),
      ['snapshot'],
    );

    // Reconnect with the last seq: nothing missed yet, then a missed call arrives as events.
    const last = js.messages.at(-1)!.seq;
    await js.close();
    const caller2 = await phone('102', 'demo-Krueger-Pa55word', 4);
    await caller2.register();
    callee.behaviour = { reject: 486 };
    assert.equal((await caller2.dial('101')).status, 486);
    const again = await jonas.stream({ since: last });
    const resumed = await again.waitFor((m) => m.type === 'resumed');
    assert.equal(resumed.seq, last);
    await again.waitFor((m) => m.type === 'call.ended');
    assert.ok(!again.messages.some((m) => m.type === 'snapshot'));

    const hist = await jonas.request('GET', '/api/v1/me/history?limit=1');
    assert.equal(hist.status, 200);
    const items = hist.json['items'] as Array<{
      direction: string;
      missed: boolean;
      other: { number: string };
    }>;
    assert.equal(items.length, 1);
    assert.equal(items[0]!.direction, 'incoming');
    assert.equal(items[0]!.other.number, '102');
    assert.ok(hist.json['next']);
    const page2 = await jonas.request(
      'GET',
      `/api/v1/me/history?limit=5&cursor=${String(hist.json['next'])}`,
    );
    assert.equal((page2.json['items'] as unknown[]).length, 1);
    assert.equal(page2.json['next'], null);
    const answered = await jonas.request('GET', '/api/v1/me/history?missed=false');
    assert.equal((answered.json['items'] as unknown[]).length, 1);

    for (const s of [again, ks, ps]) await s.close();
    await caller2.close();
    phones.splice(phones.indexOf(caller2), 1);
    await callee.register(0);
  });

  it('call center: my groups and status, a change seen on my stream, the supervisor’s queue snapshot', async () => {
    const jonas = await client('101');
    const s = await jonas.stream();
    await s.waitFor((m) => m.type === 'snapshot');
    const mine = await jonas.request('GET', '/api/v1/me/callcenter');
    assert.deepEqual(mine.json['groups'], [
      { extension: '600', name: 'Support', loggedIn: false, allowAgentLogin: true },
    ]);
    assert.equal(
      (await jonas.request('PUT', '/api/v1/me/callcenter/groups/600', { loggedIn: true })).status,
      200,
    );
    assert.equal(
      (await jonas.request('PUT', '/api/v1/me/callcenter/status', { status: 'available' })).status,
      200,
    );
    const status = await s.waitFor((m) => m.type === 'callcenter.agent.status');
    assert.equal(status.data['status'], 'available');
    await s.waitFor((m) => m.type === 'callcenter.agent.login');
    const karin = await client('100');
    const q = await karin.request('GET', '/api/v1/callcenter/groups/600/queue');
    assert.equal(q.status, 200);
    assert.deepEqual(q.json['waiting'], []);
    const j = (q.json['agents'] as Array<{ extension: string; status: string; loggedIn: boolean }>).find(
      (a) => a.extension === '101',
    );
    assert.deepEqual([j?.status, j?.loggedIn], ['available', true]);
    const lena = new ApiClient(t.server.httpPort);
    // 104 has no web password: no login at all.
    assert.equal(await lena.login(DEMO_DOMAIN, '104', 'whatever-Pa55word'), 401);
    await jonas.request('PUT', '/api/v1/me/callcenter/status', { status: 'signed-out' });
    await s.close();
  });

  it('admin changes go through the planner and are live at once: a new workplace logs in and its phone registers', async () => {
    const karin = await client('100');
    const body = {
      name: 'Nora Neu',
      packages: [],
      webPassword: 'web-Neu-Pa55word',
      devices: [{ username: 'nora', password: 'Desk-Pa55-word-N', kind: 'deskphone' }],
    };
    const dry = await karin.request('PUT', '/api/v1/admin/workplaces/105?dryRun=true', body);
    assert.equal(dry.status, 200, JSON.stringify(dry.json));
    assert.equal(dry.json['dryRun'], true);
    assert.equal((await karin.request('GET', '/api/v1/admin/workplaces/105')).status, 404);
    assert.equal((await karin.request('PUT', '/api/v1/admin/workplaces/105', body)).status, 200);
    const nora = await client('105', DEMO_DOMAIN, 'web-Neu-Pa55word');
    assert.equal((await nora.request('GET', '/api/v1/me')).json['name'], 'Nora Neu');
    const p = await phone('nora', 'Desk-Pa55-word-N', 5);
    assert.equal((await p.register()).status, 200);
    assert.equal(
      (
        (await karin.request('GET', '/api/v1/admin/devices')).json as unknown as Array<{
          username: string;
          registered: boolean;
        }>
      ).find((d) => d.username === 'nora')?.registered,
      true,
    );
    await p.register(0);
    const del = await karin.request('DELETE', '/api/v1/admin/workplaces/105');
    assert.equal(del.status, 200);
    // The removed workplace's token stops working.
    assert.equal((await nora.request('GET', '/api/v1/me')).status, 401);
  });

  it("another tenant's resources answer 404 for every route family; admin routes 403 for a user", async () => {
    const petra = await client('100', OTHER_DOMAIN, 'web-Lorenz-Pa55word'); // admin of "other"
    const cases: Array<[string, string, unknown?]> = [
      ['GET', '/api/v1/callcenter/groups/600/queue'],
      ['PUT', '/api/v1/me/callcenter/groups/600', { loggedIn: true }],
      ['GET', '/api/v1/admin/workplaces/102'],
      ['PUT', '/api/v1/admin/workplaces/102/blf', { extensions: [] }],
      ['PUT', '/api/v1/admin/workplaces/102/packages', { packages: [] }],
      ['DELETE', '/api/v1/admin/workplaces/102'],
      ['DELETE', '/api/v1/admin/callcenter-groups/600'],
      ['GET', '/api/v1/executives/100'],
      ['PUT', '/api/v1/executives/100', { filterOn: false }],
      ['PUT', '/api/v1/executives/100/assistants/102', { optedIn: false }],
      ['GET', '/api/v1/nothing-here'],
    ];
    for (const [m, path, body] of cases) {
      const r = await petra.request(m, path, body);
      assert.equal(r.status, 404, `${m} ${path}: ${JSON.stringify(r.json)}`);
      assert.equal(r.json.error, 'NOT_FOUND');
    }
    // Another tenant's extension in my BLF list is no workplace of mine.
    const blf = await petra.request('PUT', '/api/v1/me/blf', { extensions: ['102'] });
    assert.equal(blf.status, 422);
    assert.equal(blf.json.field, 'extensions[0]');
    // Directory, history and calls are the caller's own: nothing of demo shows.
    assert.ok(!JSON.stringify((await petra.request('GET', '/api/v1/workplaces')).json).includes('Heiden'));
    assert.deepEqual((await petra.request('GET', '/api/v1/me/history')).json['items'], []);
    assert.deepEqual((await petra.request('GET', '/api/v1/executives')).json, []);

    const jonas = await client('101');
    for (const [m, path] of [
      ['GET', '/api/v1/admin/workplaces'],
      ['GET', '/api/v1/admin/devices'],
      ['GET', '/api/v1/admin/pickup-groups'],
      ['GET', '/api/v1/admin/callcenter-groups'],
      ['PUT', '/api/v1/admin/workplaces/101/blf'],
    ]) {
      const r = await jonas.request(m!, path!, m === 'PUT' ? { extensions: [] } : undefined);
      assert.equal(r.status, 403, path);
      assert.equal(r.json.error, 'FORBIDDEN');
    }
    assert.equal((await jonas.request('GET', '/api/v1/me', undefined, { token: null })).status, 401);
  });

  it(`bad bodies: ${BAD_REQUESTS.length} malformed requests are 4xx naming the field; the server keeps serving`, async () => {
    const user = await client('102');
    const admin = await client('100');
    for (const c of BAD_REQUESTS) {
      const who = c.as === 'admin' ? admin : user;
      const r = await who.request(
        c.method,
        c.path,
        c.body,
        c.contentType ? { contentType: c.contentType } : {},
      );
      assert.equal(r.status, c.status, `${c.name}: ${JSON.stringify(r.json)}`);
      assert.equal(r.json.error, c.error, c.name);
      assert.equal(r.json.field, c.field, c.name);
    }
    assert.equal((await user.request('GET', '/api/v1/me')).status, 200);
    const health = await fetch(`http://127.0.0.1:${t.server.httpPort}/healthz`);
    assert.equal(health.status, 200);
  });

  it('login throttling: repeated failures ban the user from this source, shared with SIP digest failures', async () => {
    const c = new ApiClient(t.server.httpPort);
    for (let i = 0; i < 5; i++) assert.equal(await c.login(DEMO_DOMAIN, '102', `Wrong-Pa55word-${i}`), 401);
    assert.equal(await c.login(DEMO_DOMAIN, '102', DEMO_WEB_PASSWORDS['102']!), 429);
    // Other users are unaffected.
    assert.equal(await c.login(DEMO_DOMAIN, '101', DEMO_WEB_PASSWORDS['101']!), 201);
    // SIP digest failures of device 103 count for the web login of workplace 103: one counter per user.
    const wrong = await phone('103', 'Wrong-Digest-Pa55', 6);
    for (let i = 0; i < 5; i++) assert.notEqual((await wrong.register()).status, 200);
    assert.equal(await c.login(DEMO_DOMAIN, '103', DEMO_WEB_PASSWORDS['103']!), 429);
    const lines = t.logs.filter((l) => l['event'] === 'api.login.failed');
    assert.ok(lines.length >= 5);
    assert.ok(!JSON.stringify(t.logs).includes('Wrong-Pa55word'), 'no password in the logs');
  });

  it('a token survives a server restart; a logged-out one does not', async () => {
    const jonas = await client('101');
    const gone = await client('100'); // 102 and 103 are banned by the throttling test above
    assert.equal((await gone.request('DELETE', '/api/v1/sessions/current')).status, 204);
    await t.restart();
    const after = new ApiClient(t.server.httpPort);
    after.token = jonas.token;
    const me = await after.request('GET', '/api/v1/me');
    assert.equal(me.status, 200);
    assert.equal(me.json['extension'], '101');
    after.token = gone.token;
    assert.equal((await after.request('GET', '/api/v1/me')).status, 401);
  });
});

export type { StreamMessage };
