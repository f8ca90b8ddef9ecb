/**
 * The subscription service's contract: what it needs of the UA core and the rest of the server
 * (SubscriptionServiceOptions) and what an event package holds after registering (PackageHandle).
 */
import type { ServerTransaction } from '../../sip/transaction/types.js';
import type { AcceptSubscribeOptions, DialogSnapshot, SubscriptionDialog } from '../../sip/ua/index.js';
import type { TenantRecord } from '../../store/types.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import type { Subscription, TerminateReason } from './event-package.js';
import type { SubscriptionStore } from './write-behind.js';

/** What the service needs of the UA core. */
export interface SubscriptionUa {
  acceptSubscribe(tx: ServerTransaction, o: AcceptSubscribeOptions): SubscriptionDialog;
  restoreSubscription(s: DialogSnapshot): SubscriptionDialog;
}

export interface SubscriptionServiceOptions {
  ua: SubscriptionUa;
  /** Tenants by id (the core Directory fits): restored subscriptions need their domain. */
  tenants: { tenantById(id: string): Promise<TenantRecord | undefined> };
  store: SubscriptionStore;
  clock: Clock;
  log: Logger;
}

/** What a package holds after registering: typed access to its own subscriptions. */
export interface PackageHandle<R, C> {
  /** Queues a NOTIFY for `change` (undefined: the full state) now, behind the subscription's earlier ones. */
  notify(sub: Subscription<R>, change?: C): void;
  /** Ends with a final NOTIFY (`Subscription-State: terminated;reason=...`). */
  terminate(sub: Subscription<R>, reason: TerminateReason): void;
  /** The resource changed in a way worth storing (e.g. a list's members). */
  changed(sub: Subscription<R>): void;
  subscriptions(): Array<Subscription<R>>;
  count(): number;
}
