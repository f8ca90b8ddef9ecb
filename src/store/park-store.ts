import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** A tenant's call park settings (provisioning `park`, docs/provisioning.md). */
export interface ParkSettingsRecord {
  /** The park locations: every number from `first` to `last` (same number of digits). */
  first: string;
  last: string;
  /** A parked call nobody retrieves rings its parker again after this many seconds. */
  recallSeconds: number;
}

/** The settings a tenant without a `park` key gets. */
export const DEFAULT_PARK: ParkSettingsRecord = { first: '700', last: '709', recallSeconds: 45 };

export interface ParkStore {
  /** The tenant's settings, or the defaults when none are stored. */
  settings(tenantId: string): Promise<ParkSettingsRecord>;
  /** Whether the tenant has settings of its own stored. */
  stored(tenantId: string): Promise<ParkSettingsRecord | undefined>;
  replace(tenantId: string, s: ParkSettingsRecord | undefined): Promise<void>;
}

/** Call park settings per tenant (migration 0013). */
export class KyselyParkStore implements ParkStore {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async settings(tenantId: string): Promise<ParkSettingsRecord> {
    return (await this.stored(tenantId)) ?? DEFAULT_PARK;
  }

  async stored(tenantId: string): Promise<ParkSettingsRecord | undefined> {
    const row = await this.#db
      .selectFrom('park_settings')
      .select(['first_location', 'last_location', 'recall_seconds'])
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    return row
      ? { first: row.first_location, last: row.last_location, recallSeconds: Number(row.recall_seconds) }
      : undefined;
  }

  async replace(tenantId: string, s: ParkSettingsRecord | undefined): Promise<void> {
    await this.#db.deleteFrom('park_settings').where('tenant_id', '=', tenantId).execute();
    if (!s) return;
    await this.#db
      .insertInto('park_settings')
      .values({
        tenant_id: tenantId,
        first_location: s.first,
        last_location: s.last,
        recall_seconds: s.recallSeconds,
      })
      .execute();
  }
}
