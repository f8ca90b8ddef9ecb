/**
 * The notifier side of RFC 6665 for every event package we serve: admission plumbing of an out-of-dialog SUBSCRIBE
 * (package, Accept, Expires), the subscription dialog, in-dialog refresh and unsubscribe, expiry on the clock, the
 * NOTIFY chain (one NOTIFY at a time per subscription, versions and CSeq only growing), one policy for failed
 * NOTIFYs, and write-behind persistence with restore after a restart. Event packages are descriptors
 * (event-package.ts) registered here; see README.md in this folder.
 */
import { createResponse } from '../../sip/message/index.js';
import { MIN_EXPIRES, durationOf, type Duration } from '../../sip/event/subscription-duration.js';
import type { ServerTransaction } from '../../sip/transaction/types.js';
import type { Flow } from '../../sip/transport/types.js';
import type { SubscriptionDialog } from '../../sip/ua/index.js';
import type { DeviceRecord, TenantRecord } from '../../store/types.js';
import type { TimerHandle } from '../../util/clock.js';
import { randomHex } from '../../util/random-id.js';
import type { SubscribeHandler } from '../sip-service.js';
import type { EventPackage, NotifyBody, Subscription, TerminateReason } from './event-package.js';
import { RESTORE_MARGIN, recordOf, snapshotOf, storedOf } from './subscription-records.js';
import { WriteBehind } from './write-behind.js';
import { accepts, eventHeaderOf, eventOf } from './subscribe-headers.js';
import { NOTIFY_FAILURES_THAT_END, PERSIST_EVERY } from './notify-policy.js';
import type { PackageHandle, SubscriptionServiceOptions, SubscriptionUa } from './service-contract.js';

export { RESTORE_MARGIN };
export { NOTIFY_FAILURES_THAT_END, PERSIST_EVERY };
export type { PackageHandle, SubscriptionServiceOptions, SubscriptionUa };

type AnyPackage = EventPackage<unknown, unknown>;

interface Sub extends Subscription<unknown> {
  readonly pkg: AnyPackage;
  /** Header fields of every 200 and NOTIFY of this subscription (from admission). */
  readonly headers: Array<[string, string]>;
  /** The header fields every NOTIFY carries (Event and `headers`): its dialog serialises them once. */
  fixed: Array<[string, string]>;
  /** Replaced when the subscriber comes back on another flow (#follow). */
  dialog: SubscriptionDialog;
  expiresAt: number;
  ended: boolean;
  timer: TimerHandle | undefined;
  /** The next document version. */
  version: number;
  /**
   * What waits to go out, in order: NOTIFYs not yet sent and changes of the dialog (#follow, release) that must
   * wait for the NOTIFYs before them. NOTIFYs go one after another (RFC 6665 4.2.2 ordering; versions must
   * arrive in order).
   */
  queue: Job[];
  /** A NOTIFY of this subscription is in flight. */
  busy: boolean;
  /** In the list of subscriptions the next flush sends for. */
  scheduled: boolean;
  /** Called once the queue has run dry with nothing in flight (stop() waits for it). */
  idle: Array<() => void>;
  /** `version` when the subscription was last marked for writing. */
  markedVersion: number;
}

type Job = NotifyJob | { kind: 'run'; run: () => void };

interface NotifyJob {
  kind: 'notify';
  version: number;
  /** Only an active NOTIFY may be replaced by a newer full state; a terminated one stays the last word. */
  active: boolean;
  body: NotifyBody;
  /** The Subscription-State value. */
  state: string;
}

export class SubscriptionService implements SubscribeHandler {
  readonly #o: SubscriptionServiceOptions;
  readonly #packages = new Map<string, AnyPackage>();
  readonly #subs = new Map<string, Sub>();
  readonly #store: WriteBehind;
  #stopped = false;
  /** NOTIFYs saved by coalescing (a newer full state replaced a waiting one). */
  #coalesced = 0;
  /** Subscriptions with NOTIFYs to send at the next flush. */
  #ready: Sub[] = [];
  #flushQueued = false;

