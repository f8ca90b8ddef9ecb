import type { HeldRingResult } from '../../core/calls/held-calls.js';
import type { QueuedCall } from '../../core/calls/queue.js';
import type { ReferFeatureHandler, ReferToFeature } from '../../core/calls/refer-feature.js';
import type { FeatureHandler, FeatureInvocation } from '../../core/calls/service-handlers.js';
import type { DomainEvent, Party } from '../../core/events/types.js';
import type { FeatureCodeRegistry } from '../../core/routing/index.js';
import { musicOnHold } from '../../media/audio/music-on-hold.js';
import { PromptSet, type PromptLanguage } from '../../media/audio/prompts.js';
import type { IncomingInvite } from '../../sip/ua/index.js';
import type { ParkSettingsRecord } from '../../store/park-store.js';
import type { TenantRecord, WorkplaceRecord } from '../../store/types.js';
import type { Clock, TimerHandle } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import { PARK_CODES, PARK_ID, RETRIEVE_ID } from './feature-codes.js';
import { locationsOf, ParkedCall, ParkLot } from './parked-call.js';

/** What the service needs of the call engine (core/calls/call-engine.ts CallEngine fits). */
export interface ParkEngineSeams {
  readonly features: FeatureCodeRegistry;
  onFeature(id: string, handler: FeatureHandler): void;
  onReferFeature(id: string, handler: ReferFeatureHandler): void;
  answerQueued(
    incoming: IncomingInvite,
    x: { tenant: TenantRecord; caller: Party; service: Party; log: Logger },
  ): Promise<QueuedCall | undefined>;
  takeHeld(inv: FeatureInvocation, service: Party): QueuedCall | undefined;
  ringHeld(held: QueuedCall, callee: Party, log: Logger): Promise<HeldRingResult>;
}

export interface ParkServiceOptions {
  /** The tenant's park settings (the store's, defaults when none are provisioned). */
  settings(tenantId: string): Promise<ParkSettingsRecord>;
  directory: {
    plan(tenantId: string): Promise<{ workplace(extension: string): WorkplaceRecord | undefined }>;
  };
  /** Where park, retrieve and recall are published (the event bus). */
  publish(e: DomainEvent): void;
  clock: Clock;
  log: Logger;
  prompts?: PromptSet;
}

/** Why a park request cannot be served, as the SIP status its REFER or INVITE gets. */
type Refusal = { status: number; reason: string };

/**
 * Call park (docs/feature-codes.md, "Call park"): a call leaves its phone for a park location of the tenant, where
 * the caller hears music until a phone of the tenant retrieves it with `*88` + location. Nobody retrieving it
 * within the recall time rings the parker again by its ring plan, so its no-answer forward or voicemail takes the
 * call when it does not answer; with no such rule the call returns to its location and is recalled again.
 * Locations and their calls live in memory (a restart ends every call anyway). Every lookup is per tenant.
 */
export class ParkService {
  readonly #o: ParkServiceOptions;
  readonly #lot = new ParkLot();
  readonly #prompts: PromptSet;
  readonly #timers = new Map<ParkedCall, TimerHandle>();
  readonly #held = new Map<ParkedCall, QueuedCall>();
  #engine: ParkEngineSeams | undefined;

  constructor(o: ParkServiceOptions) {
    this.#o = o;
    this.#prompts = o.prompts ?? new PromptSet();
  }

