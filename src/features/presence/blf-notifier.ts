/**
 * The BLF notifier: RFC 6665 SUBSCRIBE/NOTIFY for the RFC 4235 dialog package, per workplace or as one RFC 4662
 * resource-list subscription per BLF list. It feeds the pure presence reducer from the call events on the bus and
 * sends every change, as a full-state document with the next version, to every watcher of the changed workplace —
 * in order, one NOTIFY at a time per subscription (a lamp must never stick on a state that was overtaken).
 *
 * Subscriptions (their dialogs, versions and CSeq) are written behind to the store and restored on start, so a
 * restart neither drops them nor makes phones discard our NOTIFYs as old (versions and CSeq only ever grow).
 */
import { randomHex } from '../../util/random-id.js';
import type { Clock, TimerHandle } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import { createResponse } from '../../sip/message/index.js';
import type { ServerTransaction } from '../../sip/transaction/types.js';
import type { Flow, TransportProtocol } from '../../sip/transport/types.js';
import type { AcceptSubscribeOptions, DialogSnapshot, SubscriptionDialog } from '../../sip/ua/index.js';
import { DIALOG_INFO_CONTENT_TYPE, dialogInfoXml } from '../../sip/event/dialog-info.js';
import { RLMI_CONTENT_TYPE, multipartRelated, rlmiXml } from '../../sip/event/rlmi.js';
import type { CallEvent, DomainEvent, PresenceChanged } from '../../core/events/types.js';
import type { SubscribeHandler } from '../../core/sip-service.js';
import type {
  BlfSubscriptionRecord,
  BlfSubscriptionStore,
  DeviceRecord,
  Store,
  TenantRecord,
  WorkplaceRecord,
} from '../../store/types.js';
import { blfDialogInfo } from './blf-dialog-info.js';
import {
  applyCallEvent,
  emptyPresenceBook,
  presenceOf,
  workplaceKey,
  type DialogView,
  type PresenceBook,
  type PresenceChange,
  type PresenceStatus,
} from './presence-state.js';
import {
  MIN_EXPIRES,
  accepts,
  durationOf,
  eventHeaderOf,
  listUri,
  supportsEventlist,
  targetOf,
} from './subscribe-request.js';

/**
 * The SIP identifiers of the leg a pickup INVITE with Replaces must name for a call ringing at `workplace`
 * (implemented by the call engine; we are a B2BUA, so these are the callee-side leg's, not the caller's).
 */
export interface LegLookup {
  pickupLegOf(
    tenantId: string,
    callId: string,
    workplace: string,
  ): { callId: string; localTag: string; remoteTag: string } | undefined;
}

/** What the notifier needs of the UA core. */
export interface SubscriptionUa {
  acceptSubscribe(tx: ServerTransaction, o: AcceptSubscribeOptions): SubscriptionDialog;
  restoreSubscription(s: DialogSnapshot): SubscriptionDialog;
}

/** Tenants and their workplaces (the core Directory fits). */
export interface BlfDirectory {
  tenantById(id: string): Promise<TenantRecord | undefined>;
  plan(tenantId: string): Promise<{ workplace(extension: string): WorkplaceRecord | undefined }>;
}

export interface BlfNotifierOptions {
  ua: SubscriptionUa;
  directory: BlfDirectory;
  store: Pick<Store, 'transaction'> & { blfSubscriptions: BlfSubscriptionStore };
  legs: LegLookup;
  clock: Clock;
  log: Logger;
  /** Where lamp changes are published (the event bus), as `presence.changed`. */
  publish?: (e: PresenceChanged) => void;
}

/**
 * After a restart, versions and CSeq continue this far above the last values written: writes are behind the sends,
 * so a crash may lose the last few, and a jump is harmless (watchers only need higher numbers).
 */
export const RESTORE_MARGIN = 1000;
/**
 * A subscription is written again after this many NOTIFYs (besides on subscribe, refresh and stop), well inside
 * RESTORE_MARGIN: writing on every NOTIFY made the store the main cost of a fan-out (see bench/README.md).
 */
export const PERSIST_EVERY = 100;
/**
 * NOTIFYs that may time out (408) in a row before the subscription is given up. One lost NOTIFY must not end it
 * (the lamp would then be stale until the phone's next refresh): the dialog is kept and the next change sends the
 * full state again (feature-anchors 9: "tolerant retry instead of instant subscription teardown").
 */
