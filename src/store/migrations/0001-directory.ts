import type { Kysely, Migration } from 'kysely';

/** Tenants, their workplaces and the devices (SIP accounts) at those workplaces. */
export const directory: Migration = {
  // Migrations take Kysely<unknown>: they must not depend on today's schema type, which changes later.
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('tenants')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('domain', 'text', (c) => c.notNull().unique())
      .execute();

    await db.schema
      .createTable('workplaces')
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
      .addColumn('extension', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('email', 'text')
      .addColumn('language', 'text', (c) => c.notNull().defaultTo('de'))
      .addColumn('packages', 'text', (c) => c.notNull().defaultTo('[]'))
      .addPrimaryKeyConstraint('workplaces_pk', ['tenant_id', 'extension'])
      .execute();

    await db.schema
      .createTable('devices')
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
      .addColumn('username', 'text', (c) => c.notNull())
      .addColumn('workplace_extension', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('ha1_md5', 'text', (c) => c.notNull())
      .addColumn('ha1_sha256', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('devices_pk', ['tenant_id', 'username'])
      // A device belongs to a workplace of the same tenant; removing the workplace removes its devices.
      .addForeignKeyConstraint(
        'devices_workplace_fk',
        ['tenant_id', 'workplace_extension'],
        'workplaces',
        ['tenant_id', 'extension'],
        (fk) => fk.onDelete('cascade'),
      )
      .execute();

    await db.schema
      .createIndex('devices_workplace_idx')
      .on('devices')
      .columns(['tenant_id', 'workplace_extension'])
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('devices').execute();
    await db.schema.dropTable('workplaces').execute();
    await db.schema.dropTable('tenants').execute();
  },
};
