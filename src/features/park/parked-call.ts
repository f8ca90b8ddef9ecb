import type { Party } from '../../core/events/types.js';
import { StateMachine, type TransitionTable } from '../../util/state-machine.js';

/**
 * One parked call's life at its location:
 *
 * - parked: the caller hears music at the location; the recall timer runs.
 * - recalling: the recall rings the parker by its ring plan; the location stays occupied and a retrieve still
 *   takes the call (the recall stops).
 * - back to parked: the recall found nobody and no rule took the call (the timer starts again).
 * - retrieved: a phone of the tenant took it with `*88` + location.
 * - returned: the parker answered its recall.
 * - diverted: the parker's no-answer rule (voicemail, a forward) took it.
 * - abandoned: the parked caller hung up.
 *
 * Only parked and recalling hold the location; the others are final.
 */
export type ParkState = 'parked' | 'recalling' | 'retrieved' | 'returned' | 'diverted' | 'abandoned';

export const PARK_TRANSITIONS: TransitionTable<ParkState> = {
  parked: ['recalling', 'retrieved', 'abandoned'],
  recalling: ['parked', 'retrieved', 'returned', 'diverted', 'abandoned'],
};

export class ParkedCall {
  readonly tenantId: string;
  readonly location: string;
  readonly callId: string;
  readonly parked: Party;
  readonly parker: Party;
  readonly since: number;
  readonly #m = new StateMachine<ParkState>('ParkedCall', PARK_TRANSITIONS, 'parked');
  /** How many recalls found nobody so far. */
  recalls = 0;

  constructor(x: {
    tenantId: string;
    location: string;
    callId: string;
    parked: Party;
    parker: Party;
    since: number;
  }) {
    this.tenantId = x.tenantId;
    this.location = x.location;
    this.callId = x.callId;
    this.parked = x.parked;
    this.parker = x.parker;
    this.since = x.since;
  }

  get state(): ParkState {
    return this.#m.state;
  }

  /** Still holding its location. */
  get waiting(): boolean {
    return this.#m.is('parked', 'recalling');
  }

  is(...s: ParkState[]): boolean {
    return this.#m.is(...s);
  }

  to(s: ParkState): void {
    this.#m.to(s);
  }

  /** Moves when the table allows it; false otherwise (e.g. a retrieve that lost the race to a hang-up). */
  tryTo(s: ParkState): boolean {
    if (!this.#m.can(s)) return false;
    this.#m.to(s);
    return true;
  }
}

/** The park locations of one tenant's range, `first`..`last`, as strings of the same length. */
export function locationsOf(first: string, last: string): string[] {
  const out: string[] = [];
  for (let n = Number(first); n <= Number(last); n++) out.push(String(n).padStart(first.length, '0'));
  return out;
}

/** Which calls wait where, per tenant: a location holds at most one call. */
export class ParkLot {
  readonly #byTenant = new Map<string, Map<string, ParkedCall>>();

  at(tenantId: string, location: string): ParkedCall | undefined {
    return this.#byTenant.get(tenantId)?.get(location);
  }

  /** The lowest free location of `range`, or undefined when all are taken. */
  free(tenantId: string, range: readonly string[]): string | undefined {
    const taken = this.#byTenant.get(tenantId);
    return range.find((l) => !taken?.has(l));
  }

  put(p: ParkedCall): void {
    let m = this.#byTenant.get(p.tenantId);
    if (!m) this.#byTenant.set(p.tenantId, (m = new Map()));
    if (m.has(p.location)) throw new Error(`park location ${p.location} is taken`);
    m.set(p.location, p);
  }

  /** Frees `p`'s location (only if `p` still holds it). */
  remove(p: ParkedCall): void {
    const m = this.#byTenant.get(p.tenantId);
    if (m?.get(p.location) !== p) return;
    m.delete(p.location);
    if (m.size === 0) this.#byTenant.delete(p.tenantId);
  }

  /** Parked calls of a tenant (for the lamps and tests). */
  list(tenantId: string): ParkedCall[] {
    return [...(this.#byTenant.get(tenantId)?.values() ?? [])];
  }

  count(): number {
    let n = 0;
    for (const m of this.#byTenant.values()) n += m.size;
    return n;
  }
}
