import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FEATURE_LOGINS as L, startFeaturesApi, type FeaturesApi } from './test-features.js';

interface Rule {
  enabled: boolean;
  target: { kind: string; number?: string } | null;
}
interface Forwarding {
  dnd: boolean;
  always: Rule;
  busy: Rule;
  noAnswer: Rule & { seconds: number };
  notReachable: Rule;
}

describe('api: my forwarding, do not disturb and voicemail', () => {
  let t: FeaturesApi;
  const tokens: Record<string, string> = {};
  before(async () => {
    t = await startFeaturesApi();
    for (const [k, v] of Object.entries(L)) tokens[k] = await t.login(v);
  });
  after(() => t.close());

  it('reads and changes my forwarding rules and DND, through the service the codes use', async () => {
    const changes: string[] = [];
    t.forwarding.onChange((tenant, workplace, s) => changes.push(`${tenant}/${workplace} dnd=${s.dnd}`));
    let r = await t.call(tokens['eva'], 'GET', '/api/v1/me/forwarding');
    assert.equal(r.status, 200);
    assert.equal((r.json as unknown as Forwarding).always.enabled, false);
    r = await t.call(tokens['eva'], 'PUT', '/api/v1/me/forwarding', {
      dnd: true,
      always: { to: '203', enabled: true },
      noAnswer: { to: 'voicemail', enabled: true, seconds: 15 },
    });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const f = r.json as unknown as Forwarding;
    assert.equal(f.dnd, true);
    assert.deepEqual(f.always, { enabled: true, target: { kind: 'extension', number: '203' } });
    assert.deepEqual(f.noAnswer, { enabled: true, target: { kind: 'voicemail' }, seconds: 15 });
    assert.deepEqual(changes, ['acme/200 dnd=true']);
    // The service (what the next call asks) and the store have it.
    assert.equal(t.forwarding.isDnd('acme', '200'), true);
    assert.equal((await t.store.forwarding.get('acme', '200')).always.enabled, true);
    // Switching off keeps the target, as the codes do.
    r = await t.call(tokens['eva'], 'PUT', '/api/v1/me/forwarding', { always: { enabled: false } });
    assert.deepEqual((r.json as unknown as Forwarding).always, {
      enabled: false,
      target: { kind: 'extension', number: '203' },
    });
    // Another tenant's workplace with the same extension is untouched.
    r = await t.call(tokens['otto'], 'GET', '/api/v1/me/forwarding');
    assert.equal((r.json as unknown as Forwarding).dnd, false);
    assert.equal(t.forwarding.isDnd('other', '200'), false);
  });

  it('refuses targets the phone would be refused, and changes nothing then', async () => {
    const before = (await t.call(tokens['carl'], 'GET', '/api/v1/me/forwarding')).json;
    for (const [body, field] of [
      [{ busy: { to: '203', enabled: true } }, 'busy.to'], // myself
      [{ busy: { to: '999', enabled: true } }, 'busy.to'], // no such extension
      [{ busy: { to: '+4930123456', enabled: true } }, 'busy.to'], // no trunk
      [{ busy: { to: 'voicemail', enabled: true } }, 'busy.to'], // no mailbox
      [{ notReachable: { enabled: true } }, 'notReachable.to'], // on without a target
      [{ dnd: true, always: { to: '999' } }, 'always.to'], // one bad target: dnd stays off too
    ] as const) {
      const r = await t.call(tokens['carl'], 'PUT', '/api/v1/me/forwarding', body);
      assert.equal(r.status, 422, JSON.stringify(body));
      assert.equal(r.json.error, 'VALIDATION_FAILED');
      assert.equal(r.json.field, field, JSON.stringify(r.json));
    }
    assert.deepEqual((await t.call(tokens['carl'], 'GET', '/api/v1/me/forwarding')).json, before);
    for (const [body, field] of [
      [{}, '(body)'],
      [{ dnd: 'on' }, 'dnd'],
      [{ always: { to: '12ab' } }, 'always.to'],
      [{ noAnswer: { seconds: 2 } }, 'noAnswer.seconds'],
      [{ busy: { target: '201' } }, 'busy.target'],
    ] as const) {
      const r = await t.call(tokens['carl'], 'PUT', '/api/v1/me/forwarding', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.json.field, field, JSON.stringify(r.json));
    }
  });

  it('lists, marks, plays and deletes my voicemail messages; MWI follows', async () => {
    const audio = { samples: new Int16Array(8000).fill(1000) };
    const older = await t.mailboxes.keep('acme', '200', { number: '203', name: 'Carl' }, audio, false);
    await new Promise((r) => setTimeout(r, 5));
    const newer = await t.mailboxes.keep('acme', '200', { number: '+4930555' }, audio, false);
    t.mwi.length = 0;
    let r = await t.call(tokens['eva'], 'GET', '/api/v1/me/voicemail');
    assert.equal(r.status, 200);
    const box = r.json as unknown as {
      newCount: number;
      messages: Array<{ id: string; folder: string; caller: { number: string }; durationMs: number }>;
    };
    assert.equal(box.newCount, 2);
    assert.deepEqual(
      box.messages.map((m) => m.id),
      [newer.id, older.id],
    );
    assert.equal(box.messages[1]!.durationMs, 1000);

    r = await t.call(tokens['eva'], 'PUT', `/api/v1/me/voicemail/messages/${older.id}`, { folder: 'saved' });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.json['folder'], 'saved');
    assert.deepEqual(t.mwi, ['acme/200 1/1']);

    const wav = await t.app.inject({
      method: 'GET',
      url: `/api/v1/me/voicemail/messages/${older.id}/audio`,
      headers: { authorization: `Bearer ${tokens['eva']}` },
    });
    assert.equal(wav.statusCode, 200);
    assert.match(String(wav.headers['content-type']), /^audio\/wav/);
    assert.equal(wav.rawPayload.subarray(0, 4).toString(), 'RIFF');
    assert.equal(wav.rawPayload.subarray(8, 12).toString(), 'WAVE');
    assert.equal(wav.rawPayload.length, 44 + 16000);

    // Nobody else reaches the message: not a colleague, not the same extension in another tenant.
    for (const who of ['carl', 'otto', 'anna']) {
      for (const [method, url, body] of [
        ['GET', `/api/v1/me/voicemail/messages/${older.id}/audio`],
        ['PUT', `/api/v1/me/voicemail/messages/${older.id}`, { folder: 'new' }],
        ['DELETE', `/api/v1/me/voicemail/messages/${older.id}`],
      ] as const) {
        const x = await t.call(tokens[who], method, url, body);
        assert.equal(x.status, 404, `${who} ${method} ${url}`);
      }
    }
    assert.equal((await t.call(tokens['otto'], 'GET', '/api/v1/me/voicemail')).json['newCount'], 0);

    r = await t.call(tokens['eva'], 'DELETE', `/api/v1/me/voicemail/messages/${older.id}`);
    assert.equal(r.status, 204);
    r = await t.call(tokens['eva'], 'DELETE', `/api/v1/me/voicemail/messages/${older.id}`);
    assert.equal(r.status, 404);
    r = await t.call(tokens['eva'], 'PUT', `/api/v1/me/voicemail/messages/${newer.id}`, { folder: 'saved' });
    r = await t.call(tokens['eva'], 'PUT', `/api/v1/me/voicemail/messages/${newer.id}`, { folder: 'new' });
    assert.equal(r.json['folder'], 'new');
    const left = (await t.call(tokens['eva'], 'GET', '/api/v1/me/voicemail')).json;
    assert.deepEqual([left['newCount'], left['oldCount']], [1, 0]);
    // A workplace without the package has no mailbox.
    assert.equal((await t.call(tokens['carl'], 'GET', '/api/v1/me/voicemail')).status, 404);
    const bad = await t.call(tokens['eva'], 'PUT', `/api/v1/me/voicemail/messages/${newer.id}`, {
      folder: 'trash',
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.field, 'folder');
  });
});
