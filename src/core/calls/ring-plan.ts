import type { TenantRecord } from '../../store/types.js';
import type { Diversion, Party } from '../events/types.js';
import type { Target } from './targets.js';

/**
 * How a call to a workplace rings: a RingPlan, built per call by the terminating services (forwarding and do not
 * disturb, executive filtering) that the composition root registers with the CallEngine. Without a service the
 * plan rings the workplace's devices for the ring timeout. The Call runs the plan (ringing.ts): a phase rings,
 * and when it ends unanswered the plan says what comes next.
 */

/**
 * Why a phase ended unanswered. busy: the devices refused with 486/600; declined: 603; unavailable: nothing
 * to ring (no registered device); no-answer: the phase timed out or the devices gave 408/480; failed: anything else.
 */
export type RingFailure = 'no-answer' | 'busy' | 'declined' | 'unavailable' | 'failed';

/** One party rung in a phase: a workplace's devices, or a trunk target for an external number. */
export interface RingTarget {
  /** Whose lamp rings: `call.ringing` names this party as callee (BLF, pickup). */
  party: Party;
  targets: Target[];
  /** Joins the phase this long after the phase started (sequential alerting). */
  afterMs?: number;
  /** Its branches are cancelled this long after they started (a ring splash, one step of sequential alerting). */
  ringForMs?: number;
  /** The From display name on these INVITEs (e.g. "Anna Berg for Karin Heiden"); the number stays the caller's. */
  callerDisplay?: string;
  /** Added to every INVITE of this party (Diversion, History-Info, Alert-Info). */
  headers?: Array<[string, string]>;
  /** No `call.ringing` for it: a screening splash keeps the lamp dark. */
  silent?: boolean;
}

export interface RingPhase {
  ring: RingTarget[];
  /** The phase fails with 'no-answer' after this (default: the engine's ring timeout). */
  timeoutMs?: number;
  /** Carried on the call's events from this phase on: whom the call is for (an executive), the hops so far. */
  context?: { for?: Party; diversions?: Diversion[] };
}

export type RingStep =
  | { kind: 'ring'; phase: RingPhase }
  /**
   * The unanswered caller INVITE goes to a divert service registered under `service` (e.g. 'voicemail' for
   * mailbox `number`): the Call ends with reason 'diverted' without answering, and the service owns the INVITE.
   */
  | { kind: 'service'; service: string; number: string; diversions?: Diversion[] }
  | { kind: 'reject'; status: number; reason: string };

export interface RingPlan {
  first(): RingStep | Promise<RingStep>;
  /** The current phase ended unanswered. Undefined: the caller gets that failure, as without a plan. */
  next(failure: RingFailure, status: number): RingStep | undefined | Promise<RingStep | undefined>;
}

export interface TerminatingRequest {
  tenant: TenantRecord;
  caller: Party;
  /** The workplace this plan is for: the dialled one, or a diversion's target. */
  callee: Party;
  /** internal: from a device of the tenant; external: from a trunk. */
  origin: 'internal' | 'external';
  /** The hops before this one (empty for the dialled workplace). */
  diversions: Diversion[];
  /** Services (by name) not to ask for this plan, e.g. a hand-over to an executive skips 'executive'. */
  bypass?: ReadonlySet<string>;
  /** The caller's request (source address, Call-ID): named in the security event when an outside target is refused. */
  sip?: { source: string; callId: string };
}

export interface TerminatingContext {
  /** The registered devices of a workplace of the tenant. */
  devicesOf(tenantId: string, extension: string): Promise<Target[]>;
  /**
   * A target for an external number through the tenant's trunk, admitted by the toll-fraud limits of
   * `fromWorkplace` (it counts as that workplace's external call); undefined when the tenant may not dial it or the
   * limits refuse it. `req` names the call it is for in a refusal's security event.
   */
  externalTarget(
    tenantId: string,
    fromWorkplace: string,
    number: string,
    req?: Pick<TerminatingRequest, 'sip'>,
  ): Promise<Target | undefined>;
  /**
   * The whole plan for another workplace of the tenant (its own services apply), with `d` appended to the hops.
   * Loops end here: a workplace already in the hops, or more than the allowed hops, gives a reject step.
   */
  planFor(req: TerminatingRequest, extension: string, d: Diversion): Promise<RingPlan>;
  /** The plan without any service: ring the devices of `req.callee` for the ring timeout. */
  ringDevices(req: TerminatingRequest, extra?: Partial<RingTarget>): RingPlan;
}

/** A service that may shape calls to a workplace. Asked in registration order; the first plan wins. */
export interface TerminatingService {
  readonly name: string;
  plan(req: TerminatingRequest, ctx: TerminatingContext): Promise<RingPlan | undefined>;
}
