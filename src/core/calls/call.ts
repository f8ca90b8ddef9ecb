import type { MediaBridge, MediaEndpoint } from '../../media/index.js';
import type { Dialog, IncomingInvite } from '../../sip/ua/index.js';
import type { TenantRecord } from '../../store/types.js';
import { StateMachine, type TransitionTable } from '../../util/state-machine.js';
import type { Logger } from '../../util/log.js';
import type { Party } from '../events/types.js';
import type { CallCore, HangupReason, QueueCore, RingingCore } from './call-core.js';
import type { ControlledCall } from './controlled-call.js';
import type { HandOverSource } from './call-core.js';
import type { EngineDeps } from './engine-deps.js';
import type { ForkBranch } from './fork.js';
import { HoldMusic } from './hold.js';
import { Leg, type LegRegistry } from './leg.js';
import { answerForCaller, applyAnswer } from './leg-media.js';
import { type PickupKind, type PickupLeg, earlyPickupLeg, namesBranch } from './pickup.js';
import { COMPLETED_ELSEWHERE, okFor, responseFor, sdpBody } from './sip-helpers.js';
import { matchOrEnd } from './renegotiate.js';
import { acceptWithTimer, answerUpdate, watchSession } from './session-refresh.js';
import { replaceLeg, takeRinging } from './takeover.js';
import type { RingPlan, RingStep } from './ring-plan.js';
import { Ringing } from './ringing.js';
import { Transfers, type HandOffStage } from './transfer.js';

/**
 * ringing: the fork rings the callee's devices. queued: the server answered the caller with its own media (a
 * queue, queue.ts); offering: a queued call rings agents. answered: two legs bridged. ended: endpoints closed.
 */
export type CallState = 'ringing' | 'queued' | 'offering' | 'answered' | 'ended';

export const CALL_TRANSITIONS: TransitionTable<CallState> = {
  ringing: ['answered', 'ended'],
  queued: ['offering', 'ended'],
  offering: ['queued', 'answered', 'ended'],
  answered: ['ended'],
};

/**
 * One call: the caller's leg (our UAS dialog), the fork ringing the callee's devices while it is offered, and once
 * answered two connected legs whose media the relay bridges. Hold (hold.ts), blind and attended transfer
 * (transfer.ts) and takeover (takeover.ts) act on the legs; what ending each piece does is in docs/closures.md.
 */
export class Call implements HandOverSource {
  readonly id: string;
  readonly tenant: TenantRecord;
  caller: Party;
  callee: Party;
  readonly #incoming: IncomingInvite;
  readonly #o: EngineDeps;
  readonly #log: Logger;
  readonly #onEnd: () => void;
  readonly #dialogs: LegRegistry<Call>;
  readonly #m: StateMachine<CallState>;
  /** A queued call's caller leg, answered by the server before any callee is known. */
  #callerLeg: Leg | undefined;
  readonly #ending: Array<(reason: HangupReason) => void> = [];
  readonly #ended: Array<(reason: HangupReason) => void> = [];
  /** The fork phases while the call rings (ringing.ts). */
  readonly #ring: Ringing;
  /** A queued call's endpoint (the server answered the caller). */
  #callerEndpoint: MediaEndpoint | undefined;
  #answeredAt: number | undefined;
  /** The device that answered, from the moment the answer is known (the legs follow with the caller's ACK). */
  #answeredDevice: string | undefined;
  /** The two connected sides once answered: [caller side, callee side] (either may change by transfer). */
  #legs: [Leg, Leg] | undefined;
  #bridge: MediaBridge | undefined;
  readonly #holds: HoldMusic;
  readonly #transfers: Transfers;
  readonly #core: CallCore;
  readonly #ringing: RingingCore;

