import type { Clock } from '../../util/clock.js';
import type { DeviceRecord, DirectoryStore, TenantRecord } from '../../store/types.js';

/**
 * Read side of the directory for the SIP hot path: tenants by domain and devices by (tenant, username), cached
 * for a short time so a registration storm does not turn into a query storm. Every device lookup takes the
 * tenant: a device of one tenant can never be found under another.
 *
 * Provisioning in this process calls invalidate(); a provisioning run from another process becomes visible
 * within `ttlMs`.
 */
export class Directory {
  readonly #store: DirectoryStore;
  readonly #clock: Clock;
  readonly #ttlMs: number;
  readonly #tenants = new Map<string, { at: number; value: TenantRecord | undefined }>();
  readonly #devices = new Map<string, { at: number; value: DeviceRecord | undefined }>();
  readonly #maxEntries: number;

  constructor(opts: { store: DirectoryStore; clock: Clock; ttlMs?: number; maxEntries?: number }) {
    this.#store = opts.store;
    this.#clock = opts.clock;
    this.#ttlMs = opts.ttlMs ?? 5_000;
    this.#maxEntries = opts.maxEntries ?? 50_000;
  }

  async tenantByDomain(domain: string): Promise<TenantRecord | undefined> {
    const key = domain.toLowerCase();
    return this.#cached(this.#tenants, key, () => this.#store.tenantByDomain(key));
  }

  async device(tenantId: string, username: string): Promise<DeviceRecord | undefined> {
    return this.#cached(this.#devices, `${tenantId}\u0000${username}`, () =>
      this.#store.device(tenantId, username),
    );
  }

  invalidate(): void {
    this.#tenants.clear();
    this.#devices.clear();
  }

  async #cached<T>(
    table: Map<string, { at: number; value: T | undefined }>,
    key: string,
    load: () => Promise<T | undefined>,
  ): Promise<T | undefined> {
    const now = this.#clock.now();
    const hit = table.get(key);
    if (hit && now - hit.at < this.#ttlMs) return hit.value;
    const value = await load();
    // Unknown names are cached too (briefly), so probing for users costs no more than a known one.
    if (table.size >= this.#maxEntries) table.clear();
    table.set(key, { at: now, value });
    return value;
  }
}
