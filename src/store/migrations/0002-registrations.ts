import type { Kysely, Migration } from 'kysely';

/** Contact bindings (RFC 3261 section 10.3), persisted so the location service survives a restart. */
export const registrations: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('registrations')
      // No foreign key to devices: the registrar writes bindings on the hot path and must not fail because
      // provisioning removed the device a moment earlier; provisioning removes a device's bindings itself.
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
      .addColumn('username', 'text', (c) => c.notNull())
      .addColumn('contact', 'text', (c) => c.notNull())
      .addColumn('contact_params', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('q', 'double precision')
      .addColumn('call_id', 'text', (c) => c.notNull())
      .addColumn('cseq', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('flow_protocol', 'text', (c) => c.notNull())
      .addColumn('flow_address', 'text', (c) => c.notNull())
      .addColumn('flow_port', 'integer', (c) => c.notNull())
      .addColumn('flow_local_address', 'text', (c) => c.notNull())
      .addColumn('flow_local_port', 'integer', (c) => c.notNull())
      .addColumn('flow_connection_id', 'text')
      .addColumn('user_agent', 'text')
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('registrations_pk', ['tenant_id', 'username', 'contact'])
      .execute();

    // loadUnexpired/removeExpired scan by expiry.
    await db.schema
      .createIndex('registrations_expires_idx')
      .on('registrations')
      .column('expires_at')
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('registrations').execute();
  },
};
