import type { GreetingKind } from './message-files.js';
import { randomBytes } from 'node:crypto';
import type { Party } from '../../core/events/types.js';
import type { AudioSource } from '../../media/index.js';
import type { MailboxRecord, VoicemailMessageRecord, VoicemailStore } from '../../store/voicemail-store.js';
import type { Clock } from '../../util/clock.js';
import type { MailboxCounts } from './message-summary.js';
import type { MessageFiles } from './message-files.js';

export interface MailboxesOptions {
  store: VoicemailStore;
  files: MessageFiles;
  clock: Clock;
  /** The counts of a mailbox changed (a message arrived, was heard, saved or deleted): MWI. */
  changed(tenantId: string, extension: string, counts: MailboxCounts): void;
  /** A message was kept (after its file and row are written): e-mail. */
  arrived?(m: VoicemailMessageRecord): void;
}

/**
 * The mailboxes' data operations, scoped to a tenant on every call: the store row and the WAV file together,
 * and the change notifications (MWI) after each. Nothing here answers calls.
 */
export class Mailboxes {
  readonly #o: MailboxesOptions;

  constructor(o: MailboxesOptions) {
    this.#o = o;
  }

  get files(): MessageFiles {
    return this.#o.files;
  }

  box(tenantId: string, extension: string): Promise<MailboxRecord | undefined> {
    return this.#o.store.mailbox(tenantId, extension);
  }

  /** Oldest first. */
  messages(tenantId: string, extension: string): Promise<VoicemailMessageRecord[]> {
    return this.#o.store.messages(tenantId, extension);
  }

  async counts(tenantId: string, extension: string): Promise<MailboxCounts | undefined> {
    if (!(await this.#o.store.mailbox(tenantId, extension))) return undefined;
    return countsOf(await this.#o.store.messages(tenantId, extension));
  }

  /**
   * Keeps a message: the file first, then the row, so a listed message always has its audio. `email`: whether
   * the owner wants it by e-mail (then it stays `pending` until sent).
   */
  async keep(
    tenantId: string,
    extension: string,
    caller: Party,
    audio: AudioSource,
    email: boolean,
  ): Promise<VoicemailMessageRecord> {
    const id = `${this.#o.clock.now().toString(36)}-${randomBytes(4).toString('hex')}`;
    await this.#o.files.writeMessage(tenantId, extension, id, audio);
    const m: VoicemailMessageRecord = {
      tenantId,
      id,
      extension,
      callerNumber: caller.number,
      callerName: caller.name ?? null,
      receivedAt: this.#o.clock.now(),
      durationMs: Math.round(audio.samples.length / 8),
      folder: 'new',
      emailState: email ? 'pending' : 'none',
      emailAttempts: 0,
    };
    await this.#o.store.addMessage(m);
    await this.#changed(tenantId, extension);
    this.#o.arrived?.(m);
    return m;
  }

  /** A heard or saved message leaves `new` (the lamp goes off with the last new one). */
  async markSaved(m: VoicemailMessageRecord): Promise<void> {
    if (m.folder === 'saved') return;
    await this.#o.store.setFolder(m.tenantId, m.id, 'saved');
    m.folder = 'saved';
    await this.#changed(m.tenantId, m.extension);
  }

  /** A message marked unheard again (the lamp comes on). */
  async markNew(m: VoicemailMessageRecord): Promise<void> {
    if (m.folder === 'new') return;
    await this.#o.store.setFolder(m.tenantId, m.id, 'new');
    m.folder = 'new';
    await this.#changed(m.tenantId, m.extension);
  }

  async remove(m: VoicemailMessageRecord): Promise<void> {
    await this.#o.store.deleteMessage(m.tenantId, m.id);
    await this.#o.files.deleteMessage(m.tenantId, m.extension, m.id);
    await this.#changed(m.tenantId, m.extension);
  }

  setPin(tenantId: string, extension: string, pinHash: string): Promise<void> {
    return this.#o.store.setPin(tenantId, extension, pinHash);
  }

  /**
   * The owner's own greeting. The store's `greeting` says whether the unavailable one is the owner's; a busy
   * greeting is the owner's when its file exists.
   */
  async setGreeting(
    tenantId: string,
    extension: string,
    audio: AudioSource,
    kind: GreetingKind = 'unavailable',
  ): Promise<void> {
    await this.#o.files.writeGreeting(tenantId, extension, audio, kind);
    if (kind === 'unavailable') await this.#o.store.setGreeting(tenantId, extension, 'own');
  }

  async #changed(tenantId: string, extension: string): Promise<void> {
    const c = await this.counts(tenantId, extension);
    if (c) this.#o.changed(tenantId, extension, c);
  }
}

export function countsOf(messages: readonly VoicemailMessageRecord[]): MailboxCounts {
  const newCount = messages.filter((m) => m.folder === 'new').length;
  return { newCount, oldCount: messages.length - newCount };
}
