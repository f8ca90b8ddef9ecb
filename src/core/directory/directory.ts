import type { Clock } from '../../util/clock.js';
import type { DeviceRecord, DirectoryStore, TenantRecord, WorkplaceRecord } from '../../store/types.js';
import type { SessionDevices } from './session-devices.js';

/**
 * Read side of the directory for the SIP hot path: tenants by domain and devices by (tenant, username), cached
 * for a short time so a registration storm does not turn into a query storm. Every device lookup takes the
 * tenant: a device of one tenant can never be found under another.
 *
 * Provisioning in this process calls invalidate(), which drops everything at once. Past `ttlMs` an entry is
 * reloaded in the background while the cached value still answers (stale-while-revalidate), so a device's HA1
 * never costs its REGISTER a store query once it was seen; a provisioning run from another process becomes
 * visible within `ttlMs` plus one request. A miss waits for the store, and concurrent misses of one key share one
 * load. Stale devices are reloaded together: the ones asked for within one turn of the event loop (a burst of
 * REGISTERs read from the socket at once) in one query per tenant, since a query's fixed cost (building, preparing
 * and running the statement) was most of the registrar's store work when each stale device had its own.
 */
type Entry<T> = { at: number; value: T | undefined };
export class Directory {
  readonly #store: DirectoryStore;
  readonly #clock: Clock;
  readonly #ttlMs: number;
  readonly #tenants = new Map<string, Entry<TenantRecord>>();
  readonly #devices = new Map<string, Entry<DeviceRecord>>();
  readonly #tenantPlans = new Map<string, Entry<TenantPlan>>();
  /** Loads under way, per table and key (shared by concurrent callers). */
  readonly #loading = new Map<Map<string, Entry<unknown>>, Map<string, Promise<unknown>>>();
  /** Bumped by invalidate(): a load started before it must not put its older answer back. */
  #generation = 0;
  readonly #maxEntries: number;
  /** Stale devices waiting for their batched reload, per tenant. */
  #stale = new Map<string, Set<string>>();
  #revalidating = false;
  /** Devices of web sessions (browsers), in memory only: looked up before the store, never cached here. */
  readonly #sessionDevices: SessionDevices | undefined;

