/**
 * Write-behind persistence of subscriptions: the latest state per subscription is marked and written in batches,
 * one transaction at a time, never on the NOTIFY path. A crash may lose the last marks; that is why restore adds
 * RESTORE_MARGIN to every counter (subscription-records.ts).
 */
import type { Logger } from '../../util/log.js';
import type { BlfSubscriptionRecord, BlfSubscriptionStore, Store } from '../../store/types.js';

export type SubscriptionStore = Pick<Store, 'transaction'> & { blfSubscriptions: BlfSubscriptionStore };

export class WriteBehind {
  readonly #store: SubscriptionStore;
  readonly #log: Logger;
  /** The latest record builder per subscription id, or a deletion. */
  readonly #dirty = new Map<string, { record: () => BlfSubscriptionRecord } | { tenantId: string }>();
  #flushing: Promise<void> | undefined;

  constructor(store: SubscriptionStore, log: Logger) {
    this.#store = store;
    this.#log = log;
  }

  /** `record` is called when written, so it captures the newest state (versions, CSeq) at that moment. */
  upsert(id: string, record: () => BlfSubscriptionRecord): void {
    this.#dirty.set(id, { record });
    this.#kick();
  }

  remove(tenantId: string, id: string): void {
    this.#dirty.set(id, { tenantId });
    this.#kick();
  }

  /** Waits until everything marked so far is written. */
  async flush(): Promise<void> {
    while (this.#flushing) await this.#flushing;
  }

  #kick(): void {
    if (this.#flushing) return;
    this.#flushing = this.#loop().finally(() => (this.#flushing = undefined));
  }

  async #loop(): Promise<void> {
    // Bounded: each round takes everything marked so far; rounds continue only while new marks arrive.
    for (let round = 0; this.#dirty.size > 0 && round < 1_000_000; round++) {
      await Promise.resolve();
      const batch = [...this.#dirty];
      this.#dirty.clear();
      try {
        await this.#store.transaction(async (tx) => {
          for (const [id, w] of batch) {
            if ('record' in w) await tx.blfSubscriptions.upsert(w.record());
            else await tx.blfSubscriptions.remove(w.tenantId, id);
          }
        });
      } catch (err) {
        this.#log.error({ event: 'subscription.store.error', err: String(err) }, 'subscriptions not written');
      }
    }
  }
}
