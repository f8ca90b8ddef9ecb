import type { EventBus, Unsubscribe } from '../core/events/event-bus.js';
import type { AgentStatusName, DomainEvent, Party } from '../core/events/types.js';
import type { Clock } from '../util/clock.js';

/** One queue outcome of the day, for the figures and the CSV export. */
export interface QueueOutcome {
  at: number;
  callId: string;
  caller: string;
  outcome: 'answered' | 'abandoned' | 'overflowed';
  waitMs: number;
  agent?: string;
}

interface GroupDay {
  day: string;
  outcomes: QueueOutcome[];
  offered: number;
  waiting: Map<string, { caller: Party; since: number }>;
}

interface TenantBook {
  groups: Map<string, GroupDay>;
  /** Agent status and since when, as the events told it (absent: unchanged since the server started). */
  agents: Map<string, { status: AgentStatusName; since: number }>;
  /** Agent → the queue call it is connected to. */
  onCall: Map<string, string>;
}

/** Outcomes kept per group and day (a busy queue's day fits many times over). */
const MAX_OUTCOMES = 20_000;

/**
 * The wallboard's figures, kept from the event bus in the API process: per group and calendar day (server time)
 * the queue outcomes with their waits, the callers waiting now, and per agent its status since when. Everything is
 * updated synchronously from the bus, like the event stream's sequence number, so a snapshot read in one go is
 * exactly the state after the tenant's current `seq` — the wallboard applies only events after it.
 */
export class WallboardBook {
  readonly #clock: Clock;
  readonly #tenants = new Map<string, TenantBook>();
  #off: Unsubscribe | undefined;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  start(bus: EventBus): void {
    this.#off = bus.onAny((e) => this.onEvent(e));
  }

  stop(): void {
    this.#off?.();
  }

  onEvent(e: DomainEvent): void {
    const t = this.#tenant(e.tenantId);
    switch (e.type) {
      case 'callcenter.caller.queued': {
        const g = this.#day(t, e.group, e.at);
        if (!g.waiting.has(e.callId)) g.offered++;
        g.waiting.set(e.callId, { caller: e.caller, since: e.at });
        return;
      }
      case 'callcenter.caller.connected':
        this.#left(t, e.group, e.at, e.callId, e.caller, 'answered', e.waitMs, e.agent);
        t.onCall.set(e.agent, e.callId);
        return;
      case 'callcenter.caller.abandoned':
        this.#left(t, e.group, e.at, e.callId, e.caller, 'abandoned', e.waitMs);
        return;
      case 'callcenter.caller.overflowed':
        this.#left(t, e.group, e.at, e.callId, e.caller, 'overflowed', e.waitMs);
        return;
      case 'callcenter.agent.status':
        t.agents.set(e.agent, { status: e.status, since: e.at });
        return;
      case 'call.ended':
        for (const [agent, callId] of t.onCall) if (callId === e.callId) t.onCall.delete(agent);
        return;
      default:
        return;
    }
  }

  /** Today's state of one group (an empty day when nothing happened yet). */
  group(
    tenantId: string,
    group: string,
  ): {
    offered: number;
    outcomes: readonly QueueOutcome[];
    waiting: Array<{ callId: string; caller: Party; since: number }>;
  } {
    const g = this.#day(this.#tenant(tenantId), group, this.#clock.now());
    return {
      offered: g.offered,
      outcomes: g.outcomes,
      waiting: [...g.waiting].map(([callId, w]) => ({ callId, ...w })).sort((a, b) => a.since - b.since),
    };
  }

  agent(tenantId: string, agent: string): { status: AgentStatusName; since: number } | undefined {
    return this.#tenants.get(tenantId)?.agents.get(agent);
  }

  onCall(tenantId: string, agent: string): boolean {
    return this.#tenants.get(tenantId)?.onCall.has(agent) ?? false;
  }

  #left(
    t: TenantBook,
    group: string,
    at: number,
    callId: string,
    caller: Party,
    outcome: QueueOutcome['outcome'],
    waitMs: number,
    agent?: string,
  ): void {
    const g = this.#day(t, group, at);
    // A caller queued before midnight and answered after it counts as offered on the day it left.
    if (!g.waiting.delete(callId)) g.offered++;
    if (g.outcomes.length < MAX_OUTCOMES)
      g.outcomes.push({
        at,
        callId,
        caller: caller.number,
        outcome,
        waitMs,
        ...(agent !== undefined ? { agent } : {}),
      });
  }

  #tenant(id: string): TenantBook {
    let t = this.#tenants.get(id);
    if (!t) this.#tenants.set(id, (t = { groups: new Map(), agents: new Map(), onCall: new Map() }));
    return t;
  }

  /** The group's current day; at the first touch after midnight the figures start again (waiting callers stay). */
  #day(t: TenantBook, group: string, at: number): GroupDay {
    const day = dayOf(at);
    let g = t.groups.get(group);
    if (!g) t.groups.set(group, (g = { day, outcomes: [], offered: 0, waiting: new Map() }));
    if (g.day !== day) {
      g.day = day;
      g.outcomes = [];
      g.offered = g.waiting.size;
    }
    return g;
  }
}

/** The calendar day of `ms` in the server's time zone, `2026-12-04`. */
export function dayOf(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** Answered / abandoned / service level / average wait over a day's outcomes. */
export function figures(outcomes: readonly QueueOutcome[], serviceLevelMs: number) {
  let answered = 0;
  let abandoned = 0;
  let overflowed = 0;
  let within = 0;
  let waitSum = 0;
  let longest = 0;
  for (const o of outcomes) {
    longest = Math.max(longest, o.waitMs);
    if (o.outcome === 'answered') {
      answered++;
      waitSum += o.waitMs;
      if (o.waitMs <= serviceLevelMs) within++;
    } else if (o.outcome === 'abandoned') abandoned++;
    else overflowed++;
  }
  const left = answered + abandoned + overflowed;
  return {
    answered,
    abandoned,
    overflowed,
    answeredWithinServiceLevel: within,
    /** Share of the calls that left the queue that were answered within the threshold; null before the first. */
    serviceLevel: left === 0 ? null : within / left,
    averageWaitMs: answered === 0 ? 0 : Math.round(waitSum / answered),
    longestWaitTodayMs: longest,
  };
}
