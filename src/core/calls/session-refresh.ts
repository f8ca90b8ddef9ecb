import type { SipResponse } from '../../sip/message/index.js';
import { createResponse } from '../../sip/message/index.js';
import { respondingWith } from '../../sip/dialog/index.js';
import type { ServerTransaction } from '../../sip/transaction/types.js';
import type {
  Dialog,
  IncomingInvite,
  InviteOptions,
  OutgoingInvite,
  RequestOptions,
  UserAgentCore,
} from '../../sip/ua/index.js';
import {
  SessionTimer,
  tooSmallHeaders,
  uacRequestHeaders,
  uacTerms,
  uasNegotiate,
  type SessionTerms,
  type SessionTimerConfig,
} from '../../sip/ua/session-timer.js';
import type { CallCore } from './call-core.js';
import type { Leg } from './leg.js';
import { reoffer } from './renegotiate.js';
import type { BranchOffer, SrtpCallees } from './srtp-callees.js';
import { inviteTo, type Target } from './targets.js';

/**
 * Session timers (RFC 4028) on the legs of a call. Every dialog that becomes a leg is set up through here: the
 * INVITEs we send to phones and carriers by inviteLeg, the INVITEs we answer by acceptWithTimer. The terms
 * negotiated then are kept by dialog until the call wires the leg (call.ts, whatever kind of leg it is); then a SessionTimer (sip/ua/session-timer.ts) refreshes it or watches
 * for the peer's refreshes, and a session that runs out ends the call like a BYE would (docs/sip.md).
 */

const negotiated = new WeakMap<Dialog, SessionTerms>();
const timers = new WeakMap<Dialog, SessionTimer>();

/**
 * RFC 4028 section 9: an INVITE asking for a Session-Expires below our Min-SE gets 422 with our Min-SE, so the
 * phone or carrier can ask again with a longer interval. True when it was refused.
 */
export function refuseBriefSession(incoming: IncomingInvite, cfg: SessionTimerConfig): boolean {
  const d = uasNegotiate(incoming.request, cfg);
  if (d.kind !== 'reject') return false;
  incoming.reject(422, { headers: tooSmallHeaders(d.minSe) });
  return true;
}

/** Accepts the caller's INVITE with the session-timer terms in the 2xx, and keeps them for the caller's leg. */
export async function acceptWithTimer(
  incoming: IncomingInvite,
  cfg: SessionTimerConfig,
  o: RequestOptions,
): Promise<Dialog> {
  const d = uasNegotiate(incoming.request, cfg);
  const headers = d.kind === 'timer' ? d.headers : [];
  const dialog = await incoming.accept({ ...o, headers: [...(o.headers ?? []), ...headers] });
  if (d.kind === 'timer') negotiated.set(dialog, d.terms);
  return dialog;
}

/**
 * The INVITE that sets up a leg towards a phone or carrier (any kind: a ring, an agent offer, a click-to-dial
 * device, a transfer target): our session-timer request (section 7.1), and the terms of its 2xx kept for the leg
 * (section 7.2). The terms are taken before anyone else sees the 2xx, so the leg made from it finds them.
 */
export function inviteLeg(
  deps: { ua: UserAgentCore; sessionTimer: SessionTimerConfig; srtpCallees: SrtpCallees },
  target: Target,
  o: Omit<InviteOptions, 'body' | 'contentType'>,
  offer: BranchOffer,
): OutgoingInvite {
  const cfg = deps.sessionTimer;
  const headers = [...(o.headers ?? []), ...uacRequestHeaders(cfg)];
  const invite = inviteTo(deps.ua, target, { ...o, headers }, offer, deps.srtpCallees);
  void invite.result.then((r) => {
    if (r.dialog) noteAnswer(r.dialog, r.response, cfg);
  });
  return invite;
}

/** The 2xx to our INVITE set up `dialog`: keeps the terms it carried for the leg it becomes (section 7.2). */
function noteAnswer(dialog: Dialog, res: SipResponse, cfg: SessionTimerConfig): void {
  const terms = uacTerms(res, cfg);
  if (terms) negotiated.set(dialog, terms);
}

