import type { QueuedCall } from '../../core/calls/queue.js';
import type { TerminatingService } from '../../core/calls/ring-plan.js';
import type {
  DivertCall,
  DivertHandler,
  FeatureHandler,
  FeatureInvocation,
  ServiceCall,
} from '../../core/calls/service-handlers.js';
import type { Diversion, Party } from '../../core/events/types.js';
import type { FeatureCodeRegistry } from '../../core/routing/index.js';
import { PromptSet, type PromptLanguage } from '../../media/audio/prompts.js';
import type { IncomingInvite } from '../../sip/ua/index.js';
import type { TenantRecord, WorkplaceRecord } from '../../store/types.js';
import type { VoicemailMessageRecord, VoicemailStore } from '../../store/voicemail-store.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import { deposit } from './deposit.js';
import { EmailNotifier, type MailContent } from './email-notifier.js';
import { Mailboxes } from './mailboxes.js';
import type { MailboxCounts } from './message-summary.js';
import { MessageFiles, type GreetingKind } from './message-files.js';
import { portal } from './portal.js';
import { VOICEMAIL_CODES } from './feature-codes.js';
import { ownMailboxService, PORTAL_SERVICE } from './own-mailbox.js';
import { sendUnsolicitedMwi, type UnsolicitedMwiOptions } from './unsolicited-mwi.js';

/** What the service needs of the call engine (core/calls/call-engine.ts CallEngine fits). */
export interface VoicemailEngineSeams {
  readonly features: FeatureCodeRegistry;
  onFeature(id: string, handler: FeatureHandler): void;
  onDivertService(name: string, handler: DivertHandler): void;
  addTerminatingService(s: TerminatingService): void;
  answerQueued(
    incoming: IncomingInvite,
    x: { tenant: TenantRecord; caller: Party; service: Party; log: Logger },
  ): Promise<QueuedCall | undefined>;
}

export interface VoicemailServiceOptions {
  store: VoicemailStore;
  directory: {
    tenantById(id: string): Promise<TenantRecord | undefined>;
    plan(tenantId: string): Promise<{ workplace(extension: string): WorkplaceRecord | undefined }>;
  };
  dataDir: string;
  clock: Clock;
  log: Logger;
  /** The security rules' counter of authentication failures (core/security/auth-throttle.ts). */
  throttle: {
    recordFailure(address: string, tenant: string, user: string): unknown;
    recordSuccess(address: string, tenant: string, user: string): void;
    isUserBanned(address: string, tenant: string, user: string): boolean;
  };
  /** Counts changed: MWI (subscriptions and unsolicited NOTIFYs; the composition root connects them). */
  countsChanged(tenantId: string, extension: string, counts: MailboxCounts): void;
  /** SMTP URL for e-mail notification; undefined: no e-mail. */
  smtpUrl?: string;
  prompts?: PromptSet;
  /** Out-of-dialog NOTIFYs to the devices a mailbox lists under `unsolicitedNotify`. */
  unsolicited?: UnsolicitedMwiOptions;
}

/**
 * Voicemail (docs/voicemail.md): per workplace with the `voicemail` package a mailbox in the store, its audio under
 * the data folder. Entry points: `deposit` (a call diverted to a mailbox: the CallEngine's divert seam for
 * 'voicemail', or `*86` + extension), the voice portal (`*62` from an own device), e-mail, and the counts MWI
 * shows. Every operation is scoped to the calling tenant.
 */
export class VoicemailService {
  readonly #o: VoicemailServiceOptions;
  readonly mailboxes: Mailboxes;
  readonly #prompts: PromptSet;
  readonly #email: EmailNotifier | undefined;
  #engine: VoicemailEngineSeams | undefined;

  constructor(o: VoicemailServiceOptions) {
    this.#o = o;
    this.#prompts = o.prompts ?? new PromptSet();
    const files = new MessageFiles(o.dataDir);
    this.#email = o.smtpUrl
      ? new EmailNotifier({
          smtpUrl: o.smtpUrl,
          store: o.store,
          content: (m) => this.#mail(m),
          clock: o.clock,
          log: o.log.child({ feature: 'voicemail-email' }),
        })
      : undefined;
    this.mailboxes = new Mailboxes({
      store: o.store,
      files,
      clock: o.clock,
      changed: (t, e, c) => {
        o.countsChanged(t, e, c);
        void this.#unsolicited(t, e, c);
      },
      arrived: (m) => {
        if (m.emailState === 'pending') this.#email?.send(m);
      },
    });
  }

