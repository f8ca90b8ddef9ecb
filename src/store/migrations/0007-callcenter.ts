import type { Kysely, Migration } from 'kysely';

/**
 * Call-center groups: the group configuration as provisioned, the agents' workplace status (one per
 * workplace) and per-group login. Status and login are runtime state that must survive a restart, so they live
 * here and not in memory. The agent list is a JSON column: its rules (workplace of the tenant, `group` package)
 * are checked by provisioning, which writes groups and workplaces in one transaction.
 */
export const callCenter: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('cc_groups')
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
      .addColumn('extension', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('policy', 'text', (c) => c.notNull())
      /** JSON array of { extension, weight } in list order. */
      .addColumn('agents', 'text', (c) => c.notNull())
      .addColumn('allow_agent_login', 'integer', (c) => c.notNull())
      .addColumn('ring_timeout_s', 'integer', (c) => c.notNull())
      .addColumn('wrap_up_s', 'integer', (c) => c.notNull())
      .addColumn('max_queue', 'integer', (c) => c.notNull())
      .addColumn('max_wait_s', 'integer', (c) => c.notNull())
      .addColumn('overflow', 'text', (c) => c.notNull())
      .addColumn('music', 'text', (c) => c.notNull())
      .addColumn('comfort_every_s', 'integer', (c) => c.notNull())
      .addColumn('priority', 'integer', (c) => c.notNull())
      .addColumn('misses_before_unavailable', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('cc_groups_pk', ['tenant_id', 'extension'])
      .execute();

    await db.schema
      .createTable('cc_agent_status')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('extension', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('cc_agent_status_pk', ['tenant_id', 'extension'])
      .addForeignKeyConstraint(
        'cc_agent_status_workplace_fk',
        ['tenant_id', 'extension'],
        'workplaces',
        ['tenant_id', 'extension'],
        (fk) => fk.onDelete('cascade'),
      )
      .execute();

    await db.schema
      .createTable('cc_agent_logins')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('group_extension', 'text', (c) => c.notNull())
      .addColumn('agent_extension', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('cc_agent_logins_pk', ['tenant_id', 'group_extension', 'agent_extension'])
      .addForeignKeyConstraint(
        'cc_agent_logins_group_fk',
        ['tenant_id', 'group_extension'],
        'cc_groups',
        ['tenant_id', 'extension'],
        (fk) => fk.onDelete('cascade'),
      )
      .addForeignKeyConstraint(
        'cc_agent_logins_workplace_fk',
        ['tenant_id', 'agent_extension'],
        'workplaces',
        ['tenant_id', 'extension'],
        (fk) => fk.onDelete('cascade'),
      )
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('cc_agent_logins').execute();
    await db.schema.dropTable('cc_agent_status').execute();
    await db.schema.dropTable('cc_groups').execute();
  },
};
