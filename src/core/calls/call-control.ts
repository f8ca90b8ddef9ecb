import type { SdpFormat } from '../../media/index.js';
import type { TenantRecord } from '../../store/types.js';
import type { TenantPlan } from '../directory/directory.js';
import type { Party } from '../events/types.js';
import type { Call } from './call.js';
import type { Actor, CallControl, CallView, ControlResult } from './call-control-types.js';
import type { ControlledCall } from './controlled-call.js';
import type { EngineDeps } from './engine-deps.js';
import { Leg } from './leg.js';
import { answerOffer, carriableTo, mediaOf, negotiatedFormats } from './leg-media.js';
import { clickToDial, ringDevice, type AnsweredLegCallFactory, type DeviceLeg } from './originate.js';
import { reoffer } from './renegotiate.js';
import { answerRinging, takeOver } from './takeover.js';
import type { RingPlan, TerminatingRequest } from './ring-plan.js';
import type { Target } from './targets.js';
import { ringOnce } from './terminating.js';
import {
  actorContext,
  destination,
  fail,
  involves,
  pullSource,
  viewOf,
  type CallMeta,
  type Failure,
} from './control-scope.js';
export { pullSource, type CallMeta } from './control-scope.js';

/** What third-party call control needs of the CallEngine. */
export interface ControlHost {
  readonly deps: EngineDeps;
  /** The live calls of a tenant, oldest first. */
  calls(tenantId: string): Call[];
  meta(call: Call): CallMeta;
  /** Starts a Call on a leg the PBX set up (click-to-dial), with its view data. */
  create(meta: Omit<CallMeta, 'since'>): AnsweredLegCallFactory;
  devicesOf(plan: TenantPlan, tenantId: string, extension: string): Target[];
  /** A workplace's ring plan, as a call dialled on a phone gets it (its terminating services apply). */
  ringPlan(req: TerminatingRequest): Promise<RingPlan>;
}

/** May `workplace` place calls as executive `executive`? (the executive service answers; composition root). */
export type CallAsPolicy = (tenantId: string, workplace: string, executive: string) => Promise<boolean>;
/** The ringing call a group pickup by `workplace` takes; undefined when none (the pickup feature chooses). */
export type GroupPickupChoice = (tenantId: string, workplace: string) => Promise<string | undefined>;