export const MAX_TIMEOUTS = 3;

/** Stands for the version in a document shared by the watchers of one workplace (only the root has `version=`). */
const VERSION_SENTINEL = 0xffffffff;
const SENTINEL_ATTR = `version="${VERSION_SENTINEL}"`;

type TerminateReason = 'timeout' | 'noresource' | 'deactivated' | 'rejected';

interface Sub {
  readonly id: string;
  readonly tenantId: string;
  readonly domain: string;
  readonly watcher: string;
  readonly kind: 'dialog' | 'list';
  /** The watched workplace, or the list owner. */
  readonly resource: string;
  /** The watched workplaces: [resource] for `dialog`, the BLF list for `list`. */
  members: readonly string[];
  names: ReadonlyMap<string, string>;
  readonly event: string;
  /** Replaced (same identity, rebuilt from its snapshot) when a NOTIFY timed out and we keep trying. */
  dialog: SubscriptionDialog;
  expiresAt: number;
  timer: TimerHandle | undefined;
  /** The next document version (the RLMI one for lists). */
  version: number;
  /** Lists: the next dialog-info version per member. */
  readonly resourceVersions: Map<string, number>;
  /** NOTIFYs go one after another (RFC 6665 4.2.2 ordering; RFC 4235 versions must arrive in order). */
  chain: Promise<void>;
  ended: boolean;
  /** `version` when the subscription was last marked for writing. */
  markedVersion: number;
  /** NOTIFYs that timed out in a row. */
  timeouts: number;
}

export class BlfNotifier implements SubscribeHandler {
  readonly events = ['dialog'] as const;
  readonly #o: BlfNotifierOptions;
  #book: PresenceBook = emptyPresenceBook;
  readonly #subs = new Map<string, Sub>();
  /** workplaceKey(tenant, ext) → the subscriptions watching it (directly or through a list). */
  readonly #watchers = new Map<string, Set<Sub>>();
  /** Write-behind: the latest state per subscription id, or 'delete'. */
  readonly #dirty = new Map<string, { sub: Sub } | { tenantId: string; delete: true }>();
  #flushing: Promise<void> | undefined;
  #stopped = false;

  /** The last published lamp per workplace (absent: idle). */
  readonly #lamps = new Map<string, PresenceStatus>();

  constructor(o: BlfNotifierOptions) {
    this.#o = o;
  }

  /** Live subscriptions (for counts and tests). */
  count(): number {
    return this.#subs.size;
  }

  /** The presence book as the notifier sees it (for the client API and tests). */
  get book(): PresenceBook {
    return this.#book;
  }