  attach(engine: ParkEngineSeams): void {
    this.#engine = engine;
    for (const c of PARK_CODES) {
      engine.features.register({
        code: c.code,
        takesArgument: c.takesArgument,
        ...(c.argumentOptional ? { argumentOptional: true } : {}),
        id: c.id,
        description: c.description,
      });
    }
    engine.onReferFeature(PARK_ID, (r) => this.#parkByRefer(r));
    engine.onFeature(PARK_ID, (inv) => this.#parkByCode(inv));
    engine.onFeature(RETRIEVE_ID, (inv) => this.#retrieve(inv));
  }

  /** Whether `number` is one of the tenant's park locations (a BLF key may watch it). */
  async isLocation(tenantId: string, number: string): Promise<boolean> {
    const s = await this.#o.settings(tenantId);
    return locationsOf(s.first, s.last).includes(number);
  }

  /** The call waiting at a location, if any. */
  parkedAt(tenantId: string, location: string): ParkedCall | undefined {
    return this.#lot.at(tenantId, location);
  }

  /** Calls parked now (for the leak checks). */
  count(): number {
    return this.#lot.count();
  }

  /** Stops every recall timer (shutdown; the engine hangs up the calls). */
  stop(): void {
    for (const t of this.#timers.values()) this.#o.clock.clearTimeout(t);
    this.#timers.clear();
  }

  /** Which location a park request gets: the one asked for when it is free, else the lowest free one. */
  async #location(tenantId: string, asked: string | undefined): Promise<string | Refusal> {
    const s = await this.#o.settings(tenantId);
    const range = locationsOf(s.first, s.last);
    if (asked !== undefined && asked !== '') {
      if (!range.includes(asked)) return { status: 404, reason: 'No Such Park Location' };
      if (this.#lot.at(tenantId, asked)) return { status: 486, reason: 'Park Location Occupied' };
      return asked;
    }
    return this.#lot.free(tenantId, range) ?? { status: 486, reason: 'All Park Locations Occupied' };
  }

  /** Blind REFER to `*68`: the transferee waits at a location; the phone learns it from the final NOTIFY. */
  async #parkByRefer(r: ReferToFeature): Promise<void> {
    const location = await this.#location(r.tenant.id, r.argument);
    if (typeof location !== 'string') return r.refuse(location.status, location.reason);
    const held = r.take(locationParty(location), `Parked at ${location}`);
    if (!held) return;
    this.#park(held, r.tenant, location, withoutDevice(r.transferor), 'refer', r.log);
  }

  /**
   * `*68` dialled from another line while a call is on hold: the held call waits at a location, and the dialling
   * phone hears the location spoken (then we hang up).
   */
  async #parkByCode(inv: FeatureInvocation): Promise<void> {
    const engine = this.#seams();
    const location = await this.#location(inv.tenant.id, inv.argument);
    if (typeof location !== 'string')
      return inv.incoming.reject(location.status, { reason: location.reason });
    const held = engine.takeHeld(inv, locationParty(location));
    if (!held) return inv.incoming.reject(480, { reason: 'No Held Call To Park' });
    this.#park(held, inv.tenant, location, withoutDevice(inv.caller), 'code', inv.log);
    const lang = await this.#language(inv.tenant.id, inv.caller.workplace);
    const ack = await engine.answerQueued(inv.incoming, {
      tenant: inv.tenant,
      caller: inv.caller,
      service: { number: inv.code, name: 'Park' },
      log: inv.log,
    });
    if (!ack) return;
    ack.play(this.#prompts.say(lang, 'park-parked-at', this.#prompts.digits(lang, location)), {
      onEnded: () => void ack.hangup(),
    });
  }

  #park(
    held: QueuedCall,
    tenant: TenantRecord,
    location: string,
    parker: Party,
    via: 'refer' | 'code',
    log: Logger,
  ): void {
    const o = this.#o;
    const p = new ParkedCall({
      tenantId: tenant.id,
      location,
      callId: held.id,
      parked: held.caller,
      parker,
      since: o.clock.now(),
    });
    this.#lot.put(p);
    this.#held.set(p, held);
    held.play(musicOnHold(), { loop: true });
    held.onEnded(() => {
      if (p.tryTo('abandoned')) this.#free(p, 'hung-up');
      this.#held.delete(p);
    });
    log.info({ event: 'park.parked', location, via, parker: parker.number }, 'call parked');
    o.publish({ type: 'park.parked', via, ...this.#base(p) });
    this.#armRecall(p, tenant, log);
  }

  async #armRecall(p: ParkedCall, tenant: TenantRecord, log: Logger): Promise<void> {
    const s = await this.#o.settings(tenant.id);
    if (!p.is('parked')) return;
    this.#timers.set(
      p,
      this.#o.clock.setTimeout(() => void this.#recall(p, tenant, log), s.recallSeconds * 1000),
    );
  }

