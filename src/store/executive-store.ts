import type { Kysely, Selectable } from 'kysely';
import type { Database, ExecutivesTable } from './schema.js';

/** Executive–assistant persistence (migration 0009): executives as provisioned and their runtime switches. */

export interface ExecutiveAssistantRecord {
  extension: string;
  /** Where this assistant diverts the executive's filtered calls: an extension or an E.164 number. */
  divertTo: string | null;
}

export interface ExecutiveRecord {
  tenantId: string;
  extension: string;
  /** In alerting order. */
  assistants: ExecutiveAssistantRecord[];
  /** 'off' | 'all' | 'internal' | 'external' */
  filtering: string;
  /** 'simultaneous' | 'sequential' */
  alerting: string;
  nextAssistantS: number;
  /** 0: never roll over. */
  rolloverS: number;
  screening: boolean;
  optInOut: boolean;
  pushRecallS: number;
}

/** Runtime switches; a missing value means "not switched since provisioning" (the default applies). */
export interface ExecutiveStateRecord {
  /** Executive extension → filter on. */
  filters: Array<{ executive: string; on: boolean }>;
  assistants: Array<{ executive: string; assistant: string; optedIn?: boolean; divertOn?: boolean }>;
}

export interface ExecutiveStore {
  executives(tenantId: string): Promise<ExecutiveRecord[]>;
  upsertExecutive(r: ExecutiveRecord): Promise<void>;
  /** Removes the executive and its runtime switches. */
  removeExecutive(tenantId: string, extension: string): Promise<void>;
  state(tenantId: string): Promise<ExecutiveStateRecord>;
  setFilter(tenantId: string, executive: string, on: boolean): Promise<void>;
  setOptIn(tenantId: string, executive: string, assistant: string, optedIn: boolean): Promise<void>;
  setDivert(tenantId: string, executive: string, assistant: string, on: boolean): Promise<void>;
}

export class KyselyExecutiveStore implements ExecutiveStore {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async executives(tenantId: string): Promise<ExecutiveRecord[]> {
    const rows = await this.#db
      .selectFrom('executives')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('extension')
      .execute();
    return rows.map(toRecord);
  }

  async upsertExecutive(r: ExecutiveRecord): Promise<void> {
    const row = fromRecord(r);
    const { tenant_id: _t, extension: _e, ...rest } = row;
    await this.#db
      .insertInto('executives')
      .values(row)
      .onConflict((oc) => oc.columns(['tenant_id', 'extension']).doUpdateSet(rest))
      .execute();
  }

  async removeExecutive(tenantId: string, extension: string): Promise<void> {
    // Explicit, not only by cascade: SQLite enforces foreign keys only when the connection enables them.
    for (const table of ['executive_assistant_state', 'executive_filter_state'] as const) {
      await this.#db
        .deleteFrom(table)
        .where('tenant_id', '=', tenantId)
        .where('executive', '=', extension)
        .execute();
    }
    await this.#db
      .deleteFrom('executives')
      .where('tenant_id', '=', tenantId)
      .where('extension', '=', extension)
      .execute();
  }

  async state(tenantId: string): Promise<ExecutiveStateRecord> {
    const filters = await this.#db
      .selectFrom('executive_filter_state')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .execute();
    const assistants = await this.#db
      .selectFrom('executive_assistant_state')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .execute();
    return {
      filters: filters.map((f) => ({ executive: f.executive, on: Number(f.filter_on) !== 0 })),
      assistants: assistants.map((a) => ({
        executive: a.executive,
        assistant: a.assistant,
        ...(a.opted_in === null ? {} : { optedIn: Number(a.opted_in) !== 0 }),
        ...(a.divert_on === null ? {} : { divertOn: Number(a.divert_on) !== 0 }),
      })),
    };
  }

  async setFilter(tenantId: string, executive: string, on: boolean): Promise<void> {
    await this.#db
      .insertInto('executive_filter_state')
      .values({ tenant_id: tenantId, executive, filter_on: on ? 1 : 0 })
      .onConflict((oc) => oc.columns(['tenant_id', 'executive']).doUpdateSet({ filter_on: on ? 1 : 0 }))
      .execute();
  }

  setOptIn(tenantId: string, executive: string, assistant: string, optedIn: boolean): Promise<void> {
    return this.#setAssistant(tenantId, executive, assistant, { opted_in: optedIn ? 1 : 0 });
  }

  setDivert(tenantId: string, executive: string, assistant: string, on: boolean): Promise<void> {
    return this.#setAssistant(tenantId, executive, assistant, { divert_on: on ? 1 : 0 });
  }

  async #setAssistant(
    tenantId: string,
    executive: string,
    assistant: string,
    set: { opted_in: number } | { divert_on: number },
  ): Promise<void> {
    await this.#db
      .insertInto('executive_assistant_state')
      .values({ tenant_id: tenantId, executive, assistant, opted_in: null, divert_on: null, ...set })
      .onConflict((oc) => oc.columns(['tenant_id', 'executive', 'assistant']).doUpdateSet(set))
      .execute();
  }
}

function toRecord(r: Selectable<ExecutivesTable>): ExecutiveRecord {
  return {
    tenantId: r.tenant_id,
    extension: r.extension,
    assistants: JSON.parse(r.assistants) as ExecutiveAssistantRecord[],
    filtering: r.filtering,
    alerting: r.alerting,
    nextAssistantS: Number(r.next_assistant_s),
    rolloverS: Number(r.rollover_s),
    screening: Number(r.screening) !== 0,
    optInOut: Number(r.opt_in_out) !== 0,
    pushRecallS: Number(r.push_recall_s),
  };
}

function fromRecord(r: ExecutiveRecord): ExecutivesTable {
  return {
    tenant_id: r.tenantId,
    extension: r.extension,
    assistants: JSON.stringify(r.assistants.map((a) => ({ extension: a.extension, divertTo: a.divertTo }))),
    filtering: r.filtering,
    alerting: r.alerting,
    next_assistant_s: r.nextAssistantS,
    rollover_s: r.rolloverS,
    screening: r.screening ? 1 : 0,
    opt_in_out: r.optInOut ? 1 : 0,
    push_recall_s: r.pushRecallS,
  };
}
