import { sameFormat, type MediaEndpoint, type SdpFormat } from '../../media/index.js';
import type { Dialog, IncomingInvite } from '../../sip/ua/index.js';
import type { Party } from '../events/types.js';
import type { CallCore, RingingAnswerKind, RingingCore } from './call-core.js';
import { Leg } from './leg.js';
import { answerOffer, carriableTo, mediaOf, negotiatedFormats } from './leg-media.js';
import { connectedIdentityHeaders, type PickupKind } from './pickup.js';
import { sdpBody } from './sip-helpers.js';
import { acceptWithTimer } from './session-refresh.js';

/**
 * Taking over a connected leg of an answered call: INVITE with Replaces naming it (RFC 3891), or a call pull
 * (`*11`) taking the workplace's call to another of its devices. The new phone is answered from a new endpoint
 * (its 200 OK names the party it is connected to), takes the leg's place, and the replaced phone gets BYE.
 * Pickup of a ringing call is here too; handing a leg over to another call is in transfer.ts.
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
  // The partner's codec when the new phone offers it (passed through), else one the relay transcodes to it, else
  // one of ours and the partner is re-negotiated once the new phone is in place.
  const offer = incoming.request.body.toString('utf8');
  const partnerEp = core.other(leg).ep;
  const prefer = negotiatedFormats(partnerEp)[0];
  const ans =
    answerOffer(offer, ep, { prefer, carry: carriableTo(partnerEp) }) ?? answerOffer(offer, ep, { prefer });
  if (!ans) {
    ep.close();
    incoming.reject(488);
    return;
  }
  let dialog: Dialog;
  try {
    dialog = await acceptWithTimer(incoming, o.sessionTimer, {
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
  // The phone called us, whatever role it takes over.
  takeOver(core, leg, new Leg({ dialog, ep, party, role: leg.role, ownsCallId: false }), kind);
}

/**
 * `next` (a phone already in a dialog with us: the new device of a pull, the phone of a Replaces) takes the place
 * of `leg`, which gets BYE; `next` is re-negotiated to its partner when their codecs do not meet, and the partner
 * learns who it talks to now.
 */
