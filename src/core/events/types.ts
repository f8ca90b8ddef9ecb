/**
 * The domain events core publishes. Presence, the call center, the API stream and call history all subscribe to
 * these instead of reaching into calls, so the shapes are a contract: add fields and event types, never repurpose.
 * Times are ms since the epoch, taken from the injected Clock by whoever emits.
 */

/** One end of a call as the PBX sees it. */
export interface Party {
  /** The workplace extension, when the party is one of the tenant's own workplaces. */
  workplace?: string;
  /** The device username, when a specific device is known (the one that called, or the one that answered). */
  device?: string;
  /** The number as it should be shown and dialled back: an extension, or an external number. */
  number: string;
  /** Display name, when known. */
  name?: string;
}

/** Why a call ended; for answered calls always 'completed'. 'diverted': handed unanswered to a service (voicemail). */
export type CallEndReason =
  | 'completed'
  | 'cancelled'
  | 'busy'
  | 'declined'
  | 'no-answer'
  | 'not-found'
  | 'unavailable'
  | 'failed'
  | 'diverted';

/** RFC 5806 diversion reasons (History-Info causes per RFC 4458). */
export type DiversionReason =
  | 'unconditional'
  | 'user-busy'
  | 'no-answer'
  | 'unavailable'
  | 'deflection'
  | 'do-not-disturb'
  | 'follow-me'
  | 'away';

/** One hop of a forwarded call: who diverted it, and why. */
export interface Diversion {
  from: Party;
  reason: DiversionReason;
}

/** Whom a call is for, when it does not ring (only) the dialled workplace. */
interface CallContext {
  /** The executive a call to an assistant is for. */
  for?: Party;
  /** The hops of a forwarded call, oldest first. */
  diversions?: Diversion[];
}

interface CallEventBase {
  tenantId: string;
  /** The PBX's id for the call (not a SIP Call-ID: a call has one per leg). */
  callId: string;
  at: number;
  /**
   * Set when this "call" is one offer of another call to a workplace (a queued call ringing an agent): presence
   * shows it like any call, but it is part of call `partOf` and has no call-history record of its own.
   */
  partOf?: string;
}

export interface CallOffered extends CallEventBase {
  type: 'call.offered';
  caller: Party;
  callee: Party;
}

export interface CallRinging extends CallEventBase, CallContext {
  type: 'call.ringing';
  caller: Party;
  callee: Party;
  /** The device that is ringing, when known; a workplace with several devices emits one event per device. */
  device?: string;
  /** The call-center group (its number) a queued caller waits at, on an offer of that call to an agent. */
  queue?: string;
}

export interface CallAnswered extends CallEventBase, CallContext {
  type: 'call.answered';
  caller: Party;
  callee: Party;
  /** The device that picked up. */
  device?: string;
}

export interface CallHeld extends CallEventBase {
  type: 'call.held';
  by: Party;
}

export interface CallResumed extends CallEventBase {
  type: 'call.resumed';
  by: Party;
}

export interface CallTransferred extends CallEventBase {
  type: 'call.transferred';
  by: Party;
  to: Party;
  kind: 'blind' | 'attended';
}

/**
 * A ringing call taken by another device (directed `*97`, group `*98`, INVITE with Replaces naming a ringing
 * branch) or an answered call pulled to another device of the same workplace (`*11`). For the ringing kinds a
 * `call.answered` with the picker as callee follows.
 */
export interface CallPickedUp extends CallEventBase {
  type: 'call.picked-up';
  /** Who took the call: the picking workplace and device. */
  by: Party;
  /** Whose call it was: the workplace that was rung (or, for a pull, the device that had the call). */
  from: Party;
  kind: 'directed' | 'group' | 'replaces' | 'pull';
}

/**
 * One party stopped ringing for a call that goes on (its phase of the ring plan ended, or its splash was over):
 * presence turns its lamp off, pickup forgets the call there.
 */
export interface CallRingEnded extends CallEventBase {
  type: 'call.ring-ended';
  party: Party;
  reason: 'no-answer' | 'busy' | 'declined' | 'unavailable' | 'failed' | 'stopped';
}

export interface CallEnded extends CallEventBase, CallContext {
  type: 'call.ended';
  caller: Party;
  callee: Party;
  reason: CallEndReason;
  /** The final SIP status, when the call failed with one (486, 603, 404, ...). */
  status?: number;
  /** When the call was answered, if it was. */
  answeredAt?: number;
}

