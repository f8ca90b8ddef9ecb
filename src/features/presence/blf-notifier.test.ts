import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import type { CallEvent, Party } from '../../core/events/types.js';
import { createResponse, parseMessage, type SipRequest, type SipResponse } from '../../sip/message/index.js';
import { TransactionState } from '../../sip/transaction/transaction-state.js';
import type { ServerTransaction } from '../../sip/transaction/types.js';
import type { DialogSnapshot, SubscriptionDialog } from '../../sip/ua/index.js';
import { FakeClock } from '../../util/clock.js';
import { createLogger } from '../../util/log.js';
import { openStore } from '../../store/open-store.js';
import type { DeviceRecord, Store, TenantRecord, WorkplaceRecord } from '../../store/types.js';
import {
  PERSIST_EVERY,
  RESTORE_MARGIN,
  SubscriptionService,
  type SubscriptionUa,
} from '../../core/subscriptions/subscription-service.js';
import { BlfNotifier, type BlfDirectory } from './blf-notifier.js';

const ACME: TenantRecord = { id: 'acme', name: 'Acme', domain: 'acme.example' };
const BETA: TenantRecord = { id: 'beta', name: 'Beta', domain: 'beta.example' };
const PHONE: DeviceRecord = {
  tenantId: 'acme',
  username: 'phone-100',
  workplaceExtension: '100',
  kind: 'deskphone',
  ha1Md5: '',
  ha1Sha256: '',
};
const wp = (tenantId: string, extension: string, blf?: string[]): WorkplaceRecord => ({
  tenantId,
  extension,
  name: `WP ${extension}`,
  email: null,
  language: 'de',
  packages: [],
  ...(blf ? { blf } : {}),
});
const WORKPLACES: WorkplaceRecord[] = [
  wp('acme', '100', ['101', '102', '103']),
  wp('acme', '101'),
  wp('acme', '102'),
  wp('acme', '103'),
  wp('beta', '101'),
];
const directory = {
  tenantById: async (id: string) => [ACME, BETA].find((t) => t.id === id),
  plan: async (tenantId: string) => ({
    workplace: (ext: string) => WORKPLACES.find((w) => w.tenantId === tenantId && w.extension === ext),
  }),
};

const X: Party = { workplace: '102', number: '102', name: 'Caller' };
const W: Party = { workplace: '101', number: '101', name: 'Watched' };
let at = 1;
const call = (
  type: 'call.ringing' | 'call.answered' | 'call.ended',
  callId = 'c1',
  tenantId = 'acme',
): CallEvent =>
  ({
    type,
    callId,
    tenantId,
    at: at++,
    caller: X,
    callee: W,
    ...(type === 'call.ended' ? { reason: 'completed' } : {}),
  }) as CallEvent;