/** What the call needs to act on its legs' sessions: its core, and the wiring of in-dialog requests. */
export interface SessionWatch {
  /** Wraps an in-dialog request of the leg: a 2xx to a re-INVITE or UPDATE restarts the interval. */
  incoming(tx: ServerTransaction): ServerTransaction;
}

/**
 * Starts the session timer of `leg` (when its dialog negotiated one) inside `core`'s call. A leg that moves into
 * another call keeps its timer; the new call takes over what expiry does.
 */
export function watchSession(core: CallCore, leg: Leg): SessionWatch {
  const cfg = core.deps.sessionTimer;
  const expired = (): void => {
    // A queued caller (or a click-to-dial device waiting for its far end) is a leg too: its call ends as well.
    if (!leg.active) return;
    core.log.info(
      { event: 'call.session-expired', side: leg.party.number },
      'session not refreshed, ending call',
    );
    void core.hangup('completed');
  };
  let timer = timers.get(leg.dialog);
  const terms = negotiated.get(leg.dialog);
  if (timer) timer.onExpired(expired);
  else if (terms) {
    const t = new SessionTimer({
      clock: core.deps.clock,
      terms,
      refresh: () => sendRefresh(core, leg),
      expired,
    });
    timers.set(leg.dialog, t);
    negotiated.delete(leg.dialog);
    leg.dialog.onTerminated(() => t.stop());
    timer = t;
  }
  return {
    incoming: (tx) => {
      const m = tx.request.method;
      if (m !== 'INVITE' && m !== 'UPDATE') return tx;
      return withRefresh(tx, cfg, (t) => timers.get(leg.dialog)?.refreshed(t));
    },
  };
}

/**
 * An in-dialog UPDATE (RFC 3311): without a body it is a session refresh (RFC 4028 section 7.4) and gets 200; an
 * offer in an UPDATE is not taken (re-INVITE carries ours), so it gets 488 and the session stays as it was.
 */
export function answerUpdate(tx: ServerTransaction): void {
  if (tx.request.body.length === 0) tx.respond(createResponse(tx.request, 200));
  else tx.respond(createResponse(tx.request, 488, 'Not Acceptable Here'));
}

/**
 * The peer's re-INVITE or UPDATE as the call's handlers see it: its 2xx carries the session-timer terms (section
 * 9, negotiated as for an initial INVITE) and restarts the interval.
 */
function withRefresh(
  tx: ServerTransaction,
  cfg: SessionTimerConfig,
  refreshed: (terms: SessionTerms | undefined) => void,
): ServerTransaction {
  const respond = (res: SipResponse): void => {
    if (res.status >= 200 && res.status < 300) {
      const d = uasNegotiate(tx.request, cfg);
      if (d.kind === 'timer') for (const [n, v] of d.headers) res.headers.add(n, v);
      refreshed(d.kind === 'timer' ? d.terms : undefined);
    }
    tx.respond(res);
  };
  return respondingWith(tx, respond);
}

/**
 * Our refresh of `leg` (section 7.4 / 8): UPDATE without a body where the peer allows it, else a re-INVITE with the
 * leg's current offer. False only when the dialog is gone (a 408 or 481 ends it, RFC 3261 12.2.1.2); a peer that
 * merely refuses the refresh keeps its call.
 */
async function sendRefresh(core: CallCore, leg: Leg): Promise<SessionTerms | boolean> {
  const cfg = core.deps.sessionTimer;
  const current = timers.get(leg.dialog)?.terms;
  const headers = uacRequestHeaders(cfg, current?.interval ?? cfg.expires);
  if (current?.peerAllowsUpdate) {
    const res = await leg.dialog.request('UPDATE', { headers }).catch(() => undefined);
    if (leg.dialog.state === 'terminated' || !res) return false;
    if (res.status >= 200 && res.status < 300)
      return uacTerms(res, cfg) ?? (current ? { ...current, refresher: 'local' } : true);
    core.log.info({ event: 'call.session-refresh-refused', status: res.status }, 'refresh refused');
    return true;
  }
  const ok = await reoffer(leg, { clock: core.deps.clock, headers });
  if (leg.dialog.state === 'terminated') return false;
  if (!ok) core.log.info({ event: 'call.session-refresh-refused' }, 'refresh refused');
  return true;
}
