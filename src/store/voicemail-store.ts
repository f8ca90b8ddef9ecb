import type { Kysely, Selectable } from 'kysely';
import type { Database, VoicemailBoxesTable, VoicemailMessagesTable } from './schema.js';

/** Voicemail persistence (migration 0012): mailboxes and message metadata, every query scoped to a tenant. */

export interface MailboxRecord {
  tenantId: string;
  extension: string;
  pinHash: string;
  provisionedPinHash: string;
  maxMessageS: number;
  maxMessages: number;
  emailNotify: boolean;
  /** Device usernames of the workplace that get NOTIFYs without a subscription. */
  unsolicited: string[];
  greeting: 'default' | 'own';
}

export type MessageFolder = 'new' | 'saved';
export type EmailState = 'none' | 'pending' | 'sent';

export interface VoicemailMessageRecord {
  tenantId: string;
  id: string;
  extension: string;
  callerNumber: string;
  callerName: string | null;
  receivedAt: number;
  durationMs: number;
  folder: MessageFolder;
  emailState: EmailState;
  emailAttempts: number;
}

export interface VoicemailStore {
  mailbox(tenantId: string, extension: string): Promise<MailboxRecord | undefined>;
  mailboxes(tenantId: string): Promise<MailboxRecord[]>;
  /** Every mailbox of every tenant (the file sweep after provisioning). */
  allMailboxes(): Promise<Array<{ tenantId: string; extension: string }>>;
  upsertMailbox(m: MailboxRecord): Promise<void>;
  /** Removes the mailbox and its messages' metadata (the package was taken away). */
  removeMailbox(tenantId: string, extension: string): Promise<void>;
  setPin(tenantId: string, extension: string, pinHash: string): Promise<void>;
  setGreeting(tenantId: string, extension: string, greeting: 'default' | 'own'): Promise<void>;
  addMessage(m: VoicemailMessageRecord): Promise<void>;
  /** Oldest first. */
  messages(tenantId: string, extension: string): Promise<VoicemailMessageRecord[]>;
  setFolder(tenantId: string, id: string, folder: MessageFolder): Promise<void>;
  deleteMessage(tenantId: string, id: string): Promise<void>;
  setEmailState(tenantId: string, id: string, state: EmailState, attempts: number): Promise<void>;
  /** Messages whose e-mail is still to be sent, across tenants, oldest first. */
  pendingEmails(): Promise<VoicemailMessageRecord[]>;
}

export class KyselyVoicemailStore implements VoicemailStore {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async mailbox(tenantId: string, extension: string): Promise<MailboxRecord | undefined> {
    const row = await this.#db
      .selectFrom('voicemail_boxes')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('extension', '=', extension)
      .executeTakeFirst();
    return row ? toMailbox(row) : undefined;
  }

  async mailboxes(tenantId: string): Promise<MailboxRecord[]> {
    const rows = await this.#db
      .selectFrom('voicemail_boxes')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('extension')
      .execute();
    return rows.map(toMailbox);
  }

  async allMailboxes(): Promise<Array<{ tenantId: string; extension: string }>> {
    const rows = await this.#db.selectFrom('voicemail_boxes').select(['tenant_id', 'extension']).execute();
    return rows.map((r) => ({ tenantId: r.tenant_id, extension: r.extension }));
  }

  async upsertMailbox(m: MailboxRecord): Promise<void> {
    const values = {
      pin_hash: m.pinHash,
      provisioned_pin_hash: m.provisionedPinHash,
      max_message_s: m.maxMessageS,
      max_messages: m.maxMessages,
      email_notify: m.emailNotify ? 1 : 0,
      unsolicited: JSON.stringify(m.unsolicited),
      greeting: m.greeting,
    };
    await this.#db
      .insertInto('voicemail_boxes')
      .values({ tenant_id: m.tenantId, extension: m.extension, ...values })
      .onConflict((oc) => oc.columns(['tenant_id', 'extension']).doUpdateSet(values))
      .execute();
  }

