import { randomBytes } from 'node:crypto';
import type { AudioSource, MediaEndpoint, MediaPlayer, MediaRecorder } from '../../media/index.js';
import type { Dialog, IncomingInvite } from '../../sip/ua/index.js';
import type { TenantRecord } from '../../store/types.js';
import type { Logger } from '../../util/log.js';
import type { CallEndReason, Party } from '../events/types.js';
import type { Call, CallState } from './call.js';
import type { QueueCore } from './call-core.js';
import type { EngineDeps } from './engine-deps.js';
import { Leg } from './leg.js';
import { answerOffer, applyAnswer, mediaOf } from './leg-media.js';
import { offerToAgents, type Offer, type OfferAnswer } from './queue-offer.js';
import { sdpBody } from './sip-helpers.js';
import { acceptWithTimer } from './session-refresh.js';
import type { Target } from './targets.js';
export type { Offer, OfferOutcome, OfferResult } from './queue-offer.js';

/**
 * A call the server answers itself (a queue caller, later park): the caller's INVITE gets our SDP answer from a
 * media endpoint, the server plays audio into it (music, announcements, tones), and can offer the call to one
 * workplace's devices at a time. When a device answers, the two are bridged as an ordinary answered Call (BYE
 * from either side ends it; hold and transfer work as in any call). Services (the call center) drive it through
 * this handle; what to play and whom to offer is theirs.
 *
 * It is the same Call as any other, started in state `queued` (call.ts). Events: the queued call itself is
 * `call.offered` (callee = the service party, e.g. the group) when answered and `call.ended` at the very end
 * (callee = the agent once connected). Each offer to a workplace is a call of its own on the bus (`<id>.<n>`,
 * queue-offer.ts): `call.ringing` per device, then `call.answered` and, when the conversation ends, `call.ended`
 * with the agent's workplace as callee — or `call.ended` with the failure reason when nobody answered.
 */
export class QueuedCall {
  readonly id: string;
  readonly tenant: TenantRecord;
  readonly caller: Party;
  readonly service: Party;
  readonly #q: QueueCore;
  readonly #log: Logger;
  #player: MediaPlayer | undefined;
  #offers = 0;
  #abortOffer: (() => void) | undefined;
  /** Settles once the ringing offer's result is in and the state is back to `queued`. */
  #offerDone: Promise<void> = Promise.resolve();
  #agent: { party: Party; subId: string; answeredAt: number } | undefined;
  /** The phone that took the call with its own INVITE (answerWith): the call itself is its conversation. */
  #taker: Party | undefined;

