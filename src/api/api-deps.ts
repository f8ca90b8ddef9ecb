import type { CallControl } from '../core/calls/call-control-types.js';
import type { EventBus } from '../core/events/event-bus.js';
import type { AgentStatusName, Party } from '../core/events/types.js';
import type { ProvisioningChange, ProvisioningDoc } from '../core/provisioning/types.js';
import type { TenantPlan } from '../core/directory/directory.js';
import type { TraceEntry, TraceSummary } from '../core/trace/call-trace.js';
import type { AuthThrottle } from '../core/security/auth-throttle.js';
import type { ForwardingRecord, ForwardTargetRecord } from '../store/forwarding-store.js';
import type { RegistrationRecord, Store } from '../store/types.js';
import type { MessageFolder, VoicemailMessageRecord } from '../store/voicemail-store.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';

/**
 * What the API needs from the rest of the PBX, as narrow ports: the composition root passes the real services
 * (see ports.ts for the adapters), unit tests pass small fakes.
 */
export interface ApiDeps {
  store: Store;
  clock: Clock;
  log: Logger;
  bus: EventBus;
  throttle: AuthThrottle;
  /** The tenant's workplaces and devices (the directory's cache). */
  directory: { plan(tenantId: string): Promise<TenantPlan> };
  /** Registered contacts of a device (the location service). */
  registrations: { lookup(tenantId: string, username: string): RegistrationRecord[] };
  /** Busy lamps (the BLF service's book). */
  presence: { lampOf(tenantId: string, workplace: string): 'idle' | 'ringing' | 'busy' };
  callCenter: CallCenterPort;
  /** The one-transaction planner, for admin edits; `dryRun` only plans. */
  provisioner: { applyDoc(doc: ProvisioningDoc, o: { dryRun?: boolean }): Promise<ProvisioningChange[]> };
  /** Executive–assistant settings; without it those routes answer 501. */
  executives?: ExecutivePort | undefined;
  /** Call forwarding and do not disturb; without it those routes answer 501. */
  forwarding?: ForwardingPort | undefined;
  /** Voicemail messages; without it those routes answer 501. */
  voicemail?: VoicemailPort | undefined;
  /** Third-party call control; without it the call routes answer 501. */
  calls?: CallControl | undefined;
  /** Recent calls with their ladders (core/trace); without it the call-trace routes answer 501. */
  trace?: CallTraceReader | undefined;
  /** Browser softphone credentials (`GET /me/webrtc`); without it that route answers 501. */
  webrtc?: WebRtcAccessPort | undefined;
  /** Session lifetime (default 12 h). */
  sessionTtlMs?: number;
  /** Event stream: per-client send buffer before a slow consumer is cut off (default 1 MiB). */
  streamMaxBuffered?: number;
  /** Event stream: events kept per tenant for reconnects with `since` (default 1000). */
  streamReplay?: number;
  /** Event stream: a heartbeat (WebSocket ping) every this many ms (default 30 s). */
  streamHeartbeatMs?: number;
}

export type LoginOutcome = 'ok' | 'forbidden' | 'not-agent' | 'unknown-group' | 'no-package';

export interface QueueView {
  waiting: Array<{ callId: string; caller: Party; arrivedAt: number; ringing: string[] }>;
  agents: Array<{ extension: string; status: AgentStatusName; loggedIn: boolean; onCall: boolean }>;
}

/** The call center as the API uses it: one workplace's agent side, and a group's queue for supervisors. */
export interface CallCenterPort {
  /** The groups `workplace` is an agent of, with its login to each. */
  groupsOf(
    tenantId: string,
    workplace: string,
  ): Promise<Array<{ extension: string; name: string; loggedIn: boolean; allowAgentLogin: boolean }>>;
  /** Undefined: the workplace is no agent (no `group` package). */
  statusOf(tenantId: string, workplace: string): Promise<AgentStatusName | undefined>;
  setStatus(
    tenantId: string,
    workplace: string,
    status: AgentStatusName,
  ): Promise<AgentStatusName | undefined>;
  setLogin(tenantId: string, group: string, workplace: string, loggedIn: boolean): Promise<LoginOutcome>;
  /** Undefined: no such group in the tenant. */
  queue(tenantId: string, group: string): Promise<QueueView | undefined>;
}

