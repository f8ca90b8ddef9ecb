// The call-center runtime of one tenant: the groups' queues, the agents (agent-roster.ts) and THE dispatcher (one
// per tenant, README "Dispatch rule"; a round is dispatch-round.ts). Everything here is synchronous state plus
// timers on the injected clock; the SIP side is behind `QueueCaller` (queue-port.ts, one waiting caller) so the
// rules are tested on a FakeClock.

import type { EventBus } from '../../core/events/event-bus.js';
import type { Party } from '../../core/events/types.js';
import type { GroupRecord } from '../../store/callcenter-store.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import type { AgentStatus } from './agent-state.js';
import { AgentRoster, type CallCenterPersistence, type LoginRefusal } from './agent-roster.js';
import type { CallerEvent, OverflowReason } from './caller-events.js';
import { dispatchRound } from './dispatch-round.js';
import { GroupStatsCounter, type GroupStats } from './group-stats.js';
import { byWait, newEntry, type Entry } from './queue-entry.js';
import type { QueueCaller, QueueOfferResult } from './queue-port.js';

export interface QueueSnapshot {
  waiting: Array<{ callId: string; caller: Party; arrivedAt: number; ringing: string[] }>;
  agents: Array<{ extension: string; status: AgentStatus; loggedIn: boolean; onCall: boolean }>;
}

export interface TenantCallCenterOptions {
  tenantId: string;
  clock: Clock;
  bus: EventBus;
  log: Logger;
  persist: CallCenterPersistence;
  /** Agents that take no queue call now (do not disturb). */
  excluded?: (extension: string) => boolean;
}

/** An overflow target that is a workplace or an outside (E.164) number rather than a group or busy. */
const DIALLABLE = /^([0-9]{2,8}|\+[1-9][0-9]{2,14})$/;
/** How long a call waits after an offer that found no agent with a registered phone (Entry.restTimer). */
const UNREACHABLE_REST_MS = 5000;

export class TenantCallCenter {
  readonly tenantId: string;
  readonly #o: TenantCallCenterOptions;
  #groups = new Map<string, GroupRecord>();
  readonly #roster: AgentRoster;
  readonly #entries = new Map<string, Entry>();
  /** Entries in a queue (waiting or ringing an agent), as opposed to overflowing or connected ones. */
  readonly #queued = new Set<string>();
  readonly #stats = new Map<string, GroupStatsCounter>();
  readonly #lastOffered = new Map<string, string>();
  readonly #served = new Map<string, Map<string, number>>();
  #dispatching = false;
  #again = false;

