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
import { reasonForStatus } from './final-status.js';
import { Fork, ForkBranch } from './fork.js';
import { Leg } from './leg.js';
import { applyAnswer, negotiatedFormats, offerOn } from './leg-media.js';
import { connectedIdentityHeaders } from './pickup.js';
import { sdpBody } from './sip-helpers.js';
import { inviteTo, nameAddr, type Target } from './targets.js';

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
    invite = deps.ua.invite({
      flow: x.target.flow,
      requestUri: x.target.requestUri,
      from: nameAddr(x.shown, domain),
      to: nameAddr(x.user, domain),
      ...sdpBody(offerOn(ep, x.preferred ?? [])),
      headers: [...autoAnswerHeaders(domain), ...connectedIdentityHeaders(x.shown, domain)],
    });
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
 * workplace on that device, or the executive it calls as), the device hears ringback while `targets` ring with
 * our offer (the device's codec first), and the first to answer is bridged as the callee — from then on an
 * answered call like any other. Nobody answering ends the call with that reason (BYE to the device); the device
 * hanging up first cancels the targets. Events as for a call dialled on the phone: `call.offered`,
 * `call.ringing`, `call.answered`, `call.ended`.
 */
export function clickToDial(
  deps: EngineDeps,
  create: AnsweredLegCallFactory,
  x: {
    tenant: TenantRecord;
    caller: Party;
    callee: Party;
    device: DeviceLeg;
    targets: Target[];
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
  const event = { tenantId: x.tenant.id, callId: id, caller: x.caller, callee: x.callee };
  deps.bus.emit({ type: 'call.offered', ...event, at: deps.clock.now() });
  // The device hung up before the call was set up (the Call ended inside its constructor).
  if (!q || q.state() !== 'queued') return id;
  void ringTargets(deps, q, x, event);
  return id;
}

async function ringTargets(
  deps: EngineDeps,
  q: QueueCore,
  x: { tenant: TenantRecord; caller: Party; callee: Party; device: DeviceLeg; targets: Target[] },
  event: { tenantId: string; callId: string; caller: Party; callee: Party },
): Promise<void> {
  const deviceEp = x.device.ep;
  q.to('offering');
  const ringback = canPlayCodec(deviceEp.codec)
    ? deps.media.play(deviceEp, ringbackTone(), { loop: true })
    : undefined;
  const branches: ForkBranch[] = [];
  q.onEnding(() => ringback?.stop());
  try {
    for (const target of x.targets) {
      const ep = await deps.media.allocate(`${event.callId}:${target.label}`);
      branches.push(
        new ForkBranch(
          target,
          ep,
          inviteTo(deps.ua, target, {
            flow: target.flow,
            requestUri: target.requestUri,
            from: target.from ?? nameAddr(x.caller, x.tenant.domain),
            to: target.to ?? nameAddr(x.callee, x.tenant.domain),
            ...sdpBody(offerOn(ep, negotiatedFormats(deviceEp))),
            headers: target.headers ?? [
              ['P-Asserted-Identity', `<sip:${x.caller.number}@${x.tenant.domain}>`],
            ],
          }),
        ),
      );
    }
  } catch {
    for (const b of branches) b.invite.cancel();
    for (const b of branches) b.endpoint.close();
    return q.core.hangup('failed');
  }
  const fork = new Fork(branches, {
    clock: deps.clock,
    timeoutMs: deps.ringTimeoutMs,
    onProvisional: (b, res) => {
      if (res.status < 180) return;
      const device = b.target.device;
      deps.bus.emit({ type: 'call.ringing', ...event, at: deps.clock.now(), ...(device ? { device } : {}) });
    },
  });
  // The device hanging up cancels the targets (also when it did so while the branches were being set up).
  if (q.state() !== 'offering') fork.cancel();
  else q.onEnding(() => fork.cancel());
  const r = await fork.result;
  ringback?.stop();
  if (r.kind === 'cancelled') return;
  if (r.kind !== 'answered')
    return q.core.hangup(r.kind === 'timeout' ? 'no-answer' : reasonForStatus(r.status));
  const ep = r.branch.endpoint;
  if (q.state() !== 'offering' || !applyAnswer(ep, r.response.body.toString('utf8'))) {
    void r.dialog.bye();
    ep.close();
    if (q.state() === 'offering') await q.core.hangup('failed');
    return;
  }
  const device = r.branch.target.device;
  q.connect(
    new Leg({ dialog: r.dialog, ep, party: { ...x.callee, ...(device ? { device } : {}) }, role: 'callee' }),
  );
  deps.bus.emit({ type: 'call.answered', ...event, at: deps.clock.now(), ...(device ? { device } : {}) });
}