export function takeOver(core: CallCore, leg: Leg, next: Leg, kind: 'replaces' | 'pull'): void {
  const o = core.deps;
  const party = next.party;
  takeLegPlace(core, leg, next);
  // The partner learns who it talks to now, as after a transfer (RFC 4916 practice), in the same re-INVITE that
  // matches its codec to the new phone's when the relay cannot bridge the two.
  core.match(next, core.other(next), next.party);
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

/** The caller's most preferred audio format that the picker offered too, if any. */
function commonFormat(pickerOffer: string, callerOffer: string): SdpFormat | undefined {
  const picker = mediaOf(pickerOffer)?.codecs ?? [];
  const audio = (f: SdpFormat): boolean => !/^(telephone-event|CN)$/i.test(f.encoding);
  const common = (mediaOf(callerOffer)?.codecs ?? []).filter(
    (f) => audio(f) && picker.some((p) => sameFormat(p, f)),
  );
  return common[0];
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
  // A format both phones offered is answered on both sides (the relay passes it through, whatever it is);
  // otherwise each side gets one the relay transcodes (G.711 laws, G.722).
  const common = commonFormat(pickerOffer, callerOffer);
  const carry = common ? (f: SdpFormat) => sameFormat(f, common) : undefined;
  const o = carry ? { carry } : {};
  const picker = pickerOffer ? answerOffer(pickerOffer, pickerEp, o) : undefined;
  // Late offer (INVITE without SDP) is not supported, as for any call.
  if (!picker) return { reject: pickerOffer ? 'No Common Codec' : 'SDP Offer Required' };
  const caller = callerOffer ? answerOffer(callerOffer, callerEp, o) : undefined;
  // A caller that sent no offer (late offer) would have to answer ours in its ACK: not done for pickup.
  if (!caller) return { reject: callerOffer ? 'No Common Codec' : 'Caller Sent No Offer' };
  return { picker: picker.sdp, caller: caller.sdp, codecs: [caller.codec?.encoding, picker.codec?.encoding] };
}

/**
 * Pickup of a ringing call by another phone (`*97`, `*98`, INVITE with Replaces naming a branch). The picker's
 * INVITE is answered from a new media endpoint, the caller's pending INVITE with 200 from its own endpoint (each
 * side negotiates its own codec; the relay translates G.711 laws), every branch gets CANCEL ("Call completed
 * elsewhere", so phones do not log a missed call), and the call goes on as an answered call between the caller
 * and the picker. The picker's 200 OK names the real caller (connectedIdentityHeaders).
 */
export async function takeRinging(
  r: RingingCore,
  incoming: IncomingInvite,
  picker: Party,
  kind: Exclude<PickupKind, 'pull'>,
): Promise<void> {
  const core = r.core;
  const callerEp = r.callerEndpoint();
  if (!callerEp) {
    incoming.reject(480, { reason: 'Call No Longer Ringing' });
    return;
  }
  let pickerEp: MediaEndpoint;
  try {
    pickerEp = await core.deps.media.allocate(`${core.id}:${picker.device ?? picker.number}`);
  } catch {
    incoming.reject(503, { reason: 'No Media Ports' });
    return;
  }
  if (!r.callerEndpoint()) {
    pickerEp.close();
    incoming.reject(480, { reason: 'Call No Longer Ringing' });
    return;
  }
  const ans = pickupAnswers(
    incoming.request.body.toString('utf8'),
    pickerEp,
    r.callerInvite.request.body.toString('utf8'),
    callerEp,
  );
  if ('reject' in ans) {
    pickerEp.close();
    incoming.reject(488, { reason: ans.reject });
    return;
  }
  await answerRinging(
    r,
    { party: picker, ep: pickerEp, kind, callerSdp: ans.caller, codecs: ans.codecs },
    () =>
      acceptWithTimer(incoming, core.deps.sessionTimer, {
        ...sdpBody(ans.picker),
        headers: connectedIdentityHeaders(r.caller(), core.tenant.domain),
      }),
  );
}

/**
 * The ringing call is answered by the picker: every branch gets CANCEL, the caller's pending INVITE gets 200 with
 * `callerSdp`, the picker's side is confirmed by `pickerSide` (its own INVITE answered, or a dialog we already set
 * up), and the two are connected. Either side never confirming releases the other and fails the call.
 */
export async function answerRinging(
  r: RingingCore,
  p: {
    party: Party;
    ep: MediaEndpoint;
    kind: RingingAnswerKind;
    callerSdp: string;
    codecs?: [string?, string?];
  },
  pickerSide: () => Promise<Dialog>,
): Promise<void> {
  const core = r.core;
  const callerEp = r.callerEndpoint()!;
  const { party: picker, ep: pickerEp, kind } = p;
  // A pickup is reported as such (presence, history); an answer on another of the callee's devices is not.
  const o = core.deps;
  if (kind !== 'answer')
    o.bus.emit({
      type: 'call.picked-up',
      tenantId: core.tenant.id,
      callId: core.id,
      at: o.clock.now(),
      by: picker,
      from: r.callee(),
      kind,
    });
  r.answerBy(picker);
  core.bridge(callerEp, pickerEp);
  const [callerCodec, pickerCodec] = p.codecs ?? [callerEp.codec?.encoding, pickerEp.codec?.encoding];
  core.log.info({ event: 'call.picked-up', kind, by: picker.device, callerCodec, pickerCodec }, 'picked up');
  const [callerSide, pickerDialog] = await Promise.allSettled([
    acceptWithTimer(r.callerInvite, o.sessionTimer, sdpBody(p.callerSdp)),
    pickerSide(),
  ]);
  if (callerSide.status === 'rejected' || pickerDialog.status === 'rejected' || !core.isAnswered()) {
    // One side never ACKed (the UA core sent its BYE) or the caller gave up: release the other side too.
    if (callerSide.status === 'fulfilled') void callerSide.value.bye();
    if (pickerDialog.status === 'fulfilled') void pickerDialog.value.bye();
    pickerEp.close();
    r.fail();
    return;
  }
  r.connect(
    new Leg({ dialog: callerSide.value, ep: callerEp, party: r.caller(), role: 'caller' }),
    new Leg({ dialog: pickerDialog.value, ep: pickerEp, party: picker, role: 'callee', ownsCallId: false }),
  );
}
