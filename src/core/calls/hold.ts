import { musicOnHold } from '../../media/audio/music-on-hold.js';
import { silence } from '../../media/audio/tone.js';
import { canPlayCodec, type MediaEngine, type MediaPlayer } from '../../media/index.js';
import type { SipRequest } from '../../sip/message/index.js';
import type { ServerTransaction } from '../../sip/transaction/types.js';
import type { Leg } from './leg.js';
import { answerOffer, applyAnswer, carriableTo, negotiatedFormats, offerOn, relayable } from './leg-media.js';
import { playableLeg, reoffer } from './renegotiate.js';
import type { Clock } from '../../util/clock.js';
import { responseFor, sdpBody } from './sip-helpers.js';

/**
 * Session changes by re-INVITE for the legs of one call, with hold and music on hold. A re-INVITE with an offer is
 * answered from the leg's own SdpSession, keeping the codec it negotiated when still offered (a hold changes the
 * direction, not the codec), else one the relay can carry to the other side. Hold (sendonly / inactive /
 * c=0.0.0.0, RFC 3264 section 8.4) starts music on hold towards the other party — in that party's codec when the
 * player can encode it, else after re-negotiating that leg to PCMU; resume (sendrecv again) stops it and, when the
 * two legs' codecs no longer meet, re-offers the other party the holder's codec so the relay carries both voices.
 */
export class HoldMusic {
  readonly #media: MediaEngine;
  readonly #mediaTimeoutMs: number;
  readonly #clock: Clock;
  /** Holds in progress by holding leg; the player is absent while the partner is being re-negotiated. */
  readonly #players = new Map<Leg, { player?: MediaPlayer; stopped: boolean }>();
  /** Silence towards a phone we hold by re-INVITE (held()), by that leg. */
  readonly #quiet = new Map<Leg, MediaPlayer>();

  constructor(media: MediaEngine, mediaTimeoutMs: number, clock: Clock) {
    this.#media = media;
    this.#mediaTimeoutMs = mediaTimeoutMs;
    this.#clock = clock;
  }