  async removeMailbox(tenantId: string, extension: string): Promise<void> {
    await this.#db
      .deleteFrom('voicemail_messages')
      .where('tenant_id', '=', tenantId)
      .where('extension', '=', extension)
      .execute();
    await this.#db
      .deleteFrom('voicemail_boxes')
      .where('tenant_id', '=', tenantId)
      .where('extension', '=', extension)
      .execute();
  }

  async setPin(tenantId: string, extension: string, pinHash: string): Promise<void> {
    await this.#db
      .updateTable('voicemail_boxes')
      .set({ pin_hash: pinHash })
      .where('tenant_id', '=', tenantId)
      .where('extension', '=', extension)
      .execute();
  }

  async setGreeting(tenantId: string, extension: string, greeting: 'default' | 'own'): Promise<void> {
    await this.#db
      .updateTable('voicemail_boxes')
      .set({ greeting })
      .where('tenant_id', '=', tenantId)
      .where('extension', '=', extension)
      .execute();
  }

  async addMessage(m: VoicemailMessageRecord): Promise<void> {
    await this.#db
      .insertInto('voicemail_messages')
      .values({
        tenant_id: m.tenantId,
        id: m.id,
        extension: m.extension,
        caller_number: m.callerNumber,
        caller_name: m.callerName,
        received_at: m.receivedAt,
        duration_ms: m.durationMs,
        folder: m.folder,
        email_state: m.emailState,
        email_attempts: m.emailAttempts,
      })
      .execute();
  }

  async messages(tenantId: string, extension: string): Promise<VoicemailMessageRecord[]> {
    const rows = await this.#db
      .selectFrom('voicemail_messages')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('extension', '=', extension)
      .orderBy('received_at')
      .orderBy('id')
      .execute();
    return rows.map(toMessage);
  }

  async setFolder(tenantId: string, id: string, folder: MessageFolder): Promise<void> {
    await this.#db
      .updateTable('voicemail_messages')
      .set({ folder })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .execute();
  }

  async deleteMessage(tenantId: string, id: string): Promise<void> {
    await this.#db
      .deleteFrom('voicemail_messages')
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .execute();
  }

  async setEmailState(tenantId: string, id: string, state: EmailState, attempts: number): Promise<void> {
    await this.#db
      .updateTable('voicemail_messages')
      .set({ email_state: state, email_attempts: attempts })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .execute();
  }

  async pendingEmails(): Promise<VoicemailMessageRecord[]> {
    const rows = await this.#db
      .selectFrom('voicemail_messages')
      .selectAll()
      .where('email_state', '=', 'pending')
      .orderBy('received_at')
      .execute();
    return rows.map(toMessage);
  }
}

function toMailbox(r: Selectable<VoicemailBoxesTable>): MailboxRecord {
  return {
    tenantId: r.tenant_id,
    extension: r.extension,
    pinHash: r.pin_hash,
    provisionedPinHash: r.provisioned_pin_hash,
    maxMessageS: r.max_message_s,
    maxMessages: r.max_messages,
    emailNotify: r.email_notify === 1,
    unsolicited: JSON.parse(r.unsolicited) as string[],
    greeting: r.greeting === 'own' ? 'own' : 'default',
  };
}

function toMessage(r: Selectable<VoicemailMessagesTable>): VoicemailMessageRecord {
  return {
    tenantId: r.tenant_id,
    id: r.id,
    extension: r.extension,
    callerNumber: r.caller_number,
    callerName: r.caller_name,
    receivedAt: Number(r.received_at),
    durationMs: r.duration_ms,
    folder: r.folder === 'saved' ? 'saved' : 'new',
    emailState: r.email_state === 'pending' ? 'pending' : r.email_state === 'sent' ? 'sent' : 'none',
    emailAttempts: r.email_attempts,
  };
}
