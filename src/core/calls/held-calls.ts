import { randomBytes } from 'node:crypto';
import { createResponse } from '../../sip/message/index.js';
import type { SipRequest } from '../../sip/message/index.js';
import type { ServerTransaction } from '../../sip/transaction/types.js';
import type { IncomingInvite } from '../../sip/ua/index.js';
import type { TenantRecord } from '../../store/types.js';
import type { Logger } from '../../util/log.js';
import type { Party } from '../events/types.js';
import type { Call } from './call.js';
import type { EngineDeps } from './engine-deps.js';
import type { Leg } from './leg.js';
import { answeredInvite } from './originate.js';
import { QueuedCall, type AnsweredLegCall, type OfferOutcome } from './queue.js';
import type { ReferFeatureHandler } from './refer-feature.js';
import type { RingFailure, RingPlan, RingStep, TerminatingRequest } from './ring-plan.js';
import type { DivertHandler } from './service-handlers.js';
import { responseFor } from './sip-helpers.js';
import { release } from './transfer.js';

/** What the engine lends the held-call moves: its calls, plans and divert services. */
export interface HeldCallsDeps {
  deps: EngineDeps;
  /** The call that owns `leg` (by its dialog), if any. */
  callOf(leg: Leg): Call | undefined;
  /** A Call started `queued` on a leg that is answered already. */
  create(x: AnsweredLegCall): void;
  plan(req: TerminatingRequest): Promise<RingPlan>;
  divertService(name: string): DivertHandler | undefined;
}

/** How ringing a held call by a ring plan ended. */
export type HeldRingResult =
  | { kind: 'answered' }
  /** Handed to a divert service (voicemail), which owns the call now. */
  | { kind: 'diverted'; service: string }
  /** The plan ran out (or refused): the call is still held, nobody took it. */
  | { kind: 'unanswered'; failure: RingFailure; status: number }
  | { kind: 'gone' };

/**
 * Calls the server holds on a leg that was answered before (call park): the other side of a call leaves it into
 * a Call started `queued` (queue.ts) on its own leg — by a blind REFER to a feature code, or because the phone
 * holding it dialled one. Such a held call can be rung to a workplace by that workplace's ring plan, so its
 * forwarding and voicemail apply as to any call (a park recall).
 */
export class HeldCalls {
  readonly #d: HeldCallsDeps;
  readonly #referHandlers = new Map<string, ReferFeatureHandler>();
  /** What stands for each held call's (long answered) INVITE where a service expects one. */
  readonly #invites = new WeakMap<QueuedCall, IncomingInvite>();

  constructor(d: HeldCallsDeps) {
    this.#d = d;
  }

  onReferFeature(id: string, handler: ReferFeatureHandler): void {
    if (this.#referHandlers.has(id)) throw new Error(`REFER handler ${id} is already registered`);
    this.#referHandlers.set(id, handler);
  }

  /** EngineDeps.referToFeature: a blind REFER named a feature code. */
  async referToFeature(
    tx: ServerTransaction,
    transferor: Leg,
    route: { code: string; handler: string; argument?: string },
  ): Promise<boolean> {
    const handler = this.#referHandlers.get(route.handler);
    const call = this.#d.callOf(transferor);
    if (!handler || !call) return false;
    const transferee = call.control.core.other(transferor);
    let answered = false;
    const log = call.control.core.log;
    await handler({
      tenant: call.tenant,
      transferor: transferor.party,
      transferee: transferee.party,
      code: route.code,
      ...(route.argument !== undefined ? { argument: route.argument } : {}),
      log,
      take: (service, note) => {
        if (answered) throw new Error('REFER answered twice');
        answered = true;
        tx.respond(responseFor(tx.request, 202));
        const core = call.control.core;
        return this.#detach(call, transferor, service, log, tx.request, (leg) =>
          release(core, leg, `SIP/2.0 200 ${note.replace(/[\r\n]/g, ' ')}`),
        );
      },
      refuse: (status, reason) => {
        if (answered) throw new Error('REFER answered twice');
        answered = true;
        tx.respond(createResponse(tx.request, status, reason));
      },
    });
    if (!answered) tx.respond(createResponse(tx.request, 500, 'Not Handled'));
    return true;
  }