  /** Feed one bus event; only call events change presence. */
  onEvent(e: DomainEvent): void {
    if (this.#stopped || !e.type.startsWith('call.')) return;
    const { state, changed } = applyCallEvent(this.#book, e as CallEvent);
    this.#book = state;
    if (changed.length === 0) return;
    this.#publishLamps(changed, e.at);
    // One NOTIFY per subscription per event: a list watching several changed members gets them in one body.
    const perSub = new Map<Sub, PresenceChange[]>();
    for (const c of changed) {
      for (const sub of this.#watchers.get(workplaceKey(c.tenantId, c.workplace)) ?? []) {
        const list = perSub.get(sub);
        if (list) list.push(c);
        else perSub.set(sub, [c]);
      }
    }
    // Watchers of one workplace get the same document but for its version: build it once per event.
    const docs = new Map<string, string>();
    for (const [sub, changes] of perSub) {
      const byMember = new Map(changes.map((c) => [c.workplace, c.dialogs]));
      this.#notify(sub, 'active', byMember, false, undefined, docs);
    }
  }

  /** Publishes each workplace whose aggregate lamp (idle / ringing / busy) moved with this event. */
  #publishLamps(changed: PresenceChange[], at: number): void {
    const publish = this.#o.publish;
    if (!publish) return;
    for (const c of changed) {
      const key = workplaceKey(c.tenantId, c.workplace);
      const previous = this.#lamps.get(key) ?? 'idle';
      if (c.status === previous) continue;
      if (c.status === 'idle') this.#lamps.delete(key);
      else this.#lamps.set(key, c.status);
      publish({
        type: 'presence.changed',
        tenantId: c.tenantId,
        at,
        workplace: c.workplace,
        status: c.status,
        previous,
      });
    }
  }

  /** Restores the stored subscriptions into the UA core; each gets a full-state NOTIFY (calls did not survive). */
  async start(): Promise<void> {
    const now = this.#o.clock.now();
    const records = await this.#o.store.blfSubscriptions.loadAll();
    for (const r of records) {
      const tenant = await this.#o.directory.tenantById(r.tenantId);
      const plan = tenant ? await this.#o.directory.plan(r.tenantId) : undefined;
      const owner = plan?.workplace(r.resource);
      if (r.expiresAt <= now || !tenant || !plan || (r.kind !== 'dialog' && r.kind !== 'list')) {
        this.#markDeleted(r.tenantId, r.id);
        continue;
      }
      const members = !owner
        ? []
        : r.kind === 'list'
          ? (owner.blf ?? []).filter((m) => plan.workplace(m))
          : [r.resource];
      const dialog = this.#o.ua.restoreSubscription({
        callId: r.callId,
        localTag: r.localTag,
        remoteTag: r.remoteTag,
        localUri: r.localUri,
        remoteUri: r.remoteUri,
        remoteTarget: r.remoteTarget,
        routeSet: r.routeSet,
        localSeq: (r.localSeq ?? 0) + RESTORE_MARGIN,
        remoteSeq: r.remoteSeq ?? undefined,
        flow: flowOf(r.flow),
      });
      const resourceVersions = new Map<string, number>();
      for (const m of members) resourceVersions.set(m, (r.resourceVersions[m] ?? 0) + RESTORE_MARGIN);
      const sub = this.#add({
        id: r.id,
        tenantId: r.tenantId,
        domain: tenant.domain,
        watcher: r.watcher,
        kind: r.kind,
        resource: r.resource,
        members,
        names: namesOf(plan, members),
        event: 'dialog',
        dialog,
        expiresAt: r.expiresAt,
        version: r.versionFloor + RESTORE_MARGIN,
        resourceVersions,
      });
      this.#o.log.info(
        { event: 'blf.subscription.restored', tenant: r.tenantId, subscription: r.id, resource: r.resource },
        'BLF subscription restored',
      );
      // The watched workplace was removed while we were down: tell the phone (RFC 6665 4.2.2 `noresource`).
      if (!owner) this.#terminate(sub, 'noresource');
      else this.#notify(sub, 'active', undefined, true);
    }
    await this.#flush();
  }

  /**
   * After provisioning changed the directory: subscriptions to a workplace that no longer exists end with
   * `terminated;reason=noresource`; list subscriptions follow a changed BLF list (full-state NOTIFY).
   */
  async reconcile(): Promise<void> {
    for (const sub of [...this.#subs.values()]) {
      if (sub.ended) continue;
      const plan = await this.#o.directory.plan(sub.tenantId);
      const owner = plan.workplace(sub.resource);
      if (!owner) {
        this.#terminate(sub, 'noresource');
        continue;
      }
      if (sub.kind !== 'list') continue;
      const members = (owner.blf ?? []).filter((m) => plan.workplace(m));
      if (members.join(',') === sub.members.join(',')) continue;
      this.#unwatch(sub);
      sub.members = members;
      sub.names = namesOf(plan, members);
      for (const m of members) if (!sub.resourceVersions.has(m)) sub.resourceVersions.set(m, 0);
      this.#watch(sub);
      this.#markDirty(sub);
      this.#notify(sub, 'active', undefined, true);
    }
  }

  /** Stops notifying and writes what is pending; subscriptions stay stored for the next start. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const sub of this.#subs.values()) {
      this.#o.clock.clearTimeout(sub.timer);
      sub.timer = undefined;
    }
    // Let queued NOTIFYs settle briefly (they are bounded by the transaction timers) so versions written are final.
    await Promise.race([
      Promise.all([...this.#subs.values()].map((s) => s.chain)),
      new Promise((r) => setTimeout(r, 1000).unref()),
    ]);
    for (const sub of this.#subs.values()) this.#markDirty(sub);
    await this.#flush();
  }

  async handleSubscribe(tx: ServerTransaction, tenant: TenantRecord, device: DeviceRecord): Promise<void> {
    const req = tx.request;
    const reply = (status: number, headers: Array<[string, string]> = [], reason?: string) =>
      tx.respond(createResponse(req, status, reason, { toTag: randomHex(6), headers }));
    const log = { tenant: tenant.id, device: device.username, callId: req.headers.get('Call-ID') };
    const target = targetOf(req, tenant.domain);
    if (target.kind === 'foreign') {
      // Authorisation (issue 4 item 5): the same answer whatever exists there, so nothing is learnt.
      this.#o.log.info(
        { event: 'blf.subscribe.refused', ...log, status: 403 },
        'BLF SUBSCRIBE to another tenant',
      );
      return reply(403);
    }
    if (target.kind === 'unknown') return reply(404);
    const plan = await this.#o.directory.plan(tenant.id);
    const owner = plan.workplace(target.extension);
    if (!owner) return reply(404);
    if (target.kind === 'list') {
      // RFC 4662 section 4: a list URI without eventlist support → 421 naming the extension.
      if (!supportsEventlist(req)) return reply(421, [['Require', 'eventlist']]);
      if (!accepts(req, 'multipart/related') || !accepts(req, RLMI_CONTENT_TYPE))
        return reply(406, [
          ['Accept', `multipart/related, ${RLMI_CONTENT_TYPE}, ${DIALOG_INFO_CONTENT_TYPE}`],
        ]);
    } else if (!accepts(req, DIALOG_INFO_CONTENT_TYPE)) {
      return reply(406, [['Accept', DIALOG_INFO_CONTENT_TYPE]]);
    }
    const d = durationOf(req);
    if (!d.ok)
      return d.status === 423
        ? reply(423, [['Min-Expires', String(MIN_EXPIRES)]])
        : reply(400, [], 'Bad Expires');
    const members =
      target.kind === 'list' ? (owner.blf ?? []).filter((m) => plan.workplace(m)) : [target.extension];
    const dialog = this.#o.ua.acceptSubscribe(tx, {
      expires: d.seconds,
      ...(target.kind === 'list' ? { headers: [['Require', 'eventlist']] } : {}),
    });
    const now = this.#o.clock.now();
    const sub = this.#add({
      id: randomHex(12),
      tenantId: tenant.id,
      domain: tenant.domain,
      watcher: device.username,
      kind: target.kind,
      resource: target.extension,
      members,
      names: namesOf(plan, members),
      event: eventHeaderOf(req),
      dialog,
      expiresAt: now + d.seconds * 1000,
      version: 0,
      resourceVersions: new Map(members.map((m) => [m, 0])),
    });
    this.#o.log.info(
      {
        event: 'blf.subscribe.accepted',
        ...log,
        subscription: sub.id,
        kind: sub.kind,
        resource: sub.resource,
        expires: d.seconds,
      },
      'BLF subscription',
    );
    // RFC 6665 4.2.1.1: an Expires of 0 is a fetch: one NOTIFY with the state, and the subscription is over.
    if (d.seconds === 0) return this.#terminate(sub, 'timeout');
    // RFC 6665 4.2.1.2 / RFC 4662 section 5: the first NOTIFY carries the full state at once.
    this.#notify(sub, 'active', undefined, true);
  }

  #add(init: Omit<Sub, 'timer' | 'chain' | 'ended' | 'markedVersion' | 'timeouts'>): Sub {
    const sub: Sub = {
      ...init,
      timer: undefined,
      chain: Promise.resolve(),
      ended: false,
      markedVersion: -1,
      timeouts: 0,
    };
    this.#subs.set(sub.id, sub);
    this.#watch(sub);
    this.#bind(sub);
    this.#arm(sub);
    this.#markDirty(sub);
    return sub;
  }

  #bind(sub: Sub): void {
    const dialog = sub.dialog;
    dialog.onRequest((tx) => this.#inDialog(sub, tx));
    dialog.onTerminated((why) => {
      // 'remote-gone' (a 481 or 408 to our NOTIFY) is decided where the response is seen (#afterNotify).
      if (sub.ended || why === 'closed' || why === 'remote-gone' || sub.dialog !== dialog) return;
      this.#lost(sub, why);
    });
  }

  /**
   * A NOTIFY's final response: a 481 means the watcher no longer has the subscription (RFC 6665 4.2.2); a 408
   * ended the dialog (RFC 3261 12.2.1.2) but is retried a few times with the same dialog identity before giving up.
   */
  #afterNotify(sub: Sub, dialog: SubscriptionDialog, status: number): void {
    if (status < 300) sub.timeouts = 0;
    if (sub.ended || sub.dialog !== dialog || dialog.state !== 'terminated') return;
    if (status === 408 && ++sub.timeouts < MAX_TIMEOUTS) {
      sub.dialog = this.#o.ua.restoreSubscription(dialog.snapshot());
      this.#bind(sub);
      this.#o.log.info(
        { event: 'blf.notify.timeout', tenant: sub.tenantId, subscription: sub.id, timeouts: sub.timeouts },
        'BLF NOTIFY timed out, subscription kept',
      );
      return;
    }
    this.#lost(sub, `status ${status}`);
  }

  #lost(sub: Sub, why: string): void {
    this.#o.log.info(
      { event: 'blf.subscription.lost', tenant: sub.tenantId, subscription: sub.id, why },
      'BLF watcher gone',
    );
    this.#drop(sub);
  }

  #arm(sub: Sub): void {
    this.#o.clock.clearTimeout(sub.timer);
    sub.timer = this.#o.clock.setTimeout(
      () => {
        sub.timer = undefined;
        this.#terminate(sub, 'timeout');
      },
      Math.max(0, sub.expiresAt - this.#o.clock.now()),
    );
  }

  /** An in-dialog request: a refresh or unsubscribe (RFC 6665 4.2.1.2, 4.2.1.3). */
  #inDialog(sub: Sub, tx: ServerTransaction): void {
    const req = tx.request;
    if (req.method !== 'SUBSCRIBE') {
      tx.respond(createResponse(req, 405, undefined, { headers: [['Allow', 'SUBSCRIBE']] }));
      return;
    }
    if (sub.ended) {
      tx.respond(createResponse(req, 481));
      return;
    }
    // A refresh names the same event package; another one would be a second usage of this dialog, which
    // RFC 5057 argues against — refused with the package we serve.
    const event = (req.headers.get('Event') ?? '').split(';')[0]!.trim().toLowerCase();
    if (event !== 'dialog') {
      tx.respond(createResponse(req, 489, 'Bad Event', { headers: [['Allow-Events', 'dialog']] }));
      return;
    }
    const d = durationOf(req);
    if (!d.ok) {
      tx.respond(
        d.status === 423
          ? createResponse(req, 423, undefined, { headers: [['Min-Expires', String(MIN_EXPIRES)]] })
          : createResponse(req, 400, 'Bad Expires'),
      );
      return;
    }
    tx.respond(
      createResponse(req, 200, 'OK', {
        headers: [
          ['Expires', String(d.seconds)],
          ...(sub.kind === 'list' ? [['Require', 'eventlist'] as [string, string]] : []),
        ],
      }),
    );
    if (d.seconds === 0) {
      this.#o.log.info(
        { event: 'blf.unsubscribe', tenant: sub.tenantId, subscription: sub.id },
        'BLF unsubscribe',
      );
      this.#terminate(sub, 'timeout');
      return;
    }
    sub.expiresAt = this.#o.clock.now() + d.seconds * 1000;
    this.#arm(sub);
    this.#markDirty(sub);
    // RFC 6665 4.2.1.2: a refresh gets a NOTIFY with the current (full) state.
    this.#notify(sub, 'active', undefined, true);
  }

  /** Ends a subscription with a final full-state NOTIFY (`Subscription-State: terminated`), then forgets it. */
  #terminate(sub: Sub, reason: TerminateReason): void {
    if (sub.ended) return;
    this.#notify(sub, 'terminated', undefined, true, reason);
    this.#drop(sub);
    const last = sub.chain;
    sub.chain = last.then(() => sub.dialog.release());
    this.#o.log.info(
      { event: 'blf.subscription.terminated', tenant: sub.tenantId, subscription: sub.id, reason },
      'BLF subscription ended',
    );
  }

  #drop(sub: Sub): void {
    sub.ended = true;
    this.#o.clock.clearTimeout(sub.timer);
    sub.timer = undefined;
    this.#subs.delete(sub.id);
    this.#unwatch(sub);
    this.#markDeleted(sub.tenantId, sub.id);
  }

  #watch(sub: Sub): void {
    for (const m of sub.members) {
      const key = workplaceKey(sub.tenantId, m);
      let set = this.#watchers.get(key);
      if (!set) this.#watchers.set(key, (set = new Set()));
      set.add(sub);
    }
  }

  #unwatch(sub: Sub): void {
    for (const m of sub.members) {
      const key = workplaceKey(sub.tenantId, m);
      const set = this.#watchers.get(key);
      set?.delete(sub);
      if (set?.size === 0) this.#watchers.delete(key);
    }
  }

  /**
   * Builds the next document now (so versions follow the order of events) and queues its NOTIFY behind the
   * previous one. `changes`: the changed members' dialogs (partial list update); undefined: full state.
   */
  #notify(
    sub: Sub,
    state: 'active' | 'terminated',
    changes: ReadonlyMap<string, DialogView[]> | undefined,
    full: boolean,
    reason?: TerminateReason,
    docs?: Map<string, string>,
  ): void {
    if (sub.ended) return;
    const now = this.#o.clock.now();
    const dialogsOf = (m: string): DialogView[] =>
      changes?.get(m) ?? presenceOf(this.#book, sub.tenantId, m).dialogs;
    const build = (m: string, version: number): string =>
      dialogInfoXml(
        blfDialogInfo({
          domain: sub.domain,
          workplace: m,
          version,
          state: 'full',
          dialogs: dialogsOf(m),
          now,
          legOf: (d) => this.#o.legs.pickupLegOf(sub.tenantId, d.callId, m),
        }),
      );
    const docFor = (m: string, version: number): string => {
      if (!docs) return build(m, version);
      const key = workplaceKey(sub.tenantId, m);
      let template = docs.get(key);
      if (template === undefined) docs.set(key, (template = build(m, VERSION_SENTINEL)));
      return template.replace(SENTINEL_ATTR, `version="${version}"`);
    };
    let body: string;
    let contentType: string;
    if (sub.kind === 'dialog') {
      body = docFor(sub.resource, sub.version++);
      contentType = DIALOG_INFO_CONTENT_TYPE;
    } else {
      // RFC 4662 section 5: full state names every resource; a partial update only those that changed.
      const members = full || !changes ? sub.members : sub.members.filter((m) => changes.has(m));
      const parts = members.map((m) => {
        const v = sub.resourceVersions.get(m) ?? 0;
        sub.resourceVersions.set(m, v + 1);
        return { m, cid: `${m}.${sub.id}.${v}@${sub.domain}`, body: docFor(m, v) };
      });
      const rootCid = `list.${sub.id}.${sub.version}@${sub.domain}`;
      const rlmi = rlmiXml({
        uri: listUri(sub.resource, sub.domain),
        version: sub.version++,
        fullState: full,
        resources: parts.map((p) => ({
          uri: `sip:${p.m}@${sub.domain}`,
          ...(sub.names.has(p.m) ? { name: sub.names.get(p.m)! } : {}),
          instances: [
            state === 'terminated'
              ? { id: `i${p.m}`, state: 'terminated' as const, reason: reason ?? 'timeout', cid: p.cid }
              : { id: `i${p.m}`, state: 'active' as const, cid: p.cid },
          ],
        })),
      });
      const mp = multipartRelated({
        boundary: `blf-${randomHex(8)}`,
        rootCid,
        parts: [
          { cid: rootCid, contentType: RLMI_CONTENT_TYPE, body: rlmi },
          ...parts.map((p) => ({ cid: p.cid, contentType: DIALOG_INFO_CONTENT_TYPE, body: p.body })),
        ],
      });
      body = mp.body;
      contentType = mp.contentType;
    }
    const remaining = Math.max(0, Math.ceil((sub.expiresAt - now) / 1000));
    const headers: Array<[string, string]> = [
      ['Event', sub.event],
      [
        'Subscription-State',
        state === 'active' ? `active;expires=${remaining}` : `terminated;reason=${reason ?? 'timeout'}`,
      ],
      ...(sub.kind === 'list' ? [['Require', 'eventlist'] as [string, string]] : []),
    ];
    const version = sub.version - 1;
    if (sub.version - sub.markedVersion >= PERSIST_EVERY) this.#markDirty(sub);
    sub.chain = sub.chain.then(async () => {
      if (sub.dialog.state === 'terminated') return;
      try {
        const dialog = sub.dialog;
        const res = await dialog.request('NOTIFY', { body: Buffer.from(body), contentType, headers });
        this.#afterNotify(sub, dialog, res.status);
        if (res.status >= 300)
          this.#o.log.info(
            {
              event: 'blf.notify.failed',
              tenant: sub.tenantId,
              subscription: sub.id,
              status: res.status,
              version,
            },
            'BLF NOTIFY refused',
          );
      } catch (err) {
        this.#o.log.warn(
          { event: 'blf.notify.error', tenant: sub.tenantId, subscription: sub.id, err: String(err) },
          'BLF NOTIFY not sent',
        );
      }
    });
  }

  #markDirty(sub: Sub): void {
    if (sub.ended) return;
    sub.markedVersion = sub.version;
    this.#dirty.set(sub.id, { sub });
    this.#kick();
  }

  #markDeleted(tenantId: string, id: string): void {
    this.#dirty.set(id, { tenantId, delete: true });
    this.#kick();
  }

  #kick(): void {
    if (this.#flushing) return;
    this.#flushing = this.#flushLoop().finally(() => (this.#flushing = undefined));
  }

  /** Waits until everything marked so far is written. */
  async #flush(): Promise<void> {
    while (this.#flushing) await this.#flushing;
  }

  async #flushLoop(): Promise<void> {
    // Bounded: each round takes everything marked so far; rounds continue only while new marks arrive.
    for (let round = 0; this.#dirty.size > 0 && round < 1_000_000; round++) {
      await Promise.resolve();
      const batch = [...this.#dirty];
      this.#dirty.clear();
      try {
        await this.#o.store.transaction(async (tx) => {
          for (const [id, w] of batch) {
            if ('delete' in w) await tx.blfSubscriptions.remove(w.tenantId, id);
            else await tx.blfSubscriptions.upsert(recordOf(w.sub, this.#o.clock.now()));
          }
        });
      } catch (err) {
        this.#o.log.error({ event: 'blf.store.error', err: String(err) }, 'BLF subscriptions not written');
      }
    }
  }
}

