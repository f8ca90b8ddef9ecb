import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { PickupSettingsRecord, PickupStore } from './types.js';

/** Pickup groups and order per tenant (migration 0006). */
export class KyselyPickupStore implements PickupStore {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async settings(tenantId: string): Promise<PickupSettingsRecord> {
    const row = await this.#db
      .selectFrom('pickup_settings')
      .select('pickup_order')
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    const groups = await this.#db
      .selectFrom('pickup_groups')
      .select('name')
      .where('tenant_id', '=', tenantId)
      .orderBy('position')
      .execute();
    const members = await this.#db
      .selectFrom('pickup_group_members')
      .select(['group_name', 'extension'])
      .where('tenant_id', '=', tenantId)
      .orderBy('position')
      .execute();
    return {
      order: row?.pickup_order === 'oldest' ? 'oldest' : 'newest',
      groups: groups.map((g) => ({
        name: g.name,
        members: members.filter((m) => m.group_name === g.name).map((m) => m.extension),
      })),
    };
  }

  async replace(tenantId: string, s: PickupSettingsRecord): Promise<void> {
    await this.#db.deleteFrom('pickup_group_members').where('tenant_id', '=', tenantId).execute();
    await this.#db.deleteFrom('pickup_groups').where('tenant_id', '=', tenantId).execute();
    await this.#db.deleteFrom('pickup_settings').where('tenant_id', '=', tenantId).execute();
    await this.#db
      .insertInto('pickup_settings')
      .values({ tenant_id: tenantId, pickup_order: s.order })
      .execute();
    for (const [position, g] of s.groups.entries()) {
      await this.#db
        .insertInto('pickup_groups')
        .values({ tenant_id: tenantId, name: g.name, position })
        .execute();
      for (const [i, extension] of g.members.entries())
        await this.#db
          .insertInto('pickup_group_members')
          .values({ tenant_id: tenantId, extension, group_name: g.name, position: i })
          .execute();
    }
  }
}
