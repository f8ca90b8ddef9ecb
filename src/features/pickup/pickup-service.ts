import type { FeatureInvocation } from '../../core/calls/service-handlers.js';
import type { EventBus, Unsubscribe } from '../../core/events/event-bus.js';
import type { FeatureCodeRegistry } from '../../core/routing/index.js';
import type { PickupSettingsRecord } from '../../store/types.js';
import { RingingCalls } from './ringing-calls.js';

/** The feature codes of call pickup (BroadWorks' defaults; docs/feature-codes.md). */
export const PICKUP_CODES = { directed: '*97', group: '*98', pull: '*11' } as const;

/** What pickup needs of the call engine (CallEngine implements it). */
export interface PickupEngine {
  readonly features: FeatureCodeRegistry;
  onFeature(id: string, handler: (inv: FeatureInvocation) => Promise<void>): void;
  /** Takes ringing call `callId` of the picker's tenant; answers the picker's INVITE (480 if it no longer rings). */
  pickUp(inv: FeatureInvocation, callId: string, kind: 'directed' | 'group'): Promise<void>;
  /** Moves the dialling workplace's own answered call to the dialling device (480 if there is none). */
  pull(inv: FeatureInvocation): Promise<void>;
}

export interface PickupServiceOptions {
  engine: PickupEngine;
  bus: EventBus;
  /** The tenant's pickup groups and order (the store's `pickup.settings`). */
  settings(tenantId: string): Promise<PickupSettingsRecord>;
  /** Is `extension` a workplace of the tenant? (Directed pickup names one.) */
  isWorkplace(tenantId: string, extension: string): Promise<boolean>;
}

/**
 * Directed pickup (`*97` + extension), group pickup (`*98`) and call pull (`*11`). The choice of call is made
 * here over RingingCalls (fed by the bus); the SIP work is the engine's. Every failure is a clear final response
 * to the picker and leaves every call as it was: 484 no extension, 404 no such workplace in the tenant, 403 not
 * in a pickup group, 480 nothing ringing / nothing to pull.
 */
export class PickupService {
  readonly ringing = new RingingCalls();
  readonly #o: PickupServiceOptions;
  readonly #off: Unsubscribe[];

  constructor(o: PickupServiceOptions) {
    this.#o = o;
    const feed = (e: Parameters<RingingCalls['apply']>[0]) => this.ringing.apply(e);
    this.#off = [
      o.bus.on('call.ringing', feed),
      o.bus.on('call.answered', feed),
      o.bus.on('call.picked-up', feed),
      o.bus.on('call.ended', feed),
    ];
    const { engine } = o;
    engine.features.register({
      code: PICKUP_CODES.directed,
      takesArgument: true,
      id: 'pickup.directed',
      description: 'Directed call pickup: takes the call ringing at the extension dialled after the code',
    });
    engine.features.register({
      code: PICKUP_CODES.group,
      takesArgument: false,
      id: 'pickup.group',
      description: "Group call pickup: takes a call ringing at another member of the caller's pickup group",
    });
    engine.features.register({
      code: PICKUP_CODES.pull,
      takesArgument: false,
      id: 'pickup.pull',
      description: "Call pull: moves the workplace's own call from another of its devices to this one",
    });
    engine.onFeature('pickup.directed', (inv) => this.#guard(inv, () => this.#directed(inv)));
    engine.onFeature('pickup.group', (inv) => this.#guard(inv, () => this.#group(inv)));
    engine.onFeature('pickup.pull', (inv) => this.#guard(inv, () => engine.pull(inv)));
  }

  /** A failure inside (the store unreachable, say) still answers the INVITE; reject() after an answer is a no-op. */
  async #guard(inv: FeatureInvocation, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      inv.log.error({ event: 'pickup.error', code: inv.code, err: String(err) }, 'pickup failed');
      inv.incoming.reject(500, { reason: 'Pickup Failed' });
    }
  }

  stop(): void {
    for (const off of this.#off.splice(0)) off();
  }

  async #directed(inv: FeatureInvocation): Promise<void> {
    const target = inv.argument ?? '';
    const tenantId = inv.tenant.id;
    if (target === '') {
      inv.incoming.reject(484, { reason: 'Extension Missing After *97' });
      return;
    }
    // Only the picker's own tenant is looked at: another tenant's extension is simply not found here.
    if (!(await this.#o.isWorkplace(tenantId, target))) {
      inv.incoming.reject(404, { reason: 'Extension Not Found' });
      return;
    }
    const { order } = await this.#o.settings(tenantId);
    const call = this.ringing.chooseDirected(tenantId, target, order);
    if (!call) {
      inv.log.info({ event: 'pickup.none', kind: 'directed', target }, 'nothing rings there');
      inv.incoming.reject(480, { reason: 'Nothing Ringing' });
      return;
    }
    await this.#o.engine.pickUp(inv, call.callId, 'directed');
  }

  /**
   * The call a group pickup by `workplace` takes (as `*98` chooses it), for third-party call control; undefined
   * when the workplace is in no pickup group or nothing rings there.
   */
  async groupCall(tenantId: string, workplace: string): Promise<string | undefined> {
    const settings = await this.#o.settings(tenantId);
    const group = settings.groups.find((g) => g.members.includes(workplace));
    return group && this.ringing.chooseGroup(tenantId, group.members, workplace, settings.order)?.callId;
  }

  async #group(inv: FeatureInvocation): Promise<void> {
    const tenantId = inv.tenant.id;
    const own = inv.device.workplaceExtension;
    const settings = await this.#o.settings(tenantId);
    const group = settings.groups.find((g) => g.members.includes(own));
    if (!group) {
      inv.incoming.reject(403, { reason: 'Not In A Pickup Group' });
      return;
    }
    const call = this.ringing.chooseGroup(tenantId, group.members, own, settings.order);
    if (!call) {
      inv.log.info({ event: 'pickup.none', kind: 'group', group: group.name }, 'nothing rings in the group');
      inv.incoming.reject(480, { reason: 'Nothing Ringing In Pickup Group' });
      return;
    }
    await this.#o.engine.pickUp(inv, call.callId, 'group');
  }
}
