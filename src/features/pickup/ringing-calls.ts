import type { DomainEvent, Party } from '../../core/events/types.js';

/**
 * Which calls ring at which workplace, since when — fed by the call engine's bus events, nothing SIP in it, so
 * the browser client's pickup (later, through the API) uses the same state and the same choice as `*97`/`*98`.
 */

export type PickupOrder = 'newest' | 'oldest';

export interface RingingCall {
  tenantId: string;
  /** The PBX call id (of the bus events). */
  callId: string;
  /** The workplace the call rings at. */
  workplace: string;
  caller: Party;
  /** When it started ringing (first `call.ringing`). */
  since: number;
}

export class RingingCalls {
  /**
   * tenant → (call id, workplace) → the ringing call. A call may ring at several workplaces at once (an
   * executive's assistants) or one after another (a forward): each is its own entry.
   */
  readonly #byTenant = new Map<string, Map<string, RingingCall>>();

  /** Feeds one bus event. */
  apply(e: DomainEvent): void {
    switch (e.type) {
      case 'call.ringing': {
        const workplace = e.callee.workplace;
        if (workplace === undefined) return;
        let calls = this.#byTenant.get(e.tenantId);
        if (!calls) this.#byTenant.set(e.tenantId, (calls = new Map()));
        // Every 18x of every device repeats the event: the first one says since when it rings.
        const key = entryKey(e.callId, workplace);
        if (!calls.has(key))
          calls.set(key, {
            tenantId: e.tenantId,
            callId: e.callId,
            workplace,
            caller: e.caller,
            since: e.at,
          });
        return;
      }
      case 'call.answered':
      case 'call.picked-up':
      case 'call.ended':
      case 'call.ring-ended': {
        const calls = this.#byTenant.get(e.tenantId);
        if (!calls) return;
        const only = e.type === 'call.ring-ended' ? e.party.workplace : undefined;
        if (e.type === 'call.ring-ended' && only === undefined) return;
        for (const [key, c] of calls)
          if (c.callId === e.callId && (only === undefined || c.workplace === only)) calls.delete(key);
        if (calls.size === 0) this.#byTenant.delete(e.tenantId);
        return;
      }
      default:
        return;
    }
  }

  /** The calls ringing at `workplace` of `tenantId`, oldest first. */
  ringingAt(tenantId: string, workplace: string): RingingCall[] {
    return this.#among(tenantId, new Set([workplace]));
  }

  /** Number of calls ringing anywhere (for leak checks and tests). */
  size(): number {
    let n = 0;
    for (const calls of this.#byTenant.values()) n += calls.size;
    return n;
  }

  /**
   * Directed pickup (`*97` + extension): the call ringing at `target` of the same tenant; with several, the one
   * `order` names. Undefined when nothing rings there.
   */
  chooseDirected(tenantId: string, target: string, order: PickupOrder): RingingCall | undefined {
    return pick(this.ringingAt(tenantId, target), order);
  }

  /**
   * Group pickup (`*98`): among the calls ringing at the other members of the picker's group, the most recent
   * (`newest`, the manual's rule) or the one ringing longest (`oldest`, BroadWorks' and Asterisk's rule). A call
   * the picker itself made is never offered back to it.
   */
  chooseGroup(
    tenantId: string,
    members: readonly string[],
    picker: string,
    order: PickupOrder,
  ): RingingCall | undefined {
    const others = new Set(members.filter((m) => m !== picker));
    return pick(
      this.#among(tenantId, others).filter((c) => c.caller.workplace !== picker),
      order,
    );
  }

  #among(tenantId: string, workplaces: Set<string>): RingingCall[] {
    const calls = this.#byTenant.get(tenantId);
    if (!calls) return [];
    // Stable: equal times keep arrival order (Map iteration order).
    return [...calls.values()].filter((c) => workplaces.has(c.workplace)).sort((a, b) => a.since - b.since);
  }
}

function entryKey(callId: string, workplace: string): string {
  return `${callId}\u0000${workplace}`;
}

function pick(calls: RingingCall[], order: PickupOrder): RingingCall | undefined {
  return order === 'newest' ? calls[calls.length - 1] : calls[0];
}
