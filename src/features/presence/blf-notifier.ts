/**
 * BLF: the RFC 4235 dialog package fed from the call events. It keeps the pure presence reducer's book, registers
 * the dialog package (dialog-package.ts) with the subscription service, and sends every change, as a full-state
 * document, to every watcher of the changed workplace (one NOTIFY per subscription per event; a list watching
 * several changed members gets them in one partial RLMI update). Subscription plumbing — dialogs, expiry, the
 * NOTIFY chain and its failures, persistence and restore — is the service's (core/subscriptions).
 */
import type { Logger } from '../../util/log.js';
import type { BodyTemplate } from '../../sip/message/spliced-body.js';
import type { CallEvent, DomainEvent, PresenceChanged } from '../../core/events/types.js';
import type { PackageHandle } from '../../core/subscriptions/subscription-service.js';
import type { EventPackage } from '../../core/subscriptions/event-package.js';
import {
  dialogPackage,
  membersOf,
  namesOf,
  type BlfChange,
  type BlfDirectory,
  type BlfResource,
  type BlfSubscription,
  type LegLookup,
} from './dialog-package.js';
import {
  applyCallEvent,
  emptyPresenceBook,
  presenceOf,
  workplaceKey,
  type PresenceBook,
  type PresenceChange,
  type PresenceStatus,
} from './presence-state.js';
import { applyParkEvent, isParkEvent } from './park-lamps.js';

export type { BlfDirectory, LegLookup } from './dialog-package.js';

export interface BlfNotifierOptions {
  /** Where the dialog package is registered (the SubscriptionService). */
  subscriptions: {
    register(pkg: EventPackage<BlfResource, BlfChange>): PackageHandle<BlfResource, BlfChange>;
  };
  directory: BlfDirectory;
  legs: LegLookup;
  log: Logger;
  /** Where lamp changes are published (the event bus), as `presence.changed`. */
  publish?: (e: PresenceChanged) => void;
  /** Workplaces in do not disturb: shown busy while they have no call (dialog-package.ts). */
  dnd?: (tenantId: string, workplace: string) => boolean;
  /** Whether a number is one of the tenant's park locations: its key shows the location (park-lamps.ts). */
  parkLocation?: (tenantId: string, number: string) => Promise<boolean>;
}

export class BlfNotifier {
  readonly #o: BlfNotifierOptions;
  readonly #subs: PackageHandle<BlfResource, BlfChange>;
  #book: PresenceBook = emptyPresenceBook;
  /** workplaceKey(tenant, ext) → the subscriptions watching it (directly or through a list). */
  readonly #watchers = new Map<string, Set<BlfSubscription>>();
  /** The last published lamp per workplace (absent: idle). */
  readonly #lamps = new Map<string, PresenceStatus>();
  #stopped = false;

