import { musicOnHold } from '../../media/audio/music-on-hold.js';
import { offerFor, type MediaEngine, type MediaPlayer } from '../../media/index.js';
import type { SipRequest } from '../../sip/message/index.js';
import type { ServerTransaction } from '../../sip/transaction/types.js';
import type { Leg } from './leg.js';
import { answerOffer, applyAnswer } from './leg-media.js';
import { responseFor, sdpBody } from './sip-helpers.js';

/**
 * Session changes by re-INVITE for the legs of one call, with hold and music on hold. A re-INVITE with an offer is answered from the leg's own
 * endpoint (the other side's dialog is untouched). Hold (sendonly / inactive / c=0.0.0.0, RFC 3264 section 8.4)
 * starts music on hold towards the other party; resume (sendrecv again) stops it and the relay carries both
 * voices again.
 */
export class HoldMusic {
  readonly #media: MediaEngine;
  readonly #mediaTimeoutMs: number;
  readonly #players = new Map<Leg, MediaPlayer>();

  constructor(media: MediaEngine, mediaTimeoutMs: number) {
    this.#media = media;
    this.#mediaTimeoutMs = mediaTimeoutMs;
  }

  /** Answers the re-INVITE `tx` of `leg`; reports hold and resume of that side. */
  onReinvite(
    tx: ServerTransaction,
    leg: Leg,
    other: Leg | undefined,
    report: (type: 'call.held' | 'call.resumed') => void,
  ): void {
    const ans = answerOffer(tx.request.body.toString('utf8'), leg.ep);
    if (!ans) {
      tx.respond(responseFor(tx.request, 488));
      return;
    }
    // Without another side (a queued caller) there is no one to play music to: the answer is all.
    const holding = other !== undefined && (ans.direction === 'recvonly' || ans.direction === 'inactive');
    const player = this.#players.get(leg);
    if (holding && other && !player) {
      this.#players.set(leg, this.#media.play(other.ep, musicOnHold(), { loop: true }));
      leg.tryTo('held');
      // A holding phone may send nothing at all: that silence is not a dead call.
      leg.ep.setInactivityTimeout(0);
      report('call.held');
    } else if (!holding && player) {
      player.stop();
      this.#players.delete(leg);
      leg.tryTo('connected');
      leg.ep.setInactivityTimeout(this.#mediaTimeoutMs);
      report('call.resumed');
    }
    tx.respond(responseFor(tx.request, 200, sdpBody(ans.sdp)));
  }

  /**
   * An offerless re-INVITE (phones send them to refresh a session or after a transfer): our 200 carries a fresh
   * offer for this leg's endpoint and the phone answers in its ACK (RFC 3261 section 14.2, RFC 3264 section 4).
   * Hold is not changed this way; phones hold with an offer of their own.
   */
  offerInOk(tx: ServerTransaction, leg: Leg): void {
    if (leg.state !== 'offering') leg.tryTo('offering');
    tx.respond(responseFor(tx.request, 200, sdpBody(offerFor(leg.ep))));
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
    this.#players.delete(leg);
  }

  /** Stops all music (the legs change: a takeover or transfer completes, or the call ends). */
  stopAll(): void {
    for (const p of this.#players.values()) p.stop();
    this.#players.clear();
  }
}
