/**
 * What an event package (RFC 6665 section 7) tells the subscription service: its name, the bodies it sends, who
 * may subscribe to what, the NOTIFY body for a state, and what of its per-subscription state survives a restart.
 * The service owns everything the packages have in common (dialogs, Expires, refresh, expiry, the NOTIFY chain,
 * failures, persistence); a package owns only its resource and its documents. See README.md in this folder.
 */
import type { SipRequest } from '../../sip/message/index.js';
import type { MessageBody } from '../../sip/message/spliced-body.js';
import type { DeviceRecord, TenantRecord } from '../../store/types.js';

/** `Subscription-State: terminated` reasons we send (RFC 6665 section 4.2.2). */
export type TerminateReason = 'timeout' | 'noresource' | 'deactivated' | 'rejected';

/** A subscription as its package sees it. `resource` belongs to the package and may be changed by it. */
export interface Subscription<R> {
  readonly id: string;
  readonly tenantId: string;
  /** The tenant's SIP domain (for URIs in bodies). */
  readonly domain: string;
  /** The subscribing device's username. */
  readonly watcher: string;
  readonly event: string;
  resource: R;
  /** ms since epoch (the service's clock). */
  readonly expiresAt: number;
  /** True once the subscription is over (no more NOTIFYs). */
  readonly ended: boolean;
}

/** A refused SUBSCRIBE: the final response to send. */
export interface Refusal {
  ok: false;
  status: number;
  reason?: string;
  headers?: Array<[string, string]>;
}

/**
 * An admitted SUBSCRIBE: the package's resource, and header fields for every 200 and NOTIFY of the subscription
 * (e.g. `Require: eventlist` for an RFC 4662 list).
 */
export interface Admitted<R> {
  ok: true;
  resource: R;
  headers?: Array<[string, string]>;
}

export interface NotifyInfo<C> {
  /** The document version for this NOTIFY (per subscription, from 0, never reused; RFC 4235 4.1, RFC 4662 5.2). */
  version: number;
  state: 'active' | 'terminated';
  reason?: TerminateReason;
  /** The package's change that caused this NOTIFY; undefined: send the full state. */
  change: C | undefined;
  now: number;
}

export interface NotifyBody {
  contentType: string;
  /** A string, or spliced from parts shared by the NOTIFYs of one change (sip/message/spliced-body.ts). */
  body: MessageBody;
}

/** A stored subscription's package part. */
export interface StoredResource {
  /** Tells the packages' stored records apart (`kinds` below). */
  kind: string;
  resource: string;
  /** Counters that must only grow across restarts (the service adds RESTORE_MARGIN before handing them back). */
  versions: Record<string, number>;
}

export interface PackagePersistence<R> {
  /** The `kind` values this package writes; restore hands each record to the package that wrote its kind. */
  readonly kinds: readonly string[];
  save(resource: R): StoredResource;
  /**
   * Rebuilds the resource after a restart. `gone`: what it watched no longer exists (the subscription then ends
   * with `terminated;reason=noresource`); undefined: forget the record silently.
   */
  restore(r: {
    tenantId: string;
    watcher: string;
    stored: StoredResource;
  }): Promise<{ resource: R; gone?: boolean } | undefined>;
}

export interface EventPackage<R, C = never> {
  /** The Event header token (RFC 6665 8.2.1), lower case. */
  readonly event: string;
  /** Media types of the NOTIFY bodies; a SUBSCRIBE whose Accept names none of them gets 406 (RFC 6665 4.2.1.1). */
  readonly contentTypes: readonly string[];
  /**
   * Whether `device` of `tenant` may subscribe to what the request names. Must not change anything: the
   * subscription may still be refused afterwards (Expires). Side effects belong in `received`.
   */
  admit(a: {
    tenant: TenantRecord;
    device: DeviceRecord;
    request: SipRequest;
  }): Promise<Admitted<R> | Refusal>;
  /** A SUBSCRIBE the service accepted (initial or in-dialog), before its 200 and NOTIFY: act on its body. */
  received?(sub: Subscription<R>, request: SipRequest): Promise<void>;
  /** The subscription exists (after accept or restore) / is over: for the package's own index of watchers. */
  started?(sub: Subscription<R>): void;
  ended?(sub: Subscription<R>): void;
  /** The NOTIFY body; called when the NOTIFY is queued, so versions follow the order of changes. */
  body(sub: Subscription<R>, n: NotifyInfo<C>): NotifyBody;
  /**
   * True when every body of `sub` is its full state (nothing in it depends on an earlier NOTIFY): a burst of
   * changes then coalesces — a NOTIFY still waiting behind one in flight is replaced by the newer state, under
   * its version, instead of queueing one more (RFC 6665 section 4.2.2 leaves the rate of NOTIFYs to the
   * notifier). Absent or false: every change gets its own NOTIFY (partial state, e.g. RFC 4662 list updates).
   */
  fullState?(sub: Subscription<R>): boolean;
  /** Absent: the package's subscriptions live in memory only. */
  readonly persistence?: PackagePersistence<R>;
}