/** A dialog that records the NOTIFYs and answers each with `status`. */
class FakeDialog implements SubscriptionDialog {
  readonly notifies: SipRequestLike[] = [];
  state: 'confirmed' | 'terminated' = 'confirmed';
  status = 200;
  handler: ((tx: ServerTransaction) => void) | undefined;
  #terminated: Array<(why: 'closed' | 'remote-gone') => void> = [];
  localSeq: number | undefined;
  released = false;
  constructor(
    readonly snap: DialogSnapshot,
    readonly expires?: number,
  ) {
    this.localSeq = snap.localSeq;
  }
  get id() {
    return { callId: this.snap.callId, localTag: this.snap.localTag, remoteTag: this.snap.remoteTag };
  }
  readonly localUri = 'sip:101@acme.example';
  readonly remoteUri = 'sip:phone-100@acme.example';
  readonly remoteTarget = 'sip:phone@127.0.0.1:5070';
  readonly routeSet: string[] = [];
  get flow() {
    return this.snap.flow;
  }
  async request(
    method: string,
    o: { body?: Buffer; contentType?: string; headers?: Array<[string, string]> } = {},
  ) {
    this.localSeq = (this.localSeq ?? 0) + 1;
    this.notifies.push({
      method,
      cseq: this.localSeq,
      headers: new Map((o.headers ?? []).map(([k, v]) => [k, v])),
      contentType: o.contentType ?? '',
      body: o.body?.toString() ?? '',
    });
    const status = this.status;
    if (status === 481 || status === 408) {
      this.state = 'terminated';
      for (const cb of this.#terminated.splice(0)) cb('remote-gone');
    }
    return { status } as SipResponse;
  }
  async bye() {}
  onRequest(h: (tx: ServerTransaction) => void) {
    this.handler = h;
  }
  onTerminated(cb: (why: 'closed' | 'remote-gone') => void) {
    this.#terminated.push(cb);
  }
  /** Subscription dialogs never see an ACK (no INVITE in them). */
  onAck() {}
  snapshot(): DialogSnapshot {
    return { ...this.snap, localSeq: this.localSeq };
  }
  release() {
    this.released = true;
    this.state = 'terminated';
    for (const cb of this.#terminated.splice(0)) cb('closed');
  }
}
interface SipRequestLike {
  method: string;
  cseq: number;
  headers: Map<string, string>;
  contentType: string;
  body: string;
}

class FakeUa implements SubscriptionUa {
  readonly dialogs: FakeDialog[] = [];
  #n = 0;
  acceptSubscribe(tx: ServerTransaction, o: { expires: number; headers?: Array<[string, string]> }) {
    const d = new FakeDialog(
      {
        callId: tx.request.headers.get('Call-ID')!,
        localTag: `lt${++this.#n}`,
        remoteTag: 'rt',
        localUri: 'sip:101@acme.example',
        remoteUri: 'sip:phone-100@acme.example',
        remoteTarget: 'sip:phone@127.0.0.1:5070',
        routeSet: [],
        localSeq: undefined,
        remoteSeq: 1,
        flow: {
          protocol: 'udp',
          local: { address: '127.0.0.1', port: 5060 },
          remote: { address: '127.0.0.1', port: 5070 },
        },
      },
      o.expires,
    );
    tx.respond(
      createResponse(tx.request, 200, 'OK', {
        toTag: d.id.localTag,
        headers: [['Expires', String(o.expires)], ...(o.headers ?? [])],
      }),
    );
    this.dialogs.push(d);
    return d;
  }
  restoreSubscription(s: DialogSnapshot) {
    const d = new FakeDialog(s);
    this.dialogs.push(d);
    return d;
  }
}

function request(uri: string, headers: Array<[string, string]> = [], toTag?: string): SipRequest {
  const text =
    `SUBSCRIBE ${uri} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK${at++}\r\n` +
    `From: <sip:phone-100@acme.example>;tag=rt\r\nTo: <${uri}>${toTag ? `;tag=${toTag}` : ''}\r\n` +
    `Call-ID: sub-${at}\r\nCSeq: ${at} SUBSCRIBE\r\nContact: <sip:phone@127.0.0.1:5070>\r\nEvent: dialog\r\n` +
    headers.map(([k, v]) => `${k}: ${v}\r\n`).join('') +
    'Content-Length: 0\r\n\r\n';
  const r = parseMessage(Buffer.from(text));
  assert.ok(r.ok && r.message.type === 'request');
  return r.message as SipRequest;
}

function tx(req: SipRequest): ServerTransaction & { responses: SipResponse[] } {
  const responses: SipResponse[] = [];
  return {
    request: req,
    flow: {
      protocol: 'udp',
      local: { address: '127.0.0.1', port: 5060 },
      remote: { address: '127.0.0.1', port: 5070 },
    },
    key: String(at++),
    state: TransactionState.Proceeding,
    respond: (res) => responses.push(res),
    responses,
  };
}

const xml = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  isArray: (n) => n === 'dialog',
});
function doc(body: string) {
  const info = xml.parse(body)['dialog-info'] as Record<string, unknown> & {
    dialog?: Array<Record<string, unknown>>;
  };
  return info;
}
const settle = () => new Promise((r) => setImmediate(r));

