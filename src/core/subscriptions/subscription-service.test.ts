import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Flow } from '../../sip/transport/types.js';
import { Net } from '../../sip/ua/test-net.js';
import { openStore } from '../../store/open-store.js';
import type { DeviceRecord, Store, TenantRecord } from '../../store/types.js';
import { createLogger } from '../../util/log.js';
import { createResponse, isSipUri } from '../../sip/message/index.js';
import type { EventPackage } from './event-package.js';
import {
  PERSIST_EVERY,
  RESTORE_MARGIN,
  SubscriptionService,
  type PackageHandle,
} from './subscription-service.js';
import { TestSubscriber } from './test-subscriber.js';

const ACME: TenantRecord = { id: 'acme', name: 'Acme', domain: 'example.com' };
const PHONE: DeviceRecord = {
  tenantId: 'acme',
  username: 'phone',
  workplaceExtension: '100',
  kind: 'deskphone',
  ha1Md5: '',
  ha1Sha256: '',
};
const log = createLogger({ level: 'silent' });

/** A package whose resource is the Request-URI user; `nobody` does not exist, `gone` disappears on restore. */
interface Thing {
  name: string;
  received: number;
}
function thingPackage(opts: { goneOnRestore?: boolean } = {}): EventPackage<Thing, string> {
  return {
    event: 'test',
    contentTypes: ['text/plain'],
    async admit({ request }) {
      const user = isSipUri(request.uri) ? (request.uri.user ?? '') : '';
      if (user === 'nobody') return { ok: false, status: 404 };
      return { ok: true, resource: { name: user, received: 0 } };
    },
    async received(sub) {
      sub.resource.received++;
    },
    body: (sub, n) => ({
      contentType: 'text/plain',
      body: `${sub.resource.name} v${n.version} ${n.state} ${n.change ?? 'full'}`,
    }),
    persistence: {
      kinds: ['thing'],
      save: (r) => ({ kind: 'thing', resource: r.name, versions: { x: 5 } }),
      async restore({ stored }) {
        assert.equal(stored.versions.x, 5 + RESTORE_MARGIN, 'counters come back raised');
        return { resource: { name: stored.resource, received: 0 }, gone: opts.goneOnRestore === true };
      },
    },
  };
}

