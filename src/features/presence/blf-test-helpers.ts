// Shared setup of the BlfNotifier tests: a fake subscription UA that records NOTIFYs, a two-tenant directory,
// SUBSCRIBE builders and the dialog package on its own subscription service over an in-memory store.

import assert from 'node:assert/strict';
import { after, before, beforeEach } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import type { CallEvent, Party } from '../../core/events/types.js';
import { createResponse, parseMessage, type SipRequest, type SipResponse } from '../../sip/message/index.js';
import { TransactionState } from '../../sip/transaction/transaction-state.js';
import type { ServerTransaction } from '../../sip/transaction/types.js';
import type { DialogSnapshot, SubscriptionDialog } from '../../sip/ua/index.js';
import type { TemplateRequestOptions } from '../../sip/dialog/types.js';
import { bodyText } from '../../sip/message/spliced-body.js';
import { FakeClock } from '../../util/clock.js';
import { createLogger } from '../../util/log.js';
import { openStore } from '../../store/open-store.js';
import type { DeviceRecord, Store, TenantRecord, WorkplaceRecord } from '../../store/types.js';
import { SubscriptionService, type SubscriptionUa } from '../../core/subscriptions/subscription-service.js';
import { BlfNotifier, type BlfDirectory } from './blf-notifier.js';

export const ACME: TenantRecord = { id: 'acme', name: 'Acme', domain: 'acme.example' };
export const BETA: TenantRecord = { id: 'beta', name: 'Beta', domain: 'beta.example' };
export const PHONE: DeviceRecord = {
  tenantId: 'acme',
  username: 'phone-100',
  workplaceExtension: '100',
  kind: 'deskphone',
  ha1Md5: '',
  ha1Sha256: '',
};
export const wp = (tenantId: string, extension: string, blf?: string[]): WorkplaceRecord => ({
  tenantId,
  extension,
  name: `WP ${extension}`,
  email: null,
  language: 'de',
  packages: [],
  ...(blf ? { blf } : {}),
});
export const WORKPLACES: WorkplaceRecord[] = [
  wp('acme', '100', ['101', '102', '103']),
  wp('acme', '101'),
  wp('acme', '102'),
  wp('acme', '103'),
  wp('beta', '101'),
];
export const directory = {
  tenantById: async (id: string) => [ACME, BETA].find((t) => t.id === id),
  plan: async (tenantId: string) => ({
    workplace: (ext: string) => WORKPLACES.find((w) => w.tenantId === tenantId && w.extension === ext),
  }),
};

export const X: Party = { workplace: '102', number: '102', name: 'Caller' };
export const W: Party = { workplace: '101', number: '101', name: 'Watched' };
let at = 1;
export const call = (
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
export class FakeDialog implements SubscriptionDialog {
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
  /** As request(), the NOTIFY recorded with its fixed and own header fields; answered on a later microtask. */
  requestFromTemplate(
    method: string,
    o: TemplateRequestOptions,
    done: (res: { status: number; reason: string }) => void,
  ): void {
    if (this.state === 'terminated') throw new Error('dialog is terminated');
    void this.request(method, {
      body: Buffer.from(bodyText(o.body)),
      contentType: o.contentType,
      headers: [...o.fixed, ...o.headers].map(([k, v]): [string, string] => [k, v]),
    }).then((res) => done({ status: res.status, reason: '' }));
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
export interface SipRequestLike {
  method: string;
  cseq: number;
  headers: Map<string, string>;
  contentType: string;
  body: string;
}

export class FakeUa implements SubscriptionUa {
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

export function request(uri: string, headers: Array<[string, string]> = [], toTag?: string): SipRequest {
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

export function tx(req: SipRequest): ServerTransaction & { responses: SipResponse[] } {
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
export function doc(body: string) {
  const info = xml.parse(body)['dialog-info'] as Record<string, unknown> & {
    dialog?: Array<Record<string, unknown>>;
  };
  return info;
}
export const settle = () => new Promise((r) => setImmediate(r));

/** The dialog package on its own subscription service, driven like the server drives the two. */
export function blfService(o: {
  ua: SubscriptionUa;
  directory: BlfDirectory;
  store: Store;
  clock: FakeClock;
}) {
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

/** The per-test state of a BlfNotifier suite; `n` may be replaced by a test that needs another directory. */
export interface BlfHarness {
  store: Store;
  clock: FakeClock;
  ua: FakeUa;
  n: ReturnType<typeof blfService>;
  /** A SUBSCRIBE from acme's phone (or `tenant`) to `uri`, handled and settled. */
  subscribe(
    uri: string,
    headers?: Array<[string, string]>,
    tenant?: TenantRecord,
  ): Promise<ServerTransaction & { responses: SipResponse[] }>;
  /** A new process on the same store and clock (after an orderly stop or a crash of `n`), started. */
  nextProcess(): Promise<{ ua: FakeUa; n: ReturnType<typeof blfService> }>;
}

/** Registers the suite's hooks (call inside `describe`): one store per suite, a fresh service per test. */
export function blfHarness(): BlfHarness {
  const h = {} as BlfHarness;
  before(async () => {
    h.store = await openStore('sqlite::memory:');
    await h.store.provisioning.upsertTenant(ACME);
    await h.store.provisioning.upsertTenant(BETA);
  });
  after(() => h.store.close());
  beforeEach(async () => {
    for (const r of await h.store.blfSubscriptions.loadAll())
      await h.store.blfSubscriptions.remove(r.tenantId, r.id);
    h.clock = new FakeClock();
    h.ua = new FakeUa();
    h.n = blfService({ ua: h.ua, directory, store: h.store, clock: h.clock });
    await h.n.start();
  });
  h.subscribe = async (uri, headers = [], tenant = ACME) => {
    const t = tx(request(uri, headers));
    await h.n.handleSubscribe(t, tenant, PHONE);
    await settle();
    return t;
  };
  h.nextProcess = async () => {
    const ua = new FakeUa();
    const n = blfService({ ua, directory, store: h.store, clock: h.clock });
    await n.start();
    return { ua, n };
  };
  return h;
}
