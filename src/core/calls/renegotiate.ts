import { randomInt } from 'node:crypto';
import {
  PCMU_FORMAT,
  canPlayCodec,
  type MediaEndpoint,
  type SdpDirection,
  type SdpFormat,
} from '../../media/index.js';
import type { SipResponse } from '../../sip/message/index.js';
import type { Party } from '../events/types.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import type { Leg } from './leg.js';
import { applyAnswer, negotiatedFormats, offerOn, relayable, switchingTo } from './leg-media.js';
import { connectedIdentityHeaders } from './pickup.js';
import { sdpBody } from './sip-helpers.js';

/**
 * Re-negotiation of a connected leg by re-INVITE with our offer (RFC 3264 section 8): to make its codec match the
 * leg it is bridged to, to a codec the player can encode before music plays, or to tell its phone who it is
 * connected to now (a transfer). The answer updates the leg's endpoint (leg-media.ts).
 */

export interface ReofferOptions {
  /** Offer exactly these formats (section 8.3.2 narrowing); without, the leg's current formats then our own. */
  only?: readonly SdpFormat[];
  direction?: SdpDirection;
  /** The party the phone is connected to now (P-Asserted-Identity / Remote-Party-ID, RFC 4916 practice). */
  identity?: { party: Party; domain: string };
  /** Times the retry after a 491 (glare); without it a 491 leaves the leg as it was. */
  clock?: Clock;
  /** The retry delay's randomness, uniform in [0, 1) (tests fix it); default from node:crypto. */
  random?: () => number;
  /** Further headers of the re-INVITE (a session refresh's Session-Expires, RFC 4028 section 7.4). */
  headers?: Array<[string, string]>;
}

/**
 * How long a leg switching to another format hears nothing before our offer goes out: longer than a desk phone's
 * jitter buffer holds packets (typically 60 to 150 ms), short enough to pass for the gap of a transfer.
 */
export const FORMAT_DRAIN_MS = 250;

/** How often a re-INVITE met by 491 is sent again before we give up on it. */
export const GLARE_RETRIES = 2;

/**
 * RFC 3261 section 14.1: after a 491 the owner of the dialog's Call-ID (the side that sent the initial INVITE)
 * waits a random 2.1 to 4 s, the other side 0 to 2 s, both in units of 10 ms, so the two retries do not cross
 * again.
 */
export function glareDelayMs(ownsCallId: boolean, random: () => number = uniform): number {
  const steps = ownsCallId ? 210 + Math.floor(random() * 191) : Math.floor(random() * 201);
  return steps * 10;
}

/** A uniform number in [0, 1) from node:crypto. */
function uniform(): number {
  return randomInt(0, 2 ** 32) / 2 ** 32;
}

/**
 * Sends the re-INVITE; true when the leg accepted it with a usable answer (a 488 leaves it as it was, RFC 3261
 * section 14.2). A 491 — the phone sent its own re-INVITE at the same moment — is retried after the glare delay
 * with an offer built anew, since the phone's change may have altered what we should offer.
 */
export async function reoffer(leg: Leg, o: ReofferOptions = {}): Promise<boolean> {
  if (leg.dialog.state === 'terminated') return false;
  const undo = o.only ? switchingTo(leg.ep, o.only) : undefined;
  // The leg now receives nothing; packets of the old format sent just before may still be on their way or in the
  // phone's jitter buffer, and a phone that drops the old format as soon as it answers (RFC 3264 section 8.3.2)
  // would meet them as a payload type it never agreed to. They drain before the offer goes out.
  if (undo && o.clock) await wait(o.clock, FORMAT_DRAIN_MS, leg);
  for (let attempt = 0; ; attempt++) {
    const res = await sendOffer(leg, o);
    if (res?.status === 491 && o.clock && attempt < GLARE_RETRIES) {
      await wait(o.clock, glareDelayMs(leg.ownsCallId, o.random), leg);
      continue;
    }
    const ok =
      res !== undefined &&
      res.status >= 200 &&
      res.status < 300 &&
      applyAnswer(leg.ep, res.body.toString('utf8')) !== undefined;
    if (!ok) undo?.();
    return ok;
  }
}

