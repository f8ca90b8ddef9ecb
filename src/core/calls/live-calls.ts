import type { IncomingInvite } from '../../sip/ua/index.js';
import type { Party } from '../events/types.js';
import type { Call } from './call.js';
import { pullSource } from './control-scope.js';
import type { Leg } from './leg.js';
import { dialogKey, parseReplaces, replacesCandidates, type DialogIdentity } from './sip-helpers.js';
import type { HandOffStage } from './transfer.js';

/**
 * The calls the engine has up, and what finds one of them again: by id, by the dialog of one of its connected
 * legs (RFC 3891 Replaces), or by the workplace holding it (pull, push). Every lookup is scoped to one tenant, so
 * a phone can never name another tenant's call.
 */
export class LiveCalls {
  readonly #calls = new Set<Call>();
  /** Connected legs by dialog id, so a REFER or INVITE with Replaces can find the call it names. */
  readonly #legsByDialog = new Map<string, { call: Call; leg: Leg }>();

  add(call: Call): void {
    this.#calls.add(call);
  }

  delete(call: Call): void {
    this.#calls.delete(call);
  }

  get size(): number {
    return this.#calls.size;
  }

  all(): Call[] {
    return [...this.#calls];
  }

  inTenant(tenantId: string): Call[] {
    return [...this.#calls].filter((c) => c.tenant.id === tenantId);
  }

  byId(tenantId: string, callId: string): Call | undefined {
    for (const c of this.#calls) if (c.id === callId && c.tenant.id === tenantId) return c;
    return undefined;
  }

  /** The index of connected legs the calls keep up to date (Call's `dialogs` hooks). */
  readonly dialogs = {
    add: (leg: Leg, call: Call): void => void this.#legsByDialog.set(dialogKey(leg.dialog.id), { call, leg }),
    remove: (leg: Leg): void => void this.#legsByDialog.delete(dialogKey(leg.dialog.id)),
    find: (id: DialogIdentity): { call: Call; leg: Leg } | undefined => this.#legsByDialog.get(dialogKey(id)),
  };

  /**
   * INVITE with Replaces (RFC 3891): the new caller takes the place of the leg the header names, in that call;
   * the replaced phone gets BYE. Only legs of the caller's own tenant can be named; anything else is 481, so the
   * answer reveals nothing about other tenants' calls.
   */
  async replace(incoming: IncomingInvite, tenantId: string, caller: Party, header: string): Promise<void> {
    const id = parseReplaces(header);
    // RFC 3891 section 3: to-tag is compared with our local tag, from-tag with the remote one; phones that build
    // the header from dialog-info (BLF) differ in orientation, so the swapped form is accepted too.
    const found = id
      ? replacesCandidates(id)
          .map((c) => this.dialogs.find(c))
          .find((f) => f !== undefined)
      : undefined;
    if (id && !found) {
      // A ringing call's branch (a BLF key picking up): its early dialog is ours as UAC, so section 3 lets us
      // replace it — the caller is answered, every branch cancelled. Same tenant only.
      const ringing = this.inTenant(tenantId).find((c) => c.ringingBranchNamed(id));
      if (ringing) {
        await ringing.takeRinging(incoming, caller, 'replaces');
        return;
      }
    }
    if (!id || !found || found.call.tenant.id !== tenantId) {
      incoming.reject(481, { reason: 'Replaced Dialog Not Found' });
      return;
    }
    // Section 3: early-only names a dialog that must still be early; this one is confirmed.
    if (id.earlyOnly) {
      incoming.reject(486, { reason: 'Dialog Already Answered' });
      return;
    }
    await found.call.replaceLeg(found.leg, incoming, caller);
  }

  /** Directed or group pickup of ringing call `callId`: 480 when it no longer rings or is not this tenant's. */
  async pickUp(
    incoming: IncomingInvite,
    tenantId: string,
    picker: Party,
    callId: string,
    kind: 'directed' | 'group',
  ): Promise<void> {
    const call = this.byId(tenantId, callId);
    if (!call || call.state !== 'ringing') {
      incoming.reject(480, { reason: 'Call No Longer Ringing' });
      return;
    }
    await call.takeRinging(incoming, picker, kind);
  }

  /** Call pull: the workplace's newest call on another of its devices moves to `device`; 480 when there is none. */
  async pull(
    incoming: IncomingInvite,
    tenantId: string,
    puller: Party,
    workplace: string,
    device: string,
  ): Promise<void> {
    const best = pullSource(this.inTenant(tenantId), workplace, device);
    if (!best) {
      incoming.reject(480, { reason: 'No Call To Pull' });
      return;
    }
    await best.call.replaceLeg(best.leg, incoming, puller, 'pull');
  }

  /**
   * Call push: the newest call `workplace` holds goes through `steps` (offered elsewhere, then back), its held leg
   * released. False when the workplace holds no call of this tenant.
   */
  push(tenantId: string, workplace: string, stages: HandOffStage[]): boolean {
    let best: { call: Call; leg: Leg } | undefined;
    for (const call of this.inTenant(tenantId)) {
      const leg = call.heldLegOf(workplace);
      if (leg && (!best || (call.answeredAt ?? 0) >= (best.call.answeredAt ?? 0))) best = { call, leg };
    }
    return best ? best.call.push(best.leg, stages) : false;
  }
}