  /**
   * Registers `*62` (voice portal) and `*86` + extension (leave a message), the divert services `voicemail` (a ring
   * plan forwarding to a mailbox) and `voicemail-portal`, and the terminating service that sends a workplace's call
   * to its own extension to the portal.
   */
  attach(engine: VoicemailEngineSeams): void {
    this.#engine = engine;
    for (const def of VOICEMAIL_CODES) {
      engine.features.register({
        code: def.code,
        takesArgument: def.takesArgument,
        id: def.id,
        description: def.description,
      });
    }
    engine.onFeature('voicemail.portal', (inv) => this.portal(inv));
    engine.onDivertService('voicemail', (call) => this.deposit(call));
    engine.onDivertService(PORTAL_SERVICE, (call) => this.portal(call));
    engine.addTerminatingService(
      ownMailboxService(async (t, e) => (await this.#o.store.mailbox(t, e)) !== undefined),
    );
    engine.onFeature('voicemail.deposit', (inv) =>
      this.deposit({
        tenant: inv.tenant,
        caller: inv.caller,
        number: inv.argument ?? '',
        incoming: inv.incoming,
        log: inv.log,
      }),
    );
  }

  /** Removes files of mailboxes that are gone; sends e-mails still pending from before. */
  async start(): Promise<void> {
    await this.reconcile();
    await this.#email?.start();
  }

  /** After provisioning: files of removed mailboxes go (the store dropped their rows already). */
  async reconcile(): Promise<void> {
    const removed = await this.mailboxes.files.sweep(await this.#o.store.allMailboxes());
    if (removed > 0)
      this.#o.log.info({ event: 'voicemail.swept', mailboxes: removed }, 'removed mailbox files');
  }

  async stop(): Promise<void> {
    await this.#email?.stop();
  }

  /** E-mail retries pending and sends in flight. */
  pendingEmails(): number {
    return this.#email?.count() ?? 0;
  }

  /** The counts MWI shows, or undefined without a mailbox. */
  counts(tenantId: string, extension: string): Promise<MailboxCounts | undefined> {
    return this.mailboxes.counts(tenantId, extension);
  }

  /**
   * A caller for mailbox `call.number` (a workplace extension of `call.tenant`): answered with our own media, the
   * greeting, a message recorded. 404 when that workplace has no mailbox in this tenant. The divert handler for
   * 'voicemail' (a DivertCall also carries the diversions; the mailbox is `number`) and the `*86` code's.
   */
  async deposit(call: ServiceCall): Promise<void> {
    const box = /^[0-9]{2,8}$/.test(call.number)
      ? await this.#o.store.mailbox(call.tenant.id, call.number)
      : undefined;
    if (!box) {
      call.incoming.reject(404, { reason: 'No Mailbox' });
      return;
    }
    const wp = (await this.#o.directory.plan(call.tenant.id)).workplace(box.extension);
    const divert: Partial<DivertCall> = call;
    // A parked call recalled to its parker is answered already: it goes on with the server.
    const held =
      divert.held ?? (await this.#answer(call.incoming, call.tenant, call.caller, box.extension, call.log));
    if (!held) return;
    call.log.info(
      { event: 'voicemail.deposit', mailbox: box.extension, caller: call.caller.number },
      'deposit',
    );
    await deposit(this.#ctx(call.log), held, box, {
      caller: call.caller,
      lang: language(wp),
      email: box.emailNotify && !!wp?.email && this.#email !== undefined,
      greeting: greetingFor(divert.diversions ?? []),
    });
  }

  /**
   * The voice portal for the caller's own workplace (`caller.workplace`): a device of the tenant dialled `*62`, or
   * its own extension (the ring plan of ownMailboxService hands that over as a divert call).
   */
  async portal(inv: Pick<FeatureInvocation, 'tenant' | 'caller' | 'incoming' | 'log'>): Promise<void> {
    const ext = inv.caller.workplace;
    const box = ext === undefined ? undefined : await this.#o.store.mailbox(inv.tenant.id, ext);
    if (!box || ext === undefined) {
      inv.incoming.reject(403, { reason: 'Voicemail Package Not Booked' });
      return;
    }
    const source = inv.incoming.flow.remote.address;
    const user = `voicemail:${ext}`;
    const t = this.#o.throttle;
    if (t.isUserBanned(source, inv.tenant.id, user)) {
      inv.incoming.reject(403, { reason: 'Too Many Wrong PINs' });
      return;
    }
    const wp = (await this.#o.directory.plan(inv.tenant.id)).workplace(ext);
    const held = await this.#answer(inv.incoming, inv.tenant, inv.caller, '*62', inv.log);
    if (!held) return;
    await portal(
      {
        ...this.#ctx(inv.log),
        failed: () => {
          // Counted as an authentication failure of this mailbox from this address (and of the address as a whole).
          const ban = t.recordFailure(source, inv.tenant.id, user);
          return ban !== undefined;
        },
        succeeded: () => t.recordSuccess(source, inv.tenant.id, user),
      },
      held,
      box,
      language(wp),
    );
  }

  async #unsolicited(tenantId: string, extension: string, counts: MailboxCounts): Promise<void> {
    const u = this.#o.unsolicited;
    if (!u) return;
    try {
      const box = await this.#o.store.mailbox(tenantId, extension);
      const tenant = await this.#o.directory.tenantById(tenantId);
      if (!box || !tenant || box.unsolicited.length === 0) return;
      await sendUnsolicitedMwi(u, {
        tenantId,
        domain: tenant.domain,
        extension,
        devices: box.unsolicited,
        counts,
      });
    } catch (err) {
      this.#o.log.warn(
        { event: 'mwi.unsolicited.error', tenant: tenantId, err: String(err) },
        'MWI not sent',
      );
    }
  }

  #ctx(log: Logger) {
    return { mailboxes: this.mailboxes, prompts: this.#prompts, clock: this.#o.clock, log };
  }

  async #answer(
    incoming: IncomingInvite,
    tenant: TenantRecord,
    caller: Party,
    number: string,
    log: Logger,
  ): Promise<QueuedCall | undefined> {
    if (!this.#engine) throw new Error('VoicemailService used before attach()');
    const held = await this.#engine.answerQueued(incoming, {
      tenant,
      caller,
      service: { number, name: 'Voicemail' },
      log,
    });
    return held && held.state !== 'ended' ? held : undefined;
  }

  async #mail(m: VoicemailMessageRecord): Promise<MailContent | undefined> {
    const tenant = await this.#o.directory.tenantById(m.tenantId);
    const wp = (await this.#o.directory.plan(m.tenantId)).workplace(m.extension);
    const box = await this.#o.store.mailbox(m.tenantId, m.extension);
    const audio = await this.mailboxes.files.readMessage(m.tenantId, m.extension, m.id);
    if (!tenant || !wp?.email || !box?.emailNotify || !audio) return undefined;
    const de = language(wp) === 'de';
    const who = m.callerName ? `${m.callerName} <${m.callerNumber}>` : m.callerNumber;
    const seconds = Math.round(m.durationMs / 1000);
    const when = new Date(m.receivedAt).toISOString().replace('T', ' ').slice(0, 16);
    return {
      to: wp.email,
      from: `"Zentrale Voicemail" <voicemail@${tenant.domain}>`,
      subject: de ? `Sprachnachricht von ${who} (${seconds} s)` : `Voicemail from ${who} (${seconds} s)`,
      text: de
        ? `Neue Sprachnachricht für ${wp.name} (${wp.extension}) von ${who}, ${when} UTC, ${seconds} Sekunden.\n`
        : `New voicemail for ${wp.name} (${wp.extension}) from ${who}, ${when} UTC, ${seconds} seconds.\n`,
      attachment: {
        filename: `voicemail-${when.replace(/[^0-9]/g, '')}-${m.callerNumber.replace(/[^0-9+]/g, '') || 'unknown'}.wav`,
        content: audio,
      },
    };
  }
}

/** The busy greeting when the last hop diverted on busy (the ring plan's failure reason), else unavailable. */
export function greetingFor(diversions: readonly Diversion[]): GreetingKind {
  return diversions.at(-1)?.reason === 'user-busy' ? 'busy' : 'unavailable';
}

function language(wp: WorkplaceRecord | undefined): PromptLanguage {
  return wp?.language === 'en' ? 'en' : 'de';
}
