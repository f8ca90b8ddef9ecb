import type { MediaBridge, MediaEndpoint } from '../../media/index.js';
import type { SipResponse } from '../../sip/message/index.js';
import type { Dialog, IncomingInvite } from '../../sip/ua/index.js';
import type { TimerHandle } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import type { Diversion, Party } from '../events/types.js';
import type { EngineDeps } from './engine-deps.js';
import { reasonForStatus } from './final-status.js';
import { Fork, ForkBranch, type ForkOutcome } from './fork.js';
import { earlyAnswer, offerOn, pointAtOffer, relayOffer } from './leg-media.js';
import type { RingFailure, RingPhase, RingPlan, RingStep, RingTarget } from './ring-plan.js';
import { sdpBody } from './sip-helpers.js';
import { nameAddr, type Target } from './targets.js';
import { inviteLeg } from './session-refresh.js';
import type { HangupReason } from './call-core.js';

/** Whom the call is for and how it got here, as the events of the current phase carry it. */
export interface RingContext {
  for?: Party;
  diversions?: Diversion[];
}

/** What the ringing runner needs of its Call. */
export interface RingHost {
  readonly id: string;
  readonly deps: EngineDeps;
  readonly log: Logger;
  readonly domain: string;
  readonly incoming: IncomingInvite;
  caller(): Party;
  isRinging(): boolean;
  /** `call.ringing` for `party` (a device of it sent 18x). */
  ringing(party: Party, device: string | undefined): void;
  ringEnded(party: Party, reason: RingFailure | 'stopped'): void;
  /** A branch answered: the Call bridges it (the winner's party is the callee from now on). */
  answer(winner: ForkBranch, answerSdp: string, dialog: Dialog, party: Party): Promise<void>;
  /** The call ends unanswered with this final response to the caller. */
  finish(status: number, reason: HangupReason, phrase?: string): Promise<void>;
  /** The unanswered INVITE goes to a divert service (the Call ends 'diverted' without answering). */
  divert(step: Extract<RingStep, { kind: 'service' }>): Promise<void>;
  /**
   * The offer each branch's INVITE carries, instead of relaying the caller's: for a call whose first leg the PBX
   * answered itself (click-to-dial, originate.ts). Then no caller endpoint is allocated and there is no early
   * media (the first leg hears our ringback).
   */
  offer?(endpoint: MediaEndpoint): string;
}

/**
 * The ringing part of a Call: runs its RingPlan (ring-plan.ts) phase by phase. A phase is one Fork over the
 * devices of every party it rings (some joining later, some stopped early); when it ends unanswered, the plan says
 * what comes next, and the caller hears the failure only when the plan has nothing more. The caller's endpoint,
 * offer and early media stay across phases.
 */
export class Ringing {
  readonly #h: RingHost;
  readonly #releases: Array<() => void> = [];
  #callerEp: MediaEndpoint | undefined;
  /** No SDP in the caller's INVITE (RFC 3261 section 13.2.1): devices get our offer, the caller answers in the ACK. */
  #lateOffer = false;
  #callerOffer = '';
  /** The branch whose early media (18x with SDP) the caller hears. */
  #early: ForkBranch | undefined;
  #earlyBridge: MediaBridge | undefined;
  #fork: Fork | undefined;
  readonly #timers: TimerHandle[] = [];
  #context: RingContext = {};
  /** The current phase's parties that rang (18x): each gets a `call.ring-ended` when it stops. */
  readonly #rangTargets = new Set<RingTarget>();

  constructor(host: RingHost) {
    this.#h = host;
  }

  get callerEndpoint(): MediaEndpoint | undefined {
    return this.#callerEp;
  }

  get callerOffer(): string {
    return this.#callerOffer;
  }

  get lateOffer(): boolean {
    return this.#lateOffer;
  }

  /** The current phase's branches (pickup by Replaces names one of them). */
  get branches(): readonly ForkBranch[] {
    return this.#fork?.branches ?? [];
  }

  get context(): RingContext {
    return this.#context;
  }