  constructor(
    q: QueueCore,
    x: { id: string; tenant: TenantRecord; caller: Party; service: Party; log: Logger },
  ) {
    this.#q = q;
    this.id = x.id;
    this.tenant = x.tenant;
    this.caller = x.caller;
    this.service = x.service;
    this.#log = x.log;
    q.onEnding(() => this.#ending());
  }

  get state(): CallState {
    return this.#q.state();
  }

  /** The connected agent, once an offer was answered. */
  get agent(): Party | undefined {
    return this.#agent?.party ?? this.#taker;
  }

  /** Called once when the call ends, whatever the cause. */
  onEnded(cb: (reason: CallEndReason) => void): void {
    if (this.#q.state() === 'ended') cb('completed');
    else this.#q.onEnded(cb);
  }

  /** Plays into the caller (replacing whatever played); ignored once answered or ended. */
  play(source: AudioSource, o: { loop?: boolean; onEnded?: () => void } = {}): void {
    if (!this.#waiting()) return;
    this.#player?.stop();
    const p = this.#q.core.deps.media.play(
      this.#q.callerEp,
      source,
      o.loop !== undefined ? { loop: o.loop } : {},
    );
    this.#player = p;
    if (o.onEnded) {
      const cb = o.onEnded;
      p.onEnded(() => {
        if (this.#player === p) this.#player = undefined;
        cb();
      });
    }
  }

  /** RFC 4733 digits the caller sends (a voicemail menu); nothing arrives once the call ended. */
  onDtmf(cb: (digit: string) => void): void {
    this.#q.callerEp.onDtmf((digit) => {
      if (this.#waiting()) cb(digit);
    });
  }

  /** Records the caller's audio (a voicemail message) until stop(); the recorder ends with the call's media. */
  record(maxMs: number): MediaRecorder {
    return this.#q.core.deps.media.record(this.#q.callerEp, { maxMs });
  }

  stopAudio(): void {
    this.#player?.stop();
    this.#player = undefined;
  }

  /**
   * Rings every workplace in `ring` (each with its registered devices as targets; several workplaces only for
   * simultaneous distribution) with our own offer for at most `timeoutMs` (queue-offer.ts, one fork). The first
   * device to answer is bridged to the caller. One offer at a time.
   */
  offer(ring: ReadonlyArray<{ agent: Party; targets: readonly Target[] }>, timeoutMs: number): Offer {
    const q = this.#q;
    if (q.state() !== 'queued') throw new Error(`offer() while ${q.state()}`);
    const call = {
      id: this.id,
      tenant: this.tenant,
      caller: this.caller,
      queue: this.service.number,
      callerEp: q.callerEp,
      nextSubId: () => `${this.id}.${++this.#offers}`,
    };
    if (ring.every((r) => r.targets.length === 0))
      return offerToAgents(q.core.deps, call, ring, timeoutMs, () => false);
    q.to('offering');
    const offer = offerToAgents(q.core.deps, call, ring, timeoutMs, (a) => this.#connect(a));
    this.#abortOffer = offer.abort;
    this.#offerDone = offer.result.then(() => {
      this.#abortOffer = undefined;
      if (q.state() === 'offering') q.to('queued');
    });
    return offer;
  }

  /**
   * A phone's INVITE takes the waiting caller (a parked call retrieved with `*88`): answered with our own
   * endpoint, bridged to the caller, and from then on an answered call like any other. A ringing offer stops
   * first. False (the INVITE got its final response) when the caller is gone or the INVITE has no usable offer.
   */
  async answerWith(incoming: IncomingInvite, party: Party): Promise<boolean> {
    const q = this.#q;
    if (q.state() === 'offering' && this.#abortOffer) {
      const done = this.#offerDone;
      this.#abortOffer();
      await done;
    }
    const offer = incoming.request.body.toString('utf8');
    if (q.state() !== 'queued') {
      incoming.reject(480, { reason: 'Call No Longer Waiting' });
      return false;
    }
    if (!offer || !mediaOf(offer)) {
      incoming.reject(488, { reason: 'SDP Offer Required' });
      return false;
    }
    const d = q.core.deps;
    let ep: MediaEndpoint;
    try {
      ep = await d.media.allocate(`${this.id}:taker`);
    } catch {
      incoming.reject(503, { reason: 'No Media Ports' });
      return false;
    }
    const ans = answerOffer(offer, ep);
    if (!ans || q.state() !== 'queued') {
      ep.close();
      incoming.reject(ans ? 480 : 488);
      return false;
    }
    // Reserved for this taker while its 200 waits for the ACK: no offer starts meanwhile.
    q.to('offering');
    let dialog: Dialog;
    try {
      dialog = await acceptWithTimer(incoming, d.sessionTimer, sdpBody(ans.sdp));
    } catch {
      ep.close();
      if (q.state() === 'offering') q.to('queued');
      return false;
    }
    if (q.state() !== 'offering') {
      void dialog.bye();
      ep.close();
      return false;
    }
    this.stopAudio();
    this.#taker = party;
    q.connect(new Leg({ dialog, ep, party, role: 'callee', ownsCallId: false }));
    d.bus.emit({
      type: 'call.answered',
      tenantId: this.tenant.id,
      callId: this.id,
      at: d.clock.now(),
      caller: this.caller,
      callee: party,
      ...(party.device ? { device: party.device } : {}),
    });
    this.#log.info({ event: 'held.taken', by: party.number, device: party.device }, 'waiting call taken');
    return true;
  }

  /** Ends the call from our side: BYE to the caller (and the agent if connected). */
  hangup(): Promise<void> {
    return this.#q.core.hangup('failed');
  }

  #waiting(): boolean {
    const s = this.#q.state();
    return s === 'queued' || s === 'offering';
  }

