import type { TerminatingService, RingPlan } from '../../core/calls/ring-plan.js';
import type { QueuedCall } from '../../core/calls/queue.js';
import type { FeatureInvocation } from '../../core/calls/service-handlers.js';
import type { Directory } from '../../core/directory/directory.js';
import type { Party } from '../../core/events/types.js';
import type { FeatureCodeRegistry } from '../../core/routing/index.js';
import { rejectWithAnnouncement } from '../../core/calls/announce-reject.js';
import { confirmationTone, refusalTone } from '../../media/audio/tone.js';
import type { MediaEngine } from '../../media/index.js';
import type { IncomingInvite } from '../../sip/ua/index.js';
import type { ExecutiveRecord } from '../../store/executive-store.js';
import type { Store, TenantRecord } from '../../store/types.js';
import type { Logger } from '../../util/log.js';
import { LoadOnce } from '../../util/load-once.js';
import { executivePlan, type DiversionHeaders, type ExecutiveView } from './executive-plan.js';
import { EXECUTIVE_CODES, type ExecutiveCode } from './feature-codes.js';
import { TenantExecutives } from './tenant-executives.js';

export interface ExecutiveServiceOptions {
  store: Store;
  directory: Directory;
  /** For the refusal announcement (early media before the 403). */
  media: MediaEngine;
  /** Diversion and History-Info for the assistants' INVITEs (core's diversion.ts). */
  diversionHeaders: DiversionHeaders;
}

/** What the service needs of the call engine (CallEngine implements it). */
export interface ExecutiveEngineSeams {
  readonly features: FeatureCodeRegistry;
  onFeature(id: string, handler: (inv: FeatureInvocation) => Promise<void>): void;
  /** Answers a feature code's INVITE with the server's own media (to play the confirmation). */
  answerQueued(
    incoming: IncomingInvite,
    x: { tenant: TenantRecord; caller: Party; service: Party; log: Logger },
  ): Promise<QueuedCall | undefined>;
  /**
   * Call push: the dialling workplace's held call is offered to `to` (its devices, no terminating service), for
   * `recallMs`; unanswered, it rings the dialling workplace again. False when the workplace holds no call. The
   * code's INVITE is left to the caller of push.
   */
  push?(inv: FeatureInvocation, to: Party, recallMs: number): Promise<boolean>;
  /**
   * Places the code's INVITE as a call to `dialled` from `caller`; a trunk presents `trunkAs`'s external number.
   */
  dialAs?(inv: FeatureInvocation, caller: Party, trunkAs: string, dialled: string): Promise<void>;
}

/**
 * The executive–assistant service: the terminating service 'executive' (the filter's ring plan,
 * executive-plan.ts) and the codes #61–#66 (feature-codes.ts). Configuration and runtime switches per tenant
 * (tenant-executives.ts), loaded on first use and re-read after provisioning. Every lookup is scoped to the
 * tenant of the call or the dialling device: another tenant's executive is never found.
 */
export class ExecutiveService {
  readonly #o: ExecutiveServiceOptions;
  readonly #tenants = new LoadOnce<string, TenantExecutives>((id) => this.#load(id));
  #engine: ExecutiveEngineSeams | undefined;
  readonly #live = new Set<QueuedCall>();

  constructor(o: ExecutiveServiceOptions) {
    this.#o = o;
  }

