import type { Party } from '../events/types.js';

/**
 * Third-party call control: what the HTTP API (and through it the browser client and integrations) does to a
 * workplace's calls. Every operation is scoped to one tenant and acts only on calls of the named workplace, so a
 * call id of another tenant or workplace answers 'not-found', exactly as an unknown one.
 */

/** One call as its workplace sees it. */
export interface CallView {
  /** The PBX call id (as on the event bus). */
  id: string;
  state: 'ringing' | 'talking' | 'held';
  direction: 'incoming' | 'outgoing';
  /** The other party (the caller of an incoming call, the callee of an outgoing one). */
  other: Party;
  /** The workplace's device in the call (the one ringing is unknown until it answers). */
  device?: string;
  /** The executive the call is for (a call to an assistant). */
  for?: Party;
  /** The call-center group extension the call came from. */
  queue?: string;
  /** When the call started, and when it was answered (ms since the epoch). */
  since: number;
  answeredAt?: number;
}

export type ControlError =
  /** No such call of this workplace (also: another tenant's or workplace's call). */
  | 'not-found'
  /** The call is not in a state that allows it (hold a ringing call, answer an answered one). */
  | 'invalid-state'
  /** The chosen device is not the workplace's or is not registered. */
  | 'no-device'
  /** Not allowed for this workplace (call as an executive it does not assist, a number the tenant may not dial). */
  | 'not-allowed'
  /** The dial string leads nowhere. */
  | 'invalid-number'
  /** The network or the phone failed (no answer to the auto-answer INVITE, 488, ...). */
  | 'failed';

export type ControlResult<T = undefined> =
  { ok: true; value: T } | { ok: false; error: ControlError; message: string };

/** Who acts: one workplace of one tenant (the API's logged-in user). */
export interface Actor {
  tenantId: string;
  workplace: string;
}

export interface CallControl {
  /** The workplace's live calls, oldest first. */
  callsOf(a: Actor): CallView[];
  /**
   * Click-to-dial: rings `device` first (auto-answer hints: `Call-Info: <sip:...>;answer-after=0`,
   * `Alert-Info: info=alert-autoanswer`); when it answers, calls `to` as a call from this workplace.
   * With `as`: the call goes out with that executive's identity (only for its opted-in assistants).
   */
  dial(a: Actor, o: { device: string; to: string; as?: string }): Promise<ControlResult<{ callId: string }>>;
  /** A ringing incoming call is answered on `device` (rung again there with the auto-answer hints). */
  answer(a: Actor, callId: string, o: { device: string }): Promise<ControlResult>;
  hangup(a: Actor, callId: string): Promise<ControlResult>;
  hold(a: Actor, callId: string): Promise<ControlResult>;
  resume(a: Actor, callId: string): Promise<ControlResult>;
  /** The other party is sent to `to`; the workplace leaves the call. */
  blindTransfer(a: Actor, callId: string, to: string): Promise<ControlResult>;
  /** Holds `callId` and calls `to` from the same device: the consultation call. */
  consult(a: Actor, callId: string, to: string): Promise<ControlResult<{ callId: string }>>;
  /** Connects the held call's other party with the consultation call's; the workplace leaves both. */
  completeTransfer(a: Actor, callId: string, consultCallId: string): Promise<ControlResult>;
  /** RFC 4733 telephone-events towards the other party; digits 0-9 * # A-D. */
  dtmf(a: Actor, callId: string, digits: string): Promise<ControlResult>;
  /** Takes a call ringing at a colleague (`callId` given: directed; without: the oldest in the pickup group). */
  pickup(a: Actor, o: { device: string; callId?: string }): Promise<ControlResult<{ callId: string }>>;
  /** Moves the workplace's answered call from another of its devices to `device`. */
  pull(a: Actor, o: { device: string }): Promise<ControlResult<{ callId: string }>>;
}
