import type { ExternalCallPolicy } from '../calls/external-routes.js';
import type { TollFraudLimitsRecord, TollFraudStore } from '../../store/types.js';
import type { Clock } from '../../util/clock.js';
import { classifyNumber } from './destination-class.js';
import type { SecurityEvents } from './security-events.js';

/**
 * Toll-fraud limits on outbound external calls, per tenant as provisioned (`tollFraud`, docs/security.md):
 * allowed destination classes (international and premium off unless enabled), concurrent external calls of the
 * tenant, external calls per workplace per hour. Emergency numbers pass every limit. A refusal is a
 * `fraud.refused` security event.
 *
 * Counts live in memory: a restart forgets the hour's tally (a conservative deployment sets the hourly limit
 * with that in mind); the concurrency count is exact, since calls end with the process.
 */
export class TollFraudGuard implements ExternalCallPolicy {
  readonly #store: TollFraudStore;
  readonly #clock: Clock;
  readonly #events: SecurityEvents;
  readonly #limits = new Map<string, Promise<TollFraudLimitsRecord>>();
  readonly #live = new Map<string, number>();
  /** Start times of the last hour's external calls per (tenant, workplace), oldest first. */
  readonly #recent = new Map<string, number[]>();

  constructor(o: { store: TollFraudStore; clock: Clock; events: SecurityEvents }) {
    this.#store = o.store;
    this.#clock = o.clock;
    this.#events = o.events;
  }

  /** Provisioning ran: read the limits again. */
  invalidate(): void {
    this.#limits.clear();
  }

  /** External calls running now (all tenants), for the leak checks. */
  live(): number {
    let n = 0;
    for (const v of this.#live.values()) n += v;
    return n;
  }

  async admit(x: Parameters<ExternalCallPolicy['admit']>[0]): ReturnType<ExternalCallPolicy['admit']> {
    const limits = await this.#limitsOf(x.tenantId);
    const cls = classifyNumber(x.dialled, x.e164, x.countryCode);
    if (cls !== 'emergency') {
      let reason: string | undefined;
      const live = this.#live.get(x.tenantId) ?? 0;
      const key = `${x.tenantId}\u0000${x.workplace}`;
      const recent = this.#pruned(key);
      if (!limits.allow.includes(cls)) reason = `destination-${cls}`;
      else if (limits.maxConcurrentExternalCalls !== null && live >= limits.maxConcurrentExternalCalls)
        reason = 'concurrent-limit';
      else if (
        limits.maxExternalCallsPerWorkplacePerHour !== null &&
        recent.length >= limits.maxExternalCallsPerWorkplacePerHour
      )
        reason = 'hourly-limit';
      if (reason) {
        this.#events.emit(
          'fraud.refused',
          x.source,
          { tenant: x.tenantId, workplace: x.workplace, reason, class: cls, callId: x.callId },
          'external call refused by the toll-fraud limits',
        );
        return { ok: false, reason };
      }
      recent.push(this.#clock.now());
      this.#recent.set(key, recent);
    }
    this.#live.set(x.tenantId, (this.#live.get(x.tenantId) ?? 0) + 1);
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        const n = (this.#live.get(x.tenantId) ?? 1) - 1;
        if (n <= 0) this.#live.delete(x.tenantId);
        else this.#live.set(x.tenantId, n);
      },
    };
  }

  #limitsOf(tenantId: string): Promise<TollFraudLimitsRecord> {
    let p = this.#limits.get(tenantId);
    if (!p) {
      p = this.#store.limits(tenantId);
      // A failed read is retried next time rather than cached.
      p.catch(() => this.#limits.delete(tenantId));
      this.#limits.set(tenantId, p);
    }
    return p;
  }

  /** The workplace's calls of the last hour (older ones dropped; an empty list is forgotten). */
  #pruned(key: string): number[] {
    const since = this.#clock.now() - 3_600_000;
    const list = (this.#recent.get(key) ?? []).filter((t) => t > since);
    if (list.length === 0) this.#recent.delete(key);
    return list;
  }
}
