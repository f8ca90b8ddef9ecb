import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/**
 * Call forwarding and do not disturb per workplace (migration 0011): the settings in force (changed at run time
 * by feature codes and phone keys) and the ones the provisioning file last asked for. Provisioning overwrites the
 * settings in force only when the file's own value changed, so a re-run of the same file keeps what users set.
 */

/** Where a forward goes: an extension of the tenant, an outside number, or the workplace's own voicemail. */
export type ForwardTargetRecord =
  | { kind: 'extension'; number: string }
  /** `number`: as the dial plan hands it to the trunk (outside-line prefix stripped; E.164 keeps its '+'). */
  | { kind: 'external'; number: string }
  | { kind: 'voicemail' };

export interface ForwardRuleRecord {
  enabled: boolean;
  /** Kept when the rule is switched off, so switching it on again without a number reuses it. */
  target: ForwardTargetRecord | null;
}

export interface ForwardingRecord {
  always: ForwardRuleRecord;
  busy: ForwardRuleRecord;
  /** After `seconds` of ringing. */
  noAnswer: ForwardRuleRecord & { seconds: number };
  /** No device of the workplace registered. */
  notReachable: ForwardRuleRecord;
  dnd: boolean;
}

export const FORWARD_RULES = ['always', 'busy', 'noAnswer', 'notReachable'] as const;
export type ForwardRuleName = (typeof FORWARD_RULES)[number];

export const DEFAULT_NO_ANSWER_SECONDS = 20;

export function defaultForwarding(): ForwardingRecord {
  const off = (): ForwardRuleRecord => ({ enabled: false, target: null });
  return {
    always: off(),
    busy: off(),
    noAnswer: { ...off(), seconds: DEFAULT_NO_ANSWER_SECONDS },
    notReachable: off(),
    dnd: false,
  };
}

export interface ForwardingStore {
  /** The settings in force; defaults for a workplace that never had any. */
  get(tenantId: string, extension: string): Promise<ForwardingRecord>;
  /** Every workplace of the tenant that has a stored row (others have the defaults). */
  all(tenantId: string): Promise<Map<string, ForwardingRecord>>;
  /** The tenants with any stored row (the others have the defaults everywhere). */
  tenants(): Promise<string[]>;
  /** Sets the settings in force (feature code, phone key, API). */
  set(tenantId: string, extension: string, s: ForwardingRecord): Promise<void>;
  /** What the provisioning file last asked for; undefined when it never said anything for this workplace. */
  provisioned(tenantId: string, extension: string): Promise<ForwardingRecord | undefined>;
  /** Provisioning: the file's value becomes both the provisioned and the in-force settings. */
  provision(tenantId: string, extension: string, s: ForwardingRecord): Promise<void>;
}

export class KyselyForwardingStore implements ForwardingStore {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async get(tenantId: string, extension: string): Promise<ForwardingRecord> {
    const row = await this.#db
      .selectFrom('forwarding')
      .select('settings')
      .where('tenant_id', '=', tenantId)
      .where('extension', '=', extension)
      .executeTakeFirst();
    return row ? decode(row.settings) : defaultForwarding();
  }

  async all(tenantId: string): Promise<Map<string, ForwardingRecord>> {
    const rows = await this.#db
      .selectFrom('forwarding')
      .select(['extension', 'settings'])
      .where('tenant_id', '=', tenantId)
      .execute();
    return new Map(rows.map((r) => [r.extension, decode(r.settings)]));
  }

  async tenants(): Promise<string[]> {
    const rows = await this.#db.selectFrom('forwarding').select('tenant_id').distinct().execute();
    return rows.map((r) => r.tenant_id);
  }

  async set(tenantId: string, extension: string, s: ForwardingRecord): Promise<void> {
    await this.#upsert(tenantId, extension, { settings: JSON.stringify(s) });
  }

  async provisioned(tenantId: string, extension: string): Promise<ForwardingRecord | undefined> {
    const row = await this.#db
      .selectFrom('forwarding')
      .select('provisioned')
      .where('tenant_id', '=', tenantId)
      .where('extension', '=', extension)
      .executeTakeFirst();
    return row?.provisioned ? decode(row.provisioned) : undefined;
  }

  async provision(tenantId: string, extension: string, s: ForwardingRecord): Promise<void> {
    const json = JSON.stringify(s);
    await this.#upsert(tenantId, extension, { settings: json, provisioned: json });
  }

  async #upsert(
    tenantId: string,
    extension: string,
    v: { settings: string; provisioned?: string },
  ): Promise<void> {
    await this.#db
      .insertInto('forwarding')
      .values({
        tenant_id: tenantId,
        extension,
        settings: v.settings,
        provisioned: v.provisioned ?? null,
      })
      .onConflict((oc) => oc.columns(['tenant_id', 'extension']).doUpdateSet(v))
      .execute();
  }
}

/** Stored JSON back to a record; anything missing takes its default (rows written by older versions). */
function decode(json: string): ForwardingRecord {
  const d = defaultForwarding();
  const raw = JSON.parse(json) as Partial<ForwardingRecord>;
  return {
    always: raw.always ?? d.always,
    busy: raw.busy ?? d.busy,
    noAnswer: raw.noAnswer ?? d.noAnswer,
    notReachable: raw.notReachable ?? d.notReachable,
    dnd: raw.dnd ?? d.dnd,
  };
}
