import type { Kysely, Migration } from 'kysely';

/**
 * Executive–assistant service: each executive as provisioned (its assistants in alerting order, each with an
 * optional divert target, as JSON like a call-center group's agents), and the runtime switches people flip with
 * feature codes — the executive's filter on/off, an assistant's opt-in and divert — in their own tables, so a
 * re-provisioning keeps them and a restart reads them back.
 */
export const executives: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('executives')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('extension', 'text', (c) => c.notNull())
      .addColumn('assistants', 'text', (c) => c.notNull())
      .addColumn('filtering', 'text', (c) => c.notNull())
      .addColumn('alerting', 'text', (c) => c.notNull())
      .addColumn('next_assistant_s', 'integer', (c) => c.notNull())
      .addColumn('rollover_s', 'integer', (c) => c.notNull())
      .addColumn('screening', 'integer', (c) => c.notNull())
      .addColumn('opt_in_out', 'integer', (c) => c.notNull())
      .addColumn('push_recall_s', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('executives_pk', ['tenant_id', 'extension'])
      .addForeignKeyConstraint(
        'executives_workplace_fk',
        ['tenant_id', 'extension'],
        'workplaces',
        ['tenant_id', 'extension'],
        (fk) => fk.onDelete('cascade'),
      )
      .execute();

    await db.schema
      .createTable('executive_filter_state')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('executive', 'text', (c) => c.notNull())
      .addColumn('filter_on', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('executive_filter_state_pk', ['tenant_id', 'executive'])
      .addForeignKeyConstraint(
        'executive_filter_state_fk',
        ['tenant_id', 'executive'],
        'executives',
        ['tenant_id', 'extension'],
        (fk) => fk.onDelete('cascade'),
      )
      .execute();

    await db.schema
      .createTable('executive_assistant_state')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('executive', 'text', (c) => c.notNull())
      .addColumn('assistant', 'text', (c) => c.notNull())
      // Null: not set at runtime, the provisioned default applies.
      .addColumn('opted_in', 'integer')
      .addColumn('divert_on', 'integer')
      .addPrimaryKeyConstraint('executive_assistant_state_pk', ['tenant_id', 'executive', 'assistant'])
      .addForeignKeyConstraint(
        'executive_assistant_state_fk',
        ['tenant_id', 'executive'],
        'executives',
        ['tenant_id', 'extension'],
        (fk) => fk.onDelete('cascade'),
      )
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('executive_assistant_state').execute();
    await db.schema.dropTable('executive_filter_state').execute();
    await db.schema.dropTable('executives').execute();
  },
};
