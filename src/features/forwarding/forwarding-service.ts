import { LoadOnce } from '../../util/load-once.js';
import type { ExternalRoutes } from '../../core/calls/external-routes.js';
import type { QueuedCall } from '../../core/calls/queue.js';
import type { TerminatingService } from '../../core/calls/ring-plan.js';
import type { FeatureInvocation } from '../../core/calls/service-handlers.js';
import type { Directory } from '../../core/directory/directory.js';
import type { Party } from '../../core/events/types.js';
import { FeatureCodeRegistry, resolveDialString } from '../../core/routing/index.js';
import type { FeatureKeyPart } from '../../core/subscriptions/feature-keys.js';
import { concat, silence, tone } from '../../media/audio/tone.js';
import type { AudioSource } from '../../media/index.js';
import type { IncomingInvite } from '../../sip/ua/index.js';
import {
  defaultForwarding,
  type ForwardingRecord,
  type ForwardingStore,
  type ForwardTargetRecord,
} from '../../store/forwarding-store.js';
import type { TenantRecord } from '../../store/types.js';
import type { Logger } from '../../util/log.js';
import { featureKeyDocuments, parseFeatureKeyRequests, SECONDS_PER_RING } from './feature-key-bodies.js';
import { FORWARDING_CODES, type ForwardingCode } from './feature-codes.js';
import { forwardingPlan, isActive, type DiversionHeaders } from './forwarding-plan.js';

export interface ForwardingServiceOptions {
  store: { forwarding: ForwardingStore };
  directory: Pick<Directory, 'plan'>;
  /** The tenants' trunks: an outside target is accepted only where the tenant may dial it. */
  external?: ExternalRoutes;
  log: Logger;
}

/** The engine seams the service plugs into (CallEngine implements them). */
export interface ForwardingEngineSeams {
  readonly features: FeatureCodeRegistry;
  onFeature(id: string, handler: (inv: FeatureInvocation) => Promise<void>): void;
  /** Answers a code's INVITE with the server's own media, for the confirmation tone. */
  answerQueued(
    incoming: IncomingInvite,
    x: { tenant: TenantRecord; caller: Party; service: Party; log: Logger },
  ): Promise<QueuedCall | undefined>;
}

/** Why a target cannot be set: the SIP refusal the phone shows. */
export interface TargetRefusal {
  status: number;
  reason: string;
}

const FEATURE_KEY_PART = 'forwarding';

/** Told about every change of a workplace's settings (the feature keys, later the API stream). */
export type ForwardingListener = (tenantId: string, workplace: string, s: ForwardingRecord) => void;

/**
 * Call forwarding and do not disturb: the settings per workplace (kept in memory per tenant, written through to
 * the store), the terminating service that turns them into a RingPlan for each call (forwarding-plan.ts), the
 * feature codes (feature-codes.ts) and the do-not-disturb / forwarding keys of the as-feature-event package.
 */
export class ForwardingService {
  readonly #o: ForwardingServiceOptions;
  #tenants: LoadOnce<string, Map<string, ForwardingRecord>>;
  readonly #listeners: ForwardingListener[] = [];
  readonly #live = new Set<QueuedCall>();
  #engine: ForwardingEngineSeams | undefined;

  constructor(o: ForwardingServiceOptions) {
    this.#o = o;
    this.#tenants = this.#cache();
  }

