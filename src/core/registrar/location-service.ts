import type { Clock, TimerHandle } from '../../util/clock.js';
import type { RegistrationRecord, RegistrationStore } from '../../store/types.js';

/**
 * The location service (RFC 3261 section 10): contact bindings per address of record, in memory for lookups and
 * written through to the store so they survive a restart. Changes to one AOR are serialised (two REGISTERs of
 * one phone racing each other must not interleave their read-modify-write).
 */
export interface BindingChange {
  upserts: RegistrationRecord[];
  /** Contacts to remove. */
  removes: string[];
  /** Remove every binding of the AOR first (`Contact: *`). */
  removeAll?: boolean;
}

export class LocationService {
  readonly #store: RegistrationStore;
  readonly #clock: Clock;
  readonly #sweepMs: number;
  readonly #aors = new Map<string, Map<string, RegistrationRecord>>();
  readonly #locks = new Map<string, Promise<unknown>>();
  #sweepTimer: TimerHandle | undefined;
  #count = 0;

  constructor(opts: { store: RegistrationStore; clock: Clock; sweepMs?: number }) {
    this.#store = opts.store;
    this.#clock = opts.clock;
    this.#sweepMs = opts.sweepMs ?? 1_000;
  }

  /** Loads the unexpired bindings persisted before a restart and starts the expiry sweep. */
  async start(): Promise<void> {
    const now = this.#clock.now();
    await this.#store.removeExpired(now);
    for (const r of await this.#store.loadUnexpired(now)) this.#put(r);
    this.#scheduleSweep();
  }

  stop(): void {
    this.#clock.clearTimeout(this.#sweepTimer);
    this.#sweepTimer = undefined;
  }

  /** Unexpired bindings of one AOR, highest q first. */
  lookup(tenantId: string, username: string): RegistrationRecord[] {
    const now = this.#clock.now();
    const m = this.#aors.get(aorKey(tenantId, username));
    if (!m) return [];
    return [...m.values()].filter((b) => b.expiresAt > now).sort((a, b) => (b.q ?? 1) - (a.q ?? 1));
  }

  /** Number of live bindings, all tenants. */
  size(): number {
    return this.#count;
  }

  /**
   * Runs `fn` with exclusive access to one AOR: it sees the current bindings and returns the change to apply.
   * The change is persisted before the in-memory table moves, so a crash never leaves memory ahead of the store.
   */
  async update<T>(
    tenantId: string,
    username: string,
    fn: (current: RegistrationRecord[]) => { change?: BindingChange; result: T },
  ): Promise<T> {
    const key = aorKey(tenantId, username);
    const prev = this.#locks.get(key) ?? Promise.resolve();
    const run = prev.then(async () => {
      const { change, result } = fn(this.lookup(tenantId, username));
      if (change) await this.#apply(tenantId, username, change);
      return result;
    });
    const tail = run.catch(() => undefined);
    this.#locks.set(key, tail);
    void tail.then(() => {
      if (this.#locks.get(key) === tail) this.#locks.delete(key);
    });
    return run;
  }

  async #apply(tenantId: string, username: string, change: BindingChange): Promise<void> {
    if (change.removeAll) await this.#store.removeAll(tenantId, username);
    for (const c of change.removes) await this.#store.remove(tenantId, username, c);
    for (const r of change.upserts) await this.#store.upsert(r);
    const key = aorKey(tenantId, username);
    if (change.removeAll) this.#dropAor(key);
    const m = this.#aors.get(key);
    for (const c of change.removes) {
      if (m?.delete(c)) this.#count--;
    }
    if (m?.size === 0) this.#aors.delete(key);
    for (const r of change.upserts) this.#put(r);
  }

  #put(r: RegistrationRecord): void {
    const key = aorKey(r.tenantId, r.username);
    let m = this.#aors.get(key);
    if (!m) {
      m = new Map();
      this.#aors.set(key, m);
    }
    if (!m.has(r.contact)) this.#count++;
    m.set(r.contact, r);
  }

  #dropAor(key: string): void {
    const m = this.#aors.get(key);
    if (m) this.#count -= m.size;
    this.#aors.delete(key);
  }

  #scheduleSweep(): void {
    this.#sweepTimer = this.#clock.setTimeout(() => {
      void this.#sweep().finally(() => {
        if (this.#sweepTimer) this.#scheduleSweep();
      });
    }, this.#sweepMs);
  }

  /** Expiry on time: bindings past their expiry leave memory and the store within one sweep interval. */
  async #sweep(): Promise<void> {
    const now = this.#clock.now();
    let expired = 0;
    for (const [key, m] of this.#aors) {
      for (const [c, r] of m) {
        if (r.expiresAt <= now) {
          m.delete(c);
          this.#count--;
          expired++;
        }
      }
      if (m.size === 0) this.#aors.delete(key);
    }
    if (expired > 0) await this.#store.removeExpired(now).catch(() => undefined);
  }
}

function aorKey(tenantId: string, username: string): string {
  return `${tenantId}\u0000${username}`;
}
