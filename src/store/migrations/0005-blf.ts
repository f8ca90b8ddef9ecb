import type { Kysely, Migration } from 'kysely';

/**
 * Busy lamp field: each workplace's monitored colleagues (a JSON list, like `packages`), and the SUBSCRIBE dialogs
 * of BLF watchers (RFC 6665), persisted so that subscriptions, their NOTIFY CSeq and their document versions survive
 * a restart (a phone drops a NOTIFY whose version is not higher than the last it saw).
 */
export const blf: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('workplaces').addColumn('blf', 'text').execute();

    await db.schema
      .createTable('blf_subscriptions')
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
      .addColumn('id', 'text', (c) => c.notNull())
      // The device that subscribed (its username) and what it watches: one workplace (`dialog`) or a
      // workplace's BLF list (`list`, RFC 4662).
      .addColumn('watcher', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('resource', 'text', (c) => c.notNull())
      // The dialog (RFC 3261 12, RFC 6665 4.1.2): identity, target, route set, sequence numbers, flow.
      .addColumn('call_id', 'text', (c) => c.notNull())
      .addColumn('local_tag', 'text', (c) => c.notNull())
      .addColumn('remote_tag', 'text', (c) => c.notNull())
      .addColumn('local_uri', 'text', (c) => c.notNull())
      .addColumn('remote_uri', 'text', (c) => c.notNull())
      .addColumn('remote_target', 'text', (c) => c.notNull())
      .addColumn('route_set', 'text', (c) => c.notNull())
      .addColumn('local_seq', 'bigint')
      .addColumn('remote_seq', 'bigint')
      .addColumn('flow', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      // Reserved ceilings: after a restart, versions and CSeq numbers continue from here (never reused).
      .addColumn('version_floor', 'bigint', (c) => c.notNull())
      .addColumn('resource_versions', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('blf_subscriptions_pk', ['tenant_id', 'id'])
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('blf_subscriptions').execute();
    await db.schema.alterTable('workplaces').dropColumn('blf').execute();
  },
};
