import { randomBytes } from 'node:crypto';
import {
  answerFor,
  negotiatedCodec,
  offerFor,
  type AudioSource,
  type MediaBridge,
  type MediaEndpoint,
  type MediaEngine,
  type MediaPlayer,
} from '../../media/index.js';
import type { ServerTransaction } from '../../sip/transaction/types.js';
import type { Dialog, IncomingInvite, OutgoingInvite, UserAgentCore } from '../../sip/ua/index.js';
import type { TenantRecord } from '../../store/types.js';
import type { Clock, TimerHandle } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import type { EventBus } from '../events/event-bus.js';
import type { CallEndReason, Party } from '../events/types.js';
import { COMPLETED_ELSEWHERE, mediaOf, nameAddr, okFor, responseFor, type Target } from './call-parts.js';

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

/** How one offer to a workplace ended. */
export type OfferOutcome =
  | 'answered'
  /** Every workplace refused or failed, at least one refused (486, 603, 600). */
  | 'declined'
  /** Nobody answered within the timeout, or the devices failed otherwise (408, 480, 5xx). */
  | 'no-answer'
  /** No workplace had a registered device to ring. */
  | 'unavailable'
  /** The caller hung up while the workplace rang. */
  | 'caller-gone'
  /** cancelOffer() was called. */
  | 'cancelled';

export interface OfferResult {
  outcome: OfferOutcome;
  /** The workplace whose device answered. */
  answeredBy?: string;
  /** Workplaces whose every device refused (486, 603, 600). */
  declinedBy: string[];
  /** Workplaces without a registered device. */
  unreachable: string[];
}

export interface Offer {
  readonly result: Promise<OfferResult>;
  /** Stops ringing (if still ringing); the result becomes 'cancelled'. */
  cancel(): void;
}

export class HeldCall {
  readonly id: string;
  readonly tenant: TenantRecord;
  readonly caller: Party;
  readonly service: Party;
  readonly #d: HeldCallDeps;
  readonly #log: Logger;
  readonly #dialog: Dialog;
  readonly #ep: MediaEndpoint;
  #state: HeldCallState = 'held';
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
    const ans = answerFor(offer, ep);
    if (!ans.codec || !ans.remote) {
      ep.close();
      x.incoming.reject(488);
      return undefined;
    }
    ep.setRemote({ address: ans.remote.address, port: ans.remote.port }, ans.remote.rtcp);
    ep.setCodec(ans.codec);
    // A queue caller may well stay silent for minutes while listening: no media timeout while only held.
    ep.setInactivityTimeout(0);
    let dialog: Dialog;
    try {
      dialog = await x.incoming.accept({ body: Buffer.from(ans.sdp), contentType: 'application/sdp' });
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
    return this.#state;
  }

  /** The connected agent, once an offer was answered. */
  get agent(): Party | undefined {
    return this.#agent?.party;
  }