  /** The device that answered an offer is bridged to the caller; false when the caller is gone meanwhile. */
  #connect(a: OfferAnswer): boolean {
    const q = this.#q;
    if (q.state() !== 'offering') return false;
    const d = q.core.deps;
    applyAnswer(a.ep, a.answer);
    this.stopAudio();
    const party: Party = { ...a.agent, ...(a.device ? { device: a.device } : {}) };
    this.#agent = { party, subId: a.subId, answeredAt: d.clock.now() };
    q.connect(new Leg({ dialog: a.dialog, ep: a.ep, party, role: 'callee' }));
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
    return true;
  }

  /** The call ends: a ringing offer stops, the audio stops, and the agent's offer call ends too. */
  #ending(): void {
    this.#abortOffer?.();
    this.stopAudio();
    const agent = this.#agent;
    if (!agent) return;
    const d = this.#q.core.deps;
    d.bus.emit({
      type: 'call.ended',
      tenantId: this.tenant.id,
      callId: agent.subId,
      partOf: this.id,
      at: d.clock.now(),
      caller: this.caller,
      callee: agent.party,
      reason: 'completed',
      answeredAt: agent.answeredAt,
    });
  }
}

/** A Call started `queued` on a leg the server already answered (a queued caller, a click-to-dial device). */
export interface AnsweredLegCall {
  id: string;
  tenant: TenantRecord;
  caller: Party;
  callee: Party;
  incoming: IncomingInvite;
  log: Logger;
  queued: { dialog: Dialog; ep: MediaEndpoint; bind(q: QueueCore): void };
}

/** What the engine gives a queue call: a Call started `queued` on the answered caller leg. */
export type QueuedCallFactory = (x: AnsweredLegCall) => Call;

/**
 * Answers `incoming` with our own media (200 OK with an SDP answer) and makes it a queued Call. Resolves
 * undefined when that failed (no usable offer: 488 sent; the caller cancelled or never ACKed) — then nothing is
 * left allocated.
 */
export async function answerQueued(
  deps: EngineDeps,
  x: { tenant: TenantRecord; caller: Party; service: Party; incoming: IncomingInvite; log: Logger },
  create: QueuedCallFactory,
): Promise<QueuedCall | undefined> {
  const offer = x.incoming.request.body.toString('utf8');
  if (!offer || !mediaOf(offer)) {
    // A late offer (INVITE without SDP) is not supported for queue calls.
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
  // A queue caller may well stay silent for minutes while listening: no media timeout while only queued.
  ep.setInactivityTimeout(0);
  let dialog: Dialog;
  try {
    dialog = await acceptWithTimer(x.incoming, deps.sessionTimer, sdpBody(ans.sdp));
  } catch {
    ep.close();
    return undefined;
  }
  deps.bus.emit({
    type: 'call.offered',
    tenantId: x.tenant.id,
    callId: id,
    at: deps.clock.now(),
    caller: x.caller,
    callee: x.service,
  });
  const log = x.log.child({ tenant: x.tenant.id, call: id });
  let handle: QueuedCall | undefined;
  create({
    id,
    tenant: x.tenant,
    caller: x.caller,
    callee: x.service,
    incoming: x.incoming,
    log: x.log,
    queued: {
      dialog,
      ep,
      bind: (q) =>
        (handle = new QueuedCall(q, { id, tenant: x.tenant, caller: x.caller, service: x.service, log })),
    },
  });
  return handle;
}
