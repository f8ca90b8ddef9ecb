import type { Kysely, Migration } from 'kysely';

/**
 * Toll-fraud limits per tenant (toll-fraud-store.ts): one small JSON document (concurrent external calls, calls
 * per workplace per hour, allowed destination classes), read whole and written whole. Goes with its tenant.
 */
export const tollFraud: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('toll_fraud_limits')
      .addColumn('tenant_id', 'text', (c) => c.primaryKey().references('tenants.id').onDelete('cascade'))
      .addColumn('settings', 'text', (c) => c.notNull())
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('toll_fraud_limits').execute();
  },
};