  /** Stops ringing: every branch still ringing gets CANCEL (with `reason`, RFC 3326). */
  cancel(reason?: string): void {
    for (const t of this.#timers.splice(0)) this.#h.deps.clock.clearTimeout(t);
    this.#fork?.cancel(reason);
  }

  /** The call is over: the toll-fraud slots its external targets held are given back (targets.ts). */
  releaseTargets(): void {
    for (const r of this.#releases.splice(0)) r();
  }

  /** Keeps the releases of a step's admitted external targets until the call ends, rung or not. */
  #keep<S extends RingStep | undefined>(step: S): S {
    if (step?.kind === 'ring')
      for (const t of step.phase.ring.flatMap((r) => r.targets))
        if (t.release) this.#releases.push(t.release);
    // The call ended while its plan was asked: nothing will ring these targets.
    if (!this.#h.isRinging()) this.releaseTargets();
    return step;
  }

  /** The caller's early-media pairing ends (the call ends, or it is answered and bridged anew). */
  closeEarly(): void {
    this.#earlyBridge?.close();
    this.#earlyBridge = undefined;
    this.#early = undefined;
  }

  async run(offer: string, plan: RingPlan): Promise<void> {
    const h = this.#h;
    this.#lateOffer = offer === '';
    this.#callerOffer = offer;
    let step: RingStep | undefined;
    try {
      step = this.#keep(await plan.first());
    } catch (err) {
      h.log.error({ event: 'call.error', err: String(err) }, 'ring plan failed');
      return h.finish(503, 'failed');
    }
    while (step && h.isRinging()) {
      if (step.kind === 'reject') return h.finish(step.status, reasonForStatus(step.status), step.reason);
      if (step.kind === 'service') return h.divert(step);
      const r = await this.#phase(step.phase);
      if (!h.isRinging() || r.kind === 'cancelled') return;
      if (r.kind === 'answered')
        return h.answer(r.branch, r.response.body.toString('utf8'), r.dialog, r.party);
      const { failure, status } = r;
      let next: RingStep | undefined;
      try {
        next = this.#keep(await plan.next(failure, status));
      } catch (err) {
        h.log.error({ event: 'call.error', err: String(err) }, 'ring plan failed');
        next = undefined;
      }
      if (!h.isRinging()) return;
      if (!next) {
        if (failure === 'unavailable') return h.finish(480, 'unavailable', 'Not Registered');
        if (failure === 'no-answer' && status === 480) return h.finish(480, 'no-answer', 'No Answer');
        return h.finish(status, reasonForStatus(status));
      }
      step = next;
    }
  }

  async #phase(
    phase: RingPhase,
  ): Promise<
    | { kind: 'answered'; branch: ForkBranch; response: SipResponse; dialog: Dialog; party: Party }
    | { kind: 'cancelled' }
    | { kind: 'failed'; failure: RingFailure; status: number }
  > {
    const h = this.#h;
    const o = h.deps;
    this.#context = phase.context ?? {};
    if (phase.ring.every((t) => t.targets.length === 0))
      return { kind: 'failed', failure: 'unavailable', status: 480 };
    if (!this.#callerEp && !h.offer) {
      try {
        this.#callerEp = await o.media.allocate(`${h.id}:caller`);
      } catch (err) {
        h.log.error({ event: 'call.error', err: String(err) }, 'call setup failed');
        await h.finish(503, 'failed');
        return { kind: 'cancelled' };
      }
      // The caller cancelled while the endpoint was allocated: the Call's end did not see it.
      if (!h.isRinging()) {
        this.#callerEp.close();
        return { kind: 'cancelled' };
      }
      pointAtOffer(this.#callerEp, this.#callerOffer);
    }
    const partyOf = new Map<ForkBranch, RingTarget>();
    const rang = this.#rangTargets;
    rang.clear();
    const left = new Map<RingTarget, number>();
    const ended = new Set<RingTarget>();
    const endRing = (t: RingTarget, reason: RingFailure | 'stopped'): void => {
      if (ended.has(t)) return;
      ended.add(t);
      if (rang.has(t)) h.ringEnded(t.party, reason);
    };
    const branchDone = (b: ForkBranch): void => {
      const t = partyOf.get(b);
      if (!t) return;
      const n = (left.get(t) ?? 1) - 1;
      left.set(t, n);
      if (n === 0 && b.stopped) endRing(t, 'stopped');
    };
    const now = phase.ring.filter((t) => !t.afterMs);
    const later = phase.ring.filter((t) => t.afterMs);
    for (const t of phase.ring) left.set(t, t.targets.length);
    const first: ForkBranch[] = [];
    const firstOf = new Map<RingTarget, ForkBranch[]>();
    for (const t of now) {
      const bs: ForkBranch[] = [];
      for (const target of t.targets) {
        const b = await this.#branch(t, target);
        if (b) bs.push(b);
      }
      firstOf.set(t, bs);
      first.push(...bs);
      // Devices that could not be rung (no endpoint) count as done for this party.
      left.set(t, bs.length);
    }
    if (!h.isRinging()) {
      for (const b of first) b.invite.cancel();
      for (const b of first) b.endpoint.close();
      return { kind: 'cancelled' };
    }
    const fork = new Fork(first, {
      clock: o.clock,
      timeoutMs: phase.timeoutMs ?? o.ringTimeoutMs,
      expected: later.reduce((n, t) => n + t.targets.length, 0),
      onProvisional: (b, res) => this.#onProvisional(b, res, partyOf.get(b)),
      onBranchFailed: (b) => {
        branchDone(b);
        if (b !== this.#early) return;
        // The branch that gave early media failed: its media stops; another branch may still answer.
        this.closeEarly();
      },
    });
    this.#fork = fork;
    const started = (t: RingTarget, bs: ForkBranch[]) => {
      for (const b of bs) partyOf.set(b, t);
      if (t.ringForMs)
        this.#timers.push(o.clock.setTimeout(() => bs.forEach((b) => fork.stop(b)), t.ringForMs));
    };
    for (const [t, bs] of firstOf) started(t, bs);
    for (const t of later) {
      this.#timers.push(
        o.clock.setTimeout(() => {
          void (async () => {
            const bs: ForkBranch[] = [];
            for (const target of t.targets) {
              const b = fork.settled ? undefined : await this.#branch(t, target);
              if (b) {
                bs.push(b);
                partyOf.set(b, t);
              }
              fork.add(b);
            }
            started(t, bs);
          })();
        }, t.afterMs!),
      );
    }
    const r: ForkOutcome = await fork.result;
    for (const t of this.#timers.splice(0)) o.clock.clearTimeout(t);
    if (r.kind === 'cancelled') return r;
    if (r.kind === 'answered') {
      const t = partyOf.get(r.branch);
      const party = t?.party ?? h.caller();
      return { ...r, party };
    }
    const status = r.kind === 'timeout' ? 480 : r.status;
    const failure: RingFailure =
      r.kind === 'timeout' || status === 408 || status === 480
        ? 'no-answer'
        : status === 486 || status === 600
          ? 'busy'
          : status === 603
            ? 'declined'
            : 'failed';
    // The parties of this phase stop ringing; the plan may ring others next.
    for (const t of phase.ring) endRing(t, failure);
    this.closeEarly();
    return { kind: 'failed', failure, status };
  }

  /** One INVITE to one device (or trunk) of a ring target; undefined when no endpoint could be had. */
  async #branch(t: RingTarget, target: Target): Promise<ForkBranch | undefined> {
    const h = this.#h;
    const o = h.deps;
    let endpoint: MediaEndpoint;
    try {
      endpoint = await o.media.allocate(`${h.id}:${target.label}`);
    } catch (err) {
      h.log.error({ event: 'call.error', err: String(err), target: target.label }, 'no media endpoint');
      return undefined;
    }
    const caller = h.caller();
    const shown: Party = t.callerDisplay !== undefined ? { ...caller, name: t.callerDisplay } : caller;
    const make = (): string =>
      h.offer
        ? h.offer(endpoint)
        : this.#lateOffer
          ? offerOn(endpoint)
          : relayOffer(endpoint, this.#callerOffer);
    const invite = inviteLeg(
      o,
      target,
      {
        flow: target.flow,
        requestUri: target.requestUri,
        from: target.from ?? nameAddr(shown, h.domain),
        to: target.to ?? nameAddr(t.party, h.domain),
        headers: [
          ...(target.headers ?? [['P-Asserted-Identity', `<sip:${caller.number}@${h.domain}>`]]),
          ...(t.headers ?? []),
        ],
      },
      { endpoint, make },
    );
    const sipCallId = invite.request.headers.get('Call-ID');
    if (sipCallId !== undefined) o.trace?.leg(h.id, sipCallId, target.label);
    return new ForkBranch(target, endpoint, invite, t.party);
  }

  #onProvisional(branch: ForkBranch, res: SipResponse, t: RingTarget | undefined): void {
    const h = this.#h;
    if (!h.isRinging()) return;
    const ring = () => {
      if (res.status < 180 || !t || t.silent) return;
      this.#rangTargets.add(t);
      h.ringing(t.party, branch.target.device);
    };
    if (!t?.silent && this.#earlyMedia(branch, res.status, res.body)) return ring();
    if (res.status >= 180) h.incoming.progress(180);
    ring();
  }

  /**
   * Early media: the first branch whose 18x carries an SDP answer (a carrier's ringback or announcement) is
   * bridged to the caller at once, and the caller gets that 18x with our side's SDP, so it plays what it hears
   * instead of its own ringback. Without 100rel (RFC 3262) this answer is provisional; the 200's is final.
   * Later 18x of any branch are passed on without SDP. True when this response was handled here.
   */
  #earlyMedia(branch: ForkBranch, status: number, body: Buffer): boolean {
    if (this.#early || this.#lateOffer || body.length === 0) return Boolean(this.#early);
    const callerEp = this.#callerEp;
    const relayed =
      callerEp && earlyAnswer(this.#callerOffer, callerEp, branch.endpoint, body.toString('utf8'));
    if (!callerEp || !relayed) return false;
    this.#early = branch;
    this.#earlyBridge = this.#h.deps.media.bridge(callerEp, branch.endpoint);
    this.#h.incoming.progress(status === 180 ? 180 : 183, sdpBody(relayed));
    return true;
  }
}
