import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CallEvent } from '../../core/events/types.js';
import { PERSIST_EVERY, RESTORE_MARGIN } from '../../core/subscriptions/subscription-service.js';
import { WORKPLACES, blfHarness, call, doc, settle, wp } from './blf-test-helpers.js';

describe('BlfNotifier across a restart and re-provisioning', () => {
  const h = blfHarness();

  it('survives a restart: versions and CSeq continue higher, expiry still works', async () => {
    await h.subscribe('sip:101@acme.example', [['Expires', '600']]);
    h.n.onEvent(call('call.ringing'));
    await settle();
    const d = h.ua.dialogs[0]!;
    assert.equal(d.notifies.length, 2);
    await h.n.stop();
    const { ua: ua2, n: n2 } = await h.nextProcess();
    assert.equal(n2.count(), 1);
    const d2 = ua2.dialogs[0]!;
    assert.equal(d2.id.localTag, d.id.localTag);
    n2.onEvent(call('call.ended', 'c9'));
    n2.onEvent(call('call.ringing', 'c10'));
    await settle();
    const versions = d2.notifies.map((x) => Number(doc(x.body)['@version']));
    assert.deepEqual(versions, [2 + RESTORE_MARGIN, 3 + RESTORE_MARGIN], 'restore NOTIFY, then the change');
    assert.ok(d2.notifies[0]!.cseq > d.notifies.at(-1)!.cseq);
    h.clock.advance(600_000);
    await settle();
    assert.equal(n2.count(), 0);
    assert.equal(d2.notifies.at(-1)!.headers.get('Subscription-State'), 'terminated;reason=timeout');
    await n2.stop();
    assert.deepEqual(await h.store.blfSubscriptions.loadAll(), []);
  });

  it('after a crash (no orderly stop) versions and CSeq still continue above everything sent', async () => {
    await h.subscribe('sip:101@acme.example', [['Expires', '600']]);
    for (let i = 0; i < 250; i++) {
      h.n.onEvent(call(i % 2 === 0 ? 'call.ringing' : 'call.ended', `k${i >> 1}`));
      await new Promise((r) => setTimeout(r, 1));
    }
    await new Promise((r) => setTimeout(r, 50));
    const d = h.ua.dialogs[0]!;
    assert.equal(d.notifies.length, 251);
    const stored = (await h.store.blfSubscriptions.loadAll())[0]!;
    assert.ok(stored.versionFloor < 251, 'not written on every NOTIFY');
    assert.ok(stored.versionFloor >= 251 - PERSIST_EVERY, 'but at least every PERSIST_EVERY');
    // No h.n.stop(): the process is gone. A new one restores from what was written.
    const { ua: ua2, n: n2 } = await h.nextProcess();
    await settle();
    const first = ua2.dialogs[0]!.notifies[0]!;
    assert.ok(Number(doc(first.body)['@version']) > 250);
    assert.ok(first.cseq > d.notifies.at(-1)!.cseq);
    await n2.stop();
  });

  it('after provisioning: a removed workplace ends with noresource, a changed list is followed', async () => {
    await h.subscribe('sip:103@acme.example');
    await h.subscribe('sip:100-blf@acme.example', [['Supported', 'eventlist']]);
    const [single, list] = h.ua.dialogs;
    const saved = WORKPLACES.splice(0, WORKPLACES.length, ...WORKPLACES.filter((w) => w.extension !== '103'));
    WORKPLACES[0] = wp('acme', '100', ['102', '101']);
    try {
      await h.n.reconcile();
      await settle();
      assert.equal(
        single!.notifies.at(-1)!.headers.get('Subscription-State'),
        'terminated;reason=noresource',
      );
      assert.ok(single!.released);
      const last = list!.notifies.at(-1)!;
      assert.match(last.body, /fullState="true"/);
      assert.deepEqual(
        [...last.body.matchAll(/<resource uri="([^"]+)"/g)].map((m) => m[1]),
        ['sip:102@acme.example', 'sip:101@acme.example'],
      );
      assert.equal(h.n.count(), 1);
      // 103 is no longer watched through the list: its calls do not NOTIFY; 101's do.
      const before = list!.notifies.length;
      h.n.onEvent({
        ...call('call.ringing', 'z1'),
        caller: { number: '+4930999' },
        callee: { workplace: '103', number: '103' },
      } as CallEvent);
      await settle();
      assert.equal(list!.notifies.length, before);
      h.n.onEvent(call('call.ringing', 'z2'));
      await settle();
      assert.equal(list!.notifies.length, before + 1);
    } finally {
      WORKPLACES.splice(0, WORKPLACES.length, ...saved);
    }
  });
});
