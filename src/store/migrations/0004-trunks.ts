import type { Kysely, Migration } from 'kysely';

/**
 * SIP trunks per tenant, their inbound numbers (DIDs), and the external number a workplace presents on
 * outbound calls. Trunk registration passwords are stored as given: they are sent to the carrier, so a hash
 * (HA1) cannot replace them.
 */
export const trunks: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('trunks')
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('peer_host', 'text', (c) => c.notNull())
      .addColumn('peer_port', 'integer', (c) => c.notNull())
      .addColumn('transport', 'text', (c) => c.notNull().defaultTo('udp'))
      .addColumn('reg_username', 'text')
      .addColumn('reg_password', 'text')
      .addColumn('reg_expires', 'integer')
      .addColumn('outbound_prefix', 'text', (c) => c.notNull().defaultTo('0'))
      .addColumn('number_format', 'text', (c) => c.notNull().defaultTo('e164'))
      .addColumn('country_code', 'text')
      .addColumn('default_caller_id', 'text')
      .addPrimaryKeyConstraint('trunks_pk', ['tenant_id', 'id'])
      .execute();

    await db.schema
      .createTable('trunk_dids')
      // E.164 with '+': a number belongs to exactly one tenant, hence the key without the tenant.
      .addColumn('number', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('trunk_id', 'text', (c) => c.notNull())
      .addColumn('extension', 'text', (c) => c.notNull())
      // Removing the trunk (or its tenant) removes its numbers; so does removing the workplace they reach.
      .addForeignKeyConstraint(
        'trunk_dids_trunk_fk',
        ['tenant_id', 'trunk_id'],
        'trunks',
        ['tenant_id', 'id'],
        (fk) => fk.onDelete('cascade'),
      )
      .addForeignKeyConstraint(
        'trunk_dids_workplace_fk',
        ['tenant_id', 'extension'],
        'workplaces',
        ['tenant_id', 'extension'],
        (fk) => fk.onDelete('cascade'),
      )
      .execute();

    await db.schema
      .createIndex('trunk_dids_tenant_idx')
      .on('trunk_dids')
      .columns(['tenant_id', 'trunk_id'])
      .execute();

    await db.schema.alterTable('workplaces').addColumn('external_number', 'text').execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('workplaces').dropColumn('external_number').execute();
    await db.schema.dropTable('trunk_dids').execute();
    await db.schema.dropTable('trunks').execute();
  },
};
