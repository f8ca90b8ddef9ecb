import type { Kysely, Migration } from 'kysely';

/**
 * Call forwarding and do not disturb per workplace (forwarding-store.ts): the settings in force and the ones
 * provisioning last asked for, each as JSON (one small document per workplace, read whole, written whole).
 * A workplace's row goes with the workplace.
 */
export const forwarding: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('forwarding')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('extension', 'text', (c) => c.notNull())
      .addColumn('settings', 'text', (c) => c.notNull())
      .addColumn('provisioned', 'text')
      .addPrimaryKeyConstraint('forwarding_pk', ['tenant_id', 'extension'])
      .addForeignKeyConstraint(
        'forwarding_workplace_fk',
        ['tenant_id', 'extension'],
        'workplaces',
        ['tenant_id', 'extension'],
        (fk) => fk.onDelete('cascade'),
      )
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('forwarding').execute();
  },
};
