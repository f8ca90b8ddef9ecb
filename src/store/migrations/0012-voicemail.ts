import type { Kysely, Migration } from 'kysely';

/**
 * Voicemail: one mailbox per workplace with the `voicemail` package (settings as provisioned, the PIN hash the
 * owner may change by phone, which greeting plays) and its messages' metadata. The audio itself is in WAV files
 * under the data folder (docs/voicemail.md says why). Both tables hang off the workplace: deleting it deletes
 * them; the voicemail service removes the files that no mailbox owns any more.
 */
export const voicemail: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('voicemail_boxes')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('extension', 'text', (c) => c.notNull())
      /** The PIN in force (scrypt, see core/provisioning/pin.ts): provisioned, or changed through the portal. */
      .addColumn('pin_hash', 'text', (c) => c.notNull())
      /** The PIN the provisioning file last set: a new one there replaces pin_hash, an unchanged file does not. */
      .addColumn('provisioned_pin_hash', 'text', (c) => c.notNull())
      .addColumn('max_message_s', 'integer', (c) => c.notNull())
      .addColumn('max_messages', 'integer', (c) => c.notNull())
      .addColumn('email_notify', 'integer', (c) => c.notNull())
      /** JSON array of device usernames that get NOTIFYs without subscribing (RFC 3842 section 3). */
      .addColumn('unsolicited', 'text', (c) => c.notNull())
      /** 'default' (spoken by the system) or 'own' (recorded by the owner). */
      .addColumn('greeting', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('voicemail_boxes_pk', ['tenant_id', 'extension'])
      .addForeignKeyConstraint(
        'voicemail_boxes_workplace_fk',
        ['tenant_id', 'extension'],
        'workplaces',
        ['tenant_id', 'extension'],
        (fk) => fk.onDelete('cascade'),
      )
      .execute();

    await db.schema
      .createTable('voicemail_messages')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('extension', 'text', (c) => c.notNull())
      .addColumn('caller_number', 'text', (c) => c.notNull())
      .addColumn('caller_name', 'text')
      .addColumn('received_at', 'bigint', (c) => c.notNull())
      .addColumn('duration_ms', 'integer', (c) => c.notNull())
      /** 'new' until heard, then 'saved'. */
      .addColumn('folder', 'text', (c) => c.notNull())
      /** 'none' (no e-mail wanted), 'pending' (to send, retried), 'sent'. */
      .addColumn('email_state', 'text', (c) => c.notNull())
      .addColumn('email_attempts', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('voicemail_messages_pk', ['tenant_id', 'id'])
      .addForeignKeyConstraint(
        'voicemail_messages_workplace_fk',
        ['tenant_id', 'extension'],
        'workplaces',
        ['tenant_id', 'extension'],
        (fk) => fk.onDelete('cascade'),
      )
      .execute();
    await db.schema
      .createIndex('voicemail_messages_box')
      .on('voicemail_messages')
      .columns(['tenant_id', 'extension', 'received_at'])
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('voicemail_messages').execute();
    await db.schema.dropTable('voicemail_boxes').execute();
  },
};