  /**
   * The held call `leg` of its tenant leaves (the newest one `workplace` holds): its other side becomes a call the
   * server holds for `service`, and `leg`'s phone gets BYE. Undefined when the workplace holds no call.
   */
  takeHeld(
    calls: Iterable<Call>,
    tenant: TenantRecord,
    workplace: string,
    service: Party,
    log: Logger,
    request: SipRequest,
  ): QueuedCall | undefined {
    let best: { call: Call; leg: Leg } | undefined;
    for (const call of calls) {
      if (call.tenant.id !== tenant.id) continue;
      const leg = call.heldLegOf(workplace);
      if (leg && (!best || (call.answeredAt ?? 0) >= (best.call.answeredAt ?? 0))) best = { call, leg };
    }
    if (!best) return undefined;
    return this.#detach(best.call, best.leg, service, log, request, (l) => void l.dialog.bye());
  }

  #detach(
    call: Call,
    leaving: Leg,
    service: Party,
    log: Logger,
    request: SipRequest,
    releaseLeaving: (leg: Leg) => void,
  ): QueuedCall | undefined {
    const moved = call.handOver(leaving, releaseLeaving);
    if (!moved) return undefined;
    const d = this.#d.deps;
    const id = randomBytes(8).toString('hex');
    // A held caller may stay silent for minutes while it listens to music.
    moved.ep.setInactivityTimeout(0);
    let handle: QueuedCall | undefined;
    const incoming = answeredInvite(request, moved.dialog);
    const callLog = log.child({ tenant: call.tenant.id, call: id });
    this.#d.create({
      id,
      tenant: call.tenant,
      caller: moved.party,
      callee: service,
      incoming,
      log,
      queued: {
        dialog: moved.dialog,
        ep: moved.ep,
        bind: (q) =>
          (handle = new QueuedCall(q, {
            id,
            tenant: call.tenant,
            caller: moved.party,
            service,
            log: callLog,
          })),
      },
    });
    d.bus.emit({
      type: 'call.offered',
      tenantId: call.tenant.id,
      callId: id,
      at: d.clock.now(),
      caller: moved.party,
      callee: service,
    });
    if (!handle || handle.state === 'ended') return undefined;
    this.#invites.set(handle, incoming);
    return handle;
  }

  /**
   * Rings `held` to workplace `callee` as a call to it would ring: its ring plan, phase by phase (each phase one
   * offer of the held call), and a divert step hands the held call to the divert service (voicemail) answered.
   * The call stays held when the plan runs out.
   */
  async ring(held: QueuedCall, callee: Party, o: { log: Logger }): Promise<HeldRingResult> {
    const plan = await this.#d.plan({
      tenant: held.tenant,
      caller: held.caller,
      callee,
      origin: 'internal',
      diversions: [],
    });
    let step: RingStep | undefined = await plan.first();
    let last: { failure: RingFailure; status: number } = { failure: 'unavailable', status: 480 };
    while (step) {
      if (held.state === 'ended') return { kind: 'gone' };
      if (step.kind === 'reject') return { kind: 'unanswered', failure: 'failed', status: step.status };
      if (step.kind === 'service') {
        const handler = this.#d.divertService(step.service);
        const incoming = this.#invites.get(held);
        if (!handler || !incoming) return { kind: 'unanswered', ...last };
        o.log.info(
          { event: 'held.diverted', service: step.service, number: step.number },
          'held call diverted',
        );
        void handler({
          tenant: held.tenant,
          caller: held.caller,
          number: step.number,
          incoming,
          log: o.log,
          diversions: step.diversions ?? [],
          held,
        });
        return { kind: 'diverted', service: step.service };
      }
      const phase = step.phase;
      const offer = held.offer(
        phase.ring.map((r) => ({
          agent: r.party,
          targets: r.targets.map((t) =>
            r.headers?.length ? { ...t, headers: [...(t.headers ?? []), ...r.headers] } : t,
          ),
        })),
        phase.timeoutMs ?? this.#d.deps.ringTimeoutMs,
      );
      const r = await offer.result;
      if (r.outcome === 'answered') return { kind: 'answered' };
      if (r.outcome === 'caller-gone' || r.outcome === 'cancelled') return { kind: 'gone' };
      last = failureOf(r.outcome);
      step = await plan.next(last.failure, last.status);
    }
    return { kind: 'unanswered', ...last };
  }
}

/** An offer's outcome as a ring phase's failure (ring-plan.ts). */
function failureOf(o: Exclude<OfferOutcome, 'answered' | 'caller-gone' | 'cancelled'>): {
  failure: RingFailure;
  status: number;
} {
  if (o === 'declined') return { failure: 'busy', status: 486 };
  if (o === 'unavailable') return { failure: 'unavailable', status: 480 };
  return { failure: 'no-answer', status: 408 };
}
