import type { Kysely, Migration } from 'kysely';

/**
 * Web logins and API sessions. A workplace's web password is kept only as an argon2id hash (with its role);
 * a session token only as its SHA-256, so a copy of the database hands out no usable token. Sessions live in the
 * store so that a restart does not log everybody out.
 */
export const apiSessions: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('web_logins')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('extension', 'text', (c) => c.notNull())
      // Null: the workplace has a role but no web password (it cannot log in).
      .addColumn('password_hash', 'text')
      .addColumn('role', 'text', (c) => c.notNull().defaultTo('user'))
      .addPrimaryKeyConstraint('web_logins_pk', ['tenant_id', 'extension'])
      .addForeignKeyConstraint(
        'web_logins_workplace_fk',
        ['tenant_id', 'extension'],
        'workplaces',
        ['tenant_id', 'extension'],
        (fk) => fk.onDelete('cascade'),
      )
      .execute();

    await db.schema
      .createTable('api_sessions')
      .addColumn('token_hash', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('extension', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addForeignKeyConstraint(
        'api_sessions_workplace_fk',
        ['tenant_id', 'extension'],
        'workplaces',
        ['tenant_id', 'extension'],
        (fk) => fk.onDelete('cascade'),
      )
      .execute();
    await db.schema.createIndex('api_sessions_expiry_idx').on('api_sessions').column('expires_at').execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('api_sessions').execute();
    await db.schema.dropTable('web_logins').execute();
  },
};
