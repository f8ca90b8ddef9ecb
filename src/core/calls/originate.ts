import { randomBytes } from 'node:crypto';
import { ringbackTone } from '../../media/audio/tone.js';
import { canPlayCodec, type MediaEndpoint, type SdpFormat } from '../../media/index.js';
import type { SipRequest } from '../../sip/message/index.js';
import type { Dialog, IncomingInvite, OutgoingInvite } from '../../sip/ua/index.js';
import type { TenantRecord } from '../../store/types.js';
import type { Logger } from '../../util/log.js';
import type { Party } from '../events/types.js';
import type { QueueCore } from './call-core.js';
import type { AnsweredLegCall } from './queue.js';
import type { EngineDeps } from './engine-deps.js';
import { Fork, ForkBranch } from './fork.js';
import { Leg } from './leg.js';
import { applyAnswer, negotiatedFormats, offerOn } from './leg-media.js';
import { connectedIdentityHeaders } from './pickup.js';
import type { RingPlan } from './ring-plan.js';
import { Ringing } from './ringing.js';
import { nameAddr, type Target } from './targets.js';
import { inviteLeg } from './session-refresh.js';

/**
 * Calls the PBX starts on a workplace's behalf (third-party call control, call-control.ts): it first rings one of
 * the workplace's own devices with auto-answer hints, and what happens once that device answers depends on the
 * operation — click-to-dial calls the target from there (clickToDial below), answer, pickup and pull put the
 * device's new leg into an existing call (takeover.ts).
 */

/**
 * The hints that make a desk phone answer at once, hands-free: `Call-Info` with `answer-after=0` (the
 * convention of Polycom, Yealink, Snom, Grandstream; not an RFC parameter) and `Alert-Info: info=alert-autoanswer`
 * (Polycom, Yealink). A phone that ignores both simply rings, and the user picks up.
 */
export function autoAnswerHeaders(domain: string): Array<[string, string]> {
  return [
    ['Call-Info', `<sip:${domain}>;answer-after=0`],
    ['Alert-Info', 'info=alert-autoanswer'],
  ];
}

/** The answered device: our dialog with it, and its endpoint with the phone's SDP answer applied. */
export interface DeviceLeg {
  dialog: Dialog;
  ep: MediaEndpoint;
  /** The INVITE we sent it. */
  request: SipRequest;
}

export interface DeviceRing {
  /** The answered device, or the failure status (408/480 when it did not answer within the ring timeout). */
  readonly result: Promise<DeviceLeg | { status: number }>;
  /** Stops ringing the device (the call it was meant for went away). */
  cancel(): void;
}

/**
 * Rings `target` (one device of the workplace) with the auto-answer hints and our own offer (`preferred` formats
 * first: those of the party it will be connected to, so the relay can pass them through). The phone shows
 * `shown`, the party it is about to talk to, as caller and in the connected identity headers.
 */
export async function ringDevice(
  deps: EngineDeps,
  x: {
    tenant: TenantRecord;
    label: string;
    target: Target;
    user: Party;
    shown: Party;
    preferred?: readonly SdpFormat[];
  },
): Promise<DeviceRing> {
  const domain = x.tenant.domain;
  const ep = await deps.media.allocate(`${x.label}:${x.target.label}`);
  let invite: OutgoingInvite;
  try {
    invite = inviteLeg(
      deps,
      x.target,
      {
        flow: x.target.flow,
        requestUri: x.target.requestUri,
        from: nameAddr(x.shown, domain),
        to: nameAddr(x.user, domain),
        headers: [...autoAnswerHeaders(domain), ...connectedIdentityHeaders(x.shown, domain)],
      },
      { endpoint: ep, make: () => offerOn(ep, x.preferred ?? []) },
    );
  } catch (err) {
    // A contact the UA core cannot address: nothing rings, nothing stays allocated.
    ep.close();
    throw err;
  }
  const fork = new Fork([new ForkBranch(x.target, ep, invite)], {
    clock: deps.clock,
    timeoutMs: deps.ringTimeoutMs,
  });
  const result = fork.result.then((r): DeviceLeg | { status: number } => {
    if (r.kind !== 'answered')
      return { status: r.kind === 'failed' ? r.status : r.kind === 'timeout' ? 408 : 487 };
    if (!applyAnswer(ep, r.response.body.toString('utf8'))) {
      // RFC 3264 section 6: an answer without usable audio leaves no call to make.
      void r.dialog.bye();
      ep.close();
      return { status: 488 };
    }
    return { dialog: r.dialog, ep, request: invite.request };
  });
  return { result, cancel: () => fork.cancel() };
}

/**
 * A Call whose first leg our own INVITE set up has no caller INVITE left to answer: the Call starts `queued` on
 * that leg (as a queue caller's, queue.ts) and never answers, rejects or cancels it. This stands for it.
 */
