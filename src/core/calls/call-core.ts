import type { MediaEndpoint } from '../../media/index.js';
import type { IncomingInvite } from '../../sip/ua/index.js';
import type { TenantRecord } from '../../store/types.js';
import type { CallEndReason, Party } from '../events/types.js';
import type { Logger } from '../../util/log.js';
import type { EngineDeps } from './engine-deps.js';
import type { HoldMusic } from './hold.js';
import type { Leg, LegRegistry } from './leg.js';
import type { PickupKind } from './pickup.js';

export type HangupReason = CallEndReason;

/** Another call a leg may be handed over from (attended transfer): what the transfer needs of it. */
export interface HandOverSource {
  readonly id: string;
  readonly tenant: TenantRecord;
  /** Gives up `leg`'s call: returns its other side (now moved) and ends, or undefined when not connected. */
  handOver(leg: Leg, release?: (leg: Leg) => void): Leg | undefined;
}

/**
 * What an answered call offers the modules acting on its legs (transfer, takeover): its identity, its deps, and
 * the few moves that change its legs. The Call implements it; the modules never see the Call class.
 */
export interface CallCore {
  readonly id: string;
  readonly tenant: TenantRecord;
  readonly deps: EngineDeps;
  readonly log: Logger;
  readonly holds: HoldMusic;
  readonly dialogs: LegRegistry<HandOverSource>;
  isAnswered(): boolean;
  other(leg: Leg): Leg;
  /** Bridges two endpoints (an endpoint is in one bridge at a time: the old pairing closes). */
  bridge(a: MediaEndpoint, b: MediaEndpoint): void;
  /**
   * After a bridge: re-negotiates `leg` so it receives what `fixed` sends (and, with `identity`, tells its phone
   * who it is connected to now); ends the call when the two share no codec the relay can carry.
   */
  match(fixed: Leg | MediaEndpoint, leg: Leg, identity?: Party): void;
  /** Puts `next` in the place of `old` (same role); the call's caller or callee becomes `next.party`. */
  swapLeg(old: Leg, next: Leg): void;
  hangup(reason: HangupReason): Promise<void>;
}

/** How a ringing call is answered other than by its fork: a pickup, or third-party control's answer on a device. */
export type RingingAnswerKind = Exclude<PickupKind, 'pull'> | 'answer';

/** What a ringing call offers a pickup (takeover.ts): its pending caller INVITE and the move to answered. */
export interface RingingCore {
  readonly core: CallCore;
  readonly callerInvite: IncomingInvite;
  /** The caller's endpoint while the call still rings; undefined once it does not. */
  callerEndpoint(): MediaEndpoint | undefined;
  caller(): Party;
  /** The party the call rings for (whose devices ring). */
  callee(): Party;
  /** The call is answered by `picker` instead of the devices it rang (they get CANCEL); `call.answered` follows. */
  answerBy(picker: Party): void;
  connect(caller: Leg, callee: Leg): void;
  /** A side never ACKed: the call ends as failed. */
  fail(): void;
}

/** What a queued call (queue.ts) offers the queue primitive: its caller endpoint and its state moves. */
export interface QueueCore {
  readonly core: CallCore;
  readonly callerEp: MediaEndpoint;
  state(): 'ringing' | 'queued' | 'offering' | 'answered' | 'ended';
  to(state: 'queued' | 'offering'): void;
  /** An agent answered: its leg is bridged to the caller's, the call is answered with the agent as callee. */
  connect(agent: Leg): void;
  /** Runs first when the call ends (before `call.ended`), with the end reason. */
  onEnding(cb: (reason: HangupReason) => void): void;
  /** Runs last when the call ends. */
  onEnded(cb: (reason: HangupReason) => void): void;
}