  constructor(opts: {
    store: DirectoryStore;
    clock: Clock;
    ttlMs?: number;
    maxEntries?: number;
    sessionDevices?: SessionDevices;
  }) {
    this.#store = opts.store;
    this.#sessionDevices = opts.sessionDevices;
    // A browser that just got its credentials must be rung at once, not after the plan's cache time.
    opts.sessionDevices?.onChange((tenantId) => this.#tenantPlans.delete(tenantId));
    this.#clock = opts.clock;
    this.#ttlMs = opts.ttlMs ?? 5_000;
    this.#maxEntries = opts.maxEntries ?? 50_000;
  }

  async tenantByDomain(domain: string): Promise<TenantRecord | undefined> {
    const key = domain.toLowerCase();
    return this.#cached(this.#tenants, key, () => this.#store.tenantByDomain(key));
  }

  async tenantById(id: string): Promise<TenantRecord | undefined> {
    return this.#cached(this.#tenants, `id\u0000${id}`, () => this.#store.tenant(id));
  }

  async device(tenantId: string, username: string): Promise<DeviceRecord | undefined> {
    const browser = this.#sessionDevices?.device(tenantId, username);
    if (browser) return browser;
    const key = deviceKey(tenantId, username);
    const hit = this.#devices.get(key);
    if (hit) {
      if (this.#clock.now() - hit.at >= this.#ttlMs) this.#queueRevalidation(tenantId, username);
      return hit.value;
    }
    return this.#load(this.#devices, key, () => this.#store.device(tenantId, username));
  }

  #queueRevalidation(tenantId: string, username: string): void {
    let names = this.#stale.get(tenantId);
    if (!names) {
      names = new Set();
      this.#stale.set(tenantId, names);
    }
    names.add(username);
    if (this.#revalidating) return;
    this.#revalidating = true;
    setImmediate(() => void this.#revalidateDevices());
  }

  /** Reloads every queued stale device, one query per tenant and chunk; a failure leaves the old values. */
  async #revalidateDevices(): Promise<void> {
    const batch = this.#stale;
    this.#stale = new Map();
    const generation = this.#generation;
    const at = this.#clock.now();
    try {
      for (const [tenantId, names] of batch) {
        const all = [...names];
        for (let i = 0; i < all.length; i += REVALIDATE_CHUNK) {
          const chunk = all.slice(i, i + REVALIDATE_CHUNK);
          const found = await this.#store.devicesNamed(tenantId, chunk);
          // invalidate() meanwhile: the answer may predate the provisioning run.
          if (generation !== this.#generation) return;
          const byName = new Map(found.map((d) => [d.username, d]));
          for (const u of chunk) {
            const key = deviceKey(tenantId, u);
            // Only entries still cached: a name dropped meanwhile is loaded afresh on its next use.
            if (this.#devices.has(key)) this.#devices.set(key, { at, value: byName.get(u) });
          }
        }
      }
    } catch {
      // The cached values keep answering; the next use of a stale entry queues it again.
    } finally {
      this.#revalidating = false;
      if (this.#stale.size > 0) {
        this.#revalidating = true;
        setImmediate(() => void this.#revalidateDevices());
      }
    }
  }

  /** The tenant's workplaces and their devices, for routing a call. Always scoped to one tenant. */
  async plan(tenantId: string): Promise<TenantPlan> {
    const p = await this.#cached(this.#tenantPlans, tenantId, async () => {
      const [workplaces, devices] = await Promise.all([
        this.#store.workplaces(tenantId),
        this.#store.devices(tenantId),
      ]);
      return new TenantPlan(workplaces, [...devices, ...(this.#sessionDevices?.devices(tenantId) ?? [])]);
    });
    return p ?? new TenantPlan([], []);
  }

  invalidate(): void {
    this.#generation++;
    this.#tenants.clear();
    this.#devices.clear();
    this.#tenantPlans.clear();
    this.#loading.clear();
    this.#stale.clear();
  }

  async #cached<T>(
    table: Map<string, Entry<T>>,
    key: string,
    load: () => Promise<T | undefined>,
  ): Promise<T | undefined> {
    const hit = table.get(key);
    if (hit) {
      if (this.#clock.now() - hit.at >= this.#ttlMs) void this.#load(table, key, load).catch(() => undefined);
      return hit.value;
    }
    return this.#load(table, key, load);
  }

  #load<T>(
    table: Map<string, Entry<T>>,
    key: string,
    load: () => Promise<T | undefined>,
  ): Promise<T | undefined> {
    let loads = this.#loading.get(table as Map<string, Entry<unknown>>);
    if (!loads) {
      loads = new Map();
      this.#loading.set(table as Map<string, Entry<unknown>>, loads);
    }
    const running = loads.get(key) as Promise<T | undefined> | undefined;
    if (running) return running;
    const generation = this.#generation;
    const at = this.#clock.now();
    const p = load()
      .then((value) => {
        if (generation === this.#generation) {
          // Unknown names are cached too (briefly), so probing for users costs no more than a known one.
          if (table.size >= this.#maxEntries && !table.has(key)) table.clear();
          table.set(key, { at, value });
        }
        return value;
      })
      .finally(() => {
        if (loads.get(key) === p) loads.delete(key);
      });
    loads.set(key, p);
    return p;
  }
}

/** Names per reload query: far below SQLite's bound on host parameters. */
const REVALIDATE_CHUNK = 500;

function deviceKey(tenantId: string, username: string): string {
  return `${tenantId}\u0000${username}`;
}

/** One tenant's number plan: workplaces by extension and the devices of each. */
export class TenantPlan {
  readonly extensions: ReadonlySet<string>;
  readonly #workplaces = new Map<string, WorkplaceRecord>();
  readonly #devices = new Map<string, DeviceRecord[]>();

  constructor(workplaces: WorkplaceRecord[], devices: DeviceRecord[]) {
    for (const w of workplaces) this.#workplaces.set(w.extension, w);
    for (const d of devices) {
      const list = this.#devices.get(d.workplaceExtension) ?? [];
      list.push(d);
      this.#devices.set(d.workplaceExtension, list);
    }
    this.extensions = new Set(this.#workplaces.keys());
  }

  workplace(extension: string): WorkplaceRecord | undefined {
    return this.#workplaces.get(extension);
  }

  devicesOf(extension: string): readonly DeviceRecord[] {
    return this.#devices.get(extension) ?? [];
  }
}
