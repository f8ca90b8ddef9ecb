import { SqliteAdapter, sql, type Kysely, type Migration } from 'kysely';

/**
 * A trunk DID may now reach a call-center group as well as a workplace, so `trunk_dids.extension` no longer
 * references `workplaces` (provisioning checks it names one of the tenant's workplaces or groups, and replaces a
 * tenant's DIDs whole). PostgreSQL drops the constraint; SQLite cannot, so the table is rebuilt with the same
 * columns, key, trunk reference and index.
 */
export const didTargets: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    if (!(db.getExecutor().adapter instanceof SqliteAdapter)) {
      await sql`alter table trunk_dids drop constraint trunk_dids_workplace_fk`.execute(db);
      return;
    }
    await db.schema
      .createTable('trunk_dids_new')
      .addColumn('number', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('trunk_id', 'text', (c) => c.notNull())
      .addColumn('extension', 'text', (c) => c.notNull())
      .addForeignKeyConstraint(
        'trunk_dids_trunk_fk',
        ['tenant_id', 'trunk_id'],
        'trunks',
        ['tenant_id', 'id'],
        (fk) => fk.onDelete('cascade'),
      )
      .execute();
    await sql`insert into trunk_dids_new (number, tenant_id, trunk_id, extension)
              select number, tenant_id, trunk_id, extension from trunk_dids`.execute(db);
    await db.schema.dropTable('trunk_dids').execute();
    await db.schema.alterTable('trunk_dids_new').renameTo('trunk_dids').execute();
    await db.schema
      .createIndex('trunk_dids_tenant_idx')
      .on('trunk_dids')
      .columns(['tenant_id', 'trunk_id'])
      .execute();
  },
};
