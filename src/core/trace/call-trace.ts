import { randomBytes } from 'node:crypto';
import type { SipMessage } from '../../sip/message/index.js';
import type { Flow } from '../../sip/transport/types.js';
import type { Clock } from '../../util/clock.js';
import type { DomainEvent, Party } from '../events/types.js';
import { describeEvent, eventCallId } from './trace-events.js';
import { summarise, type SipSummary } from './sip-summary.js';

/**
 * What the call engine tells a call trace (declared here so core/calls depends on the interface only): which SIP
 * dialogs (by Call-ID) are legs of which call, and the routing decisions it took. Every method is cheap and never
 * throws.
 */
export interface CallTraceSink {
  /** The caller's leg of a new call of `tenantId`: messages of this SIP Call-ID belong to call `callId`. */
  callerLeg(tenantId: string, callId: string, sipCallId: string): void;
  /** Another leg (a device or trunk branch, a transfer target) of a call already known by its caller leg. */
  leg(callId: string, sipCallId: string, label: string): void;
  /** A routing decision (dial plan, feature code, refusal) of a call. */
  note(callId: string, text: string): void;
}

/** A call trace of an INVITE that starts no call (a feature code, a dial string that leads nowhere). */
export function traceDecision(
  trace: CallTraceSink | undefined,
  tenantId: string,
  sipCallId: string | undefined,
  text: string,
): void {
  if (!trace || sipCallId === undefined) return;
  const id = `d-${randomBytes(6).toString('hex')}`;
  trace.callerLeg(tenantId, id, sipCallId);
  trace.note(id, text);
}

export interface TraceEntry {
  at: number;
  kind: 'sip' | 'decision' | 'event';
  /** sip: which leg ("caller", a device username, a trunk). */
  leg?: string;
  direction?: 'in' | 'out';
  /** sip: the other end, `udp 192.0.2.7:5062`. */
  peer?: string;
  /** sip: the start line; decision and event: what happened. */
  line: string;
  sip?: Omit<SipSummary, 'line'>;
  /** event: its type (`call.answered`, `callcenter.caller.queued`). */
  type?: string;
}

export interface TraceSummary {
  id: string;
  startedAt: number;
  endedAt?: number;
  caller?: Party;
  callee?: Party;
  /** The end reason of `call.ended`, or the decision that refused it. */
  outcome?: string;
  /** The call-center group, for a queue call. */
  group?: string;
  entries: number;
}

interface CallRecord {
  tenantId: string;
  summary: TraceSummary;
  entries: TraceEntry[];
  sipIds: Set<string>;
}

/** Messages of a Call-ID seen before its call existed (the INVITE, a digest challenge, the retry). */
interface Pending {
  entries: TraceEntry[];
}

const PENDING_MAX = 256;
const PENDING_ENTRIES = 12;

/**
 * The recent calls of each tenant with their ladders, for the admin view's call trace. A bounded ring buffer per
 * tenant (the oldest call goes when a new one comes), and a bounded ladder per call, so memory stays flat however
 * busy the PBX is. It is fed from three sides, none of which knows the others: the SIP stack's message observer
 * (every message in and out), the call engine through `CallTraceSink` (which SIP Call-ID is which leg of which
 * call, and the dial-plan decisions), and the event bus (ringing, answered, queue decisions). Only messages of a
 * Call-ID a call has claimed are kept beyond a short pending window; registrations and subscriptions never are.
 */
export class CallTrace implements CallTraceSink {
  readonly #clock: Clock;
  readonly #perTenant: number;
  readonly #perCall: number;
  readonly #tenants = new Map<string, Map<string, CallRecord>>();
  readonly #bySip = new Map<string, { call: CallRecord; label: string }>();
  readonly #byCall = new Map<string, CallRecord>();
  readonly #pending = new Map<string, Pending>();

  constructor(o: { clock: Clock; callsPerTenant?: number; entriesPerCall?: number }) {
    this.#clock = o.clock;
    this.#perTenant = o.callsPerTenant ?? 100;
    this.#perCall = o.entriesPerCall ?? 300;
  }

  /**
   * Whether `observe` keeps anything of this Call-ID (the stack parses its pre-serialised NOTIFYs and their
   * responses for the observer only then): only claimed and pending calls' messages are kept.
   */
  readonly observes = (callId: string): boolean => this.#bySip.has(callId) || this.#pending.has(callId);

