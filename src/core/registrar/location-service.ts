import type { Clock, TimerHandle } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import type { RegistrationRecord, RegistrationStore } from '../../store/types.js';

/**
 * The location service (RFC 3261 section 10): contact bindings per address of record, in memory for lookups and
 * written behind to the store so they survive a restart. A REGISTER never waits for the disk: the AORs it changed
 * are marked, and a write round at most `writeDelayMs` later stores every marked AOR's current bindings in one
 * transaction of a few statements (like Kamailio's usrloc write-back mode). A clean stop flushes everything; a
 * crash loses at most the changes of the last `writeDelayMs` plus the round in flight.
 * Changes are applied to memory synchronously, so two REGISTERs of one phone racing each other cannot interleave
 * their read-modify-write.
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
  readonly #log: Logger | undefined;
  readonly #clock: Clock;
  readonly #sweepMs: number;
  /** AORs changed in memory and not yet written. */
  readonly #dirty = new Set<string>();
  #flushing: Promise<void> | undefined;
  readonly #aors = new Map<string, Map<string, RegistrationRecord>>();
  #sweepTimer: TimerHandle | undefined;
  readonly #writeDelayMs: number;
  #writeTimer: TimerHandle | undefined;
  #count = 0;
  /** Live bindings per source flow (address and port), for the flood guard's "registered phone" rule. */
  readonly #flows = new Map<string, number>();

  constructor(opts: {
    store: RegistrationStore;
    clock: Clock;
    sweepMs?: number;
    /** How long a change may wait in memory before its write round starts (default 200 ms). */
    writeDelayMs?: number;
    log?: Logger;
  }) {
    this.#store = opts.store;
    this.#log = opts.log;
    this.#clock = opts.clock;
    this.#sweepMs = opts.sweepMs ?? 1_000;
    this.#writeDelayMs = opts.writeDelayMs ?? 200;
  }

  /** Loads the unexpired bindings persisted before a restart and starts the expiry sweep. */
  async start(): Promise<void> {
    const now = this.#clock.now();
    await this.#store.removeExpired(now);
    for (const r of await this.#store.loadUnexpired(now)) this.#put(r);
    this.#scheduleSweep();
  }

  /** Stops the sweep and writes every change still pending. */
  async stop(): Promise<void> {
    this.#clock.clearTimeout(this.#sweepTimer);
    this.#sweepTimer = undefined;
    await this.flush();
  }

  /** Waits until every change made so far is in the store. */
  async flush(): Promise<void> {
    // Bounded: each pass writes what was pending when it started.
    for (let pass = 0; pass < 1_000 && (this.#writeTimer || this.#flushing); pass++) {
      if (this.#writeTimer) {
        this.#clock.clearTimeout(this.#writeTimer);
        this.#writeTimer = undefined;
        this.#kick();
      }
      await this.#flushing;
    }
  }

  /**
   * True while a write round is scheduled: its timer is transient (at most `writeDelayMs`), so leak checks that
   * count the clock's timers leave it out.
   */
  writeScheduled(): boolean {
    return this.#writeTimer !== undefined;
  }

  /** AORs changed in memory and not yet in the store (for the leak checks and tests). */
  pendingWrites(): number {
    return this.#dirty.size;
  }

  /** Unexpired bindings of one AOR, highest q first. */
  lookup(tenantId: string, username: string): RegistrationRecord[] {
    const now = this.#clock.now();
    const m = this.#aors.get(aorKey(tenantId, username));
    if (!m) return [];
    const live: RegistrationRecord[] = [];
    for (const b of m.values()) if (b.expiresAt > now) live.push(b);
    // Most AORs have one binding: no sort (V8's sort copies the array into a work area even then).
    if (live.length > 1) live.sort((a, b) => (b.q ?? 1) - (a.q ?? 1));
    return live;
  }

  /**
   * True when some binding was registered from this source address and port: requests from there come from a
   * phone that proved its credentials, even when its address is banned for another device's unanswered challenges.
   */
  isRegisteredFlow(address: string, port: number): boolean {
    return this.#flows.has(flowKey(address, port));
  }

  /**
   * Whether a binding on this connection registered with the `+sip.ice` feature tag (RFC 5768: the device does
   * ICE, as browsers do): a call to it needs the WebRTC media gateway, one to a plain WebSocket phone does not.
   */
  iceOnFlow(connectionId: string): boolean {
    for (const m of this.#aors.values())
      for (const r of m.values())
        if (r.flowConnectionId === connectionId && /;\+sip\.ice(?=[;=]|$)/i.test(r.contactParams))
          return true;
    return false;
  }

  /**
   * The connection a flow ran on closed (RFC 5626 section 5.3): the bindings that can only be reached over it go
   * at once instead of at their expiry, so a 200 to a later REGISTER no longer lists them and no call forks to
   * them. Those are every WebSocket binding (RFC 7118 section 5: its Contact host is not reachable on its own)
   * and the TCP/TLS bindings registered as RFC 5626 flows (+sip.instance and reg-id); a plain TCP phone's
   * Contact can still be reached on a new connection and keeps its binding. Returns how many went.
   */
  async dropFlow(connectionId: string): Promise<number> {
    const hit: Array<{ tenantId: string; username: string }> = [];
    for (const m of this.#aors.values()) {
      const b = [...m.values()].find((r) => r.flowConnectionId === connectionId && flowBound(r));
      if (b) hit.push({ tenantId: b.tenantId, username: b.username });
    }
    let dropped = 0;
    for (const aor of hit) {
      dropped += await this.update(aor.tenantId, aor.username, (current) => {
        const removes = current
          .filter((r) => r.flowConnectionId === connectionId && flowBound(r))
          .map((r) => r.contact);
        return { change: { upserts: [], removes }, result: removes.length };
      });
    }
    if (dropped > 0)
      this.#log?.info({ event: 'registrations.flow.closed', connectionId, dropped }, 'flow bindings dropped');
    return dropped;
  }

  /** Number of live bindings, all tenants. */
  size(): number {
    return this.#count;
  }

  /**
   * Runs `fn` with exclusive access to one AOR: it sees the current bindings and returns the change to apply.
   * Memory moves at once (nothing in between can see a half-applied change); the store follows in the next write
   * round.
   */
  async update<T>(
    tenantId: string,
    username: string,
    fn: (current: RegistrationRecord[]) => { change?: BindingChange; result: T },
  ): Promise<T> {
    const { change, result } = fn(this.lookup(tenantId, username));
    if (change) this.#apply(tenantId, username, change);
    return Promise.resolve(result);
  }

  #apply(tenantId: string, username: string, change: BindingChange): void {
    const key = aorKey(tenantId, username);
    this.#dirty.add(key);
    this.#schedule();
    if (change.removeAll) this.#dropAor(key);
    const m = this.#aors.get(key);
    for (const c of change.removes) {
      const r = m?.get(c);
      if (r && m?.delete(c)) this.#forget(r);
    }
    if (m?.size === 0) this.#aors.delete(key);
    for (const r of change.upserts) this.#put(r);
  }

  /** Starts a write round after `writeDelayMs`, unless one is already due or running. */
  #schedule(): void {
    if (this.#writeTimer || this.#flushing) return;
    this.#writeTimer = this.#clock.setTimeout(() => {
      this.#writeTimer = undefined;
      this.#kick();
    }, this.#writeDelayMs);
  }

  #kick(): void {
    if (this.#flushing) return;
    this.#flushing = this.#writeRound().finally(() => {
      this.#flushing = undefined;
      // Changes made while the round ran wait for the next one.
      if (this.#dirty.size > 0) this.#schedule();
    });
  }

  /** Writes every AOR marked so far: its bindings replace the stored ones. */
  async #writeRound(): Promise<void> {
    const batch = [...this.#dirty];
    this.#dirty.clear();
    try {
      await this.#write(batch);
    } catch {
      // One bad AOR (its tenant removed meanwhile) must not hold back the others: each on its own, and what
      // still fails is logged and left to the phone's next REGISTER (memory stays right).
      for (const key of batch) {
        try {
          await this.#write([key]);
        } catch (err) {
          this.#log?.error({ event: 'registrations.store.error', err: String(err) }, 'bindings not written');
        }
      }
    }
  }

  /** One replaceAors: atomic by the store's contract (a transaction of its own, a few statements). */
  async #write(keys: readonly string[]): Promise<void> {
    const aors: Array<{ tenantId: string; username: string }> = [];
    const bindings: RegistrationRecord[] = [];
    for (const key of keys) {
      const [tenantId, username] = key.split('\u0000') as [string, string];
      aors.push({ tenantId, username });
      for (const b of this.#aors.get(key)?.values() ?? []) bindings.push(b);
    }
    await this.#store.replaceAors(aors, bindings);
  }

  #put(r: RegistrationRecord): void {
    const key = aorKey(r.tenantId, r.username);
    let m = this.#aors.get(key);
    if (!m) {
      m = new Map();
      this.#aors.set(key, m);
    }
    const old = m.get(r.contact);
    if (old) this.#forget(old);
    m.set(r.contact, r);
    this.#count++;
    const f = flowKey(r.flowAddress, r.flowPort);
    this.#flows.set(f, (this.#flows.get(f) ?? 0) + 1);
  }

  /** Takes one binding out of the counts (the caller removes it from its AOR). */
  #forget(r: RegistrationRecord): void {
    this.#count--;
    const f = flowKey(r.flowAddress, r.flowPort);
    const n = (this.#flows.get(f) ?? 1) - 1;
    if (n <= 0) this.#flows.delete(f);
    else this.#flows.set(f, n);
  }

  #dropAor(key: string): void {
    const m = this.#aors.get(key);
    for (const r of m?.values() ?? []) this.#forget(r);
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
          this.#forget(r);
          expired++;
        }
      }
      if (m.size === 0) this.#aors.delete(key);
    }
    if (expired > 0) await this.#store.removeExpired(now).catch(() => undefined);
  }
}

/** Whether a binding lives and dies with its connection (see dropFlow). */
function flowBound(r: RegistrationRecord): boolean {
  if (r.flowProtocol === 'ws' || r.flowProtocol === 'wss') return true;
  if (r.flowProtocol !== 'tcp' && r.flowProtocol !== 'tls') return false;
  return /;\+sip\.instance=/i.test(r.contactParams) && /;reg-id=/i.test(r.contactParams);
}

function aorKey(tenantId: string, username: string): string {
  return `${tenantId}\u0000${username}`;
}

function flowKey(address: string, port: number): string {
  return `${address} ${port}`;
}