const DTMF_DIGITS = /^[0-9*#A-D]+$/i;

const ok = <T>(value: T): ControlResult<T> => ({ ok: true, value });
const done = ok(undefined);

/**
 * Third-party call control (docs/call-control.md): the operations the HTTP API offers a workplace on its calls
 * (ControlOperations below), each logged with its outcome (tenant, workplace, call id; never SIP secrets).
 */
export class ThirdPartyControl implements CallControl {
  readonly #host: ControlHost;
  readonly #ops: ControlOperations;

  constructor(host: ControlHost) {
    this.#host = host;
    this.#ops = new ControlOperations(host);
  }

  /** Without a policy nobody may call as anyone else. */
  setCallAsPolicy(p: CallAsPolicy): void {
    this.#ops.callAs = p;
  }

  /** Without it a group pickup (no call id) is 'not-allowed'. */
  setGroupPickup(choose: GroupPickupChoice): void {
    this.#ops.groupPickup = choose;
  }

  callsOf(a: Actor): CallView[] {
    return this.#host
      .calls(a.tenantId)
      .filter((c) => involves(c, a.workplace))
      .map((c) => viewOf(c, a.workplace, this.#host.meta(c)));
  }

  dial(a: Actor, o: { device: string; to: string; as?: string }): Promise<ControlResult<{ callId: string }>> {
    return this.#logged(a, 'dial', undefined, this.#ops.dial(a, o), { device: o.device, to: o.to, as: o.as });
  }
  answer(a: Actor, callId: string, o: { device: string }): Promise<ControlResult> {
    return this.#logged(a, 'answer', callId, this.#ops.answer(a, callId, o), { device: o.device });
  }
  hangup(a: Actor, callId: string): Promise<ControlResult> {
    return this.#logged(a, 'hangup', callId, this.#ops.hangup(a, callId));
  }
  hold(a: Actor, callId: string): Promise<ControlResult> {
    return this.#logged(a, 'hold', callId, this.#ops.hold(a, callId));
  }
  resume(a: Actor, callId: string): Promise<ControlResult> {
    return this.#logged(a, 'resume', callId, this.#ops.resume(a, callId));
  }
  blindTransfer(a: Actor, callId: string, to: string): Promise<ControlResult> {
    return this.#logged(a, 'blind-transfer', callId, this.#ops.blindTransfer(a, callId, to), { to });
  }
  consult(a: Actor, callId: string, to: string): Promise<ControlResult<{ callId: string }>> {
    return this.#logged(a, 'consult', callId, this.#ops.consult(a, callId, to), { to });
  }
  completeTransfer(a: Actor, callId: string, consultCallId: string): Promise<ControlResult> {
    const r = this.#ops.completeTransfer(a, callId, consultCallId);
    return this.#logged(a, 'complete-transfer', callId, r, { consultCallId });
  }
  dtmf(a: Actor, callId: string, digits: string): Promise<ControlResult> {
    // The digits are not logged: they may be a PIN or a card number.
    return this.#logged(a, 'dtmf', callId, this.#ops.dtmf(a, callId, digits), { count: digits.length });
  }
  pickup(a: Actor, o: { device: string; callId?: string }): Promise<ControlResult<{ callId: string }>> {
    return this.#logged(a, 'pickup', o.callId, this.#ops.pickup(a, o), { device: o.device });
  }
  pull(a: Actor, o: { device: string }): Promise<ControlResult<{ callId: string }>> {
    return this.#logged(a, 'pull', undefined, this.#ops.pull(a, o), { device: o.device });
  }

  async #logged<T>(
    a: Actor,
    op: string,
    callId: string | undefined,
    run: Promise<ControlResult<T>>,
    fields: Record<string, unknown> = {},
  ): Promise<ControlResult<T>> {
    const r = await run;
    const id =
      callId ??
      (r.ok && r.value && typeof r.value === 'object' ? (r.value as { callId?: string }).callId : undefined);
    this.#host.deps.log.info(
      {
        event: `control.${op}`,
        tenant: a.tenantId,
        workplace: a.workplace,
        ...(id !== undefined ? { callId: id } : {}),
        ...fields,
        ...(r.ok ? { ok: true } : { ok: false, error: r.error, reason: r.message }),
      },
      'call control',
    );
    return r;
  }
}

/**
 * The operations, done with the call model's own mechanisms — hold by re-INVITE with music (hold.ts), transfers
 * through Transfers (transfer.ts), pickup and pull through takeover.ts, new calls through originate.ts. Every
 * lookup is scoped to the actor's tenant and workplace: anything else is 'not-found'.
 */
class ControlOperations {
  readonly #host: ControlHost;
  callAs: CallAsPolicy | undefined;
  groupPickup: GroupPickupChoice | undefined;

  constructor(host: ControlHost) {
    this.#host = host;
  }

  async dial(
    a: Actor,
    o: { device: string; to: string; as?: string },
  ): Promise<ControlResult<{ callId: string }>> {
    const ctx = await actorContext(this.#host.deps, a, o.device);
    if ('error' in ctx) return ctx;
    const { tenant, plan, target, me } = ctx;
    let caller = me;
    let forParty: Party | undefined;
    if (o.as !== undefined && o.as !== a.workplace) {
      const exec = plan.workplace(o.as);
      if (!exec || !this.callAs || !(await this.callAs(a.tenantId, a.workplace, o.as)))
        return fail('not-allowed', `${a.workplace} may not call as ${o.as}`);
      // The callee sees the executive; the call stays this workplace's (its device, its list of calls).
      caller = { ...me, number: exec.extension, name: exec.name };
      forParty = { workplace: exec.extension, number: exec.extension, name: exec.name };
    }
    const dest = await destination(this.#host.deps, this.#host.devicesOf, {
      tenant,
      plan,
      workplace: a.workplace,
      dialled: o.to,
      admit: { source: '', callId: '' },
    });
    if ('error' in dest) return dest;
    // The callee's own ring plan (forwarding, do not disturb, an executive's filter), as for a dialled call.
    const ringPlan =
      dest.party.workplace !== undefined
        ? await this.#host.ringPlan({
            tenant,
            caller,
            callee: dest.party,
            origin: 'internal',
            diversions: [],
          })
        : ringOnce(dest.party, dest.targets);
    const device = await this.#ring(tenant, target, me, dest.party);
    if ('error' in device) {
      for (const t of dest.targets) t.release?.();
      return device;
    }
    const callId = clickToDial(this.#host.deps, this.#host.create(forParty ? { for: forParty } : {}), {
      tenant,
      caller,
      callee: dest.party,
      device,
      plan: ringPlan,
      log: this.#host.deps.log.child({ tenant: tenant.id, workplace: a.workplace }),
    });
    return ok({ callId });
  }

  async answer(a: Actor, callId: string, o: { device: string }): Promise<ControlResult> {
    const call = this.#find(a, callId);
    if (!call) return notFound(callId);
    if (call.state !== 'ringing' || call.callee.workplace !== a.workplace)
      return fail('invalid-state', 'the call is not ringing here');
    const r = await this.#takeRinging(a, call, o.device, 'answer');
    return r.ok ? done : r;
  }

  async hangup(a: Actor, callId: string): Promise<ControlResult> {
    const call = this.#find(a, callId);
    if (!call) return notFound(callId);
    const incoming = call.caller.workplace !== a.workplace;
    if (call.state === 'ringing') await call.hangup(incoming ? 'declined' : 'cancelled');
    else if (call.state === 'answered') await call.hangup('completed');
    else await call.hangup('cancelled');
    return done;
  }

  async hold(a: Actor, callId: string): Promise<ControlResult> {
    const found = this.#answered(a, callId);
    if ('error' in found) return found;
    return this.#hold(found.c, found.leg);
  }

  async resume(a: Actor, callId: string): Promise<ControlResult> {
    const found = this.#answered(a, callId);
    if ('error' in found) return found;
    const { c, leg } = found;
    if (!c.core.holds.holding(leg)) return fail('invalid-state', 'the call is not held');
    if (!(await reoffer(leg, { direction: 'sendrecv' })))
      return fail('failed', 'the phone refused to resume');
    if (!leg.active) return fail('failed', 'the call ended');
    c.core.holds.resumed(leg, c.core.other(leg), (type) => this.#report(c, type, leg.party));
    return done;
  }

  async blindTransfer(a: Actor, callId: string, to: string): Promise<ControlResult> {
    const found = this.#answered(a, callId);
    if ('error' in found) return found;
    const { c, leg } = found;
    if (c.transfers.busy) return fail('invalid-state', 'a transfer is under way');
    const plan = await this.#host.deps.directory.plan(c.core.tenant.id);
    const dest = await destination(this.#host.deps, this.#host.devicesOf, {
      tenant: c.core.tenant,
      plan,
      workplace: a.workplace,
      dialled: to,
    });
    if ('error' in dest) return dest;
    if (dest.targets.length === 0) return fail('failed', `${to} has no registered device`);
    const moved = await c.transfers.retarget(leg, dest, {
      failed: () => undefined,
      release: byeRelease,
    });
    return moved ? done : fail('failed', `${to} did not answer; the call stays`);
  }

  async consult(a: Actor, callId: string, to: string): Promise<ControlResult<{ callId: string }>> {
    const found = this.#answered(a, callId);
    if ('error' in found) return found;
    const { c, leg } = found;
    const device = leg.party.device;
    if (device === undefined) return fail('no-device', 'the call is not on a device of this workplace');
    if (!c.core.holds.holding(leg)) {
      const held = await this.#hold(c, leg);
      if (!held.ok) return held;
    }
    return this.dial(a, { device, to });
  }

  async completeTransfer(a: Actor, callId: string, consultCallId: string): Promise<ControlResult> {
    if (callId === consultCallId) return fail('invalid-state', 'two different calls are needed');
    const held = this.#answered(a, callId);
    if ('error' in held) return held;
    const consult = this.#answered(a, consultCallId);
    if ('error' in consult) return consult;
    if (held.c.transfers.busy) return fail('invalid-state', 'a transfer is under way');
    // The consultation call ends (BYE to our device), its other side moves into the held call in our place.
    const target = consult.c.call.handOver(consult.leg);
    if (!target) return fail('invalid-state', 'the consultation call is not connected');
    held.c.transfers.join(held.leg, target, byeRelease);
    return done;
  }

  async dtmf(a: Actor, callId: string, digits: string): Promise<ControlResult> {
    if (!DTMF_DIGITS.test(digits)) return fail('invalid-number', 'DTMF digits are 0-9 * # A-D');
    const found = this.#answered(a, callId);
    if ('error' in found) return found;
    const other = found.c.core.other(found.leg);
    try {
      await this.#host.deps.media.sendDtmf(other.ep, digits);
    } catch {
      return fail('failed', 'the other party negotiated no telephone-event (RFC 4733)');
    }
    return done;
  }

  async pickup(a: Actor, o: { device: string; callId?: string }): Promise<ControlResult<{ callId: string }>> {
    let callId = o.callId;
    if (callId === undefined) {
      if (!this.groupPickup) return fail('not-allowed', 'group pickup is not available');
      callId = await this.groupPickup(a.tenantId, a.workplace);
      if (callId === undefined) return fail('not-found', 'nothing rings in the pickup group');
    }
    // Directed pickup takes a call ringing anywhere in the tenant (as *97 does).
    const call = this.#host.calls(a.tenantId).find((c) => c.id === callId);
    if (!call) return notFound(callId);
    if (call.state !== 'ringing') return fail('invalid-state', 'the call no longer rings');
    const r = await this.#takeRinging(a, call, o.device, o.callId === undefined ? 'group' : 'directed');
    return r.ok ? ok({ callId: call.id }) : r;
  }

  async pull(a: Actor, o: { device: string }): Promise<ControlResult<{ callId: string }>> {
    const ctx = await actorContext(this.#host.deps, a, o.device);
    if ('error' in ctx) return ctx;
    const src = pullSource(this.#host.calls(a.tenantId), a.workplace, o.device);
    if (!src) return fail('not-found', 'no call on another device of this workplace');
    const c = src.call.control;
    const other = c.core.other(src.leg);
    const device = await this.#ring(
      ctx.tenant,
      ctx.target,
      ctx.me,
      other.party,
      negotiatedFormats(other.ep),
      src.call.id,
    );
    if ('error' in device) return device;
    if (!c.core.isAnswered() || !src.leg.active) {
      release(device);
      return fail('invalid-state', 'the call ended meanwhile');
    }
    takeOver(c.core, src.leg, newLeg(device, ctx.me, src.leg.role), 'pull');
    return ok({ callId: src.call.id });
  }

  // ---- helpers ----

  async #hold(c: ControlledCall, leg: Leg): Promise<ControlResult> {
    if (c.core.holds.holding(leg)) return fail('invalid-state', 'the call is held already');
    if (c.transfers.busy) return fail('invalid-state', 'a transfer is under way');
    // RFC 3264 section 8.4: a sendrecv stream is put on hold by offering sendonly.
    if (!(await reoffer(leg, { direction: 'sendonly' }))) return fail('failed', 'the phone refused the hold');
    if (!leg.active) return fail('failed', 'the call ended');
    c.core.holds.held(leg, c.core.other(leg), (type) => this.#report(c, type, leg.party));
    return done;
  }

  #report(c: ControlledCall, type: 'call.held' | 'call.resumed', by: Party): void {
    const d = this.#host.deps;
    d.bus.emit({ type, tenantId: c.core.tenant.id, callId: c.core.id, at: d.clock.now(), by });
  }

  /** Rings the chosen device and hands its answered leg to the ringing call (takeover.ts answerRinging). */
  async #takeRinging(
    a: Actor,
    call: Call,
    deviceName: string,
    kind: 'answer' | 'directed' | 'group',
  ): Promise<ControlResult> {
    const ctx = await actorContext(this.#host.deps, a, deviceName);
    if ('error' in ctx) return ctx;
    const r = call.control.ringing;
    const callerOffer = r.callerInvite.request.body.toString('utf8');
    if (!callerOffer) return fail('failed', 'the caller sent no SDP offer');
    // The device is offered the caller's formats first, so the relay can pass the caller's audio through.
    const ring = await this.#ring(
      ctx.tenant,
      ctx.target,
      ctx.me,
      r.caller(),
      mediaOf(callerOffer)?.codecs,
      call.id,
    );
    if ('error' in ring) return ring;
    const callerEp = r.callerEndpoint();
    if (!callerEp) {
      release(ring);
      return fail('invalid-state', 'the call no longer rings');
    }
    const ans = answerOffer(callerOffer, callerEp, { carry: carriableTo(ring.ep) });
    if (!ans) {
      release(ring);
      return fail('failed', 'the caller and the device share no codec');
    }
    await answerRinging(r, { party: ctx.me, ep: ring.ep, kind, callerSdp: ans.sdp }, () =>
      Promise.resolve(ring.dialog),
    );
    return r.core.isAnswered() ? done : fail('failed', 'the call could not be answered');
  }

  /** Rings one device of the actor with the auto-answer hints; the answered leg or 'failed'. */
  async #ring(
    tenant: TenantRecord,
    target: Target,
    me: Party,
    shown: Party,
    preferred?: readonly SdpFormat[],
    forCall?: string,
  ): Promise<DeviceLeg | Failure> {
    const bus = this.#host.deps.bus;
    const offs: Array<() => void> = [];
    try {
      const ring = await ringDevice(this.#host.deps, {
        tenant,
        label: `control.${me.workplace ?? me.number}`,
        target,
        user: me,
        shown,
        ...(preferred ? { preferred } : {}),
      });
      if (forCall !== undefined) {
        // The call the device is rung for is answered elsewhere or ends meanwhile: the device stops ringing.
        const gone = (e: { tenantId: string; callId: string }) =>
          e.tenantId === tenant.id && e.callId === forCall && ring.cancel();
        offs.push(bus.on('call.answered', gone), bus.on('call.ended', gone));
      }
      const r = await ring.result;
      if ('status' in r) return fail('failed', `the device did not answer (${r.status})`);
      return r;
    } catch {
      return fail('failed', 'the device could not be rung');
    } finally {
      for (const off of offs) off();
    }
  }

  #find(a: Actor, callId: string): Call | undefined {
    return this.#host.calls(a.tenantId).find((c) => c.id === callId && involves(c, a.workplace));
  }

  /** An answered call of the actor and the actor's leg in it. */
  #answered(a: Actor, callId: string): { c: ControlledCall; leg: Leg } | Failure {
    const call = this.#find(a, callId);
    if (!call) return notFound(callId);
    const c = call.control;
    const leg = c.legs().find((l) => l.active && l.party.workplace === a.workplace);
    if (!leg) return fail('invalid-state', 'the call is not answered');
    return { c, leg };
  }
}

function notFound(callId: string): Failure {
  return fail('not-found', `no call ${callId} here`);
}

/** A transferor whose transfer was done by control (no REFER): released with BYE at once. */
function byeRelease(leg: Leg): void {
  leg.ep.close();
  void leg.dialog.bye();
}

/** A device leg that is no longer wanted (the call it was for went away). */
function release(d: DeviceLeg): void {
  void d.dialog.bye();
  d.ep.close();
}

function newLeg(d: DeviceLeg, party: Party, role: 'caller' | 'callee'): Leg {
  return new Leg({ dialog: d.dialog, ep: d.ep, party, role });
}
