import type { MediaEndpoint, SdpDirection, SdpFormat } from '../../media/index.js';
import type { Party } from '../events/types.js';
import type { Logger } from '../../util/log.js';
import type { Leg } from './leg.js';
import { applyAnswer, negotiatedFormats, offerOn, relayable } from './leg-media.js';
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
}

/** Sends the re-INVITE; true when the leg accepted it with a usable answer (a 491 or 488 leaves it as it was). */
export async function reoffer(leg: Leg, o: ReofferOptions = {}): Promise<boolean> {
  if (leg.dialog.state === 'terminated') return false;
  const sdp = o.only
    ? offerOn(leg.ep, o.only, { only: true, ...(o.direction ? { direction: o.direction } : {}) })
    : offerOn(leg.ep, negotiatedFormats(leg.ep), o.direction ? { direction: o.direction } : {});
  const { body, contentType } = sdpBody(sdp);
  const res = await leg.dialog
    .request('INVITE', {
      body,
      contentType,
      ...(o.identity ? { headers: connectedIdentityHeaders(o.identity.party, o.identity.domain) } : {}),
    })
    .catch(() => undefined);
  if (!res || res.status < 200 || res.status >= 300) return false;
  return applyAnswer(leg.ep, res.body.toString('utf8')) !== undefined;
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
  identity?: { party: Party; domain: string },
): Promise<boolean> {
  const fixedEp = 'ep' in fixed ? fixed.ep : fixed;
  if (relayable(fixedEp.codec, leg.ep.codec)) {
    if (identity) await reoffer(leg, { only: negotiatedFormats(leg.ep), identity });
    return relayable(fixedEp.codec, leg.ep.codec);
  }
  const wanted = negotiatedFormats(fixedEp);
  if (await reoffer(leg, { only: wanted, ...(identity ? { identity } : {}) })) {
    if (relayable(fixedEp.codec, leg.ep.codec)) return true;
  }
  if ('ep' in fixed && (await reoffer(fixed, { only: negotiatedFormats(leg.ep) }))) {
    return relayable(fixedEp.codec, leg.ep.codec);
  }
  return false;
}

/**
 * Two legs of `core`'s call were just bridged: make `leg` receive what `fixed` sends (matchCodecs); a call whose
 * phones share no codec the relay can carry ends rather than stay silent.
 */
/** The part of a call matchOrEnd needs (the Call's CallCore; narrow so this module needs no call types). */
export interface MatchingCall {
  readonly tenant: { readonly domain: string };
  readonly log: Logger;
  isAnswered(): boolean;
  hangup(reason: 'failed'): Promise<void>;
}

export function matchOrEnd(core: MatchingCall, fixed: Leg | MediaEndpoint, leg: Leg, identity?: Party): void {
  const who = identity ? { party: identity, domain: core.tenant.domain } : undefined;
  void matchCodecs(fixed, leg, who).then((ok) => {
    if (ok || !core.isAnswered() || !leg.active) return;
    core.log.info(
      { event: 'call.no-common-codec', side: leg.party.number },
      'legs share no codec, ending call',
    );
    void core.hangup('failed');
  });
}
