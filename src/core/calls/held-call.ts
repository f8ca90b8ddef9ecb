import { randomBytes } from 'node:crypto';
import type { AudioSource, MediaBridge, MediaEndpoint, MediaEngine, MediaPlayer } from '../../media/index.js';
import type { ServerTransaction } from '../../sip/transaction/types.js';
import type { Dialog, IncomingInvite, UserAgentCore } from '../../sip/ua/index.js';
import type { TenantRecord } from '../../store/types.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import { StateMachine, type TransitionTable } from '../../util/state-machine.js';
import type { EventBus } from '../events/event-bus.js';
import type { CallEndReason, Party } from '../events/types.js';
import { answerOffer, applyAnswer, mediaOf } from './leg-media.js';
import { offerToAgents, type Offer, type OfferAnswer } from './queue-offer.js';
import { okFor, responseFor, sdpBody } from './sip-helpers.js';
import type { Target } from './targets.js';
export type { Offer, OfferOutcome, OfferResult } from './queue-offer.js';

/**
 * A call the server answers itself (a queue caller, later park): the caller's INVITE gets our SDP answer from a
 * media endpoint, the server plays audio into it (music, announcements, tones), and can offer the call to one
 * workplace's devices at a time. When a device answers, the two are bridged as an ordinary two-party call: BYE from
 * either side ends it. Services (the call center) drive it; what to play and whom to offer is theirs.
 *
 * Events: the held call itself is `call.offered` (callee = the service party, e.g. the group) when answered and
 * `call.ended` at the very end (callee = the agent once connected). Each offer to a workplace is a call of its own
 * on the bus (`<id>.<n>`): `call.ringing` per device, then `call.answered` and, when the conversation ends,
 * `call.ended` with the agent's workplace as callee — or `call.ended` with the failure reason when nobody answered.
 * So presence shows the ringing agent and history records the attempt.
 */

export interface HeldCallDeps {
  ua: UserAgentCore;
  media: MediaEngine;
  bus: EventBus;
  clock: Clock;
  log: Logger;
  /** No RTP from a connected side for this long ends the call (0: never). Not applied while only held. */
  mediaTimeoutMs?: number;
}

export type HeldCallState = 'held' | 'offering' | 'connected' | 'ended';

export const HELD_CALL_TRANSITIONS: TransitionTable<HeldCallState> = {
  held: ['offering', 'ended'],
  offering: ['held', 'connected', 'ended'],
  connected: ['ended'],
};

export class HeldCall {
  readonly id: string;
  readonly tenant: TenantRecord;
  readonly caller: Party;
  readonly service: Party;
  readonly #d: HeldCallDeps;
  readonly #log: Logger;
  readonly #dialog: Dialog;
  readonly #ep: MediaEndpoint;
  readonly #m = new StateMachine<HeldCallState>('HeldCall', HELD_CALL_TRANSITIONS, 'held');
  #player: MediaPlayer | undefined;
  #offers = 0;
  #agent: { party: Party; dialog: Dialog; ep: MediaEndpoint; subId: string; answeredAt: number } | undefined;
  #bridge: MediaBridge | undefined;
  #onEnd: Array<(reason: CallEndReason) => void> = [];
  /** Set while an offer rings, to end it when the caller goes. */
  #abortOffer: (() => void) | undefined;

  private constructor(x: {
    deps: HeldCallDeps;
    tenant: TenantRecord;
    caller: Party;
    service: Party;
    dialog: Dialog;
    ep: MediaEndpoint;
    id: string;
  }) {
    this.id = x.id;
    this.tenant = x.tenant;
    this.caller = x.caller;
    this.service = x.service;
    this.#d = x.deps;
    this.#log = x.deps.log.child({ tenant: x.tenant.id, call: x.id });
    this.#dialog = x.dialog;
    this.#ep = x.ep;
  }

