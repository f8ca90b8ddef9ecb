import type { MediaEndpoint } from '../../media/index.js';
import type { Dialog, IncomingInvite } from '../../sip/ua/index.js';
import type { Party } from '../events/types.js';
import type { CallCore } from './call-core.js';
import { Leg } from './leg.js';
import { answerOffer } from './leg-media.js';
import { connectedIdentityHeaders } from './pickup.js';
import { sdpBody } from './sip-helpers.js';

/**
 * Taking over a connected leg of an answered call: INVITE with Replaces naming it (RFC 3891), or a call pull
 * (`*11`) taking the workplace's call to another of its devices. The new phone is answered from a new endpoint
 * (its 200 OK names the party it is connected to), takes the leg's place, and the replaced phone gets BYE.
 * Pickup of a ringing call is the Call's own (it ends the ringing); handing a leg over to another call is in
 * transfer.ts.
 */
export async function replaceLeg(
  core: CallCore,
  leg: Leg,
  incoming: IncomingInvite,
  party: Party,
  kind: 'replaces' | 'pull',
): Promise<void> {
  const o = core.deps;
  if (!core.isAnswered() || !leg.active) {
    incoming.reject(481, { reason: 'Replaced Dialog Not Found' });
    return;
  }
  const ep = await o.media.allocate(`${core.id}:${party.device ?? party.number}`);
  const ans = answerOffer(incoming.request.body.toString('utf8'), ep);
  if (!ans) {
    ep.close();
    incoming.reject(488);
    return;
  }
  let dialog: Dialog;
  try {
    dialog = await incoming.accept({
      ...sdpBody(ans.sdp),
      headers: connectedIdentityHeaders(core.other(leg).party, core.tenant.domain),
    });
  } catch {
    ep.close();
    return;
  }
  if (!core.isAnswered() || !leg.active) {
    void dialog.bye();
    ep.close();
    return;
  }
  takeLegPlace(core, leg, new Leg({ dialog, ep, party, role: leg.role }));
  if (kind === 'pull') {
    o.bus.emit({
      type: 'call.picked-up',
      tenantId: core.tenant.id,
      callId: core.id,
      at: o.clock.now(),
      by: party,
      from: leg.party,
      kind: 'pull',
    });
    return;
  }
  o.bus.emit({
    type: 'call.transferred',
    tenantId: core.tenant.id,
    callId: core.id,
    at: o.clock.now(),
    by: leg.party,
    to: party,
    kind: 'attended',
  });
}

/** `next` takes the place of `leg`: bridged to the other side, `leg` released with BYE and its media closed. */
function takeLegPlace(core: CallCore, leg: Leg, next: Leg): void {
  const other = core.other(leg);
  leg.to('replaced');
  core.holds.stopAll();
  core.bridge(other.ep, next.ep);
  core.swapLeg(leg, next);
  void leg.dialog.bye();
  leg.ep.close();
}

/**
 * The two answers of a pickup of a ringing call: the picker's INVITE from its new endpoint, the caller's pending
 * INVITE from the caller's endpoint (each side negotiates its own codec). Undefined with the status and reason
 * to reject the picker with when either cannot be answered.
 */
export function pickupAnswers(
  pickerOffer: string,
  pickerEp: MediaEndpoint,
  callerOffer: string,
  callerEp: MediaEndpoint,
): { picker: string; caller: string; codecs: [string?, string?] } | { reject: string } {
  const picker = pickerOffer ? answerOffer(pickerOffer, pickerEp) : undefined;
  // Late offer (INVITE without SDP) is not supported, as for any call.
  if (!picker) return { reject: pickerOffer ? 'No Common Codec' : 'SDP Offer Required' };
  const caller = callerOffer ? answerOffer(callerOffer, callerEp) : undefined;
  // A caller that sent no offer (late offer) would have to answer ours in its ACK: not done for pickup.
  if (!caller) return { reject: callerOffer ? 'No Common Codec' : 'Caller Sent No Offer' };
  return { picker: picker.sdp, caller: caller.sdp, codecs: [caller.codec?.encoding, picker.codec?.encoding] };
}