  /** The terminating service to register with the engine (before forwarding). */
  readonly terminating: TerminatingService = {
    name: 'executive',
    plan: async (req, ctx): Promise<RingPlan | undefined> => {
      const ext = req.callee.workplace;
      if (ext === undefined || req.bypass?.has('executive')) return undefined;
      const t = await this.tenant(req.tenant.id);
      const e = t.executive(ext);
      if (!e) return undefined;
      return executivePlan(req, ctx, await this.#view(t, e), this.#o.diversionHeaders);
    },
  };

  /** Registers the feature codes with the engine. */
  attach(engine: ExecutiveEngineSeams): void {
    this.#engine = engine;
    for (const def of EXECUTIVE_CODES) {
      engine.features.register({
        code: def.code,
        takesArgument: def.takesArgument,
        ...(def.argumentOptional ? { argumentOptional: true } : {}),
        id: def.id,
        description: def.description,
      });
      engine.onFeature(def.id, (inv) => this.#feature(def, inv));
    }
  }

  /** The tenant's executives (loaded from the store on first use). */
  tenant(tenantId: string): Promise<TenantExecutives> {
    return this.#tenants.get(tenantId);
  }

  /** Re-reads every loaded tenant (after provisioning). */
  async reload(): Promise<void> {
    for (const [id, p] of this.#tenants.entries()) {
      const t = await p;
      const s = this.#o.store.executives;
      t.configure(await s.executives(id), await s.state(id));
    }
  }

  /** Confirmation calls still playing, for the leak checks. */
  count(): number {
    return this.#live.size;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#live].map((c) => c.hangup()));
  }

  async #load(tenantId: string): Promise<TenantExecutives> {
    const s = this.#o.store.executives;
    const t = new TenantExecutives(tenantId, {
      filter: (e, on) => s.setFilter(tenantId, e, on),
      optIn: (e, a, v) => s.setOptIn(tenantId, e, a, v),
      divert: (e, a, v) => s.setDivert(tenantId, e, a, v),
    });
    t.configure(await s.executives(tenantId), await s.state(tenantId));
    return t;
  }

  async #view(t: TenantExecutives, e: ExecutiveRecord): Promise<ExecutiveView> {
    const plan = await this.#o.directory.plan(t.tenantId);
    const party = (ext: string): Party => {
      const w = plan.workplace(ext);
      return { workplace: ext, number: ext, ...(w ? { name: w.name } : {}) };
    };
    return {
      executive: party(e.extension),
      filtering: e.filtering as ExecutiveView['filtering'],
      filterOn: t.filterOn(e.extension),
      alerting: e.alerting === 'sequential' ? 'sequential' : 'simultaneous',
      nextAssistantMs: e.nextAssistantS * 1000,
      rolloverMs: e.rolloverS * 1000,
      screening: e.screening,
      allAssistants: new Set(e.assistants.map((a) => a.extension)),
      assistants: e.assistants
        .filter((a) => t.optedIn(e.extension, a.extension) && plan.workplace(a.extension) !== undefined)
        .map((a) => {
          const divertTo = t.divertTarget(e.extension, a.extension);
          return {
            party: party(a.extension),
            language: plan.workplace(a.extension)?.language ?? 'de',
            ...(divertTo !== undefined ? { divertTo } : {}),
          };
        }),
    };
  }