  /** The SIP stack's observer. */
  readonly observe = (direction: 'in' | 'out', msg: SipMessage, flow: Flow): void => {
    const sipId = msg.headers.get('Call-ID');
    if (sipId === undefined) return;
    const known = this.#bySip.get(sipId);
    let p = known ? undefined : this.#pending.get(sipId);
    // Only a new INVITE can start a call; anything else of an unclaimed Call-ID is not a call's. Decided before
    // the message is summarised: most messages (registrations, subscriptions, NOTIFYs) are never kept.
    if (!known && !p && !(msg.type === 'request' && msg.method === 'INVITE' && direction === 'in')) return;
    if (p && p.entries.length >= PENDING_ENTRIES) return;
    const { line, ...sip } = summarise(msg);
    const entry: TraceEntry = {
      at: this.#clock.now(),
      kind: 'sip',
      direction,
      peer: `${flow.protocol} ${flow.remote.address}:${flow.remote.port}`,
      line,
      sip,
    };
    if (known) {
      this.#add(known.call, { ...entry, leg: known.label });
      return;
    }
    if (!p) {
      p = { entries: [] };
      this.#pending.set(sipId, p);
      if (this.#pending.size > PENDING_MAX) this.#pending.delete(this.#pending.keys().next().value!);
    }
    p.entries.push(entry);
  };

  callerLeg(tenantId: string, callId: string, sipCallId: string): void {
    const call = this.#record(tenantId, callId);
    this.#claim(call, sipCallId, 'caller');
  }

  leg(callId: string, sipCallId: string, label: string): void {
    const call = this.#byCall.get(callId);
    if (call) this.#claim(call, sipCallId, label);
  }

  note(callId: string, text: string): void {
    const call = this.#byCall.get(callId);
    if (!call) return;
    this.#add(call, { at: this.#clock.now(), kind: 'decision', line: text });
    if (text.startsWith('refused')) call.summary.outcome = text;
  }

  /** Feeds a domain event (the composition root subscribes this to the bus). */
  onEvent(e: DomainEvent): void {
    const id = eventCallId(e);
    if (id === undefined) return;
    const call = this.#byCall.get(id);
    if (!call || call.tenantId !== e.tenantId) return;
    const s = call.summary;
    if (e.type === 'call.offered' && s.caller === undefined) {
      s.caller = e.caller;
      s.callee = e.callee;
    }
    if (e.type.startsWith('callcenter.caller.') && 'group' in e) s.group = e.group;
    if (e.type === 'call.ended' && e.partOf === undefined) {
      s.endedAt = e.at;
      s.outcome ??= e.reason;
      s.caller ??= e.caller;
      s.callee = e.callee;
    }
    this.#add(call, { at: e.at, kind: 'event', type: e.type, line: describeEvent(e) });
  }

  /** The tenant's recent calls, newest first. */
  recent(tenantId: string): TraceSummary[] {
    return [...(this.#tenants.get(tenantId)?.values() ?? [])].map((c) => ({ ...c.summary })).reverse();
  }

  /** One call's ladder, or undefined (unknown, evicted, or another tenant's). */
  trace(tenantId: string, callId: string): { summary: TraceSummary; entries: TraceEntry[] } | undefined {
    const c = this.#tenants.get(tenantId)?.get(callId);
    return c ? { summary: { ...c.summary }, entries: [...c.entries] } : undefined;
  }

  #record(tenantId: string, callId: string): CallRecord {
    let calls = this.#tenants.get(tenantId);
    if (!calls) this.#tenants.set(tenantId, (calls = new Map()));
    let c = calls.get(callId);
    if (c) return c;
    c = {
      tenantId,
      summary: { id: callId, startedAt: this.#clock.now(), entries: 0 },
      entries: [],
      sipIds: new Set(),
    };
    calls.set(callId, c);
    this.#byCall.set(callId, c);
    if (calls.size > this.#perTenant) {
      const [oldId, old] = calls.entries().next().value!;
      calls.delete(oldId);
      this.#byCall.delete(oldId);
      for (const s of old.sipIds) this.#bySip.delete(s);
    }
    return c;
  }

  #claim(call: CallRecord, sipCallId: string, label: string): void {
    call.sipIds.add(sipCallId);
    this.#bySip.set(sipCallId, { call, label });
    const p = this.#pending.get(sipCallId);
    if (!p) return;
    this.#pending.delete(sipCallId);
    for (const e of p.entries) this.#add(call, { ...e, leg: label });
    call.entries.sort((a, b) => a.at - b.at);
    if (p.entries[0] && p.entries[0].at < call.summary.startedAt) call.summary.startedAt = p.entries[0].at;
  }

  #add(call: CallRecord, e: TraceEntry): void {
    if (call.entries.length >= this.#perCall) return;
    call.entries.push(e);
    call.summary.entries = call.entries.length;
  }
}