  /**
   * Answers `incoming` with our own media (200 OK with an SDP answer). Resolves undefined when that failed (no
   * usable offer: 488 sent; the caller cancelled or never ACKed) — then nothing is left allocated.
   */
  static async answer(
    deps: HeldCallDeps,
    x: { tenant: TenantRecord; caller: Party; service: Party; incoming: IncomingInvite },
  ): Promise<HeldCall | undefined> {
    const offer = x.incoming.request.body.toString('utf8');
    if (!offer || !mediaOf(offer)) {
      // A late offer (INVITE without SDP) is not supported, as in call.ts.
      x.incoming.reject(488, { reason: 'SDP Offer Required' });
      return undefined;
    }
    const id = randomBytes(8).toString('hex');
    let ep: MediaEndpoint;
    try {
      ep = await deps.media.allocate(`${id}:held`);
    } catch {
      x.incoming.reject(503, { reason: 'No Media Ports' });
      return undefined;
    }
    const ans = answerOffer(offer, ep);
    if (!ans) {
      ep.close();
      x.incoming.reject(488);
      return undefined;
    }
    // A queue caller may well stay silent for minutes while listening: no media timeout while only held.
    ep.setInactivityTimeout(0);
    let dialog: Dialog;
    try {
      dialog = await x.incoming.accept(sdpBody(ans.sdp));
    } catch {
      ep.close();
      return undefined;
    }
    const call = new HeldCall({
      deps,
      tenant: x.tenant,
      caller: x.caller,
      service: x.service,
      dialog,
      ep,
      id,
    });
    deps.bus.emit({
      type: 'call.offered',
      tenantId: x.tenant.id,
      callId: id,
      at: deps.clock.now(),
      caller: x.caller,
      callee: x.service,
    });
    call.#wireCaller();
    if (dialog.state === 'terminated') call.#end('cancelled');
    return call;
  }

  get state(): HeldCallState {
    return this.#m.state;
  }

  /** The connected agent, once an offer was answered. */
  get agent(): Party | undefined {
    return this.#agent?.party;
  }

