import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ACME,
  BETA,
  PHONE,
  blfHarness,
  blfService,
  call,
  directory,
  doc,
  request,
  settle,
  tx,
} from './blf-test-helpers.js';

describe('BlfNotifier', () => {
  const h = blfHarness();

  it('accepts Event: dialog for a workplace, NOTIFYs full state at once, then every change in order', async () => {
    const t = await h.subscribe('sip:101@acme.example', [['Expires', '600']]);
    assert.equal(t.responses[0]?.status, 200);
    assert.equal(t.responses[0]?.headers.get('Expires'), '600');
    const d = h.ua.dialogs[0]!;
    for (const e of ['call.ringing', 'call.answered', 'call.ended'] as const) {
      h.n.onEvent(call(e));
      await settle();
    }
    const docs = d.notifies.map((x) => doc(x.body));
    assert.deepEqual(
      docs.map((x) => [x['@version'], x['@state'], x.dialog?.map((y) => y.state)]),
      [
        ['0', 'full', undefined],
        ['1', 'full', ['early']],
        ['2', 'full', ['confirmed']],
        ['3', 'full', ['terminated']],
      ],
    );
    assert.equal(docs[1]!['@entity'], 'sip:101@acme.example');
    assert.equal(docs[1]!.dialog![0]!['@direction'], 'recipient');
    assert.equal(d.notifies[0]!.headers.get('Subscription-State'), 'active;expires=600');
    assert.equal(d.notifies[0]!.headers.get('Event'), 'dialog');
    assert.equal(d.notifies[0]!.contentType, 'application/dialog-info+xml');
    assert.equal(h.n.count(), 1);
  });

  it('another tenant (by domain) gets 403 and nothing is looked up; unknown workplace 404; tenants never mix', async () => {
    let looked = 0;
    const spy = { ...directory, plan: async (id: string) => (looked++, directory.plan(id)) };
    h.n = blfService({ ua: h.ua, directory: spy, store: h.store, clock: h.clock });
    const foreign = await h.subscribe('sip:101@acme.example', [], BETA);
    assert.equal(foreign.responses[0]?.status, 403);
    const foreign2 = await h.subscribe('sip:999@acme.example', [], BETA);
    assert.equal(foreign2.responses[0]?.status, 403, 'same answer whether the workplace exists or not');
    assert.equal(looked, 0);
    assert.equal(h.ua.dialogs.length, 0);
    assert.equal((await h.subscribe('sip:199@acme.example')).responses[0]?.status, 404);
    // A call in beta's 101 never reaches acme's watcher of 101.
    await h.subscribe('sip:101@acme.example');
    h.n.onEvent(call('call.ringing', 'cb', 'beta'));
    await settle();
    assert.equal(h.ua.dialogs[0]!.notifies.length, 1, 'only the initial NOTIFY');
  });

  it('Expires: too short → 423 with Min-Expires, too long → capped, refresh re-arms, Expires: 0 → terminated', async () => {
    const short = await h.subscribe('sip:101@acme.example', [['Expires', '10']]);
    assert.equal(short.responses[0]?.status, 423);
    assert.equal(short.responses[0]?.headers.get('Min-Expires'), '60');
    const long = await h.subscribe('sip:101@acme.example', [['Expires', '86400']]);
    assert.equal(long.responses[0]?.headers.get('Expires'), '3600');
    const d = h.ua.dialogs[0]!;
    const other = tx(request('sip:101@acme.example', [['Expires', '3600']], d.id.localTag));
    other.request.headers.set('Event', 'presence');
    d.handler!(other);
    assert.equal(other.responses[0]?.status, 489);
    h.clock.advance(3000_000);
    const refresh = tx(request('sip:101@acme.example', [['Expires', '3600']], d.id.localTag));
    d.handler!(refresh);
    await settle();
    assert.equal(refresh.responses[0]?.status, 200);
    assert.equal(d.notifies.length, 2, 'a refresh gets a NOTIFY');
    h.clock.advance(3000_000);
    assert.equal(h.n.count(), 1, 'the refresh moved the expiry');
    const unsub = tx(request('sip:101@acme.example', [['Expires', '0']], d.id.localTag));
    d.handler!(unsub);
    await settle();
    assert.equal(unsub.responses[0]?.headers.get('Expires'), '0');
    assert.equal(d.notifies.at(-1)!.headers.get('Subscription-State'), 'terminated;reason=timeout');
    assert.ok(d.released);
    assert.equal(h.n.count(), 0);
    assert.equal(h.clock.pendingTimers(), 0);
  });

  it('expiry on the clock sends the terminated NOTIFY and forgets the subscription', async () => {
    await h.subscribe('sip:101@acme.example', [['Expires', '60']]);
    const d = h.ua.dialogs[0]!;
    h.clock.advance(59_999);
    assert.equal(h.n.count(), 1);
    h.clock.advance(1);
    await settle();
    assert.equal(h.n.count(), 0);
    assert.equal(d.notifies.at(-1)!.headers.get('Subscription-State'), 'terminated;reason=timeout');
    assert.equal(doc(d.notifies.at(-1)!.body)['@version'], '1');
    await h.n.stop();
    assert.deepEqual(await h.store.blfSubscriptions.loadAll(), []);
  });

  it('a 481 to a NOTIFY ends the subscription (the watcher is gone)', async () => {
    await h.subscribe('sip:101@acme.example');
    h.ua.dialogs[0]!.status = 481;
    h.n.onEvent(call('call.ringing'));
    await settle();
    assert.equal(h.n.count(), 0);
    assert.equal(h.clock.pendingTimers(), 0);
  });

  it('a timed-out NOTIFY (408) ends the subscription as well (one failure policy, RFC 6665 4.2.2)', async () => {
    await h.subscribe('sip:101@acme.example');
    const d = h.ua.dialogs[0]!;
    d.status = 408;
    h.n.onEvent(call('call.ringing'));
    await settle();
    assert.equal(h.n.count(), 0);
    assert.equal(h.ua.dialogs.length, 1, 'not rebuilt');
    assert.equal(h.clock.pendingTimers(), 0);
    await h.n.stop();
    assert.deepEqual(await h.store.blfSubscriptions.loadAll(), [], 'forgotten in the store too');
  });

  it('other NOTIFY failures keep the subscription; the next change sends the full state again', async () => {
    await h.subscribe('sip:101@acme.example');
    const d = h.ua.dialogs[0]!;
    d.status = 500;
    h.n.onEvent(call('call.ringing'));
    await settle();
    assert.equal(h.n.count(), 1);
    d.status = 200;
    h.n.onEvent(call('call.answered'));
    await settle();
    const got = d.notifies.at(-1)!;
    assert.equal(doc(got.body)['@version'], '2');
    assert.equal(doc(got.body).dialog![0]!.state, 'confirmed');
  });

  it('1,000 watchers of one workplace each get every change with their own versions', async () => {
    for (let i = 0; i < 1000; i++)
      await h.n.handleSubscribe(tx(request('sip:101@acme.example')), ACME, PHONE);
    h.n.onEvent(call('call.ringing'));
    await settle();
    h.n.onEvent(call('call.ended'));
    await settle();
    for (const d of h.ua.dialogs)
      assert.deepEqual(
        d.notifies.map((x) => doc(x.body)['@version']),
        ['0', '1', '2'],
      );
  });

  it('a burst of changes in one go coalesces per watcher: one NOTIFY with the latest full state', async () => {
    for (let i = 0; i < 3; i++) await h.n.handleSubscribe(tx(request('sip:101@acme.example')), ACME, PHONE);
    await settle();
    for (const e of ['call.ringing', 'call.answered', 'call.ended'] as const) h.n.onEvent(call(e));
    await settle();
    for (const d of h.ua.dialogs)
      assert.deepEqual(
        d.notifies.map((x) => {
          const x2 = doc(x.body);
          return [x2['@version'], x2.dialog?.map((y) => y.state)];
        }),
        [
          ['0', undefined],
          ['1', ['terminated']],
        ],
      );
  });

  it('list URI: 421 without eventlist; with it one multipart NOTIFY for all, then partial updates', async () => {
    const no = await h.subscribe('sip:100-blf@acme.example');
    assert.equal(no.responses[0]?.status, 421);
    assert.equal(no.responses[0]?.headers.get('Require'), 'eventlist');
    const ok = await h.subscribe('sip:100-blf@acme.example', [['Supported', 'eventlist']]);
    assert.equal(ok.responses[0]?.status, 200);
    const d = h.ua.dialogs[0]!;
    h.n.onEvent(call('call.ringing'));
    await settle();
    assert.equal(d.notifies.length, 2);
    const [full, partial] = d.notifies;
    assert.match(
      full!.contentType,
      /^multipart\/related;type="application\/rlmi\+xml";start="<[^>]+>";boundary="/,
    );
    assert.equal(full!.headers.get('Require'), 'eventlist');
    const parts = (body: string) => (body.match(/Content-Type: application\/dialog-info\+xml/g) ?? []).length;
    assert.equal(parts(full!.body), 3);
    assert.match(full!.body, /fullState="true"/);
    // The call from 102 to 101 changes two members: both are in the partial update, 103 is not.
    assert.equal(parts(partial!.body), 2);
    assert.match(partial!.body, /fullState="false"/);
    assert.match(partial!.body, /<list [^>]*version="1"/);
    assert.doesNotMatch(partial!.body, /sip:103@/);
  });
});