  constructor(o: TenantCallCenterOptions) {
    this.#o = o;
    this.tenantId = o.tenantId;
    this.#roster = new AgentRoster({
      tenantId: o.tenantId,
      clock: o.clock,
      bus: o.bus,
      log: o.log,
      persist: o.persist,
      groups: () => this.#groups,
      changed: () => this.#dispatch(),
      ...(o.excluded ? { excluded: o.excluded } : {}),
    });
  }

  /** Something outside the call center changed whether an agent can take calls (do not disturb ended). */
  agentsChanged(): void {
    this.#dispatch();
  }

  /**
   * (Re)loads the configuration: groups as provisioned, stored statuses and logins, and which workplaces have the
   * `group` package. Waiting callers stay; a removed group's callers are sent busy.
   */
  configure(x: Parameters<AgentRoster['configure']>[0]): void {
    this.#groups = new Map(x.groups.map((g) => [g.extension, g]));
    for (const g of this.#groups.keys()) if (!this.#stats.has(g)) this.#stats.set(g, new GroupStatsCounter());
    this.#roster.configure(x);
    for (const e of [...this.#entries.values()])
      if (!e.connectedTo && !this.#groups.has(e.group)) this.#overflow(e, 'queue-full', 'busy');
    this.#dispatch();
  }

  hasGroup(extension: string): boolean {
    return this.#groups.has(extension);
  }

  group(extension: string): GroupRecord | undefined {
    return this.#groups.get(extension);
  }

  // ---- callers ----------------------------------------------------------------------------------------------

  /** A caller for `group`: queued, or overflowed at once when the queue is full. */
  enqueue(group: string, call: QueueCaller): 'queued' | 'overflowed' {
    const g = this.#groups.get(group);
    if (!g) throw new Error(`no group ${group} in tenant ${this.tenantId}`);
    const e = newEntry(call, group, this.#o.clock.now());
    this.#entries.set(e.id, e);
    call.onEnded(() => this.#callerGone(e));
    return this.#join(e, g);
  }

  #join(e: Entry, g: GroupRecord): 'queued' | 'overflowed' {
    e.group = g.extension;
    this.#stat(g.extension).offered();
    if (this.#waiting(g.extension).length >= g.maxQueue) {
      this.#overflow(e, 'queue-full', g.overflow);
      return 'overflowed';
    }
    e.enqueuedAt = this.#o.clock.now();
    const position = this.#waiting(g.extension).length + 1;
    this.#queued.add(e.id);
    this.#o.log.info({ event: 'cc.queued', call: e.id, group: g.extension, position }, 'caller queued');
    this.#emit({
      type: 'callcenter.caller.queued',
      group: g.extension,
      callId: e.id,
      caller: e.call.caller,
      position,
    });
    e.call.entrance();
    const waitLeft = e.arrivedAt + g.maxWaitS * 1000 - this.#o.clock.now();
    e.maxWaitTimer = this.#o.clock.setTimeout(() => this.#maxWait(e), Math.max(0, waitLeft));
    this.#armComfort(e, g);
    this.#dispatch();
    return 'queued';
  }

  /**
   * A caller refused before answering because the queue was full and the overflow is busy: counted and published,
   * never queued. `callId` is the SIP Call-ID (no queue call id exists for it).
   */
  countRefused(group: string, callId: string, caller: Party): void {
    const s = this.#stat(group);
    s.offered();
    s.overflowed(0);
    this.#emit({
      type: 'callcenter.caller.overflowed',
      group,
      callId,
      caller,
      reason: 'queue-full',
      to: 'busy',
      waitMs: 0,
    });
  }

  /** Waiting (not connected) entries of a group, longest wait first. */
  #waiting(group: string): Entry[] {
    return [...this.#entries.values()]
      .filter((e) => this.#queued.has(e.id) && e.group === group)
      .sort(byWait);
  }

  #armComfort(e: Entry, g: GroupRecord): void {
    if (g.comfortEveryS <= 0) return;
    e.comfortTimer = this.#o.clock.setTimeout(() => {
      e.comfortTimer = undefined;
      if (!this.#queued.has(e.id) || e.done) return;
      // While an agent rings the caller keeps the music; the announcement comes at the next interval.
      if (!e.offering) {
        const position = this.#waiting(e.group).indexOf(e) + 1;
        e.call.comfort(position, this.estimatedWaitS(e.group, position));
      }
      const cur = this.#groups.get(e.group);
      if (cur) this.#armComfort(e, cur);
    }, g.comfortEveryS * 1000);
  }

  /**
   * Estimated wait for `position`: position × the group's average handle time (talk + wrap-up, 60 s until calls
   * were answered) ÷ the agents logged in and not signed out (at least 1).
   */
  estimatedWaitS(group: string, position: number): number {
    const g = this.#groups.get(group);
    if (!g) return 0;
    const handle = this.#stat(group).read().averageHandleMs || 60_000;
    return Math.round((position * handle) / Math.max(1, this.#roster.staffed(g)) / 1000);
  }

  #maxWait(e: Entry): void {
    e.maxWaitTimer = undefined;
    if (e.done || !this.#queued.has(e.id)) return;
    const g = this.#groups.get(e.group);
    e.offering?.cancel();
    this.#overflow(e, 'max-wait', g?.overflow ?? 'busy');
  }

  #overflow(e: Entry, reason: OverflowReason, target: string): void {
    const wasIn = e.group;
    this.#leaveQueue(e);
    const waitMs = this.#o.clock.now() - e.arrivedAt;
    this.#stat(wasIn).overflowed(waitMs);
    const to = e.overflowed ? 'busy' : target;
    this.#o.log.info({ event: 'cc.overflow', call: e.id, group: wasIn, reason, to }, 'caller overflowed');
    this.#emit({
      type: 'callcenter.caller.overflowed',
      group: wasIn,
      callId: e.id,
      caller: e.call.caller,
      reason,
      to,
      waitMs,
    });
    e.overflowed = true;
    const other = this.#groups.get(to);
    if (other && to !== wasIn) {
      this.#join(e, other);
      return;
    }
    this.#forget(e);
    // A workplace or an outside number rings (busy when nobody answers there); anything else is busy.
    if (DIALLABLE.test(to)) e.call.transferTo(to);
    else e.call.busy();
  }

  #leaveQueue(e: Entry): void {
    this.#queued.delete(e.id);
    this.#o.clock.clearTimeout(e.maxWaitTimer);
    this.#o.clock.clearTimeout(e.comfortTimer);
    this.#o.clock.clearTimeout(e.restTimer);
    e.maxWaitTimer = undefined;
    e.comfortTimer = undefined;
    e.restTimer = undefined;
  }

  #forget(e: Entry): void {
    e.done = true;
    this.#leaveQueue(e);
    this.#entries.delete(e.id);
  }

  #callerGone(e: Entry): void {
    if (e.connectedTo) {
      this.#queueCallEnded(e);
      return;
    }
    if (e.done) return;
    const waiting = this.#queued.has(e.id);
    const group = e.group;
    e.offering?.cancel();
    this.#forget(e);
    if (waiting) {
      const waitMs = this.#o.clock.now() - e.arrivedAt;
      this.#stat(group).abandoned(waitMs);
      this.#o.log.info({ event: 'cc.abandoned', call: e.id, group, waitMs }, 'caller hung up in the queue');
      this.#emit({ type: 'callcenter.caller.abandoned', group, callId: e.id, caller: e.call.caller, waitMs });
    }
    this.#dispatch();
  }

  // ---- the dispatcher ---------------------------------------------------------------------------------------

  /** Plans and applies offers until nothing changes; re-entrant calls are folded into one more round. */
  #dispatch(): void {
    if (this.#dispatching) {
      this.#again = true;
      return;
    }
    this.#dispatching = true;
    try {
      // Bounded: each round either offers a call (finite calls and agents) or stops.
      for (let round = 0; round < 1000; round++) {
        this.#again = false;
        const offers = dispatchRound({
          roster: this.#roster,
          groups: this.#groups,
          entries: this.#entries,
          queued: this.#queued,
          lastOffered: this.#lastOffered,
          served: this.#served,
        });
        for (const o of offers) this.#offer(this.#entries.get(o.callId)!, o.agents);
        if (!this.#again) break;
      }
    } finally {
      this.#dispatching = false;
    }
  }

  #offer(e: Entry, agents: string[]): void {
    const g = this.#groups.get(e.group)!;
    this.#lastOffered.set(e.group, agents[agents.length - 1]!);
    for (const a of agents) this.#roster.get(a)!.queueCall = e.id;
    this.#o.log.info({ event: 'cc.offer', call: e.id, group: e.group, agents }, 'offering queue call');
    const offer = e.call.offer(agents, g.ringTimeoutS * 1000);
    e.offering = { agents, cancel: offer.cancel };
    void offer.result.then((r) => this.#offerEnded(e, agents, r));
  }

  #offerEnded(e: Entry, agents: string[], r: QueueOfferResult): void {
    e.offering = undefined;
    for (const ext of agents) {
      const a = this.#roster.get(ext);
      if (!a || a.queueCall !== e.id) continue;
      if (ext === r.answeredBy && !e.done) continue;
      a.queueCall = undefined;
    }
    if (r.outcome === 'answered' && r.answeredBy && !e.done) this.#connected(e, r.answeredBy);
    else if (r.outcome === 'no-answer' || r.outcome === 'declined' || r.outcome === 'unavailable')
      this.#notTaken(e, agents, r);
    this.#dispatch();
  }

  /** `agent` answered: the call leaves the queue and counts as served by them. */
  #connected(e: Entry, agent: string): void {
    const now = this.#o.clock.now();
    const waitMs = now - e.arrivedAt;
    const group = e.group;
    this.#leaveQueue(e);
    e.connectedTo = agent;
    e.connectedAt = now;
    const a = this.#roster.get(agent);
    if (a) a.misses = 0;
    const served = this.#served.get(group) ?? new Map<string, number>();
    served.set(agent, (served.get(agent) ?? 0) + 1);
    this.#served.set(group, served);
    this.#stat(group).answered(waitMs);
    this.#o.log.info({ event: 'cc.connected', call: e.id, group, agent, waitMs }, 'connected');
    this.#emit({
      type: 'callcenter.caller.connected',
      group,
      callId: e.id,
      caller: e.call.caller,
      agent,
      waitMs,
    });
  }

  /**
   * Nobody took the offer: decliners never get this call again, the others are passed over for it, and an agent
   * who missed the group's limit of calls in a row becomes Unavailable.
   */
  #notTaken(e: Entry, agents: string[], r: QueueOfferResult): void {
    for (const ext of r.declinedBy) e.declined.add(ext);
    if (agents.every((ext) => r.unreachable.includes(ext))) {
      // Nobody had a phone to ring: the call waits a moment before its next offer (an agent's phone may register).
      e.restTimer = this.#o.clock.setTimeout(() => {
        e.restTimer = undefined;
        this.#dispatch();
      }, UNREACHABLE_REST_MS);
    }
    const g = this.#groups.get(e.group);
    for (const ext of agents) {
      if (r.declinedBy.includes(ext)) continue;
      e.passedOver.add(ext);
      const a = this.#roster.get(ext);
      // A workplace without a registered phone is passed over, but that is no missed call.
      if (!a || r.unreachable.includes(ext)) continue;
      a.misses++;
      const limit = g?.missesBeforeUnavailable ?? 0;
      if (limit > 0 && a.misses >= limit && a.status === 'available') {
        this.#o.log.info({ event: 'cc.missed', agent: ext, misses: a.misses }, 'agent set unavailable');
        this.#roster.change(a, 'unavailable', 'missed-calls');
      }
    }
  }

  /** The conversation of a connected queue call ended: the agent goes to wrap-up (or straight to Available). */
  #queueCallEnded(e: Entry): void {
    if (e.done) return;
    const agent = e.connectedTo;
    const g = this.#groups.get(e.group);
    this.#forget(e);
    const a = agent ? this.#roster.get(agent) : undefined;
    const wrapMs = (g?.wrapUpS ?? 0) * 1000;
    this.#stat(e.group).handled(this.#o.clock.now() - e.connectedAt + wrapMs);
    if (a && a.queueCall === e.id) this.#roster.queueCallEnded(a, wrapMs);
    this.#dispatch();
  }

  // ---- agents -----------------------------------------------------------------------------------------------

  /** Sets a workplace's status (from a feature code, later the client). Undefined when it is no agent at all. */
  setStatus(extension: string, status: AgentStatus): AgentStatus | undefined {
    return this.#roster.setStatus(extension, status);
  }

  statusOf(extension: string): AgentStatus | undefined {
    return this.#roster.statusOf(extension);
  }

  /** Logs `agent` in or out of `group`; a refusal says why. */
  setLogin(group: string, agent: string, loggedIn: boolean): LoginRefusal | undefined {
    return this.#roster.setLogin(group, agent, loggedIn);
  }

  isLoggedIn(group: string, agent: string): boolean {
    const g = this.#groups.get(group);
    return g !== undefined && g.agents.some((a) => a.extension === agent) && this.#roster.loggedIn(g, agent);
  }

  /** Any call (not only queue calls) involving a workplace, as seen on the bus: the agent is on a call. */
  callStarted(extension: string, callId: string): void {
    this.#roster.callStarted(extension, callId);
  }

  callEnded(callId: string): void {
    if (this.#roster.callEnded(callId)) this.#dispatch();
  }

  // ---- reading ----------------------------------------------------------------------------------------------

  stats(group: string): GroupStats | undefined {
    return this.#groups.has(group) ? this.#stat(group).read() : undefined;
  }

  /** The group's waiting callers, longest wait first (ids), for supervisors and tests. */
  waiting(group: string): string[] {
    return this.#waiting(group).map((e) => e.id);
  }

  /**
   * What a supervisor sees of one group: its waiting callers (longest wait first, with when they arrived and the
   * agents being rung) and its agents as the dispatcher sees them. Undefined for an unknown group.
   */
  queueSnapshot(group: string): QueueSnapshot | undefined {
    const g = this.#groups.get(group);
    if (!g) return undefined;
    return {
      waiting: this.#waiting(group).map((e) => ({
        callId: e.id,
        caller: e.call.caller,
        arrivedAt: e.arrivedAt,
        ringing: e.offering ? [...e.offering.agents] : [],
      })),
      agents: this.#roster
        .views(g)
        .map((a) => ({ extension: a.extension, status: a.status, loggedIn: a.loggedIn, onCall: a.onCall })),
    };
  }

  /** Queue calls known (waiting, ringing, overflowing or connected); 0 at rest. */
  size(): number {
    return this.#entries.size;
  }

  /** Stops every timer (shutdown). */
  close(): void {
    for (const e of this.#entries.values()) this.#leaveQueue(e);
    this.#roster.close();
  }

  #stat(group: string): GroupStatsCounter {
    let s = this.#stats.get(group);
    if (!s) this.#stats.set(group, (s = new GroupStatsCounter()));
    return s;
  }

  #emit(e: CallerEvent): void {
    this.#o.bus.emit({ ...e, tenantId: this.tenantId, at: this.#o.clock.now() });
  }
}