  /** Called once when the call ends, whatever the cause. */
  onEnded(cb: (reason: CallEndReason) => void): void {
    if (this.#m.is('ended')) cb('completed');
    else this.#onEnd.push(cb);
  }

  /** Plays into the caller (replacing whatever played); ignored once connected or ended. */
  play(source: AudioSource, o: { loop?: boolean; onEnded?: () => void } = {}): void {
    if (this.#m.is('connected', 'ended')) return;
    this.#player?.stop();
    const p = this.#d.media.play(this.#ep, source, o.loop !== undefined ? { loop: o.loop } : {});
    this.#player = p;
    if (o.onEnded) {
      const cb = o.onEnded;
      p.onEnded(() => {
        if (this.#player === p) this.#player = undefined;
        cb();
      });
    }
  }

  stopAudio(): void {
    this.#player?.stop();
    this.#player = undefined;
  }

  /**
   * Rings every workplace in `ring` (each with its registered devices as targets; several workplaces only for
   * simultaneous distribution) with our own offer for at most `timeoutMs` (queue-offer.ts). The first device to
   * answer is bridged to the caller. One offer at a time.
   */
  offer(ring: ReadonlyArray<{ agent: Party; targets: readonly Target[] }>, timeoutMs: number): Offer {
    if (!this.#m.is('held')) throw new Error(`offer() while ${this.#m.state}`);
    if (ring.every((r) => r.targets.length === 0))
      return offerToAgents(this.#d, this.#offerCall(), ring, timeoutMs, () => false);
    this.#m.to('offering');
    const offer = offerToAgents(this.#d, this.#offerCall(), ring, timeoutMs, (a) => this.#connect(a));
    this.#abortOffer = offer.abort;
    void offer.result.then(() => {
      this.#abortOffer = undefined;
      if (this.#m.is('offering')) this.#m.to('held');
    });
    return offer;
  }

  #offerCall(): { id: string; tenant: TenantRecord; caller: Party; nextSubId(): string } {
    return {
      id: this.id,
      tenant: this.tenant,
      caller: this.caller,
      nextSubId: () => `${this.id}.${++this.#offers}`,
    };
  }

  /** The device that answered an offer is bridged to the caller; false when the caller is gone meanwhile. */
  #connect(a: OfferAnswer): boolean {
    if (!this.#m.is('offering')) return false;
    const d = this.#d;
    applyAnswer(a.ep, a.answer);
    this.stopAudio();
    this.#bridge = d.media.bridge(this.#ep, a.ep);
    this.#ep.setInactivityTimeout(d.mediaTimeoutMs ?? 60_000);
    const party: Party = { ...a.agent, ...(a.device ? { device: a.device } : {}) };
    this.#agent = { party, dialog: a.dialog, ep: a.ep, subId: a.subId, answeredAt: d.clock.now() };
    this.#m.to('connected');
    d.bus.emit({
      type: 'call.answered',
      tenantId: this.tenant.id,
      callId: a.subId,
      partOf: this.id,
      at: d.clock.now(),
      caller: this.caller,
      callee: a.agent,
      ...(a.device ? { device: a.device } : {}),
    });
    this.#log.info(
      { event: 'held.connected', agent: a.agent.number, device: a.device },
      'queue call connected',
    );
    this.#wireDialog(a.dialog, a.ep, false);
    return true;
  }

  /** The caller's dialog: BYE ends; a re-INVITE is answered from our endpoint (hold is the caller's business). */
  #wireCaller(): void {
    this.#wireDialog(this.#dialog, this.#ep, true);
  }

  #wireDialog(dialog: Dialog, ep: MediaEndpoint, isCaller: boolean): void {
    dialog.onTerminated(() => {
      if (this.#m.is('ended')) return;
      if (isCaller) {
        this.#abortOffer?.();
        if (this.#agent) void this.#agent.dialog.bye();
      } else {
        void this.#dialog.bye();
      }
      this.#end(this.#agent ? 'completed' : 'cancelled');
    });
    dialog.onRequest((tx) => {
      const m = tx.request.method;
      if (m === 'BYE') tx.respond(okFor(tx.request));
      else if (m === 'INVITE') this.#onReinvite(tx, ep);
      else tx.respond(responseFor(tx.request, 501));
    });
    ep.onInactive(() => {
      if (!this.#m.is('connected')) return;
      this.#log.info({ event: 'held.media-timeout', caller: isCaller }, 'no RTP, ending call');
      void this.hangup();
    });
  }

  #onReinvite(tx: ServerTransaction, ep: MediaEndpoint): void {
    const offer = tx.request.body.toString('utf8');
    const ans = offer ? answerOffer(offer, ep) : undefined;
    tx.respond(ans ? responseFor(tx.request, 200, sdpBody(ans.sdp)) : responseFor(tx.request, 488));
  }

  /** Ends the call from our side: BYE to the caller (and the agent if connected). */
  async hangup(): Promise<void> {
    if (this.#m.is('ended')) return;
    this.#abortOffer?.();
    const agent = this.#agent;
    this.#end(agent ? 'completed' : 'failed');
    await Promise.all([this.#dialog.bye(), agent?.dialog.bye()]);
  }

  #end(reason: CallEndReason): void {
    if (this.#m.is('ended')) return;
    this.#m.to('ended');
    const d = this.#d;
    this.stopAudio();
    this.#bridge?.close();
    this.#ep.close();
    const agent = this.#agent;
    agent?.ep.close();
    const at = d.clock.now();
    if (agent) {
      d.bus.emit({
        type: 'call.ended',
        tenantId: this.tenant.id,
        callId: agent.subId,
        partOf: this.id,
        at,
        caller: this.caller,
        callee: agent.party,
        reason: 'completed',
        answeredAt: agent.answeredAt,
      });
    }
    d.bus.emit({
      type: 'call.ended',
      tenantId: this.tenant.id,
      callId: this.id,
      at,
      caller: this.caller,
      callee: agent?.party ?? this.service,
      reason: agent ? 'completed' : reason,
      ...(agent ? { answeredAt: agent.answeredAt } : {}),
    });
    this.#log.info({ event: 'held.ended', reason, agent: agent?.party.number }, 'held call ended');
    for (const cb of this.#onEnd.splice(0)) cb(agent ? 'completed' : reason);
  }
}