  constructor(x: {
    id: string;
    tenant: TenantRecord;
    caller: Party;
    callee: Party;
    incoming: IncomingInvite;
    engine: EngineDeps;
    log: Logger;
    onEnd: () => void;
    dialogs: LegRegistry<Call>;
    /** Hands the unanswered INVITE to a divert service (a ring plan's 'service' step). */
    divert?: (step: Extract<RingStep, { kind: 'service' }>, incoming: IncomingInvite) => Promise<void>;
    /** The caller's INVITE was answered by the server (queue.ts): the call starts `queued`. */
    queued?: { dialog: Dialog; ep: MediaEndpoint; bind(q: QueueCore): void };
  }) {
    this.#m = new StateMachine<CallState>('Call', CALL_TRANSITIONS, x.queued ? 'queued' : 'ringing');
    this.id = x.id;
    this.tenant = x.tenant;
    this.caller = x.caller;
    this.callee = x.callee;
    this.#incoming = x.incoming;
    this.#o = x.engine;
    this.#log = x.log.child({ call: x.id });
    this.#onEnd = x.onEnd;
    this.#dialogs = x.dialogs;
    this.#holds = new HoldMusic(x.engine.media, x.engine.mediaTimeoutMs, x.engine.clock);
    this.#core = {
      id: this.id,
      tenant: this.tenant,
      deps: this.#o,
      log: this.#log,
      holds: this.#holds,
      dialogs: this.#dialogs,
      isAnswered: () => this.#m.is('answered'),
      other: (leg) => this.#other(leg),
      bridge: (a, b) => void (this.#bridge = this.#o.media.bridge(a, b)),
      match: (fixed, leg, identity) => matchOrEnd(this.#core, fixed, leg, identity),
      swapLeg: (old, next) => this.#swapLeg(old, next),
      hangup: (reason) => this.hangup(reason),
    };
    this.#transfers = new Transfers(this.#core);
    this.#ringing = {
      core: this.#core,
      callerInvite: this.#incoming,
      callerEndpoint: () => (this.#m.is('ringing') ? this.#ring.callerEndpoint : undefined),
      caller: () => this.caller,
      callee: () => this.callee,
      answerBy: (picker) => this.#answerBy(picker),
      connect: (a, b) => this.#connect(a, b),
      fail: () => this.#end('failed'),
    };
    this.#ring = new Ringing({
      id: this.id,
      deps: this.#o,
      log: this.#log,
      domain: this.tenant.domain,
      incoming: this.#incoming,
      caller: () => this.caller,
      isRinging: () => this.#m.is('ringing'),
      ringing: (party, device) => this.#emit('call.ringing', device, party),
      ringEnded: (party, reason) =>
        this.#o.bus.emit({
          type: 'call.ring-ended',
          tenantId: this.tenant.id,
          callId: this.id,
          at: this.#o.clock.now(),
          party,
          reason,
        }),
      answer: (winner, sdp, dialog, party) => {
        this.callee = party;
        return this.#answer(winner, sdp, dialog);
      },
      finish: (status, reason, phrase) => this.#finish(status, reason, phrase),
      divert: async (step) => {
        if (!this.#m.is('ringing')) return;
        this.#log.info({ event: 'call.diverted', service: step.service, number: step.number }, 'diverted');
        this.#end('diverted');
        if (x.divert) await x.divert(step, this.#incoming);
        else this.#incoming.reject(480, { reason: 'Service Unavailable' });
      },
    });
    if (x.queued) this.#queue(x.queued);
  }

  #queue(x: { dialog: Dialog; ep: MediaEndpoint; bind(q: QueueCore): void }): void {
    this.#callerEndpoint = x.ep;
    const leg = new Leg({ dialog: x.dialog, ep: x.ep, party: this.caller, role: 'caller' });
    this.#callerLeg = leg;
    x.bind({
      core: this.#core,
      callerEp: x.ep,
      state: () => this.#m.state,
      to: (state) => this.#m.to(state),
      connect: (agent) => {
        this.#m.to('answered');
        this.#answeredAt = this.#o.clock.now();
        this.callee = agent.party;
        this.#bridge = this.#o.media.bridge(x.ep, agent.ep);
        x.ep.setInactivityTimeout(this.#o.mediaTimeoutMs);
        this.#legs = [leg, agent];
        this.#wire(agent);
        matchOrEnd(this.#core, leg, agent);
      },
      onEnding: (cb) => void this.#ending.push(cb),
      onEnded: (cb) => void this.#ended.push(cb),
    });
    this.#wire(leg);
  }

  /** A ringing call answered by a picker (or on a device third-party control chose) instead of its fork. */
  #answerBy(picker: Party): void {
    this.#m.to('answered');
    this.#ring.cancel(COMPLETED_ELSEWHERE);
    this.callee = picker;
    this.#answeredAt = this.#o.clock.now();
    this.#emit('call.answered', picker.device);
  }

  #emit(type: 'call.offered' | 'call.ringing' | 'call.answered', device?: string, callee?: Party): void {
    if (type === 'call.answered') this.#answeredDevice = device;
    const context = type === 'call.offered' ? {} : this.#ring.context;
    this.#o.bus.emit({
      type,
      tenantId: this.tenant.id,
      callId: this.id,
      at: this.#o.clock.now(),
      caller: this.caller,
      callee: callee ?? this.callee,
      ...(device ? { device } : {}),
      ...(context.for ? { for: context.for } : {}),
      ...(context.diversions?.length ? { diversions: context.diversions } : {}),
    });
  }

  /** Rings as `plan` says (ringing.ts) until a device answers, the plan gives up, or the caller cancels. */
  async start(offer: string, plan: RingPlan): Promise<void> {
    this.#emit('call.offered');
    this.#incoming.onCancel(() => void this.#finish(487, 'cancelled'));
    await this.#ring.run(offer, plan);
  }

  async #answer(winner: ForkBranch, answerSdp: string, calleeDialog: Dialog): Promise<void> {
    if (!this.#m.is('ringing')) {
      void calleeDialog.bye();
      winner.endpoint.close();
      return;
    }
    const callerEp = this.#ring.callerEndpoint!;
    const callerAnswer = answerForCaller(this.#ring.callerOffer, callerEp, winner.endpoint, answerSdp);
    if (callerAnswer === undefined) {
      this.#log.info({ event: 'call.no-common-codec' }, 'caller and callee share no codec the relay carries');
      void calleeDialog.bye();
      await this.#finish(488, 'failed', 'No Common Codec');
      return;
    }
    this.#m.to('answered');
    this.#bridge = this.#o.media.bridge(callerEp, winner.endpoint);
    this.#answeredAt = this.#o.clock.now();
    this.#emit('call.answered', winner.target.device);
    let callerDialog: Dialog;
    try {
      callerDialog = await acceptWithTimer(this.#incoming, this.#o.sessionTimer, sdpBody(callerAnswer));
    } catch {
      // The caller never ACKed our 2xx: the UA core has sent its BYE; end the callee side too.
      void calleeDialog.bye();
      this.#end('failed');
      return;
    }
    if (this.#ring.lateOffer && !applyAnswer(callerEp, this.#incoming.ack?.body.toString('utf8') ?? '')) {
      // RFC 3264 section 4: our offer in the 200 must be answered in the ACK; without an answer there is no call.
      this.#log.info({ event: 'call.no-answer-in-ack' }, 'late offer: the ACK carried no usable answer');
      void callerDialog.bye();
      void calleeDialog.bye();
      this.#end('failed');
      return;
    }
    const device = winner.target.device;
    this.#connect(
      new Leg({ dialog: callerDialog, ep: callerEp, party: this.caller, role: 'caller' }),
      new Leg({
        dialog: calleeDialog,
        ep: winner.endpoint,
        party: { ...this.callee, ...(device ? { device } : {}) },
        role: 'callee',
      }),
    );
  }

  #connect(caller: Leg, callee: Leg): void {
    this.#legs = [caller, callee];
    this.#wire(caller);
    this.#wire(callee);
  }

  #other(leg: Leg): Leg {
    const [a, b] = this.#legs!;
    return leg === a ? b : a;
  }

  #swapLeg(old: Leg, next: Leg): void {
    const other = this.#other(old);
    this.#legs = old.role === 'caller' ? [next, other] : [other, next];
    if (old.role === 'caller') this.caller = next.party;
    else this.callee = next.party;
    this.#wire(next);
    this.#dialogs.remove(old);
  }

  /** In-dialog requests from one side: BYE ends the call, re-INVITE is answered here, REFER transfers. */
  #wire(leg: Leg): void {
    this.#dialogs.add(leg, this);
    leg.dialog.onTerminated(() => {
      // A transferor hanging up after its REFER does not end the call it handed on, and a leg handed over to
      // another call (attended transfer) belongs to that call now.
      if (this.#m.is('ended') || !leg.active) return;
      // A queued caller hanging up before any agent answered: the call was never connected.
      if (!this.#legs) return this.#end('cancelled');
      void this.#other(leg).dialog.bye();
      this.#end('completed');
    });
    leg.dialog.onAck((ack) => {
      if (this.#holds.takeAnswerInAck(leg, ack)) return;
      this.#log.info({ event: 'call.no-answer-in-ack', side: leg.party.number }, 'no SDP answer in the ACK');
      void this.hangup('completed');
    });
    const session = watchSession(this.#core, leg);
    leg.dialog.onRequest((request) => {
      const tx = session.incoming(request);
      const m = tx.request.method;
      if (m === 'BYE') tx.respond(okFor(tx.request));
      else if (m === 'UPDATE') answerUpdate(tx);
      else if (m === 'INVITE' && tx.request.body.length === 0) this.#holds.offerInOk(tx, leg);
      else if (m === 'INVITE')
        this.#holds.onReinvite(tx, leg, this.#legs && this.#other(leg), (type) =>
          this.#o.bus.emit({
            type,
            tenantId: this.tenant.id,
            callId: this.id,
            at: this.#o.clock.now(),
            by: leg.party,
          }),
        );
      else if (m === 'REFER' && this.#legs) void this.#transfers.onRefer(tx, leg);
      else tx.respond(responseFor(tx.request, 501));
    });
    // Media that stops flowing for good (a phone that vanished without BYE) ends the call.
    leg.ep.onInactive(() => {
      if (!this.#m.is('answered') || !leg.active) return;
      this.#log.info({ event: 'call.media-timeout', side: leg.party.number }, 'no RTP, ending call');
      void this.hangup('completed');
    });
  }

  get state(): CallState {
    return this.#m.state;
  }

  get answeredAt(): number | undefined {
    return this.#answeredAt;
  }

  get answeredDevice(): string | undefined {
    return this.#answeredDevice;
  }

  /** Does the Replaces header name an early dialog of one of this ringing call's branches? */
  ringingBranchNamed(id: { callId: string; toTag: string; fromTag: string }): boolean {
    return this.#m.is('ringing') && this.#ring.branches.some((b) => namesBranch(b, id));
  }

  /** Third-party call control's hold on this call (call-control.ts): the cores the leg modules act on, its legs. */
  get control(): ControlledCall {
    const legs = (): readonly Leg[] => (this.#m.is('answered') && this.#legs) || [];
    return { call: this, core: this.#core, ringing: this.#ringing, transfers: this.#transfers, legs };
  }

  /** The leg of `workplace` whose phone holds this answered call (a call push's source). */
  heldLegOf(workplace: string): Leg | undefined {
    if (!this.#m.is('answered') || !this.#legs) return undefined;
    return this.#legs.find((l) => l.state === 'held' && l.party.workplace === workplace);
  }

  /** Call push (transfer.ts): the other side of `leg` rings at each stage in turn; `leg` leaves at once. */
  push(leg: Leg, stages: HandOffStage[]): boolean {
    return this.#transfers.push(leg, stages);
  }

  /**
   * The leg an INVITE with Replaces would name to take this call from `workplace`, as that workplace's device
   * sees it (RFC 4235: local = the device's side). Ringing: an early branch dialog to one of its devices (Call-ID
   * of the branch, local = the device's To tag, remote = our From tag). Answered: its connected leg.
   */
  /** The workplaces whose devices ring for this call now (a ring plan may ring several, e.g. assistants). */
  ringingWorkplaces(): string[] {
    if (!this.#m.is('ringing')) return [];
    return this.#ring.branches.flatMap((b) => {
      const w = (b.party ?? this.callee).workplace;
      return w === undefined ? [] : [w];
    });
  }

  /** The party the call rang for when its plan rang others on its behalf (an executive's assistants). */
  get ringsFor(): Party | undefined {
    return this.#ring.context.for;
  }

  pickupLegOf(workplace: string): PickupLeg | undefined {
    if (this.#m.is('ringing'))
      return earlyPickupLeg(
        this.#ring.branches.filter((b) => (b.party ?? this.callee).workplace === workplace),
      );
    if (!this.#m.is('answered') || !this.#legs) return undefined;
    const leg = this.#legs.find((l) => l.active && l.party.workplace === workplace);
    if (!leg) return undefined;
    const id = leg.dialog.id;
    return { callId: id.callId, localTag: id.remoteTag, remoteTag: id.localTag };
  }

  /** INVITE with Replaces naming `leg`, or a call pull: the new phone takes its place (takeover.ts). */
  replaceLeg(
    leg: Leg,
    incoming: IncomingInvite,
    party: Party,
    kind: 'replaces' | 'pull' = 'replaces',
  ): Promise<void> {
    return replaceLeg(this.#core, leg, incoming, party, kind);
  }

  /** Pickup of this ringing call by another phone (takeover.ts). */
  takeRinging(incoming: IncomingInvite, picker: Party, kind: Exclude<PickupKind, 'pull'>): Promise<void> {
    return takeRinging(this.#ringing, incoming, picker, kind);
  }

  /**
   * Gives up `leg` (whose dialog a transferor's Replaces named) to another call: returns the other side of this
   * call — the party the transferor consulted — and ends this call, releasing `leg` (default: BYE). A leg that
   * sent a blind REFER the server takes itself (call park) may be given up too.
   */
  handOver(leg: Leg, release: (leg: Leg) => void = (l) => void l.dialog.bye()): Leg | undefined {
    if (!this.#m.is('answered') || !this.#legs) return undefined;
    const target = this.#other(leg);
    if (!target.active || !(leg.active || leg.state === 'transferring')) return undefined;
    target.to('moved');
    this.#dialogs.remove(target);
    leg.to('replaced');
    this.#holds.stopAll();
    release(leg);
    this.#end('completed');
    return target;
  }

  /** Ends a call that was not answered: cancels branches, answers the caller (unless it cancelled). */
  async #finish(status: number, reason: HangupReason, phrase?: string): Promise<void> {
    if (!this.#m.is('ringing')) return;
    this.#ring.cancel();
    if (reason !== 'cancelled') this.#incoming.reject(status, phrase ? { reason: phrase } : {});
    this.#end(reason, status);
  }

  async hangup(reason: HangupReason): Promise<void> {
    if (this.#m.is('ringing')) return this.#finish(reason === 'declined' ? 603 : 503, reason);
    if (this.#m.is('queued', 'offering')) {
      this.#end(reason);
      return this.#callerLeg?.dialog.bye();
    }
    if (this.#m.is('answered')) {
      await Promise.all((this.#legs ?? []).map((l) => (l.gone ? undefined : l.dialog.bye())));
      this.#end('completed');
    }
  }

  #end(reason: HangupReason, status?: number): void {
    if (this.#m.is('ended')) return;
    this.#m.to('ended');
    const final = this.#answeredAt !== undefined ? 'completed' : reason;
    for (const cb of this.#ending.splice(0)) cb(final);
    this.#ring.cancel();
    this.#ring.closeEarly();
    this.#ring.releaseTargets();
    this.#transfers.stop();
    this.#holds.stopAll();
    this.#bridge?.close();
    // A leg handed over to another call (attended transfer) keeps its media endpoint.
    const legs = this.#legs ?? (this.#callerLeg ? [this.#callerLeg] : []);
    for (const l of legs) l.tryTo('ended');
    const kept = new Set(legs.filter((l) => l.state === 'moved').map((l) => l.ep));
    // The fork's winner is not a leg yet when the answer fails (no ACK, no answer in it): closed with the rest.
    const endpoints = [
      this.#callerEndpoint,
      this.#ring.callerEndpoint,
      ...this.#ring.branches.map((b) => b.endpoint),
    ];
    endpoints.push(...legs.map((l) => l.ep));
    for (const ep of endpoints) if (ep && !kept.has(ep)) ep.close();
    for (const l of legs) this.#dialogs.remove(l);
    this.#o.bus.emit({
      type: 'call.ended',
      tenantId: this.tenant.id,
      callId: this.id,
      at: this.#o.clock.now(),
      caller: this.caller,
      callee: this.callee,
      reason: final,
      ...(this.#ring.context.for ? { for: this.#ring.context.for } : {}),
      ...(this.#ring.context.diversions?.length ? { diversions: this.#ring.context.diversions } : {}),
      ...(status !== undefined ? { status } : {}),
      ...(this.#answeredAt !== undefined ? { answeredAt: this.#answeredAt } : {}),
    });
    this.#log.info({ event: 'call.ended', reason, status }, 'call ended');
    this.#onEnd();
    for (const cb of this.#ended.splice(0)) cb(final);
  }
}