  async #feature(def: ExecutiveCode, inv: FeatureInvocation): Promise<void> {
    const t = await this.tenant(inv.tenant.id);
    const me = inv.device.workplaceExtension;
    const arg = inv.argument;
    let refusal: string | undefined;
    switch (def.action) {
      case 'filter-on':
      case 'filter-off': {
        // The executive itself, or an opted-in assistant, for the named executive or all it may switch.
        const own = t.executive(me) && (arg === undefined || arg === me) ? [me] : [];
        const assisted = t
          .executivesOf(me)
          .filter((e) => (arg === undefined || arg === e.extension) && t.optedIn(e.extension, me))
          .map((e) => e.extension);
        const which = own.length > 0 ? own : assisted;
        if (which.length === 0) refusal = 'Not An Executive Or Its Assistant';
        for (const e of which) await t.setFilter(e, def.action === 'filter-on');
        break;
      }
      case 'opt-in':
      case 'opt-out': {
        const mine = t.executivesOf(me).filter((e) => arg === undefined || arg === e.extension);
        const switchable = mine.filter((e) => e.optInOut);
        if (mine.length === 0) refusal = 'Not An Assistant Of This Executive';
        else if (switchable.length === 0) refusal = 'Opt-In Fixed By Configuration';
        for (const e of switchable) await t.setOptIn(e.extension, me, def.action === 'opt-in');
        break;
      }
      case 'push':
        await this.#push(t, inv);
        return;
      case 'call-as':
        await this.#callAs(t, inv);
        return;
    }
    inv.log.info(
      { event: 'executive.feature', code: def.code, workplace: me, argument: arg, refused: refusal ?? false },
      'executive code',
    );
    if (refusal) {
      await this.#refuse(inv, refusal);
      return;
    }
    await this.#confirm(inv, def.code);
  }

  /** #63 [+ executive]: the assistant's held call goes to the executive's phones, bypassing the filter. */
  async #push(t: TenantExecutives, inv: FeatureInvocation): Promise<void> {
    const me = inv.device.workplaceExtension;
    const mine = t
      .executivesOf(me)
      .filter(
        (e) => (inv.argument === undefined || inv.argument === e.extension) && t.optedIn(e.extension, me),
      );
    const e = mine.length === 1 ? mine[0] : undefined;
    const log = (refused: string | false) =>
      inv.log.info({ event: 'executive.push', workplace: me, executive: e?.extension, refused }, 'call push');
    if (!e) {
      log(mine.length > 1 ? 'which executive' : 'not an assistant');
      if (mine.length > 1) inv.incoming.reject(484, { reason: 'Dial The Executive After The Code' });
      else await this.#refuse(inv, 'Not An Assistant Of This Executive');
      return;
    }
    const plan = await this.#o.directory.plan(inv.tenant.id);
    const w = plan.workplace(e.extension);
    const to: Party = { workplace: e.extension, number: e.extension, ...(w ? { name: w.name } : {}) };
    if (!this.#engine?.push || !(await this.#engine.push(inv, to, e.pushRecallS * 1000))) {
      log('no held call');
      inv.incoming.reject(480, { reason: 'No Held Call To Push' });
      return;
    }
    log(false);
    await this.#confirm(inv, '#63');
  }

  /** #64 / *64 + executive + '*' + destination: a call with the executive's identity (opted-in assistants only). */
  async #callAs(t: TenantExecutives, inv: FeatureInvocation): Promise<void> {
    const me = inv.device.workplaceExtension;
    const m = /^([0-9]{2,8})\*(.+)$/.exec(inv.argument ?? '');
    const e = m ? t.executive(m[1]!) : undefined;
    const allowed = e !== undefined && t.optedIn(e.extension, me);
    inv.log.info(
      { event: 'executive.call-as', workplace: me, executive: m?.[1], allowed },
      'call as executive',
    );
    if (!m) {
      inv.incoming.reject(484, { reason: 'Dial Executive * Destination' });
      return;
    }
    if (!e || !allowed || !this.#engine?.dialAs) {
      await this.#refuse(inv, 'Not An Assistant Of This Executive');
      return;
    }
    const plan = await this.#o.directory.plan(inv.tenant.id);
    const w = plan.workplace(e.extension);
    // The assistant's workplace and device stay (its lamp shows the call); number and name are the executive's.
    const caller: Party = { ...inv.caller, number: e.extension, ...(w ? { name: w.name } : {}) };
    await this.#engine.dialAs(inv, caller, e.extension, m[2]!);
  }

  /** 403 after the special information tone as early media, so a desk phone's user hears that it failed. */
  #refuse(inv: FeatureInvocation, reason: string): Promise<void> {
    return rejectWithAnnouncement(this.#o.media, inv.incoming, {
      status: 403,
      reason,
      source: refusalTone(),
      label: `executive:${inv.incoming.request.headers.get('Call-ID') ?? ''}`,
    });
  }

  async #confirm(inv: FeatureInvocation, code: string): Promise<void> {
    const held = await this.#engine?.answerQueued(inv.incoming, {
      tenant: inv.tenant,
      caller: inv.caller,
      service: { number: code },
      log: inv.log,
    });
    if (!held || held.state === 'ended') return;
    this.#live.add(held);
    held.onEnded(() => this.#live.delete(held));
    held.play(confirmationTone(), { onEnded: () => void held.hangup() });
  }
}