  /** Answers the re-INVITE `tx` of `leg`; reports hold and resume of that side. */
  onReinvite(
    tx: ServerTransaction,
    leg: Leg,
    other: Leg | undefined,
    report: (type: 'call.held' | 'call.resumed') => void,
  ): void {
    const ans = answerOffer(tx.request.body.toString('utf8'), leg.ep, {
      keep: true,
      carry: carriableTo(other?.ep),
    });
    if (!ans) {
      // RFC 3261 section 14.2: a rejected re-INVITE leaves the session as it was.
      tx.respond(responseFor(tx.request, 488));
      return;
    }
    tx.respond(responseFor(tx.request, 200, sdpBody(ans.sdp)));
    // Without another side (a queued caller) there is no one to play music to: the answer is all.
    const holding = other !== undefined && (ans.direction === 'recvonly' || ans.direction === 'inactive');
    const hold = this.#players.get(leg);
    if (holding && other && !hold) this.#hold(leg, other, report);
    else if (!holding && hold) this.#resume(leg, other, report);
    else if (!holding && other && !relayable(leg.ep.codec, other.ep.codec)) {
      // The phone changed its codec in a re-INVITE (not while holding: the other side hears music then).
      void reoffer(other, { only: negotiatedFormats(leg.ep), clock: this.#clock });
    }
  }

  /**
   * The hold of `leg` was negotiated by our own re-INVITE (third-party call control, call-control.ts): from here
   * on it is the same hold as one the phone started. False when `leg` already holds.
   */
  held(leg: Leg, other: Leg, report: (type: 'call.held') => void): boolean {
    if (this.#players.has(leg)) return false;
    this.#hold(leg, other, report);
    // We offered sendonly, so the phone plays what we send: silence, not the held party (the bridge pauses
    // towards an endpoint while a player runs). A codec the player cannot encode gets nothing instead.
    if (canPlayCodec(leg.ep.codec))
      this.#quiet.set(leg, this.#media.play(leg.ep, silence(1000), { loop: true }));
    return true;
  }

  /** Our re-INVITE resumed `leg` (sendrecv again): music stops as when its phone resumes. False when not held. */
  resumed(leg: Leg, other: Leg, report: (type: 'call.resumed') => void): boolean {
    if (!this.#players.has(leg)) return false;
    this.#resume(leg, other, report);
    return true;
  }

  /** Whether `leg`'s side holds the call (by its phone or by our re-INVITE). */
  holding(leg: Leg): boolean {
    return this.#players.has(leg);
  }

  #hold(leg: Leg, other: Leg, report: (type: 'call.held') => void): void {
    const h: { player?: MediaPlayer; stopped: boolean } = { stopped: false };
    this.#players.set(leg, h);
    leg.tryTo('held');
    // A holding phone may send nothing at all: that silence is not a dead call.
    leg.ep.setInactivityTimeout(0);
    report('call.held');
    void this.#music(other, h);
  }

  #resume(leg: Leg, other: Leg | undefined, report: (type: 'call.resumed') => void): void {
    this.#unquiet(leg);
    const hold = this.#players.get(leg);
    if (hold) {
      hold.stopped = true;
      hold.player?.stop();
    }
    this.#players.delete(leg);
    leg.tryTo('connected');
    leg.ep.setInactivityTimeout(this.#mediaTimeoutMs);
    report('call.resumed');
    if (other && !relayable(leg.ep.codec, other.ep.codec)) {
      void reoffer(other, { only: negotiatedFormats(leg.ep), clock: this.#clock });
    }
  }

  /** Music towards `to`, first re-negotiating it to PCMU when the player cannot encode its codec (Opus...). */
  async #music(to: Leg, h: { player?: MediaPlayer; stopped: boolean }): Promise<void> {
    if (!(await playableLeg(to, this.#clock))) return;
    // Another re-negotiation may have begun meanwhile (the leg is between codecs then): no music after all.
    if (h.stopped || to.ep.closed || !canPlayCodec(to.ep.codec)) return;
    h.player = this.#media.play(to.ep, musicOnHold(), { loop: true });
  }

  /**
   * An offerless re-INVITE (phones send them to refresh a session or after a transfer): our 200 carries a fresh
   * offer for this leg's endpoint and the phone answers in its ACK (RFC 3261 section 14.2, RFC 3264 section 4).
   * Hold is not changed this way; phones hold with an offer of their own.
   */
  offerInOk(tx: ServerTransaction, leg: Leg): void {
    if (leg.state !== 'offering') leg.tryTo('offering');
    tx.respond(responseFor(tx.request, 200, sdpBody(offerOn(leg.ep, negotiatedFormats(leg.ep)))));
  }

  /**
   * The answer to our offer in a 200, from the ACK. False when it was due and is missing or unusable: the leg
   * has no media then, and the call should end.
   */
  takeAnswerInAck(leg: Leg, ack: SipRequest): boolean {
    if (leg.state !== 'offering') return true;
    leg.answered();
    return applyAnswer(leg.ep, ack.body.toString('utf8')) !== undefined;
  }

  /**
   * Forgets the hold of `leg` without stopping its music: a transfer plays something else (ringback) to the
   * same endpoint, which replaces it.
   */
  forget(leg: Leg): void {
    this.#unquiet(leg);
    const h = this.#players.get(leg);
    if (h) h.stopped = true; // music still waiting for its re-negotiation must not start after all
    this.#players.delete(leg);
  }

  /** Stops all music (the legs change: a takeover or transfer completes, or the call ends). */
  stopAll(): void {
    for (const h of this.#players.values()) {
      h.stopped = true;
      h.player?.stop();
    }
    this.#players.clear();
    for (const leg of [...this.#quiet.keys()]) this.#unquiet(leg);
  }

  #unquiet(leg: Leg): void {
    this.#quiet.get(leg)?.stop();
    this.#quiet.delete(leg);
  }
}
