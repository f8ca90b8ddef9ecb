import type { Kysely, Migration } from 'kysely';

/**
 * Call pickup: pickup groups per tenant with their member workplaces (a workplace is in at most one
 * group: the members' key is the workplace), the tenant's pickup order, and which pickup a history record was.
 */
export const pickup: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('pickup_settings')
      .addColumn('tenant_id', 'text', (c) => c.primaryKey().references('tenants.id').onDelete('cascade'))
      .addColumn('pickup_order', 'text', (c) => c.notNull().defaultTo('newest'))
      .execute();

    await db.schema
      .createTable('pickup_groups')
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      // The order the file lists the groups in, so the store gives them back the same way.
      .addColumn('position', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('pickup_groups_pk', ['tenant_id', 'name'])
      .execute();

    await db.schema
      .createTable('pickup_group_members')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('extension', 'text', (c) => c.notNull())
      .addColumn('group_name', 'text', (c) => c.notNull())
      .addColumn('position', 'integer', (c) => c.notNull())
      // At most one group per workplace.
      .addPrimaryKeyConstraint('pickup_group_members_pk', ['tenant_id', 'extension'])
      .addForeignKeyConstraint(
        'pickup_group_members_group_fk',
        ['tenant_id', 'group_name'],
        'pickup_groups',
        ['tenant_id', 'name'],
        (fk) => fk.onDelete('cascade'),
      )
      .addForeignKeyConstraint(
        'pickup_group_members_workplace_fk',
        ['tenant_id', 'extension'],
        'workplaces',
        ['tenant_id', 'extension'],
        (fk) => fk.onDelete('cascade'),
      )
      .execute();

    await db.schema.alterTable('call_history').addColumn('pickup_kind', 'text').execute();
    await db.schema.alterTable('call_history').addColumn('pickup_from', 'text').execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('call_history').dropColumn('pickup_from').execute();
    await db.schema.alterTable('call_history').dropColumn('pickup_kind').execute();
    await db.schema.dropTable('pickup_group_members').execute();
    await db.schema.dropTable('pickup_groups').execute();
    await db.schema.dropTable('pickup_settings').execute();
  },
};