  constructor(o: BlfNotifierOptions) {
    this.#o = o;
    this.#subs = o.subscriptions.register(
      dialogPackage({
        directory: o.directory,
        legs: o.legs,
        book: () => this.#book,
        ...(o.dnd ? { dnd: o.dnd } : {}),
        ...(o.parkLocation ? { parkLocation: o.parkLocation } : {}),
        log: o.log,
        started: (sub) => this.#watch(sub),
        ended: (sub) => this.#unwatch(sub),
      }),
    );
  }

  /** Live dialog-package subscriptions (for counts and tests). */
  count(): number {
    return this.#subs.count();
  }

  /** The presence book as the notifier sees it (for the client API and tests). */
  get book(): PresenceBook {
    return this.#book;
  }

  /** A workplace's lamp as last published (idle when it is in no call), for the client API's snapshots. */
  lampOf(tenantId: string, workplace: string): PresenceStatus {
    return this.#lamps.get(workplaceKey(tenantId, workplace)) ?? 'idle';
  }

  /** Stops following the call events (the service stops the subscriptions). */
  stop(): void {
    this.#stopped = true;
  }

  /** Feed one bus event; call events change presence, park events the lamps of park locations. */
  onEvent(e: DomainEvent): void {
    if (this.#stopped) return;
    if (!e.type.startsWith('call.') && !isParkEvent(e)) return;
    const { state, changed } = isParkEvent(e)
      ? applyParkEvent(this.#book, e)
      : applyCallEvent(this.#book, e as CallEvent);
    this.#book = state;
    if (changed.length === 0) return;
    this.#publishLamps(changed, e.at);
    // Watchers of one workplace get the same document but for its version: it is built once per event (docs).
    const docs = new Map<string, BodyTemplate>();
    if (changed.length === 1) {
      // One changed workplace (every call event of a BLF fan-out): one change object for all its watchers.
      const c = changed[0]!;
      const change: BlfChange = { changes: new Map([[c.workplace, c.dialogs]]), docs };
      for (const sub of this.#watchers.get(workplaceKey(c.tenantId, c.workplace)) ?? [])
        this.#subs.notify(sub, change);
      return;
    }
    const perSub = new Map<BlfSubscription, PresenceChange[]>();
    for (const c of changed) {
      for (const sub of this.#watchers.get(workplaceKey(c.tenantId, c.workplace)) ?? []) {
        const list = perSub.get(sub);
        if (list) list.push(c);
        else perSub.set(sub, [c]);
      }
    }
    // The change of a subscription that watches one changed workplace is shared too.
    const shared = new Map<PresenceChange, BlfChange>();
    for (const [sub, changes] of perSub) {
      const only = changes.length === 1 ? changes[0]! : undefined;
      let change = only && shared.get(only);
      if (!change) {
        change = { changes: new Map(changes.map((c) => [c.workplace, c.dialogs])), docs };
        if (only) shared.set(only, change);
      }
      this.#subs.notify(sub, change);
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

  /** Do not disturb of `workplace` changed: its watchers get its document again (busy, or its calls). */
  dndChanged(tenantId: string, workplace: string): void {
    if (this.#stopped) return;
    const dialogs = presenceOf(this.#book, tenantId, workplace).dialogs;
    const docs = new Map<string, BodyTemplate>();
    for (const sub of this.#watchers.get(workplaceKey(tenantId, workplace)) ?? [])
      this.#subs.notify(sub, { changes: new Map([[workplace, dialogs]]), docs });
  }

  /**
   * After provisioning changed the directory: subscriptions to a workplace that no longer exists end with
   * `terminated;reason=noresource`; list subscriptions follow a changed BLF list (full-state NOTIFY).
   */
  async reconcile(): Promise<void> {
    for (const sub of this.#subs.subscriptions()) {
      if (sub.ended) continue;
      const plan = await this.#o.directory.plan(sub.tenantId);
      const owner = plan.workplace(sub.resource.extension);
      if (
        !owner &&
        sub.resource.kind === 'dialog' &&
        (await this.#o.parkLocation?.(sub.tenantId, sub.resource.extension))
      )
        continue;
      if (!owner) {
        this.#subs.terminate(sub, 'noresource');
        continue;
      }
      const r = sub.resource;
      if (r.kind !== 'list') continue;
      const members = membersOf(plan, owner);
      if (members.join(',') === r.members.join(',')) continue;
      this.#unwatch(sub);
      r.members = members;
      r.names = namesOf(plan, members);
      for (const m of members) if (!r.resourceVersions.has(m)) r.resourceVersions.set(m, 0);
      this.#watch(sub);
      this.#subs.changed(sub);
      this.#subs.notify(sub);
    }
  }

  #watch(sub: BlfSubscription): void {
    for (const m of sub.resource.members) {
      const key = workplaceKey(sub.tenantId, m);
      let set = this.#watchers.get(key);
      if (!set) this.#watchers.set(key, (set = new Set()));
      set.add(sub);
    }
  }

  #unwatch(sub: BlfSubscription): void {
    for (const m of sub.resource.members) {
      const key = workplaceKey(sub.tenantId, m);
      const set = this.#watchers.get(key);
      set?.delete(sub);
      if (set?.size === 0) this.#watchers.delete(key);
    }
  }
}