/** One executive as the API shows it: the provisioned modes and the runtime switches in force. */
export interface ExecutiveState {
  extension: string;
  filtering: 'off' | 'all' | 'internal' | 'external';
  /** The runtime switch (#61/#62); false whenever `filtering` is off. */
  filterOn: boolean;
  alerting: 'simultaneous' | 'sequential';
  screening: boolean;
  /** Whether assistants may opt in and out (else every assistant is always in). */
  optInOut: boolean;
  /** In alerting order. */
  assistants: Array<{ extension: string; optedIn: boolean; divertTo: string | null; divertOn: boolean }>;
}

/** The executive–assistant service as the API uses it: one tenant's executives and their runtime switches. */
export interface ExecutivePort {
  executives(tenantId: string): Promise<ExecutiveState[]>;
  setFilter(tenantId: string, executive: string, on: boolean): Promise<void>;
  setOptIn(tenantId: string, executive: string, assistant: string, optedIn: boolean): Promise<void>;
  setDivert(tenantId: string, executive: string, assistant: string, on: boolean): Promise<void>;
}

/** Call forwarding and do not disturb of one workplace (the forwarding service). */
export interface ForwardingPort {
  settings(tenantId: string, workplace: string): Promise<ForwardingRecord>;
  /** Stored, in force and told to the phones' feature keys, like a change by feature code. */
  update(
    tenantId: string,
    workplace: string,
    change: (s: ForwardingRecord) => void,
  ): Promise<ForwardingRecord>;
  /** What a forward number means for this workplace, or why it is refused (SIP status and reason). */
  resolveTarget(
    tenantId: string,
    workplace: string,
    number: string,
  ): Promise<ForwardTargetRecord | { status: number; reason: string }>;
}

/** One workplace's mailbox (the voicemail service); every method is scoped to the tenant and the mailbox. */
export interface VoicemailPort {
  /** Oldest first; undefined: the workplace has no mailbox. */
  messages(tenantId: string, extension: string): Promise<VoicemailMessageRecord[] | undefined>;
  /** Moves a message between new and saved (MWI follows); false: no such message in this mailbox. */
  setFolder(tenantId: string, extension: string, id: string, folder: MessageFolder): Promise<boolean>;
  /** Removes the message and its audio; false: no such message in this mailbox. */
  remove(tenantId: string, extension: string, id: string): Promise<boolean>;
  /** The message's audio as a WAV file; undefined: no such message in this mailbox. */
  audio(tenantId: string, extension: string, id: string): Promise<Buffer | undefined>;
}

/** The call trace as the admin routes read it (tenant-scoped). */
export interface CallTraceReader {
  recent(tenantId: string): TraceSummary[];
  trace(tenantId: string, callId: string): { summary: TraceSummary; entries: TraceEntry[] } | undefined;
}

/**
 * What a logged-in browser needs to register as a device of its workplace (docs/webrtc.md): the SIP-over-
 * WebSocket URL (RFC 7118), its SIP URI and digest credentials valid as long as its web session.
 */
export interface WebRtcAccessPort {
  /** The SIP WebSocket listeners (wss first when there is one). */
  listeners(): Array<{ protocol: 'ws' | 'wss'; address: string; port: number }>;
  issue(o: { tenantId: string; realm: string; workplace: string; sessionId: string; expiresAt: number }): {
    username: string;
    password: string;
    expiresAt: number;
  };
  /** The session ended: its browser device goes. */
  revoke(sessionId: string): void;
}