  /** Called once when the call ends, whatever the cause. */
  onEnded(cb: (reason: CallEndReason) => void): void {
    if (this.#state === 'ended') cb('completed');
    else this.#onEnd.push(cb);
  }

  /** Plays into the caller (replacing whatever played); ignored once connected or ended. */
  play(source: AudioSource, o: { loop?: boolean; onEnded?: () => void } = {}): void {
    if (this.#state === 'connected' || this.#state === 'ended') return;
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
   * simultaneous distribution) with our own offer for at most `timeoutMs`. The first device to answer is bridged to
   * the caller; every other branch is cancelled with "Call completed elsewhere" (RFC 3326). One offer at a time.
   */
  offer(ring: ReadonlyArray<{ agent: Party; targets: readonly Target[] }>, timeoutMs: number): Offer {
    if (this.#state !== 'held') throw new Error(`offer() while ${this.#state}`);
    const d = this.#d;
    const attempts = ring
      .filter((r) => r.targets.length > 0)
      .map((r) => ({
        ...r,
        subId: `${this.id}.${++this.#offers}`,
        left: r.targets.length,
        statuses: [] as number[],
      }));
    const unreachable = ring
      .filter((r) => r.targets.length === 0)
      .map((r) => r.agent.workplace ?? r.agent.number);
    if (attempts.length === 0)
      return {
        result: Promise.resolve({ outcome: 'unavailable', declinedBy: [], unreachable }),
        cancel: () => undefined,
      };
    this.#state = 'offering';
    const emitEnd = (a: (typeof attempts)[number], reason: CallEndReason, status?: number) =>
      d.bus.emit({
        type: 'call.ended',
        tenantId: this.tenant.id,
        callId: a.subId,
        partOf: this.id,
        at: d.clock.now(),
        caller: this.caller,
        callee: a.agent,
        reason,
        ...(status !== undefined ? { status } : {}),
      });
    let settle!: (r: OfferResult) => void;
    const result = new Promise<OfferResult>((r) => (settle = r));
    let outcome: OfferOutcome | undefined;
    const open = new Set(attempts);
    const declinedBy: string[] = [];
    const branches: Array<{ invite: OutgoingInvite; done: boolean }> = [];
    const finish = (o: OfferOutcome, reason: CallEndReason, answeredBy?: string): void => {
      if (outcome !== undefined) return;
      outcome = o;
      d.clock.clearTimeout(timer);
      this.#abortOffer = undefined;
      for (const b of branches)
        if (!b.done) b.invite.cancel(o === 'answered' ? COMPLETED_ELSEWHERE : undefined);
      // Every workplace still ringing gets its end event (the winner's comes when the conversation ends).
      for (const a of open) if ((a.agent.workplace ?? a.agent.number) !== answeredBy) emitEnd(a, reason);
      open.clear();
      if (o !== 'answered' && this.#state === 'offering') this.#state = 'held';
      settle({ outcome: o, declinedBy, unreachable, ...(answeredBy !== undefined ? { answeredBy } : {}) });
    };
    this.#abortOffer = () => finish('caller-gone', 'cancelled');
    // Declared after finish() (which clears it): finish cannot run before this line, the devices ring later.
    const timer: TimerHandle = d.clock.setTimeout(() => finish('no-answer', 'no-answer'), timeoutMs);
    for (const a of attempts) {
      for (const target of a.targets) {
        void this.#ringOne(a, target, () => outcome !== undefined, branches).then((r) => {
          if (outcome !== undefined) return;
          const who = a.agent.workplace ?? a.agent.number;
          if (r.answered) {
            open.delete(a);
            finish('answered', 'completed', who);
            return;
          }
          a.statuses.push(r.status);
          if (--a.left > 0) return;
          // Every device of this workplace said no.
          open.delete(a);
          const declined = a.statuses.some((s) => s === 486 || s === 603 || s === 600);
          if (declined) declinedBy.push(who);
          emitEnd(a, declined ? 'declined' : 'no-answer', r.status);
          if (open.size === 0) finish(declinedBy.length > 0 ? 'declined' : 'no-answer', 'no-answer');
        });
      }
    }
    return { result, cancel: () => finish('cancelled', 'cancelled') };
  }

  /** One device of one offer: resolves answered (and connected) or with the final failure status. */
  async #ringOne(
    a: { agent: Party; subId: string },
    target: Target,
    over: () => boolean,
    branches: Array<{ invite: OutgoingInvite; done: boolean }>,
  ): Promise<{ answered: boolean; status: number }> {
    const d = this.#d;
    let ep: MediaEndpoint;
    try {
      ep = await d.media.allocate(`${a.subId}:${target.label}`);
    } catch {
      return { answered: false, status: 503 };
    }
    if (over()) {
      ep.close();
      return { answered: false, status: 487 };
    }
    const invite = d.ua.invite({
      flow: target.flow,
      requestUri: target.requestUri,
      // A trunk target (overflow to an outside number) brings its own identities, as in call.ts.
      from: target.from ?? nameAddr(this.caller, this.tenant.domain),
      to: target.to ?? nameAddr(a.agent, this.tenant.domain),
      body: Buffer.from(offerFor(ep)),
      contentType: 'application/sdp',
      headers: target.headers ?? [
        ['P-Asserted-Identity', `<sip:${this.caller.number}@${this.tenant.domain}>`],
      ],
    });
    const b = { invite, done: false };
    branches.push(b);
    invite.onProvisional((res) => {
      if (res.status >= 180 && !over())
        d.bus.emit({
          type: 'call.ringing',
          tenantId: this.tenant.id,
          callId: a.subId,
          partOf: this.id,
          at: d.clock.now(),
          caller: this.caller,
          callee: a.agent,
          ...(target.device ? { device: target.device } : {}),
        });
    });
    const r = await invite.result;
    b.done = true;
    if (r.dialog) {
      if (over() || this.#state !== 'offering') {
        // Answered too late (timeout, caller gone, another device won): hang that device up.
        void r.dialog.bye();
        ep.close();
        return { answered: false, status: 487 };
      }
      this.#connect(a.agent, a.subId, r.dialog, ep, r.response.body.toString('utf8'), target.device);
      return { answered: true, status: 200 };
    }
    ep.close();
    return { answered: false, status: r.response.status };
  }

  #connect(
    agent: Party,
    subId: string,
    dialog: Dialog,
    ep: MediaEndpoint,
    answer: string,
    device?: string,
  ): void {
    const d = this.#d;
    const rtp = mediaOf(answer);
    if (rtp) {
      ep.setRemote({ address: rtp.address, port: rtp.port }, rtp.rtcp);
      const codec = negotiatedCodec(rtp);
      if (codec) ep.setCodec(codec);
    }
    this.stopAudio();
    this.#bridge = d.media.bridge(this.#ep, ep);
    this.#ep.setInactivityTimeout(d.mediaTimeoutMs ?? 60_000);
    const party: Party = { ...agent, ...(device ? { device } : {}) };
    this.#agent = { party, dialog, ep, subId, answeredAt: d.clock.now() };
    this.#state = 'connected';
    d.bus.emit({
      type: 'call.answered',
      tenantId: this.tenant.id,
      callId: subId,
      partOf: this.id,
      at: d.clock.now(),
      caller: this.caller,
      callee: agent,
      ...(device ? { device } : {}),
    });
    this.#log.info({ event: 'held.connected', agent: agent.number, device }, 'queue call connected');
    this.#wireDialog(dialog, ep, false);
  }