  constructor(o: SubscriptionServiceOptions) {
    this.#o = o;
    this.#store = new WriteBehind(o.store, o.log);
  }

  /** The event packages served (`Allow-Events`, RFC 6665 8.2.2). */
  get events(): readonly string[] {
    return [...this.#packages.keys()];
  }

  register<R, C>(pkg: EventPackage<R, C>): PackageHandle<R, C> {
    if (this.#packages.has(pkg.event)) throw new Error(`event package ${pkg.event} registered twice`);
    this.#packages.set(pkg.event, pkg as unknown as AnyPackage);
    const mine = (): Sub[] => [...this.#subs.values()].filter((s) => s.pkg.event === pkg.event);
    return {
      notify: (sub, change) => this.#notify(sub as Sub, 'active', change),
      terminate: (sub, reason) => this.#terminate(sub as Sub, reason),
      changed: (sub) => this.#markDirty(sub as Sub),
      subscriptions: () => mine() as Array<Subscription<R>>,
      count: () => mine().length,
    };
  }

  /** Live subscriptions of every package. */
  count(): number {
    return this.#subs.size;
  }

  /** NOTIFYs saved so far by coalescing bursts of full-state changes. */
  coalesced(): number {
    return this.#coalesced;
  }

  /** Restores the stored subscriptions; each gets a full-state NOTIFY (or `noresource` when its resource went). */
  async start(): Promise<void> {
    const now = this.#o.clock.now();
    const byKind = new Map<string, AnyPackage>();
    for (const p of this.#packages.values()) for (const k of p.persistence?.kinds ?? []) byKind.set(k, p);
    for (const r of await this.#o.store.blfSubscriptions.loadAll()) {
      const pkg = byKind.get(r.kind);
      const tenant = await this.#o.tenants.tenantById(r.tenantId);
      const restored =
        pkg && tenant && r.expiresAt > now
          ? await pkg.persistence!.restore({ tenantId: r.tenantId, watcher: r.watcher, stored: storedOf(r) })
          : undefined;
      if (!pkg || !tenant || !restored) {
        this.#store.remove(r.tenantId, r.id);
        continue;
      }
      const sub = this.#add({
        id: r.id,
        tenantId: r.tenantId,
        domain: tenant.domain,
        watcher: r.watcher,
        event: pkg.event,
        resource: restored.resource,
        pkg,
        headers: [],
        dialog: this.#o.ua.restoreSubscription(snapshotOf(r)),
        expiresAt: r.expiresAt,
        version: r.versionFloor + RESTORE_MARGIN,
      });
      this.#o.log.info(
        { event: 'subscription.restored', tenant: r.tenantId, subscription: r.id, package: pkg.event },
        'subscription restored',
      );
      // What it watched was removed while we were down: tell the subscriber (RFC 6665 4.2.2 `noresource`).
      if (restored.gone) this.#terminate(sub, 'noresource');
      else this.#notify(sub, 'active', undefined);
    }
    await this.#store.flush();
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
      Promise.all([...this.#subs.values()].map((s) => this.#settled(s))),
      new Promise((r) => setTimeout(r, 1000).unref()),
    ]);
    for (const sub of this.#subs.values()) this.#markDirty(sub);
    await this.#store.flush();
  }

  /** An authenticated out-of-dialog SUBSCRIBE for one of our packages (PbxSipService dispatches by Event). */
  async handleSubscribe(tx: ServerTransaction, tenant: TenantRecord, device: DeviceRecord): Promise<void> {
    const req = tx.request;
    const reply = (status: number, headers: Array<[string, string]> = [], reason?: string): void =>
      tx.respond(createResponse(req, status, reason, { toTag: randomHex(6), headers }));
    const pkg = this.#packages.get(eventOf(req));
    if (!pkg) return reply(489, [['Allow-Events', this.events.join(', ')]]);
    if (this.#stopped) return reply(503);
    const log = { tenant: tenant.id, device: device.username, callId: req.headers.get('Call-ID') };
    const a = await pkg.admit({ tenant, device, request: req });
    if (!a.ok) {
      this.#o.log.info(
        { event: 'subscribe.refused', ...log, package: pkg.event, status: a.status },
        'refused',
      );
      return reply(a.status, a.headers, a.reason);
    }
    // RFC 6665 4.2.1.1: a subscriber that accepts none of the package's bodies gets 406 with what we send.
    if (!pkg.contentTypes.some((t) => accepts(req, t)))
      return reply(406, [['Accept', pkg.contentTypes.join(', ')]]);
    const d = durationOf(req);
    if (!d.ok) return reply(...refusal(d));
    const now = this.#o.clock.now();
    const init = {
      id: randomHex(12),
      tenantId: tenant.id,
      domain: tenant.domain,
      watcher: device.username,
      event: eventHeaderOf(req, pkg.event),
      resource: a.resource,
      expiresAt: now + d.seconds * 1000,
    };
    if (pkg.received) await pkg.received({ ...init, ended: false }, req);
    const headers = a.headers ?? [];
    const dialog = this.#o.ua.acceptSubscribe(tx, { expires: d.seconds, headers });
    const sub = this.#add({ ...init, pkg, headers, dialog, version: 0 });
    this.#o.log.info(
      { event: 'subscribe.accepted', ...log, package: pkg.event, subscription: sub.id, expires: d.seconds },
      'subscription',
    );
    // RFC 6665 4.2.1.1: an Expires of 0 is a fetch: one NOTIFY with the state, and the subscription is over.
    if (d.seconds === 0) return this.#terminate(sub, 'timeout');
    // RFC 6665 4.2.1.2: the first NOTIFY carries the full state at once.
    this.#notify(sub, 'active', undefined);
  }

  #add(
    init: Omit<Sub, 'timer' | 'queue' | 'busy' | 'scheduled' | 'idle' | 'fixed' | 'ended' | 'markedVersion'>,
  ): Sub {
    const sub: Sub = {
      ...init,
      fixed: [['Event', init.event], ...init.headers],
      timer: undefined,
      queue: [],
      busy: false,
      scheduled: false,
      idle: [],
      ended: false,
      markedVersion: -1,
    };
    this.#subs.set(sub.id, sub);
    this.#bind(sub);
    this.#arm(sub);
    this.#markDirty(sub);
    sub.pkg.started?.(sub);
    return sub;
  }

