import type { MediaEndpoint, MediaEngine } from '../../media/index.js';
import { negotiatedFormats, offerOn } from './leg-media.js';
import type { Dialog, UserAgentCore } from '../../sip/ua/index.js';
import type { TenantRecord } from '../../store/types.js';
import type { Clock } from '../../util/clock.js';
import type { EventBus } from '../events/event-bus.js';
import type { CallEndReason, Party } from '../events/types.js';
import { Fork, ForkBranch } from './fork.js';
import type { SrtpCallees } from './srtp-callees.js';
import { nameAddr, type Target } from './targets.js';
import { inviteLeg } from './session-refresh.js';
import type { SessionTimerConfig } from '../../sip/ua/session-timer.js';
import type { CallTraceSink } from '../trace/call-trace.js';

/** How one offer to a workplace ended. */
export type OfferOutcome =
  | 'answered'
  /** Every workplace refused or failed, at least one refused (486, 603, 600). */
  | 'declined'
  /** Nobody answered within the timeout, or the devices failed otherwise (408, 480, 5xx). */
  | 'no-answer'
  /** No workplace had a registered device to ring. */
  | 'unavailable'
  /** The caller hung up while the workplace rang. */
  | 'caller-gone'
  /** cancelOffer() was called. */
  | 'cancelled';

export interface OfferResult {
  outcome: OfferOutcome;
  /** The workplace whose device answered. */
  answeredBy?: string;
  /** Workplaces whose every device refused (486, 603, 600). */
  declinedBy: string[];
  /** Workplaces without a registered device. */
  unreachable: string[];
}

export interface Offer {
  readonly result: Promise<OfferResult>;
  /** Stops ringing (if still ringing); the result becomes 'cancelled'. */
  cancel(): void;
}

/** The device that answered an offer, ready to be bridged to the waiting caller. */
export interface OfferAnswer {
  agent: Party;
  subId: string;
  dialog: Dialog;
  ep: MediaEndpoint;
  answer: string;
  device?: string;
}

export interface OfferDeps {
  ua: UserAgentCore;
  media: MediaEngine;
  bus: EventBus;
  clock: Clock;
  trace?: CallTraceSink | undefined;
  srtpCallees: SrtpCallees;
  /** An agent's leg has session timers as any other (session-refresh.ts). */
  sessionTimer: SessionTimerConfig;
}

type Ring = ReadonlyArray<{ agent: Party; targets: readonly Target[] }>;

const who = (p: Party): string => p.workplace ?? p.number;

/**
 * One offer of a waiting call to workplaces: every device of every workplace in `ring` is a branch of one fork
 * (first answer wins, the rest get CANCEL "Call completed elsewhere"). Each workplace is a call of its own on the
 * bus (`<callId>.<n>`, partOf the waiting call): `call.ringing` per device, `call.ended` when all its devices said
 * no or the offer ended without it. The winner's `call.answered` and end are the waiting call's business
 * (`connect`, called before the result settles).
 */