export function answeredInvite(request: SipRequest, dialog: Dialog): IncomingInvite {
  return {
    request,
    flow: dialog.flow,
    localTag: dialog.id.localTag,
    canceled: false,
    ack: undefined,
    progress: () => undefined,
    accept: () => Promise.reject(new Error('the first leg is answered already')),
    reject: () => undefined,
    onCancel: () => undefined,
  };
}

/** What clickToDial needs of the engine: a Call started on an answered leg (as answerQueued gets). */
export type AnsweredLegCallFactory = (x: AnsweredLegCall) => { id: string };

/**
 * Click-to-dial, once the workplace's device answered: a Call starts on the device's leg (caller = the
 * workplace on that device, or the executive it calls as), the device hears ringback while the callee's ring plan
 * runs — the same plan a call dialled on the phone gets (ring-plan.ts: forwarding, do not disturb, the executive's
 * filter), through the same runner (ringing.ts), with our offer (the device's codec first) instead of a relayed
 * one. The first to answer is bridged as the callee — from then on an answered call like any other. The plan
 * giving up ends the call with that reason (BYE to the device); the device hanging up first cancels the branches.
 * A plan step that hands the call to a service (voicemail) cannot take a leg that is answered already: the call
 * ends as unavailable. Events as for a call dialled on the phone: `call.offered`, `call.ringing`,
 * `call.answered`, `call.ended`.
 */
export function clickToDial(
  deps: EngineDeps,
  create: AnsweredLegCallFactory,
  x: {
    tenant: TenantRecord;
    caller: Party;
    callee: Party;
    device: DeviceLeg;
    plan: RingPlan;
    log: Logger;
  },
): string {
  const id = randomBytes(8).toString('hex');
  const { dialog, ep, request } = x.device;
  let q: QueueCore | undefined;
  create({
    id,
    tenant: x.tenant,
    caller: x.caller,
    callee: x.callee,
    incoming: answeredInvite(request, dialog),
    log: x.log,
    queued: { dialog, ep, bind: (core) => (q = core) },
  });
  deps.bus.emit({
    type: 'call.offered',
    tenantId: x.tenant.id,
    callId: id,
    caller: x.caller,
    callee: x.callee,
    at: deps.clock.now(),
  });
  // The device hung up before the call was set up (the Call ended inside its constructor).
  if (!q || q.state() !== 'queued') return id;
  void runPlan(deps, q, id, x);
  return id;
}

async function runPlan(
  deps: EngineDeps,
  q: QueueCore,
  callId: string,
  x: { tenant: TenantRecord; caller: Party; device: DeviceLeg; plan: RingPlan; log: Logger },
): Promise<void> {
  const deviceEp = x.device.ep;
  q.to('offering');
  const ringback = canPlayCodec(deviceEp.codec)
    ? deps.media.play(deviceEp, ringbackTone(), { loop: true })
    : undefined;
  q.onEnding(() => ringback?.stop());
  const base = { tenantId: x.tenant.id, callId, caller: x.caller };
  const emit = (type: 'call.ringing' | 'call.answered', callee: Party, device: string | undefined) => {
    const c = ring.context;
    deps.bus.emit({
      type,
      ...base,
      callee,
      at: deps.clock.now(),
      ...(device ? { device } : {}),
      ...(c.for ? { for: c.for } : {}),
      ...(c.diversions?.length ? { diversions: c.diversions } : {}),
    });
  };
  const offering = () => q.state() === 'offering';
  const ring: Ringing = new Ringing({
    id: callId,
    deps,
    log: x.log,
    domain: x.tenant.domain,
    incoming: answeredInvite(x.device.request, x.device.dialog),
    caller: () => x.caller,
    isRinging: offering,
    offer: (ep) => offerOn(ep, negotiatedFormats(deviceEp)),
    ringing: (party, device) => emit('call.ringing', party, device),
    ringEnded: (party, reason) =>
      deps.bus.emit({ type: 'call.ring-ended', ...base, at: deps.clock.now(), party, reason }),
    answer: async (winner, answerSdp, dialog, party) => {
      ringback?.stop();
      const ep = winner.endpoint;
      if (!offering() || !applyAnswer(ep, answerSdp)) {
        void dialog.bye();
        ep.close();
        if (offering()) await q.core.hangup('failed');
        return;
      }
      const device = winner.target.device;
      q.connect(new Leg({ dialog, ep, party: { ...party, ...(device ? { device } : {}) }, role: 'callee' }));
      emit('call.answered', party, device);
    },
    finish: async (_status, reason) => {
      ringback?.stop();
      if (offering()) await q.core.hangup(reason);
    },
    divert: async (step) => {
      x.log.info(
        { event: 'control.dial.service', service: step.service, callId },
        'a ring plan service cannot take a click-to-dial call',
      );
      ringback?.stop();
      if (offering()) await q.core.hangup('unavailable');
    },
  });
  q.onEnding(() => {
    ring.cancel();
    ring.releaseTargets();
  });
  await ring.run('', x.plan);
}
