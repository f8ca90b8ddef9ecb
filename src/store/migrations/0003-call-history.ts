import type { Kysely, Migration } from 'kysely';

/** One row per finished call, written by the call history recorder when the call ends. */
export const callHistory: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('call_history')
      .addColumn('id', 'text', (c) => c.primaryKey())
      // History belongs to the tenant and goes with it; no key to workplaces, because a record must outlive
      // the workplace it names (a removed employee's calls are still the company's calls).
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
      .addColumn('call_id', 'text', (c) => c.notNull())
      .addColumn('direction', 'text', (c) => c.notNull())
      .addColumn('caller_number', 'text', (c) => c.notNull())
      .addColumn('caller_name', 'text')
      .addColumn('caller_workplace', 'text')
      .addColumn('callee_number', 'text', (c) => c.notNull())
      .addColumn('callee_name', 'text')
      .addColumn('callee_workplace', 'text')
      .addColumn('answered_by_device', 'text')
      .addColumn('started_at', 'bigint', (c) => c.notNull())
      .addColumn('answered_at', 'bigint')
      .addColumn('ended_at', 'bigint', (c) => c.notNull())
      .addColumn('duration_s', 'integer', (c) => c.notNull())
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('status', 'integer')
      .execute();

    // The tenant's journal, newest first, paged by started_at.
    await db.schema
      .createIndex('call_history_tenant_started_idx')
      .on('call_history')
      .columns(['tenant_id', 'started_at'])
      .execute();
    // "My calls" for one workplace matches either end of the call; one index per end keeps both lookups cheap.
    await db.schema
      .createIndex('call_history_caller_wp_idx')
      .on('call_history')
      .columns(['tenant_id', 'caller_workplace', 'started_at'])
      .execute();
    await db.schema
      .createIndex('call_history_callee_wp_idx')
      .on('call_history')
      .columns(['tenant_id', 'callee_workplace', 'started_at'])
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('call_history').execute();
  },
};