export function offerToAgents(
  d: OfferDeps,
  call: {
    id: string;
    tenant: TenantRecord;
    caller: Party;
    /** The service number the caller waits at (a call-center group), shown to the agents it rings. */
    queue?: string;
    callerEp?: MediaEndpoint;
    nextSubId(): string;
  },
  ring: Ring,
  timeoutMs: number,
  connect: (a: OfferAnswer) => boolean,
): Offer & { abort(): void } {
  const attempts = ring
    .filter((r) => r.targets.length > 0)
    .map((r) => ({ ...r, subId: call.nextSubId(), left: r.targets.length, statuses: [] as number[] }));
  const unreachable = ring.filter((r) => r.targets.length === 0).map((r) => who(r.agent));
  // Each offer to a workplace is a call of its own on the bus, part of the queued call.
  const offerCall = (a: { subId: string; agent: Party }) => ({
    tenantId: call.tenant.id,
    callId: a.subId,
    partOf: call.id,
    at: d.clock.now(),
    caller: call.caller,
    callee: a.agent,
  });
  const emitEnd = (a: (typeof attempts)[number], reason: CallEndReason, status?: number) =>
    d.bus.emit({
      type: 'call.ended',
      ...offerCall(a),
      reason,
      ...(status !== undefined ? { status } : {}),
    });
  let settle!: (r: OfferResult) => void;
  const result = new Promise<OfferResult>((r) => (settle = r));
  let outcome: OfferOutcome | undefined;
  let fork: Fork | undefined;
  const open = new Set(attempts);
  const declinedBy: string[] = [];
  const finish = (o: OfferOutcome, reason: CallEndReason, answeredBy?: string): void => {
    if (outcome !== undefined) return;
    outcome = o;
    fork?.cancel();
    // Every workplace still ringing gets its end event (the winner's comes when the conversation ends).
    for (const a of open) if (who(a.agent) !== answeredBy) emitEnd(a, reason);
    open.clear();
    settle({ outcome: o, declinedBy, unreachable, ...(answeredBy !== undefined ? { answeredBy } : {}) });
  };
  if (attempts.length === 0) {
    settle({ outcome: 'unavailable', declinedBy: [], unreachable });
    return { result, cancel: () => undefined, abort: () => undefined };
  }
  const attemptOf = new Map<ForkBranch, (typeof attempts)[number]>();
  const branchFailed = (a: (typeof attempts)[number], status: number): void => {
    a.statuses.push(status);
    if (--a.left > 0) return;
    // Every device of this workplace said no.
    open.delete(a);
    const declined = a.statuses.some((s) => s === 486 || s === 603 || s === 600);
    if (declined) declinedBy.push(who(a.agent));
    emitEnd(a, declined ? 'declined' : 'no-answer', status);
  };
  void (async () => {
    const branches: ForkBranch[] = [];
    for (const a of attempts) {
      for (const target of a.targets) {
        let ep: MediaEndpoint;
        try {
          ep = await d.media.allocate(`${a.subId}:${target.label}`);
        } catch {
          branchFailed(a, 503);
          continue;
        }
        if (outcome !== undefined) {
          ep.close();
          continue;
        }
        const preferred = call.callerEp ? negotiatedFormats(call.callerEp) : [];
        const endpoint = ep;
        const invite = inviteLeg(
          d,
          target,
          {
            flow: target.flow,
            requestUri: target.requestUri,
            // A trunk target (overflow to an outside number) brings its own identities, as in call.ts.
            from: target.from ?? nameAddr(call.caller, call.tenant.domain),
            to: target.to ?? nameAddr(a.agent, call.tenant.domain),
            headers: target.headers ?? [
              ['P-Asserted-Identity', `<sip:${call.caller.number}@${call.tenant.domain}>`],
            ],
          },
          // The caller's codec first: an agent phone that takes it needs no transcoding.
          { endpoint, make: () => offerOn(endpoint, preferred) },
        );
        const sipCallId = invite.request.headers.get('Call-ID');
        if (sipCallId !== undefined) d.trace?.leg(call.id, sipCallId, target.label);
        const b = new ForkBranch(target, ep, invite);
        attemptOf.set(b, a);
        branches.push(b);
      }
    }
    if (outcome !== undefined) {
      // Ended while the endpoints were allocated: nothing may ring.
      for (const b of branches) b.invite.cancel();
      for (const b of branches) b.endpoint.close();
      return;
    }
    if (branches.length === 0) {
      finish(declinedBy.length > 0 ? 'declined' : 'no-answer', 'no-answer');
      return;
    }
    fork = new Fork(branches, {
      clock: d.clock,
      timeoutMs,
      onProvisional: (b, res) => {
        const a = attemptOf.get(b)!;
        if (res.status >= 180 && outcome === undefined)
          d.bus.emit({
            type: 'call.ringing',
            ...offerCall(a),
            ...(call.queue !== undefined ? { queue: call.queue } : {}),
            ...(b.target.device ? { device: b.target.device } : {}),
          });
      },
      onBranchFailed: (b, status) => branchFailed(attemptOf.get(b)!, status),
    });
    const r = await fork.result;
    if (outcome !== undefined) {
      if (r.kind === 'answered') {
        void r.dialog.bye();
        r.branch.endpoint.close();
      }
      return;
    }
    if (r.kind === 'timeout') finish('no-answer', 'no-answer');
    else if (r.kind === 'failed') finish(declinedBy.length > 0 ? 'declined' : 'no-answer', 'no-answer');
    else if (r.kind === 'answered') {
      const a = attemptOf.get(r.branch)!;
      const device = r.branch.target.device;
      const ok = connect({
        agent: a.agent,
        subId: a.subId,
        dialog: r.dialog,
        ep: r.branch.endpoint,
        answer: r.response.body.toString('utf8'),
        ...(device ? { device } : {}),
      });
      if (!ok) {
        void r.dialog.bye();
        r.branch.endpoint.close();
        finish('caller-gone', 'cancelled');
        return;
      }
      open.delete(a);
      finish('answered', 'completed', who(a.agent));
    }
  })();
  return {
    result,
    cancel: () => finish('cancelled', 'cancelled'),
    abort: () => finish('caller-gone', 'cancelled'),
  };
}
