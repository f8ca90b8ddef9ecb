import { createTransport, type Transporter } from 'nodemailer';
import type { VoicemailMessageRecord, VoicemailStore } from '../../store/voicemail-store.js';
import type { Clock, TimerHandle } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';

/** First retry after this; each further one waits twice as long, at most MAX_RETRY_MS. */
const FIRST_RETRY_MS = 30_000;
const MAX_RETRY_MS = 3_600_000;

/** Where a message's mail goes and what it says; undefined when the owner has no address (then it is not sent). */
export interface MailContent {
  to: string;
  from: string;
  subject: string;
  text: string;
  attachment: { filename: string; content: Buffer };
}

export interface EmailNotifierOptions {
  /** smtp://user:pass@host:port or smtps://... (nodemailer's URL form). */
  smtpUrl: string;
  store: Pick<VoicemailStore, 'setEmailState' | 'pendingEmails'>;
  /** The mail for a message, or undefined when it cannot be built any more (mailbox or audio gone). */
  content(m: VoicemailMessageRecord): Promise<MailContent | undefined>;
  clock: Clock;
  log: Logger;
  /** Tests: a transport instead of SMTP at smtpUrl. */
  transport?: Transporter;
}

/**
 * Sends each new message by e-mail with its WAV attached (nodemailer over SMTP). A failure is logged and retried
 * with doubling delays; the message itself is already stored, so nothing depends on the mail. The state
 * (`pending`/`sent`) is in the store: mails still pending at shutdown go out after the next start.
 */
export class EmailNotifier {
  readonly #o: EmailNotifierOptions;
  readonly #transport: Transporter;
  readonly #timers = new Map<string, TimerHandle>();
  readonly #inFlight = new Set<Promise<void>>();
  #stopped = false;

  constructor(o: EmailNotifierOptions) {
    this.#o = o;
    // Short timeouts: a dead server must not hold a send (and the shutdown) for nodemailer's default minutes.
    this.#transport =
      o.transport ??
      createTransport(o.smtpUrl, {
        connectionTimeout: 5_000,
        greetingTimeout: 5_000,
        socketTimeout: 10_000,
      } as Parameters<typeof createTransport>[1]);
  }

  /** Sends what is still pending from before (after a restart). */
  async start(): Promise<void> {
    for (const m of await this.#o.store.pendingEmails()) this.send(m);
  }

  /** Sends the mail of `m` now (and retries until it went out). */
  send(m: VoicemailMessageRecord): void {
    if (this.#stopped || this.#timers.has(key(m))) return;
    const p = this.#attempt(m).finally(() => this.#inFlight.delete(p));
    this.#inFlight.add(p);
  }

  /** Pending retries and sends in flight (for the leak checks). */
  count(): number {
    return this.#timers.size + this.#inFlight.size;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const t of this.#timers.values()) this.#o.clock.clearTimeout(t);
    this.#timers.clear();
    await Promise.allSettled([...this.#inFlight]);
    this.#transport.close();
  }

  async #attempt(m: VoicemailMessageRecord): Promise<void> {
    const o = this.#o;
    const log = o.log.child({ tenant: m.tenantId, mailbox: m.extension, message: m.id });
    const content = await o.content(m).catch(() => undefined);
    if (!content) {
      // The mailbox, the address or the audio is gone: nothing left to send.
      await o.store.setEmailState(m.tenantId, m.id, 'none', m.emailAttempts).catch(() => undefined);
      return;
    }
    const attempts = m.emailAttempts + 1;
    try {
      await this.#transport.sendMail({
        to: content.to,
        from: content.from,
        subject: content.subject,
        text: content.text,
        attachments: [{ ...content.attachment, contentType: 'audio/wav' }],
      });
      m.emailAttempts = attempts;
      m.emailState = 'sent';
      await o.store.setEmailState(m.tenantId, m.id, 'sent', attempts);
      log.info({ event: 'voicemail.email.sent', attempts }, 'voicemail e-mail sent');
    } catch (err) {
      m.emailAttempts = attempts;
      await o.store.setEmailState(m.tenantId, m.id, 'pending', attempts).catch(() => undefined);
      const delay = retryDelay(attempts);
      log.warn(
        { event: 'voicemail.email.failed', attempts, retryInMs: delay, err: String(err) },
        'voicemail e-mail not sent; will retry (the message is kept)',
      );
      if (this.#stopped) return;
      const t = o.clock.setTimeout(() => {
        this.#timers.delete(key(m));
        this.send(m);
      }, delay);
      this.#timers.set(key(m), t);
    }
  }
}

/** The wait before retry number `attempts` (1: FIRST_RETRY_MS, doubling, at most MAX_RETRY_MS). */
export function retryDelay(attempts: number): number {
  return Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, attempts - 1));
}

function key(m: VoicemailMessageRecord): string {
  return `${m.tenantId}/${m.id}`;
}
