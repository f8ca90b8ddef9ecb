import type { Kysely, Migration } from 'kysely';

/** Call park: the park locations and the recall time per tenant (absent row: the defaults). */
export const park: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('park_settings')
      .addColumn('tenant_id', 'text', (c) => c.primaryKey().references('tenants.id').onDelete('cascade'))
      .addColumn('first_location', 'text', (c) => c.notNull())
      .addColumn('last_location', 'text', (c) => c.notNull())
      .addColumn('recall_seconds', 'integer', (c) => c.notNull())
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('park_settings').execute();
  },
};