export type CallEvent =
  | CallOffered
  | CallRinging
  | CallAnswered
  | CallHeld
  | CallResumed
  | CallTransferred
  | CallPickedUp
  | CallRingEnded
  | CallEnded;

/** Call-center queue and agent events (features/callcenter). `callId` is the queue call's id. */
interface QueueEventBase {
  tenantId: string;
  at: number;
  /** The group's extension. */
  group: string;
  callId: string;
  caller: Party;
}

export interface CallerQueued extends QueueEventBase {
  type: 'callcenter.caller.queued';
  /** 1 = next in line. */
  position: number;
}

export interface CallerConnected extends QueueEventBase {
  type: 'callcenter.caller.connected';
  /** The agent's workplace extension. */
  agent: string;
  waitMs: number;
}

export interface CallerAbandoned extends QueueEventBase {
  type: 'callcenter.caller.abandoned';
  waitMs: number;
}

export interface CallerOverflowed extends QueueEventBase {
  type: 'callcenter.caller.overflowed';
  reason: 'queue-full' | 'max-wait';
  /** 'busy', or the extension / group / number the caller was sent to. */
  to: string;
  waitMs: number;
}

/** Workplace (ACD) status, one per workplace. */
export type AgentStatusName = 'available' | 'unavailable' | 'wrap-up' | 'signed-in' | 'signed-out';

export interface AgentStatusChanged {
  type: 'callcenter.agent.status';
  tenantId: string;
  at: number;
  agent: string;
  status: AgentStatusName;
  previous: AgentStatusName;
  /** What changed it: the agent (feature code, later client), the wrap-up timer, or missed queue calls. */
  cause: 'agent' | 'wrap-up' | 'queue-call' | 'missed-calls';
}

export interface AgentLoginChanged {
  type: 'callcenter.agent.login';
  tenantId: string;
  at: number;
  agent: string;
  group: string;
  loggedIn: boolean;
}

export type CallCenterEvent =
  | CallerQueued
  | CallerConnected
  | CallerAbandoned
  | CallerOverflowed
  | AgentStatusChanged
  | AgentLoginChanged;

/** Every event on the bus. Later: presence.changed, ... */
/**
 * A workplace's busy lamp changed (idle / ringing / busy over all its devices; busy wins over ringing). Published
 * by presence from the call events, for the client stream and wallboards; BLF keys get the same through NOTIFY.
 */
export interface PresenceChanged {
  type: 'presence.changed';
  tenantId: string;
  at: number;
  workplace: string;
  status: 'idle' | 'ringing' | 'busy';
  previous: 'idle' | 'ringing' | 'busy';
}

/**
 * Call park (features/park): a call waits at a tenant's park location. `callId` is the held call's id (the call
 * the parked party is in while it waits), `location` the park location's number.
 */
interface ParkEventBase {
  tenantId: string;
  at: number;
  callId: string;
  location: string;
  /** The party that waits (the caller as the parker's call knew it). */
  parked: Party;
  /** The workplace that parked it. */
  parker: Party;
}

export interface CallParked extends ParkEventBase {
  type: 'park.parked';
  /** refer: a blind transfer to the park code; code: dialled while holding the call. */
  via: 'refer' | 'code';
}

export interface CallRetrieved extends ParkEventBase {
  type: 'park.retrieved';
  /** The workplace (and device) that took the call with the retrieve code. */
  by: Party;
  waitMs: number;
}

export interface CallRecalled extends ParkEventBase {
  type: 'park.recalled';
  /** answered: the parker took it back; diverted: its no-answer rule took the call (voicemail, a forward). */
  outcome: 'ringing' | 'answered' | 'diverted' | 'unanswered';
}

/** The location is free again without a retrieve: the parked party hung up or the call was diverted away. */
export interface ParkEnded extends ParkEventBase {
  type: 'park.ended';
  reason: 'hung-up' | 'recalled' | 'diverted';
}

export type ParkEvent = CallParked | CallRetrieved | CallRecalled | ParkEnded;

export type DomainEvent = CallEvent | CallCenterEvent | PresenceChanged | ParkEvent;

export type DomainEventType = DomainEvent['type'];

/** The event type named `T`, e.g. `EventOf<'call.ended'>` is `CallEnded`. */
export type EventOf<T extends DomainEventType> = Extract<DomainEvent, { type: T }>;
