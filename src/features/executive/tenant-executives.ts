import type { ExecutiveRecord, ExecutiveStateRecord } from '../../store/executive-store.js';

/** Writes a runtime switch through to the store (so it survives a restart). */
export interface ExecutivePersist {
  filter(executive: string, on: boolean): Promise<void>;
  optIn(executive: string, assistant: string, optedIn: boolean): Promise<void>;
  divert(executive: string, assistant: string, on: boolean): Promise<void>;
}

/**
 * One tenant's executives: the provisioned settings and the runtime switches people flip (filter on/off, an
 * assistant's opt-in and divert), with the defaults when nobody switched: the filter is on unless filtering is
 * `off`, assistants are opted in, divert is on when a divert target is provisioned. With `optInOut: false` every
 * assistant is always in.
 */
export class TenantExecutives {
  readonly tenantId: string;
  readonly #persist: ExecutivePersist;
  #executives = new Map<string, ExecutiveRecord>();
  #filters = new Map<string, boolean>();
  #optIn = new Map<string, boolean>();
  #divert = new Map<string, boolean>();

  constructor(tenantId: string, persist: ExecutivePersist) {
    this.tenantId = tenantId;
    this.#persist = persist;
  }

  configure(executives: readonly ExecutiveRecord[], state: ExecutiveStateRecord): void {
    this.#executives = new Map(executives.map((e) => [e.extension, e]));
    this.#filters = new Map(state.filters.map((f) => [f.executive, f.on]));
    this.#optIn = new Map();
    this.#divert = new Map();
    for (const a of state.assistants) {
      if (a.optedIn !== undefined) this.#optIn.set(key(a.executive, a.assistant), a.optedIn);
      if (a.divertOn !== undefined) this.#divert.set(key(a.executive, a.assistant), a.divertOn);
    }
  }

  executive(extension: string): ExecutiveRecord | undefined {
    return this.#executives.get(extension);
  }

  /** Every executive of the tenant, in extension order. */
  all(): ExecutiveRecord[] {
    return [...this.#executives.values()];
  }

  /** The executives `assistant` assists, in extension order. */
  executivesOf(assistant: string): ExecutiveRecord[] {
    return [...this.#executives.values()].filter((e) => e.assistants.some((a) => a.extension === assistant));
  }

  filterOn(executive: string): boolean {
    const e = this.#executives.get(executive);
    if (!e || e.filtering === 'off') return false;
    return this.#filters.get(executive) ?? true;
  }

  optedIn(executive: string, assistant: string): boolean {
    const e = this.#executives.get(executive);
    if (!e || !e.assistants.some((a) => a.extension === assistant)) return false;
    if (!e.optInOut) return true;
    return this.#optIn.get(key(executive, assistant)) ?? true;
  }

  /** The divert target of `assistant` for `executive` when divert is on, else undefined. */
  divertTarget(executive: string, assistant: string): string | undefined {
    const a = this.#executives.get(executive)?.assistants.find((x) => x.extension === assistant);
    if (!a?.divertTo) return undefined;
    return (this.#divert.get(key(executive, assistant)) ?? true) ? a.divertTo : undefined;
  }

  async setFilter(executive: string, on: boolean): Promise<void> {
    this.#filters.set(executive, on);
    await this.#persist.filter(executive, on);
  }

  async setOptIn(executive: string, assistant: string, optedIn: boolean): Promise<void> {
    this.#optIn.set(key(executive, assistant), optedIn);
    await this.#persist.optIn(executive, assistant, optedIn);
  }

  /** The runtime divert switch (the HTTP API exposes it). */
  async setDivert(executive: string, assistant: string, on: boolean): Promise<void> {
    this.#divert.set(key(executive, assistant), on);
    await this.#persist.divert(executive, assistant, on);
  }
}

function key(executive: string, assistant: string): string {
  return `${executive}/${assistant}`;
}