  #bind(sub: Sub): void {
    const dialog = sub.dialog;
    dialog.onRequest((tx) => {
      this.#inDialog(sub, tx).catch((err: unknown) => {
        this.#o.log.error({ event: 'subscribe.error', subscription: sub.id, err: String(err) }, 'failed');
        tx.respond(createResponse(tx.request, 500));
      });
    });
    dialog.onTerminated((why) => {
      // 'remote-gone' (a 481 or 408 to our NOTIFY) is decided where the response is seen (#afterNotify).
      if (sub.ended || why === 'closed' || why === 'remote-gone' || sub.dialog !== dialog) return;
      this.#lost(sub, why);
    });
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
  async #inDialog(sub: Sub, tx: ServerTransaction): Promise<void> {
    const req = tx.request;
    if (req.method !== 'SUBSCRIBE')
      return tx.respond(createResponse(req, 405, undefined, { headers: [['Allow', 'SUBSCRIBE']] }));
    if (sub.ended) return tx.respond(createResponse(req, 481));
    // A refresh names the same event package; another one would be a second usage of this dialog, which
    // RFC 5057 argues against — refused with the package we serve.
    if (eventOf(req) !== sub.pkg.event)
      return tx.respond(
        createResponse(req, 489, 'Bad Event', { headers: [['Allow-Events', sub.pkg.event]] }),
      );
    const d = durationOf(req);
    if (!d.ok) {
      const [status, headers, reason] = refusal(d);
      return tx.respond(createResponse(req, status, reason, { headers }));
    }
    if (sub.pkg.received) await sub.pkg.received(sub, req);
    tx.respond(createResponse(req, 200, 'OK', { headers: [['Expires', String(d.seconds)], ...sub.headers] }));
    this.#follow(sub, tx.flow);
    if (d.seconds === 0) {
      this.#o.log.info({ event: 'unsubscribe', tenant: sub.tenantId, subscription: sub.id }, 'unsubscribe');
      return this.#terminate(sub, 'timeout');
    }
    sub.expiresAt = this.#o.clock.now() + d.seconds * 1000;
    this.#arm(sub);
    this.#markDirty(sub);
    // RFC 6665 4.2.1.2: a refresh gets a NOTIFY with the current (full) state.
    this.#notify(sub, 'active', undefined);
  }

  /**
   * The subscriber's refresh came over another flow than the dialog's (a new TCP or WebSocket connection after
   * its old one closed, our restart, a NAT rebinding): later NOTIFYs go there. The dialog keeps its identity and
   * sequence numbers; it is rebuilt in the subscription's queue so no NOTIFY is in flight meanwhile.
   */
  #follow(sub: Sub, flow: Flow): void {
    if (sameFlow(sub.dialog.flow, flow)) return;
    this.#enqueue(sub, {
      kind: 'run',
      run: () => {
        if (sub.ended || sameFlow(sub.dialog.flow, flow)) return;
        const old = sub.dialog;
        const snapshot = old.snapshot();
        old.release();
        sub.dialog = this.#o.ua.restoreSubscription({ ...snapshot, flow: { ...flow } });
        this.#bind(sub);
        this.#markDirty(sub);
      },
    });
  }

  /** Ends a subscription with a final full-state NOTIFY (`Subscription-State: terminated`), then forgets it. */
  #terminate(sub: Sub, reason: TerminateReason): void {
    if (sub.ended) return;
    this.#notify(sub, 'terminated', undefined, reason);
    this.#drop(sub);
    this.#enqueue(sub, { kind: 'run', run: () => sub.dialog.release() });
    this.#o.log.info(
      { event: 'subscription.terminated', tenant: sub.tenantId, subscription: sub.id, reason },
      'subscription ended',
    );
  }

  #lost(sub: Sub, why: string): void {
    this.#o.log.info(
      { event: 'subscription.lost', tenant: sub.tenantId, subscription: sub.id, package: sub.pkg.event, why },
      'subscriber gone',
    );
    this.#drop(sub);
  }

  #drop(sub: Sub): void {
    sub.ended = true;
    this.#o.clock.clearTimeout(sub.timer);
    sub.timer = undefined;
    this.#subs.delete(sub.id);
    if (sub.pkg.persistence) this.#store.remove(sub.tenantId, sub.id);
    sub.pkg.ended?.(sub);
  }

  /** Builds the body now (so versions follow the order of changes) and queues its NOTIFY behind the others. */
  #notify(sub: Sub, state: 'active' | 'terminated', change: unknown, reason?: TerminateReason): void {
    if (sub.ended || this.#stopped) return;
    const now = this.#o.clock.now();
    const tail = sub.queue.length > 0 ? sub.queue[sub.queue.length - 1] : undefined;
    const w = tail?.kind === 'notify' && tail.active ? tail : undefined;
    const coalesce = w !== undefined && state === 'active' && sub.pkg.fullState?.(sub) === true;
    const version = coalesce ? w.version : sub.version++;
    const b = sub.pkg.body(sub, { version, state, change, now, ...(reason ? { reason } : {}) });
    const subscriptionState =
      state === 'active'
        ? `active;expires=${Math.max(0, Math.ceil((sub.expiresAt - now) / 1000))}`
        : `terminated;reason=${reason ?? 'timeout'}`;
    if (coalesce) {
      // The newer full state replaces the waiting NOTIFY's document; its version stays, so none is skipped.
      w.body = b;
      w.state = subscriptionState;
      this.#coalesced++;
      return;
    }
    if (sub.version - sub.markedVersion >= PERSIST_EVERY) this.#markDirty(sub);
    this.#enqueue(sub, {
      kind: 'notify',
      version,
      active: state === 'active',
      body: b,
      state: subscriptionState,
    });
  }

  /**
   * Queues a job; the subscription's queue is worked at the next flush: once for all subscriptions a burst of
   * changes touched (a microtask after the change), so a fan-out sends its NOTIFYs in one synchronous loop, and
   * several changes in one go reach a watcher as one full-state NOTIFY (coalescing above).
   */
  #enqueue(sub: Sub, job: Job): void {
    sub.queue.push(job);
    if (sub.busy || sub.scheduled) return;
    sub.scheduled = true;
    this.#ready.push(sub);
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    queueMicrotask(() => this.#flush());
  }

  #flush(): void {
    this.#flushQueued = false;
    const ready = this.#ready;
    this.#ready = [];
    for (const sub of ready) {
      sub.scheduled = false;
      this.#pump(sub);
    }
  }

  /** Works the queue up to the next NOTIFY in flight; called again when its final response (or 408/503) came. */
  #pump(sub: Sub): void {
    while (!sub.busy && sub.queue.length > 0) {
      const job = sub.queue.shift()!;
      if (job.kind === 'notify') this.#send(sub, job);
      else
        try {
          job.run();
        } catch (err) {
          this.#o.log.error(
            { event: 'subscription.error', subscription: sub.id, err: String(err) },
            'failed',
          );
        }
    }
    if (!sub.busy && sub.queue.length === 0 && sub.idle.length > 0) for (const f of sub.idle.splice(0)) f();
  }

  #send(sub: Sub, job: NotifyJob): void {
    const dialog = sub.dialog;
    if (dialog.state === 'terminated') return;
    // The callback keeps only the version: the document need not live until the answer.
    const version = job.version;
    sub.busy = true;
    try {
      dialog.requestFromTemplate(
        'NOTIFY',
        {
          fixed: sub.fixed,
          headers: [['Subscription-State', job.state]],
          contentType: job.body.contentType,
          body: job.body.body,
        },
        (res) => this.#answered(sub, dialog, version, res.status),
      );
    } catch (err) {
      sub.busy = false;
      this.#o.log.warn(
        { event: 'notify.error', tenant: sub.tenantId, subscription: sub.id, err: String(err) },
        'NOTIFY not sent',
      );
    }
  }

  /** The NOTIFY of `version` got its final response (or a local 408/503): the next one may go. */
  #answered(sub: Sub, dialog: SubscriptionDialog, version: number, status: number): void {
    sub.busy = false;
    if (status >= 300) {
      const fields = { tenant: sub.tenantId, subscription: sub.id, status, version };
      this.#o.log.info({ event: 'notify.failed', ...fields }, 'NOTIFY refused');
      if (NOTIFY_FAILURES_THAT_END.has(status) && !sub.ended && sub.dialog === dialog)
        this.#lost(sub, `status ${status}`);
    }
    this.#pump(sub);
  }

  /** Resolves once nothing of the subscription waits or is in flight. */
  #settled(sub: Sub): Promise<void> {
    if (!sub.busy && sub.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => sub.idle.push(resolve));
  }

  #markDirty(sub: Sub): void {
    const persistence = sub.pkg.persistence;
    if (sub.ended || !persistence) return;
    sub.markedVersion = sub.version;
    this.#store.upsert(sub.id, () => recordOf(sub, persistence.save(sub.resource), this.#o.clock.now()));
  }
}

/** 423 with Min-Expires for a too-brief subscription, 400 for an Expires that is no number (RFC 6665 4.2.1.1). */
function refusal(d: Extract<Duration, { ok: false }>): [number, Array<[string, string]>, string | undefined] {
  return d.status === 423
    ? [423, [['Min-Expires', String(MIN_EXPIRES)]], undefined]
    : [400, [], 'Bad Expires'];
}

function sameFlow(a: Flow, b: Flow): boolean {
  return (
    a.protocol === b.protocol &&
    a.connectionId === b.connectionId &&
    a.remote.address === b.remote.address &&
    a.remote.port === b.remote.port
  );
}