/**
 * Makes `leg` take a codec the player can encode before the PBX plays to it (music, ringback): a leg on Opus or
 * another codec the player lacks is re-offered PCMU only. False when the phone refused: nothing may be played
 * then, since packets in a format the leg did not negotiate would be discarded or worse.
 */
export async function playableLeg(leg: Leg, clock: Clock): Promise<boolean> {
  if (canPlayCodec(leg.ep.codec)) return true;
  return (await reoffer(leg, { only: [PCMU_FORMAT], clock })) && canPlayCodec(leg.ep.codec);
}

function sendOffer(leg: Leg, o: ReofferOptions): Promise<SipResponse | undefined> {
  // The dialog may have ended while a glare retry waited.
  if (leg.dialog.state === 'terminated') return Promise.resolve(undefined);
  const sdp = o.only
    ? offerOn(leg.ep, o.only, { only: true, ...(o.direction ? { direction: o.direction } : {}) })
    : offerOn(leg.ep, negotiatedFormats(leg.ep), o.direction ? { direction: o.direction } : {});
  const { body, contentType } = sdpBody(sdp);
  const headers = [
    ...(o.identity ? connectedIdentityHeaders(o.identity.party, o.identity.domain) : []),
    ...(o.headers ?? []),
  ];
  return leg.dialog
    .request('INVITE', { body, contentType, ...(headers.length > 0 ? { headers } : {}) })
    .catch(() => undefined);
}

/** Resolves after `ms`, or at once when the leg's dialog ends meanwhile (its timer is cleared then). */
function wait(clock: Clock, ms: number, leg: Leg): Promise<void> {
  return new Promise((resolve) => {
    const timer = clock.setTimeout(resolve, ms);
    leg.dialog.onTerminated(() => {
      clock.clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Makes `leg` receive what `fixed` sends, now that the two are bridged: when the relay can neither pass nor
 * transcode between their codecs, `leg` is re-offered exactly `fixed`'s formats (RFC 3264 section 8.3.2); when
 * that fails, `fixed` (if it is a leg) is re-offered `leg`'s. With `identity`, `leg` gets the re-INVITE anyway so
 * its phone shows the new party. False when the two legs still cannot hear each other: the caller ends the call
 * rather than leave it silent.
 */
export async function matchCodecs(
  fixed: Leg | MediaEndpoint,
  leg: Leg,
  clock: Clock,
  identity?: { party: Party; domain: string },
): Promise<boolean> {
  const fixedEp = 'ep' in fixed ? fixed.ep : fixed;
  if (relayable(fixedEp.codec, leg.ep.codec)) {
    if (identity) await reoffer(leg, { only: negotiatedFormats(leg.ep), identity, clock });
    return relayable(fixedEp.codec, leg.ep.codec);
  }
  const wanted = negotiatedFormats(fixedEp);
  if (await reoffer(leg, { only: wanted, clock, ...(identity ? { identity } : {}) })) {
    if (relayable(fixedEp.codec, leg.ep.codec)) return true;
  }
  if ('ep' in fixed && (await reoffer(fixed, { only: negotiatedFormats(leg.ep), clock }))) {
    return relayable(fixedEp.codec, leg.ep.codec);
  }
  return false;
}

/** The part of a call matchOrEnd needs (the Call's CallCore; narrow so this module needs no call types). */
export interface MatchingCall {
  readonly tenant: { readonly domain: string };
  readonly log: Logger;
  readonly deps: { readonly clock: Clock };
  isAnswered(): boolean;
  hangup(reason: 'failed'): Promise<void>;
}

/**
 * Two legs of `core`'s call were just bridged: make `leg` receive what `fixed` sends (matchCodecs); a call whose
 * phones share no codec the relay can carry ends rather than stay silent.
 */
export function matchOrEnd(core: MatchingCall, fixed: Leg | MediaEndpoint, leg: Leg, identity?: Party): void {
  const who = identity ? { party: identity, domain: core.tenant.domain } : undefined;
  void matchCodecs(fixed, leg, core.deps.clock, who).then((ok) => {
    if (ok || !core.isAnswered() || !leg.active) return;
    core.log.info(
      { event: 'call.no-common-codec', side: leg.party.number },
      'legs share no codec, ending call',
    );
    void core.hangup('failed');
  });
}