describe('SubscriptionService (RFC 6665 notifier) on the in-memory SIP network', () => {
  let store: Store;
  before(async () => {
    store = await openStore('sqlite::memory:');
    await store.provisioning.upsertTenant(ACME);
  });
  after(() => store.close());
  beforeEach(async () => {
    for (const r of await store.blfSubscriptions.loadAll())
      await store.blfSubscriptions.remove(r.tenantId, r.id);
  });

  function serve(net: Net, pkg = thingPackage()) {
    const svc = new SubscriptionService({
      ua: net.b.ua,
      tenants: { tenantById: async (id) => (id === ACME.id ? ACME : undefined) },
      store,
      clock: net.clock,
      log,
    });
    const handle: PackageHandle<Thing, string> = svc.register(pkg);
    net.b.onApp = (tx) => void svc.handleSubscribe(tx, ACME, PHONE);
    return { svc, handle };
  }

  it('admission: unknown package 489 with Allow-Events, package refusal as given, 423 with Min-Expires, 400', async () => {
    const net = new Net();
    const { svc } = serve(net);
    const s = new TestSubscriber(net);
    const bad = await s.subscribe({ event: 'presence' });
    assert.equal(bad.status, 489);
    assert.equal(bad.headers.get('Allow-Events'), 'test');
    assert.equal((await s.subscribe({ uri: 'sip:nobody@example.com' })).status, 404);
    const brief = await s.subscribe({ expires: 10 });
    assert.equal(brief.status, 423);
    assert.equal(brief.headers.get('Min-Expires'), '60');
    assert.equal(svc.count(), 0);
    assert.equal(net.b.ua.counts().dialogs, 0);
    await net.finish();
  });

  it('accepts, NOTIFYs at once; refresh re-arms and NOTIFYs; Expires: 0 ends with terminated;reason=timeout', async () => {
    const net = new Net();
    const { svc, handle } = serve(net);
    const s = new TestSubscriber(net);
    const ok = await s.subscribe({ expires: 600 });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('Expires'), '600');
    await net.drain();
    assert.deepEqual(s.states(), ['active;expires=600']);
    assert.equal(s.notifies[0]!.body, 'thing v0 active full');
    const [sub] = handle.subscriptions();
    assert.equal(sub!.resource.received, 1, 'the package saw the SUBSCRIBE');
    await net.advance(500_000, 10_000);
    assert.equal((await s.subscribe({ expires: 300 })).status, 200);
    await net.drain();
    assert.equal(s.states().at(-1), 'active;expires=300');
    assert.equal(sub!.resource.received, 2);
    await net.advance(250_000, 10_000);
    assert.equal(svc.count(), 1, 'the refresh moved the expiry past the first one');
    assert.equal((await s.subscribe({ expires: 0 })).status, 200);
    await net.drain();
    assert.equal(s.states().at(-1), 'terminated;reason=timeout');
    assert.equal(svc.count(), 0);
    assert.equal(net.b.ua.counts().dialogs, 0, 'the dialog is released');
    await svc.stop();
    assert.deepEqual(await store.blfSubscriptions.loadAll(), []);
    await net.finish();
  });

  it('expiry on the clock sends terminated;reason=timeout; a later in-dialog SUBSCRIBE gets 481', async () => {
    const net = new Net();
    const { svc } = serve(net);
    const s = new TestSubscriber(net);
    await s.subscribe({ expires: 60 });
    await net.advance(59_000, 1000);
    assert.equal(svc.count(), 1);
    await net.advance(2000, 500);
    assert.equal(svc.count(), 0);
    assert.equal(s.states().at(-1), 'terminated;reason=timeout');
    assert.equal(s.notifies.at(-1)!.body, 'thing v1 terminated full');
    assert.equal((await s.subscribe({ expires: 60 })).status, 481);
    await net.finish();
  });

  it('NOTIFYs go one at a time in order, versions and CSeq rising, each built when the change happened', async () => {
    const net = new Net();
    const { handle } = serve(net);
    const s = new TestSubscriber(net);
    await s.subscribe();
    await net.drain();
    s.status = 'none';
    const [sub] = handle.subscriptions();
    for (const c of ['a', 'b', 'c']) handle.notify(sub!, c);
    await net.drain();
    assert.equal(s.notifies.length, 2, 'the second waits for the first to be answered');
    s.status = 200;
    s.held.shift()!.respond(createResponse(s.notifies[1]!.request, 200));
    await net.drain();
    assert.deepEqual(
      s.notifies.map((n) => n.body),
      ['thing v0 active full', 'thing v1 active a', 'thing v2 active b', 'thing v3 active c'],
    );
    const cseqs = s.notifies.map((n) => n.cseq);
    assert.deepEqual(
      cseqs,
      [...cseqs].sort((x, y) => x - y),
    );
    await net.finish();
  });

  it('a burst of full-state changes coalesces: the NOTIFY waiting behind the one in flight carries the latest', async () => {
    const net = new Net();
    const { svc, handle } = serve(net, { ...thingPackage(), fullState: () => true });
    const s = new TestSubscriber(net);
    await s.subscribe();
    await net.drain();
    s.status = 'none';
    const [sub] = handle.subscriptions();
    handle.notify(sub!, 'a');
    await net.drain();
    for (const c of ['b', 'c', 'd']) handle.notify(sub!, c);
    await net.drain();
    assert.equal(s.notifies.length, 2, 'a in flight, the rest waits');
    s.status = 200;
    s.held.shift()!.respond(createResponse(s.notifies[1]!.request, 200));
    await net.drain();
    // c and d replaced b under the waiting NOTIFY's version: no version is skipped.
    assert.deepEqual(
      s.notifies.map((n) => n.body),
      ['thing v0 active full', 'thing v1 active a', 'thing v2 active d'],
    );
    assert.equal(svc.coalesced(), 2);
    handle.notify(sub!, 'e');
    await net.drain();
    assert.equal(
      s.notifies.at(-1)!.body,
      'thing v3 active e',
      'with nothing waiting, a change is sent at once',
    );
    await net.finish();
  });

  it('a change for many subscriptions sends all their NOTIFYs in one flush, before any answer is taken in', async () => {
    const net = new Net();
    const { handle } = serve(net);
    const subs = Array.from({ length: 30 }, (_, i) => new TestSubscriber(net, { callId: `fan-${i}` }));
    for (const s of subs) await s.subscribe();
    await net.drain();
    const before = net.sent('b', 'NOTIFY').length;
    for (const sub of handle.subscriptions()) handle.notify(sub, 'x');
    assert.equal(net.sent('b', 'NOTIFY').length, before, 'queued, not sent, while the change is handed out');
    await Promise.resolve();
    assert.equal(net.sent('b', 'NOTIFY').length, before + 30, 'one microtask later: all of them');
    assert.equal(net.sent('a', 200).length, subs.length, 'no 200 to a NOTIFY of the fan-out taken in yet');
    await net.drain();
    const bodies = net
      .sent('b', 'NOTIFY')
      .slice(before)
      .map((m) => m.body.toString());
    assert.deepEqual(bodies, Array(30).fill('thing v1 active x'));
    await net.finish();
  });

  it('failure policy: 481 ends the subscription, 408 (Timer F) ends it, 500 keeps it', async () => {
    for (const [status, kept] of [
      [481, false],
      ['none', false],
      [500, true],
    ] as const) {
      const net = new Net();
      const { svc, handle } = serve(net);
      const s = new TestSubscriber(net);
      await s.subscribe();
      await net.drain();
      s.status = status;
      handle.notify(handle.subscriptions()[0]!, 'x');
      await net.advance(40_000, 500);
      assert.equal(svc.count(), kept ? 1 : 0, `after ${status}`);
      assert.equal(net.b.ua.counts().dialogs, kept ? 1 : 0);
      assert.equal(net.clock.pendingTimers() > 0, kept, 'no expiry timer left for an ended one');
      await svc.stop();
      assert.equal((await store.blfSubscriptions.loadAll()).length, kept ? 1 : 0);
      for (const r of await store.blfSubscriptions.loadAll())
        await store.blfSubscriptions.remove(r.tenantId, r.id);
      await net.finish();
    }
  });

  it('WS: a NOTIFY that cannot be sent (503, connection gone) keeps the subscription; its next refresh NOTIFYs the full state again', async () => {
    const net = new Net();
    const { svc, handle } = serve(net);
    const s = new TestSubscriber(net, { protocol: 'ws' });
    await s.subscribe({ expires: 600 });
    await net.drain();
    const send = net.b.sendRequest.bind(net.b);
    let gone = true;
    net.b.sendRequest = (req, to) => (gone && req.method === 'NOTIFY' ? false : send(req, to));
    handle.notify(handle.subscriptions()[0]!, 'lost');
    await net.drain();
    assert.equal(svc.count(), 1, 'kept');
    assert.equal(s.notifies.length, 1);
    gone = false;
    assert.equal((await s.subscribe({ expires: 600 })).status, 200);
    await net.drain();
    assert.equal(
      s.notifies.at(-1)!.body,
      'thing v2 active full',
      'the full state again, version past the lost one',
    );
    await svc.stop();
    for (const r of await store.blfSubscriptions.loadAll())
      await store.blfSubscriptions.remove(r.tenantId, r.id);
    await net.finish();
  });

  it('persists behind the NOTIFYs and restores after a restart with versions and CSeq above the old ones', async () => {
    const net = new Net();
    const { svc, handle } = serve(net);
    const s = new TestSubscriber(net);
    await s.subscribe({ expires: 600 });
    const sub = handle.subscriptions()[0]!;
    for (let i = 0; i < PERSIST_EVERY + 5; i++) handle.notify(sub, `n${i}`);
    await net.drain();
    const stored = (await store.blfSubscriptions.loadAll())[0]!;
    assert.ok(stored.versionFloor >= PERSIST_EVERY, 'written again after PERSIST_EVERY NOTIFYs');
    assert.equal(stored.kind, 'thing');
    await svc.stop();
    const last = s.notifies.at(-1)!;

    // The restarted process: a new UA core (and network); the subscriber keeps its dialog.
    const net2 = new Net();
    const { svc: svc2 } = serve(net2);
    const s2 = new TestSubscriber(net2);
    await svc2.start();
    await net2.drain();
    assert.equal(svc2.count(), 1);
    const first = s2.notifies[0]!;
    assert.equal(first.state, 'active;expires=600');
    const version = Number(/ v(\d+) /.exec(first.body)![1]);
    assert.ok(version >= PERSIST_EVERY + 6 && version > RESTORE_MARGIN, `version ${version}`);
    assert.ok(first.cseq > last.cseq, 'CSeq above everything sent before');
    assert.equal(first.request.headers.get('Call-ID'), last.request.headers.get('Call-ID'));
    await net2.advance(601_000, 10_000);
    assert.equal(s2.states().at(-1), 'terminated;reason=timeout', 'expiry still runs after a restart');
    await svc2.stop();
    assert.deepEqual(await store.blfSubscriptions.loadAll(), []);
    await net.finish();
    await net2.finish();
  });

  it('TCP: after a restart the NOTIFYs go to the Contact over a new connection; a refresh on another flow is followed', async () => {
    const net = new Net();
    const { svc } = serve(net);
    const s = new TestSubscriber(net, { protocol: 'tcp' });
    await s.subscribe({ expires: 600, contact: '<sip:phone@10.0.0.1:5070;transport=tcp>' });
    await net.drain();
    await svc.stop();
    const stored = (await store.blfSubscriptions.loadAll())[0]!;
    assert.equal(stored.flow.protocol, 'tcp');
    assert.equal(stored.flow.port, 5060, 'the flow it came in on (the phone’s source port)');

    const net2 = new Net();
    const flows: Flow[] = [];
    const send = net2.b.sendRequest.bind(net2.b);
    net2.b.sendRequest = (req, to) => {
      if (req.method === 'NOTIFY') flows.push(to);
      return send(req, to);
    };
    const { svc: svc2, handle } = serve(net2);
    const s2 = new TestSubscriber(net2, { protocol: 'tcp' });
    await svc2.start();
    await net2.drain();
    assert.equal(s2.notifies.length, 1);
    assert.deepEqual(flows[0]!.remote, { address: '10.0.0.1', port: 5070 }, 'to the Contact');
    assert.equal(flows[0]!.protocol, 'tcp');
    assert.equal(flows[0]!.connectionId, undefined, 'a new connection');

    // The phone refreshes in the dialog from its own new connection (source 10.0.0.1:5060): NOTIFYs follow it.
    const refresh = net2.a.ua.request({
      method: 'SUBSCRIBE',
      flow: { ...net2.a.flowTo(net2.b), protocol: 'tcp' },
      requestUri: stored.localUri,
      from: '<sip:phone@example.com>',
      fromTag: stored.remoteTag,
      to: `<${stored.localUri}>;tag=${stored.localTag}`,
      callId: stored.callId,
      cseq: (stored.remoteSeq ?? 0) + 1,
      headers: [
        ['Event', 'test'],
        ['Expires', '600'],
      ],
    });
    await net2.drain();
    assert.equal((await refresh).status, 200);
    await net2.drain();
    handle.notify(handle.subscriptions()[0]!, 'after');
    await net2.drain();
    assert.deepEqual(flows.at(-1)!.remote, { address: '10.0.0.1', port: 5060 });
    assert.equal(s2.notifies.at(-1)!.body.endsWith('active after'), true);
    assert.equal(net2.b.ua.counts().dialogs, 1, 'one dialog, rebuilt, not two');
    await svc2.stop();
    const again = (await store.blfSubscriptions.loadAll())[0]!;
    assert.equal(again.flow.port, 5060, 'the followed flow is what is stored');
    for (const r of await store.blfSubscriptions.loadAll())
      await store.blfSubscriptions.remove(r.tenantId, r.id);
    await net.finish();
    await net2.finish();
  });

  it('restore of a subscription whose resource went ends it with noresource', async () => {
    const net = new Net();
    const { svc } = serve(net);
    const s = new TestSubscriber(net);
    await s.subscribe({ expires: 600 });
    await svc.stop();
    const net2 = new Net();
    const { svc: svc2 } = serve(net2, thingPackage({ goneOnRestore: true }));
    const s2 = new TestSubscriber(net2);
    await svc2.start();
    await net2.drain();
    assert.deepEqual(s2.states(), ['terminated;reason=noresource']);
    assert.equal(svc2.count(), 0);
    await svc2.stop();
    assert.deepEqual(await store.blfSubscriptions.loadAll(), []);
    await net.finish();
    await net2.finish();
  });
});