  /** The recall: the parker's ring plan rings it; its no-answer rule applies when it does not answer. */
  async #recall(p: ParkedCall, tenant: TenantRecord, log: Logger): Promise<void> {
    this.#timers.delete(p);
    const held = this.#held.get(p);
    if (!held || !p.tryTo('recalling')) return;
    log.info({ event: 'park.recall', location: p.location, parker: p.parker.number }, 'recalling parker');
    this.#o.publish({ type: 'park.recalled', outcome: 'ringing', ...this.#base(p) });
    const r = await this.#seams().ringHeld(held, p.parker, log);
    if (r.kind === 'gone') return; // retrieved meanwhile, or the caller hung up: handled there
    if (r.kind === 'answered' && p.tryTo('returned')) {
      this.#o.publish({ type: 'park.recalled', outcome: 'answered', ...this.#base(p) });
      this.#free(p, 'recalled');
      return;
    }
    if (r.kind === 'diverted' && p.tryTo('diverted')) {
      this.#o.publish({ type: 'park.recalled', outcome: 'diverted', ...this.#base(p) });
      this.#free(p, 'diverted');
      return;
    }
    if (r.kind === 'unanswered' && p.tryTo('parked')) {
      p.recalls++;
      this.#o.publish({ type: 'park.recalled', outcome: 'unanswered', ...this.#base(p) });
      void this.#armRecall(p, tenant, log);
    }
  }

  /** `*88` + location: the call waiting there is connected to the dialling phone (same tenant only). */
  async #retrieve(inv: FeatureInvocation): Promise<void> {
    const location = inv.argument ?? '';
    const p = this.#lot.at(inv.tenant.id, location);
    const held = p && this.#held.get(p);
    if (!p || !held || !p.waiting) {
      // The same answer for another tenant's location and an empty one: nothing is learnt across tenants.
      inv.log.info({ event: 'park.retrieve.empty', location }, 'nothing parked there');
      return inv.incoming.reject(404, { reason: 'Nothing Parked There' });
    }
    this.#clearTimer(p);
    const wasRecalling = p.is('recalling');
    if (!(await held.answerWith(inv.incoming, inv.caller))) {
      if (p.waiting && !wasRecalling) void this.#armRecall(p, inv.tenant, inv.log);
      return;
    }
    if (!p.tryTo('retrieved')) return;
    this.#lot.remove(p);
    inv.log.info({ event: 'park.retrieved', location, by: inv.caller.number }, 'parked call retrieved');
    this.#o.publish({
      type: 'park.retrieved',
      by: inv.caller,
      waitMs: this.#o.clock.now() - p.since,
      ...this.#base(p),
    });
  }

  #free(p: ParkedCall, reason: 'hung-up' | 'recalled' | 'diverted'): void {
    this.#clearTimer(p);
    this.#lot.remove(p);
    this.#o.publish({ type: 'park.ended', reason, ...this.#base(p) });
  }

  #clearTimer(p: ParkedCall): void {
    const t = this.#timers.get(p);
    if (t !== undefined) this.#o.clock.clearTimeout(t);
    this.#timers.delete(p);
  }

  #base(p: ParkedCall) {
    return {
      tenantId: p.tenantId,
      at: this.#o.clock.now(),
      callId: p.callId,
      location: p.location,
      parked: p.parked,
      parker: p.parker,
    };
  }

  async #language(tenantId: string, workplace: string | undefined): Promise<PromptLanguage> {
    const wp =
      workplace === undefined ? undefined : (await this.#o.directory.plan(tenantId)).workplace(workplace);
    return wp?.language === 'en' ? 'en' : 'de';
  }

  #seams(): ParkEngineSeams {
    if (!this.#engine) throw new Error('ParkService used before attach()');
    return this.#engine;
  }
}

/** The party a parked call waits for: its location. */
function locationParty(location: string): Party {
  return { number: location, name: `Park ${location}` };
}

/** The parker as a workplace: the recall rings all its devices, not only the one that parked. */
function withoutDevice(p: Party): Party {
  const { device: _device, ...rest } = p;
  return rest;
}