function namesOf(
  plan: { workplace(extension: string): WorkplaceRecord | undefined },
  members: readonly string[],
): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of members) {
    const w = plan.workplace(m);
    if (w) out.set(m, w.name);
  }
  return out;
}

function recordOf(sub: Sub, now: number): BlfSubscriptionRecord {
  const s = sub.dialog.snapshot();
  return {
    tenantId: sub.tenantId,
    id: sub.id,
    watcher: sub.watcher,
    kind: sub.kind,
    resource: sub.resource,
    callId: s.callId,
    localTag: s.localTag,
    remoteTag: s.remoteTag,
    localUri: s.localUri,
    remoteUri: s.remoteUri,
    remoteTarget: s.remoteTarget,
    routeSet: s.routeSet,
    // The last CSeq sent; NOTIFYs still queued take more, which RESTORE_MARGIN covers on restore.
    localSeq: s.localSeq ?? null,
    remoteSeq: s.remoteSeq ?? null,
    flow: {
      protocol: s.flow.protocol,
      localAddress: s.flow.local.address,
      localPort: s.flow.local.port,
      address: s.flow.remote.address,
      port: s.flow.remote.port,
      connectionId: s.flow.connectionId ?? null,
    },
    expiresAt: sub.expiresAt,
    versionFloor: sub.version,
    resourceVersions: Object.fromEntries(sub.resourceVersions),
    updatedAt: now,
  };
}

function flowOf(f: BlfSubscriptionRecord['flow']): Flow {
  return {
    protocol: f.protocol as TransportProtocol,
    local: { address: f.localAddress, port: f.localPort },
    remote: { address: f.address, port: f.port },
    ...(f.connectionId !== null ? { connectionId: f.connectionId } : {}),
  };
}