  /** The caller's dialog: BYE ends; a re-INVITE is answered from our endpoint (hold is the caller's business). */
  #wireCaller(): void {
    this.#wireDialog(this.#dialog, this.#ep, true);
  }

  #wireDialog(dialog: Dialog, ep: MediaEndpoint, isCaller: boolean): void {
    dialog.onTerminated(() => {
      if (this.#state === 'ended') return;
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
      if (this.#state !== 'connected') return;
      this.#log.info({ event: 'held.media-timeout', caller: isCaller }, 'no RTP, ending call');
      void this.hangup();
    });
  }

  #onReinvite(tx: ServerTransaction, ep: MediaEndpoint): void {
    const offer = tx.request.body.toString('utf8');
    try {
      if (!offer) throw new Error('no offer');
      const ans = answerFor(offer, ep);
      if (!ans.codec || !ans.remote) throw new Error('no codec');
      ep.setRemote({ address: ans.remote.address, port: ans.remote.port }, ans.remote.rtcp);
      ep.setCodec(ans.codec);
      tx.respond(
        responseFor(tx.request, 200, { body: Buffer.from(ans.sdp), contentType: 'application/sdp' }),
      );
    } catch {
      tx.respond(responseFor(tx.request, 488));
    }
  }

  /** Ends the call from our side: BYE to the caller (and the agent if connected). */
  async hangup(): Promise<void> {
    if (this.#state === 'ended') return;
    this.#abortOffer?.();
    const agent = this.#agent;
    this.#end(agent ? 'completed' : 'failed');
    await Promise.all([this.#dialog.bye(), agent?.dialog.bye()]);
  }

  #end(reason: CallEndReason): void {
    if (this.#state === 'ended') return;
    this.#state = 'ended';
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