  /** The settings in force of a workplace. */
  async settings(tenantId: string, workplace: string): Promise<ForwardingRecord> {
    return (await this.#tenant(tenantId)).get(workplace) ?? defaultForwarding();
  }

  /**
   * Whether the workplace is in do not disturb, from memory (the call center asks while it picks an agent). A
   * tenant not loaded yet is loaded for the next question; until then it answers false.
   */
  isDnd(tenantId: string, workplace: string): boolean {
    const t = this.#tenants.ready(tenantId);
    if (!t) {
      void this.#tenants.get(tenantId).catch(() => undefined);
      return false;
    }
    return t.get(workplace)?.dnd ?? false;
  }

  /** Changes a workplace's settings: stored first, then in force, then told to the listeners. */
  async update(
    tenantId: string,
    workplace: string,
    change: (s: ForwardingRecord) => void,
  ): Promise<ForwardingRecord> {
    const t = await this.#tenant(tenantId);
    const next = structuredClone(t.get(workplace) ?? defaultForwarding());
    change(next);
    await this.#o.store.forwarding.set(tenantId, workplace, next);
    t.set(workplace, next);
    for (const l of this.#listeners) l(tenantId, workplace, next);
    return next;
  }

  onChange(l: ForwardingListener): void {
    this.#listeners.push(l);
  }

  /**
   * Loads every tenant that has stored settings, so the synchronous isDnd() is right from the first question
   * (a workplace provisioned with `dnd: true` takes no queue call even before any call reached the tenant).
   */
  async preload(): Promise<void> {
    await Promise.all((await this.#o.store.forwarding.tenants()).map((id) => this.#tenant(id)));
  }

  /** Reads every tenant again (after provisioning). */
  async reload(): Promise<void> {
    // A load still running for the old cache settles into it and is forgotten with it.
    this.#tenants = this.#cache();
    await this.preload();
  }

  /**
   * The terminating service ('forwarding') the engine asks for each call to a workplace; `headers` gives the
   * Diversion and History-Info of a forwarded leg (core's diversion.ts).
   */
  terminating(headers: DiversionHeaders): TerminatingService {
    return {
      name: 'forwarding',
      plan: async (req, ctx) => {
        if (req.bypass?.has('forwarding') || !req.callee.workplace) return undefined;
        const s = await this.settings(req.tenant.id, req.callee.workplace);
        return isActive(s) ? forwardingPlan(req, ctx, s, headers) : undefined;
      },
    };
  }

  /** Registers the feature codes with the call engine. */
  attach(engine: ForwardingEngineSeams): void {
    this.#engine = engine;
    for (const def of FORWARDING_CODES) {
      engine.features.register({
        code: def.code,
        takesArgument: def.takesArgument,
        id: def.id,
        description: def.description,
      });
      engine.onFeature(def.id, (inv) => this.#feature(def, inv));
    }
  }

  /**
   * Adds the do-not-disturb and forwarding keys to core's as-feature-event host; every change from any source (a
   * code, a key, provisioning in this process is not one: it reloads) is NOTIFYed to the workplace's phones.
   */
  attachFeatureKeys(keys: {
    addPart(p: FeatureKeyPart): void;
    changed(tenantId: string, workplace: string, part: string, docs: string[]): void;
  }): void {
    keys.addPart(this.featureKeyPart());
    this.onChange((t, w, s) => keys.changed(t, w, FEATURE_KEY_PART, featureKeyDocuments(s, w)));
  }

  /** The do-not-disturb and forwarding keys (as-feature-event), for core's FeatureKeys. */
  featureKeyPart(): FeatureKeyPart {
    return {
      name: FEATURE_KEY_PART,
      // Every workplace has do not disturb and forwarding.
      serves: async () => true,
      received: async (tenantId, workplace, body) => {
        for (const r of parseFeatureKeyRequests(body)) {
          if (r.kind === 'dnd') {
            await this.update(tenantId, workplace, (s) => void (s.dnd = r.on));
            continue;
          }
          const target = r.number ? await this.resolveTarget(tenantId, workplace, r.number) : undefined;
          if (target && 'status' in target) {
            this.#o.log.info(
              { event: 'forwarding.key.refused', tenant: tenantId, workplace, reason: target.reason },
              'forward target refused',
            );
            continue;
          }
          await this.update(tenantId, workplace, (s) => {
            const rule = s[r.rule];
            if (target) rule.target = target;
            rule.enabled = r.on && rule.target !== null;
            if (r.rule === 'noAnswer' && r.ringCount) s.noAnswer.seconds = r.ringCount * SECONDS_PER_RING;
          });
        }
      },
      documents: async (tenantId, workplace) =>
        featureKeyDocuments(await this.settings(tenantId, workplace), workplace),
    };
  }

  /**
   * What a dialled forward number means for `workplace`: another workplace of its tenant, or an outside number
   * the tenant may dial (through its trunk). Feature codes, the workplace itself, other tenants' extensions and
   * numbers without a trunk are refused.
   */
  async resolveTarget(
    tenantId: string,
    workplace: string,
    number: string,
  ): Promise<ForwardTargetRecord | TargetRefusal> {
    const plan = await this.#o.directory.plan(tenantId);
    const externalPrefix = await this.#o.external?.externalPrefix?.(tenantId);
    const route = resolveDialString({
      dialled: number,
      extensions: plan.extensions,
      // No feature code is a forward target.
      registry: new FeatureCodeRegistry(),
      ...(externalPrefix !== undefined ? { externalPrefix } : {}),
    });
    if (route.kind === 'workplace') {
      if (route.extension === workplace) return { status: 403, reason: 'Cannot Forward To Itself' };
      return { kind: 'extension', number: route.extension };
    }
    if (route.kind === 'external') {
      const trunk = await this.#o.external?.outbound(tenantId, workplace, route.number);
      if (!trunk) return { status: 403, reason: 'Forward Target Not Allowed' };
      return { kind: 'external', number: route.number };
    }
    return { status: 404, reason: 'Forward Target Not Found' };
  }

  /** Calls answered for a confirmation that are still up, for the leak checks. */
  count(): number {
    return this.#live.size;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#live].map((c) => c.hangup()));
  }

  #tenant(tenantId: string): Promise<Map<string, ForwardingRecord>> {
    return this.#tenants.get(tenantId);
  }

  #cache(): LoadOnce<string, Map<string, ForwardingRecord>> {
    return new LoadOnce((tenantId) => this.#o.store.forwarding.all(tenantId));
  }

  async #feature(def: ForwardingCode, inv: FeatureInvocation): Promise<void> {
    const tenantId = inv.tenant.id;
    const workplace = inv.device.workplaceExtension;
    const a = def.action;
    let target: ForwardTargetRecord | undefined;
    if ('rule' in a && a.on) {
      const r = await this.resolveTarget(tenantId, workplace, inv.argument ?? '');
      if ('status' in r) {
        inv.log.info({ event: 'forwarding.code', code: def.code, workplace, refused: r.reason }, 'refused');
        inv.incoming.reject(r.status, { reason: r.reason });
        return;
      }
      target = r;
    }
    await this.update(tenantId, workplace, (s) => {
      if ('dnd' in a) {
        s.dnd = a.dnd;
        return;
      }
      // Switching off keeps the number, as BroadWorks does (the key and the API show it greyed out).
      const rule = s[a.rule];
      rule.enabled = a.on;
      if (target) rule.target = target;
    });
    inv.log.info(
      { event: 'forwarding.code', code: def.code, workplace, target: target?.kind ?? null },
      'forwarding code',
    );
    const on = 'dnd' in a ? a.dnd : a.on;
    await this.#confirm(inv, on ? switchedOn() : switchedOff());
  }

  /** Answers the code's INVITE, plays the confirmation and hangs up. */
  async #confirm(inv: FeatureInvocation, audio: AudioSource): Promise<void> {
    if (!this.#engine) throw new Error('ForwardingService used before attach()');
    const held = await this.#engine.answerQueued(inv.incoming, {
      tenant: inv.tenant,
      caller: inv.caller,
      service: { number: inv.code },
      log: inv.log,
    });
    if (!held || held.state === 'ended') return;
    this.#live.add(held);
    held.onEnded(() => this.#live.delete(held));
    held.play(audio, { onEnded: () => void held.hangup() });
  }
}

/** Two rising beeps: "switched on". */
export function switchedOn(): AudioSource {
  return concat(
    silence(200),
    tone({ frequencies: 1000, durationMs: 150 }),
    silence(100),
    tone({ frequencies: 1400, durationMs: 150 }),
    silence(200),
  );
}

/** Two falling beeps: "switched off". */
export function switchedOff(): AudioSource {
  return concat(
    silence(200),
    tone({ frequencies: 1400, durationMs: 150 }),
    silence(100),
    tone({ frequencies: 1000, durationMs: 150 }),
    silence(200),
  );
}