/** The dialog package on its own subscription service, driven like the server drives the two. */
function blfService(o: { ua: SubscriptionUa; directory: BlfDirectory; store: Store; clock: FakeClock }) {
  const log = createLogger({ level: 'silent' });
  const subs = new SubscriptionService({
    ua: o.ua,
    tenants: o.directory,
    store: o.store,
    clock: o.clock,
    log,
  });
  const blf = new BlfNotifier({
    subscriptions: subs,
    directory: o.directory,
    legs: { pickupLegOf: () => undefined },
    log,
  });
  return {
    handleSubscribe: subs.handleSubscribe.bind(subs),
    start: () => subs.start(),
    stop: async () => {
      blf.stop();
      await subs.stop();
    },
    count: () => blf.count(),
    onEvent: (e: CallEvent) => blf.onEvent(e),
    reconcile: () => blf.reconcile(),
  };
}

describe('BlfNotifier', () => {
  let store: Store;
  let clock: FakeClock;
  let ua: FakeUa;
  let n: ReturnType<typeof blfService>;
  before(async () => {
    store = await openStore('sqlite::memory:');
    await store.provisioning.upsertTenant(ACME);
    await store.provisioning.upsertTenant(BETA);
  });
  after(() => store.close());
  beforeEach(async () => {
    for (const r of await store.blfSubscriptions.loadAll())
      await store.blfSubscriptions.remove(r.tenantId, r.id);
    clock = new FakeClock();
    ua = new FakeUa();
    n = blfService({ ua, directory, store, clock });
    await n.start();
  });

  async function subscribe(uri: string, headers: Array<[string, string]> = [], tenant = ACME) {
    const t = tx(request(uri, headers));
    await n.handleSubscribe(t, tenant, PHONE);
    await settle();
    return t;
  }

  it('accepts Event: dialog for a workplace, NOTIFYs full state at once, then every change in order', async () => {
    const t = await subscribe('sip:101@acme.example', [['Expires', '600']]);
    assert.equal(t.responses[0]?.status, 200);
    assert.equal(t.responses[0]?.headers.get('Expires'), '600');
    const d = ua.dialogs[0]!;
    for (const e of ['call.ringing', 'call.answered', 'call.ended'] as const) n.onEvent(call(e));
    await settle();
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
    assert.equal(n.count(), 1);
  });

  it('another tenant (by domain) gets 403 and nothing is looked up; unknown workplace 404; tenants never mix', async () => {
    let looked = 0;
    const spy = { ...directory, plan: async (id: string) => (looked++, directory.plan(id)) };
    n = blfService({ ua, directory: spy, store, clock });
    const foreign = await subscribe('sip:101@acme.example', [], BETA);
    assert.equal(foreign.responses[0]?.status, 403);
    const foreign2 = await subscribe('sip:999@acme.example', [], BETA);
    assert.equal(foreign2.responses[0]?.status, 403, 'same answer whether the workplace exists or not');
    assert.equal(looked, 0);
    assert.equal(ua.dialogs.length, 0);
    assert.equal((await subscribe('sip:199@acme.example')).responses[0]?.status, 404);
    // A call in beta's 101 never reaches acme's watcher of 101.
    await subscribe('sip:101@acme.example');
    n.onEvent(call('call.ringing', 'cb', 'beta'));
    await settle();
    assert.equal(ua.dialogs[0]!.notifies.length, 1, 'only the initial NOTIFY');
  });

  it('Expires: too short → 423 with Min-Expires, too long → capped, refresh re-arms, Expires: 0 → terminated', async () => {
    const short = await subscribe('sip:101@acme.example', [['Expires', '10']]);
    assert.equal(short.responses[0]?.status, 423);
    assert.equal(short.responses[0]?.headers.get('Min-Expires'), '60');
    const long = await subscribe('sip:101@acme.example', [['Expires', '86400']]);
    assert.equal(long.responses[0]?.headers.get('Expires'), '3600');
    const d = ua.dialogs[0]!;
    const other = tx(request('sip:101@acme.example', [['Expires', '3600']], d.id.localTag));
    other.request.headers.set('Event', 'presence');
    d.handler!(other);
    assert.equal(other.responses[0]?.status, 489);
    clock.advance(3000_000);
    const refresh = tx(request('sip:101@acme.example', [['Expires', '3600']], d.id.localTag));
    d.handler!(refresh);
    await settle();
    assert.equal(refresh.responses[0]?.status, 200);
    assert.equal(d.notifies.length, 2, 'a refresh gets a NOTIFY');
    clock.advance(3000_000);
    assert.equal(n.count(), 1, 'the refresh moved the expiry');
    const unsub = tx(request('sip:101@acme.example', [['Expires', '0']], d.id.localTag));
    d.handler!(unsub);
    await settle();
    assert.equal(unsub.responses[0]?.headers.get('Expires'), '0');
    assert.equal(d.notifies.at(-1)!.headers.get('Subscription-State'), 'terminated;reason=timeout');
    assert.ok(d.released);
    assert.equal(n.count(), 0);
    assert.equal(clock.pendingTimers(), 0);
  });

  it('expiry on the clock sends the terminated NOTIFY and forgets the subscription', async () => {
    await subscribe('sip:101@acme.example', [['Expires', '60']]);
    const d = ua.dialogs[0]!;
    clock.advance(59_999);
    assert.equal(n.count(), 1);
    clock.advance(1);
    await settle();
    assert.equal(n.count(), 0);
    assert.equal(d.notifies.at(-1)!.headers.get('Subscription-State'), 'terminated;reason=timeout');
    assert.equal(doc(d.notifies.at(-1)!.body)['@version'], '1');
    await n.stop();
    assert.deepEqual(await store.blfSubscriptions.loadAll(), []);
  });

  it('a 481 to a NOTIFY ends the subscription (the watcher is gone)', async () => {
    await subscribe('sip:101@acme.example');
    ua.dialogs[0]!.status = 481;
    n.onEvent(call('call.ringing'));
    await settle();
    assert.equal(n.count(), 0);
    assert.equal(clock.pendingTimers(), 0);
  });

  it('a timed-out NOTIFY (408) ends the subscription as well (one failure policy, RFC 6665 4.2.2)', async () => {
    await subscribe('sip:101@acme.example');
    const d = ua.dialogs[0]!;
    d.status = 408;
    n.onEvent(call('call.ringing'));
    await settle();
    assert.equal(n.count(), 0);
    assert.equal(ua.dialogs.length, 1, 'not rebuilt');
    assert.equal(clock.pendingTimers(), 0);
    await n.stop();
    assert.deepEqual(await store.blfSubscriptions.loadAll(), [], 'forgotten in the store too');
  });

  it('other NOTIFY failures keep the subscription; the next change sends the full state again', async () => {
    await subscribe('sip:101@acme.example');
    const d = ua.dialogs[0]!;
    d.status = 500;
    n.onEvent(call('call.ringing'));
    await settle();
    assert.equal(n.count(), 1);
    d.status = 200;
    n.onEvent(call('call.answered'));
    await settle();
    const got = d.notifies.at(-1)!;
    assert.equal(doc(got.body)['@version'], '2');
    assert.equal(doc(got.body).dialog![0]!.state, 'confirmed');
  });

  it('1,000 watchers of one workplace each get every change with their own versions', async () => {
    for (let i = 0; i < 1000; i++) await n.handleSubscribe(tx(request('sip:101@acme.example')), ACME, PHONE);
    n.onEvent(call('call.ringing'));
    n.onEvent(call('call.ended'));
    await settle();
    for (const d of ua.dialogs)
      assert.deepEqual(
        d.notifies.map((x) => doc(x.body)['@version']),
        ['0', '1', '2'],
      );
  });

  it('survives a restart: versions and CSeq continue higher, expiry still works', async () => {
    await subscribe('sip:101@acme.example', [['Expires', '600']]);
    n.onEvent(call('call.ringing'));
    await settle();
    const d = ua.dialogs[0]!;
    assert.equal(d.notifies.length, 2);
    await n.stop();
    const ua2 = new FakeUa();
    const n2 = blfService({ ua: ua2, directory, store, clock });
    await n2.start();
    assert.equal(n2.count(), 1);
    const d2 = ua2.dialogs[0]!;
    assert.equal(d2.id.localTag, d.id.localTag);
    n2.onEvent(call('call.ended', 'c9'));
    n2.onEvent(call('call.ringing', 'c10'));
    await settle();
    const versions = d2.notifies.map((x) => Number(doc(x.body)['@version']));
    assert.deepEqual(versions, [2 + RESTORE_MARGIN, 3 + RESTORE_MARGIN], 'restore NOTIFY, then the change');
    assert.ok(d2.notifies[0]!.cseq > d.notifies.at(-1)!.cseq);
    clock.advance(600_000);
    await settle();
    assert.equal(n2.count(), 0);
    assert.equal(d2.notifies.at(-1)!.headers.get('Subscription-State'), 'terminated;reason=timeout');
    await n2.stop();
    assert.deepEqual(await store.blfSubscriptions.loadAll(), []);
  });

  it('after a crash (no orderly stop) versions and CSeq still continue above everything sent', async () => {
    await subscribe('sip:101@acme.example', [['Expires', '600']]);
    for (let i = 0; i < 250; i++) {
      n.onEvent(call(i % 2 === 0 ? 'call.ringing' : 'call.ended', `k${i >> 1}`));
      await new Promise((r) => setTimeout(r, 1));
    }
    await new Promise((r) => setTimeout(r, 50));
    const d = ua.dialogs[0]!;
    assert.equal(d.notifies.length, 251);
    const stored = (await store.blfSubscriptions.loadAll())[0]!;
    assert.ok(stored.versionFloor < 251, 'not written on every NOTIFY');
    assert.ok(stored.versionFloor >= 251 - PERSIST_EVERY, 'but at least every PERSIST_EVERY');
    // No n.stop(): the process is gone. A new one restores from what was written.
    const ua2 = new FakeUa();
    const n2 = blfService({ ua: ua2, directory, store, clock });
    await n2.start();
    await settle();
    const first = ua2.dialogs[0]!.notifies[0]!;
    assert.ok(Number(doc(first.body)['@version']) > 250);
    assert.ok(first.cseq > d.notifies.at(-1)!.cseq);
    await n2.stop();
  });

  it('after provisioning: a removed workplace ends with noresource, a changed list is followed', async () => {
    await subscribe('sip:103@acme.example');
    await subscribe('sip:100-blf@acme.example', [['Supported', 'eventlist']]);
    const [single, list] = ua.dialogs;
    const saved = WORKPLACES.splice(0, WORKPLACES.length, ...WORKPLACES.filter((w) => w.extension !== '103'));
    WORKPLACES[0] = wp('acme', '100', ['102', '101']);
    try {
      await n.reconcile();
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
      assert.equal(n.count(), 1);
      // 103 is no longer watched through the list: its calls do not NOTIFY; 101's do.
      const before = list!.notifies.length;
      n.onEvent({
        ...call('call.ringing', 'z1'),
        caller: { number: '+4930999' },
        callee: { workplace: '103', number: '103' },
      } as CallEvent);
      await settle();
      assert.equal(list!.notifies.length, before);
      n.onEvent(call('call.ringing', 'z2'));
      await settle();
      assert.equal(list!.notifies.length, before + 1);
    } finally {
      WORKPLACES.splice(0, WORKPLACES.length, ...saved);
    }
  });

  it('list URI: 421 without eventlist; with it one multipart NOTIFY for all, then partial updates', async () => {
    const no = await subscribe('sip:100-blf@acme.example');
    assert.equal(no.responses[0]?.status, 421);
    assert.equal(no.responses[0]?.headers.get('Require'), 'eventlist');
    const ok = await subscribe('sip:100-blf@acme.example', [['Supported', 'eventlist']]);
    assert.equal(ok.responses[0]?.status, 200);
    const d = ua.dialogs[0]!;
    n.onEvent(call('call.ringing'));
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
