// The call-center runtime of one tenant: the groups' queues, the agents' status and logins, and THE dispatcher
// (one per tenant, README "Dispatch rule"). Everything here is synchronous state plus timers on the injected
// clock; the SIP side is behind `QueueCaller` (one waiting caller) so the rules are tested on a FakeClock.

import type { EventBus } from '../../core/events/event-bus.js';
import type { AgentStatusName, Party } from '../../core/events/types.js';
import type { GroupRecord } from '../../store/callcenter-store.js';
import type { Clock, TimerHandle } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import type { AgentStatus, AgentView } from './agent-state.js';
import { isEligible } from './agent-state.js';
import { planDispatch, type GroupState, type WaitingCall } from './dispatcher.js';
import { GroupStatsCounter, type GroupStats } from './group-stats.js';

/** How one offer of a queue call ended (mirrors core's queue OfferResult, core/calls/queue-offer.ts). */
export interface QueueOfferResult {
  outcome: 'answered' | 'declined' | 'no-answer' | 'unavailable' | 'caller-gone' | 'cancelled';
  answeredBy?: string;
  declinedBy: string[];
  unreachable: string[];
}

/** One caller waiting in (or connected from) a queue, as the runtime drives it. */
export interface QueueCaller {
  readonly id: string;
  readonly caller: Party;
  /** Entrance message, then music on a loop. */
  entrance(): void;
  /** Position and estimated wait, then back to music. */
  comfort(position: number, estimatedWaitS: number): void;
  /** Rings the agents' devices; the caller keeps hearing music meanwhile. */
  offer(agents: readonly string[], timeoutMs: number): { result: Promise<QueueOfferResult>; cancel(): void };
  /** Overflow: ring this workplace or outside number (not as a queue call); busy when nobody answers. */
  transferTo(extension: string): void;
  /** Overflow to busy: busy tone, then hang up. */
  busy(): void;
  /** Called once when the caller's call ends (hung up, or the connected conversation ended). */
  onEnded(cb: () => void): void;
}

export interface CallCenterPersistence {
  status(agent: string, status: AgentStatus, at: number): Promise<void>;
  login(group: string, agent: string, loggedIn: boolean): Promise<void>;
}

export type LoginRefusal = 'no-package' | 'not-agent' | 'forbidden' | 'unknown-group';

interface Agent {
  extension: string;
  status: AgentStatus;
  idleSince: number;
  /** Ids of calls (any call, seen on the bus) the workplace is ringing for or talking in. */
  calls: Set<string>;
  /** The queue call this agent is offered (ringing) or connected to. */
  queueCall: string | undefined;
  /** Consecutive queue calls not answered. */
  misses: number;
  wrapTimer: TimerHandle | undefined;
  hasPackage: boolean;
}

interface Entry {
  readonly id: string;
  group: string;
  /** When the caller entered the first queue: the wait that ordering, statistics and maxWait use. */
  readonly arrivedAt: number;
  /** When it entered this group's queue (after an overflow from another group). */
  enqueuedAt: number;
  readonly call: QueueCaller;
  /** Agents who declined this call: never offered it again. */
  readonly declined: Set<string>;
  /** Agents who let it ring out: skipped for this call while someone else can take it. */
  passedOver: Set<string>;
  offering: { agents: string[]; cancel(): void } | undefined;
  connectedTo: string | undefined;
  connectedAt: number;
  /** An overflowed call never overflows again (busy instead): no loops between groups. */
  overflowed: boolean;
  done: boolean;
  maxWaitTimer: TimerHandle | undefined;
  comfortTimer: TimerHandle | undefined;
}

export interface TenantCallCenterOptions {
  tenantId: string;
  clock: Clock;
  bus: EventBus;
  log: Logger;
  persist: CallCenterPersistence;
}

export class TenantCallCenter {
  readonly tenantId: string;
  readonly #o: TenantCallCenterOptions;
  #groups = new Map<string, GroupRecord>();
  readonly #agents = new Map<string, Agent>();
  /** group → agents logged in (only meaningful when the group allows login; otherwise all agents are in). */
  readonly #logins = new Map<string, Set<string>>();
  readonly #entries = new Map<string, Entry>();
  readonly #stats = new Map<string, GroupStatsCounter>();
  readonly #lastOffered = new Map<string, string>();
  readonly #served = new Map<string, Map<string, number>>();
  #dispatching = false;
  #again = false;

  constructor(o: TenantCallCenterOptions) {
    this.#o = o;
    this.tenantId = o.tenantId;
  }

  /**
   * (Re)loads the configuration: groups as provisioned, stored statuses and logins, and which workplaces have the
   * `group` package. Waiting callers stay; a removed group's callers are sent busy.
   */
  configure(x: {
    groups: readonly GroupRecord[];
    /** Stored statuses; `updatedAt` lets a Wrap-up that was running at shutdown end on time. */
    statuses: ReadonlyArray<{ extension: string; status: string; updatedAt?: number }>;
    logins: ReadonlyArray<{ group: string; agent: string }>;
    withPackage: ReadonlySet<string>;
  }): void {
    this.#groups = new Map(x.groups.map((g) => [g.extension, g]));
    const stored = new Map(x.statuses.map((s) => [s.extension, s.status]));
    const storedAt = new Map(x.statuses.map((s) => [s.extension, s.updatedAt]));
    const restoredWrapUps: Agent[] = [];
    const now = this.#o.clock.now();
    for (const ext of new Set([
      ...x.withPackage,
      ...x.groups.flatMap((g) => g.agents.map((a) => a.extension)),
    ])) {
      const a = this.#agents.get(ext);
      if (a) {
        a.hasPackage = x.withPackage.has(ext);
        continue;
      }
      this.#agents.set(ext, {
        extension: ext,
        status: asStatus(stored.get(ext)),
        idleSince: now,
        calls: new Set(),
        queueCall: undefined,
        misses: 0,
        wrapTimer: undefined,
        hasPackage: x.withPackage.has(ext),
      });
      if (stored.get(ext) === 'wrap-up') restoredWrapUps.push(this.#agents.get(ext)!);
    }
    this.#logins.clear();
    for (const l of x.logins) {
      let set = this.#logins.get(l.group);
      if (!set) this.#logins.set(l.group, (set = new Set()));
      set.add(l.agent);
    }
    for (const g of this.#groups.keys()) if (!this.#stats.has(g)) this.#stats.set(g, new GroupStatsCounter());
    // A Wrap-up running when the process stopped ends when it would have (at once if that time has passed).
    for (const a of restoredWrapUps) {
      const wrapMs = this.#wrapMsOf(a.extension);
      if (wrapMs === 0) continue;
      const left = (storedAt.get(a.extension) ?? now) + wrapMs - now;
      if (left <= 0) this.#setStatus(a, 'available', 'wrap-up');
      else this.#armWrap(a, left);
    }
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
    const now = this.#o.clock.now();
    const e: Entry = {
      id: call.id,
      group,
      arrivedAt: now,
      enqueuedAt: now,
      call,
      declined: new Set(),
      passedOver: new Set(),
      offering: undefined,
      connectedTo: undefined,
      connectedAt: 0,
      overflowed: false,
      done: false,
      maxWaitTimer: undefined,
      comfortTimer: undefined,
    };
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
    this.#log().info({ event: 'cc.queued', call: e.id, group: g.extension, position }, 'caller queued');
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
      .sort((a, b) => a.arrivedAt - b.arrivedAt || (a.id < b.id ? -1 : 1));
  }

  /** Entries in a queue (waiting or ringing an agent), as opposed to overflowing or connected ones. */
  readonly #queued = new Set<string>();

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
    const staffed = g.agents.filter((a) => {
      const ag = this.#agents.get(a.extension);
      return ag && this.#loggedIn(g, a.extension) && ag.status !== 'signed-out';
    }).length;
    return Math.round((position * handle) / Math.max(1, staffed) / 1000);
  }

  #maxWait(e: Entry): void {
    e.maxWaitTimer = undefined;
    if (e.done || !this.#queued.has(e.id)) return;
    const g = this.#groups.get(e.group);
    e.offering?.cancel();
    this.#overflow(e, 'max-wait', g?.overflow ?? 'busy');
  }

  #overflow(e: Entry, reason: 'queue-full' | 'max-wait', target: string): void {
    const wasIn = e.group;
    this.#leaveQueue(e);
    const waitMs = this.#o.clock.now() - e.arrivedAt;
    this.#stat(wasIn).overflowed(waitMs);
    const to = e.overflowed ? 'busy' : target;
    this.#log().info({ event: 'cc.overflow', call: e.id, group: wasIn, reason, to }, 'caller overflowed');
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
    // A workplace or an outside (E.164) number; busy when nobody answers there.
    if (/^([0-9]{2,8}|\+[1-9][0-9]{2,14})$/.test(to)) e.call.transferTo(to);
    else e.call.busy();
  }

  #leaveQueue(e: Entry): void {
    this.#queued.delete(e.id);
    this.#o.clock.clearTimeout(e.maxWaitTimer);
    this.#o.clock.clearTimeout(e.comfortTimer);
    e.maxWaitTimer = undefined;
    e.comfortTimer = undefined;
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
      this.#log().info({ event: 'cc.abandoned', call: e.id, group, waitMs }, 'caller hung up in the queue');
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
        this.#dispatchOnce();
        if (!this.#again) break;
      }
    } finally {
      this.#dispatching = false;
    }
  }

  #dispatchOnce(): void {
    const waiting: WaitingCall[] = [];
    const groups = new Map<string, GroupState>();
    const busy = new Set<string>();
    let anyFree = false;
    for (const a of this.#agents.values()) {
      if (a.queueCall || a.calls.size > 0) busy.add(a.extension);
      else if (a.status === 'available' && a.hasPackage) anyFree = true;
    }
    // Nobody could take a call: skip planning (most events while the queue is long and every agent is busy).
    if (!anyFree) return;
    for (const e of this.#entries.values()) {
      if (!this.#queued.has(e.id) || e.offering) continue;
      waiting.push({ callId: e.id, groupId: e.group, enqueuedAt: e.arrivedAt });
    }
    if (waiting.length === 0) return;
    for (const g of this.#groups.values()) {
      groups.set(g.extension, {
        policy: g.policy,
        priority: g.priority,
        agents: this.#views(g),
        served: this.#served.get(g.extension) ?? new Map(),
        ...(this.#lastOffered.has(g.extension) ? { lastOffered: this.#lastOffered.get(g.extension)! } : {}),
      });
    }
    // Passed-over agents are skipped only while someone else (free now or later) could take the call: when every
    // agent who could take it was passed over, they are all eligible again.
    for (const w of waiting) {
      const e = this.#entries.get(w.callId)!;
      if (e.passedOver.size === 0) continue;
      const views = groups.get(e.group)?.agents ?? [];
      const could = (v: AgentView) => isEligible({ ...v, onCall: false }, e.id);
      if (!views.some((v) => could(v) && !e.passedOver.has(v.extension))) e.passedOver = new Set();
    }
    // An agent's view lists the waiting calls they declined or were passed over for (AgentView.declined).
    const skip = new Map<string, Set<string>>();
    for (const w of waiting) {
      const e = this.#entries.get(w.callId)!;
      for (const ext of [...e.declined, ...e.passedOver]) {
        let set = skip.get(ext);
        if (!set) skip.set(ext, (set = new Set()));
        set.add(e.id);
      }
    }
    if (skip.size > 0) {
      for (const [id, g] of groups)
        groups.set(id, {
          ...g,
          agents: g.agents.map((a) =>
            skip.has(a.extension) ? { ...a, declined: skip.get(a.extension)! } : a,
          ),
        });
    }
    for (const o of planDispatch({ waiting, groups, busy }))
      this.#offer(this.#entries.get(o.callId)!, o.agents);
  }

  #views(g: GroupRecord): AgentView[] {
    return g.agents.map((a, position) => {
      const ag = this.#agents.get(a.extension);
      return {
        extension: a.extension,
        status: ag?.status ?? 'signed-out',
        loggedIn: ag !== undefined && ag.hasPackage && this.#loggedIn(g, a.extension),
        onCall: ag === undefined || ag.queueCall !== undefined || ag.calls.size > 0,
        idleSince: ag?.idleSince ?? 0,
        weight: a.weight,
        position,
        declined: new Set<string>(),
      };
    });
  }

  /** A group that does not allow login has static members: every agent is in. */
  #loggedIn(g: GroupRecord, agent: string): boolean {
    return !g.allowAgentLogin || (this.#logins.get(g.extension)?.has(agent) ?? false);
  }

  #offer(e: Entry, agents: string[]): void {
    const g = this.#groups.get(e.group)!;
    this.#lastOffered.set(e.group, agents[agents.length - 1]!);
    for (const a of agents) this.#agents.get(a)!.queueCall = e.id;
    this.#log().info({ event: 'cc.offer', call: e.id, group: e.group, agents }, 'offering queue call');
    const offer = e.call.offer(agents, g.ringTimeoutS * 1000);
    e.offering = { agents, cancel: offer.cancel };
    void offer.result.then((r) => this.#offerEnded(e, agents, r));
  }

  #offerEnded(e: Entry, agents: string[], r: QueueOfferResult): void {
    e.offering = undefined;
    const now = this.#o.clock.now();
    for (const ext of agents) {
      const a = this.#agents.get(ext);
      if (!a || a.queueCall !== e.id) continue;
      if (ext === r.answeredBy && !e.done) continue;
      a.queueCall = undefined;
    }
    if (r.outcome === 'answered' && r.answeredBy && !e.done) {
      const waitMs = now - e.arrivedAt;
      const group = e.group;
      this.#leaveQueue(e);
      e.connectedTo = r.answeredBy;
      e.connectedAt = now;
      const a = this.#agents.get(r.answeredBy);
      if (a) a.misses = 0;
      const served = this.#served.get(group) ?? new Map<string, number>();
      served.set(r.answeredBy, (served.get(r.answeredBy) ?? 0) + 1);
      this.#served.set(group, served);
      this.#stat(group).answered(waitMs);
      this.#log().info(
        { event: 'cc.connected', call: e.id, group, agent: r.answeredBy, waitMs },
        'connected',
      );
      this.#emit({
        type: 'callcenter.caller.connected',
        group,
        callId: e.id,
        caller: e.call.caller,
        agent: r.answeredBy,
        waitMs,
      });
      this.#dispatch();
      return;
    }
    if (r.outcome === 'no-answer' || r.outcome === 'declined' || r.outcome === 'unavailable') {
      for (const ext of r.declinedBy) e.declined.add(ext);
      const g = this.#groups.get(e.group);
      for (const ext of agents) {
        if (r.declinedBy.includes(ext)) continue;
        e.passedOver.add(ext);
        const a = this.#agents.get(ext);
        // A workplace without a registered phone is passed over, but that is no missed call.
        if (!a || r.unreachable.includes(ext)) continue;
        a.misses++;
        const limit = g?.missesBeforeUnavailable ?? 0;
        if (limit > 0 && a.misses >= limit && a.status === 'available') {
          this.#log().info({ event: 'cc.missed', agent: ext, misses: a.misses }, 'agent set unavailable');
          this.#setStatus(a, 'unavailable', 'missed-calls');
        }
      }
    }
    this.#dispatch();
  }

  /** The conversation of a connected queue call ended: the agent goes to wrap-up (or straight to Available). */
  #queueCallEnded(e: Entry): void {
    if (e.done) return;
    const agent = e.connectedTo;
    const g = this.#groups.get(e.group);
    this.#forget(e);
    const a = agent ? this.#agents.get(agent) : undefined;
    const now = this.#o.clock.now();
    const wrapMs = (g?.wrapUpS ?? 0) * 1000;
    this.#stat(e.group).handled(now - e.connectedAt + wrapMs);
    if (a && a.queueCall === e.id) {
      a.queueCall = undefined;
      a.idleSince = now;
      if (a.status === 'available' && wrapMs > 0) {
        this.#setStatus(a, 'wrap-up', 'queue-call');
        this.#armWrap(a, wrapMs);
      }
    }
    this.#dispatch();
  }

  // ---- agents -----------------------------------------------------------------------------------------------

  /** Ends a Wrap-up after `ms` (back to Available), unless the status changed meanwhile. */
  #armWrap(a: Agent, ms: number): void {
    this.#o.clock.clearTimeout(a.wrapTimer);
    a.wrapTimer = this.#o.clock.setTimeout(() => {
      a.wrapTimer = undefined;
      if (a.status === 'wrap-up') this.#setStatus(a, 'available', 'wrap-up');
    }, ms);
  }

  /** The longest wrap-up among the agent's groups, ms (0: none of them has one). */
  #wrapMsOf(extension: string): number {
    let s = 0;
    for (const g of this.#groups.values())
      if (g.agents.some((a) => a.extension === extension)) s = Math.max(s, g.wrapUpS);
    return s * 1000;
  }

  /** Sets a workplace's status (from a feature code, later the client). Undefined when it is no agent at all. */
  setStatus(extension: string, status: AgentStatus): AgentStatus | undefined {
    const a = this.#agents.get(extension);
    if (!a || !a.hasPackage) return undefined;
    this.#setStatus(a, status, 'agent');
    // SPEC section 1: Wrap-up "ends by timer or by the agent" — also one the agent chose, after the longest wrap-up
    // of their groups (none when no group has one).
    const wrapMs = this.#wrapMsOf(extension);
    if (status === 'wrap-up' && wrapMs > 0) this.#armWrap(a, wrapMs);
    return status;
  }

  #setStatus(
    a: Agent,
    status: AgentStatus,
    cause: 'agent' | 'wrap-up' | 'queue-call' | 'missed-calls',
  ): void {
    const previous = a.status;
    if (a.wrapTimer && status !== 'wrap-up') {
      this.#o.clock.clearTimeout(a.wrapTimer);
      a.wrapTimer = undefined;
    }
    if (status === 'available') a.misses = 0;
    if (previous === status) return;
    a.status = status;
    const at = this.#o.clock.now();
    if (status === 'available' && previous === 'wrap-up') a.idleSince = at;
    this.#log().info({ event: 'cc.status', agent: a.extension, status, previous, cause }, 'agent status');
    this.#o.bus.emit({
      type: 'callcenter.agent.status',
      tenantId: this.tenantId,
      at,
      agent: a.extension,
      status,
      previous,
      cause,
    });
    void this.#o.persist.status(a.extension, status, at).catch((err: unknown) => {
      this.#log().error({ event: 'cc.persist.error', err: String(err) }, 'could not store agent status');
    });
    this.#dispatch();
  }

  statusOf(extension: string): AgentStatus | undefined {
    return this.#agents.get(extension)?.status;
  }

  /** Logs `agent` in or out of `group`; a refusal says why. */
  setLogin(group: string, agent: string, loggedIn: boolean): LoginRefusal | undefined {
    const g = this.#groups.get(group);
    if (!g) return 'unknown-group';
    const a = this.#agents.get(agent);
    if (!a || !a.hasPackage) return 'no-package';
    if (!g.agents.some((x) => x.extension === agent)) return 'not-agent';
    if (!g.allowAgentLogin) return 'forbidden';
    let set = this.#logins.get(group);
    if (!set) this.#logins.set(group, (set = new Set()));
    if (set.has(agent) === loggedIn) return undefined;
    if (loggedIn) set.add(agent);
    else set.delete(agent);
    this.#o.bus.emit({
      type: 'callcenter.agent.login',
      tenantId: this.tenantId,
      at: this.#o.clock.now(),
      agent,
      group,
      loggedIn,
    });
    void this.#o.persist.login(group, agent, loggedIn).catch((err: unknown) => {
      this.#log().error({ event: 'cc.persist.error', err: String(err) }, 'could not store agent login');
    });
    this.#dispatch();
    return undefined;
  }

  isLoggedIn(group: string, agent: string): boolean {
    const g = this.#groups.get(group);
    return g !== undefined && g.agents.some((a) => a.extension === agent) && this.#loggedIn(g, agent);
  }

  /** Any call (not only queue calls) involving a workplace, as seen on the bus: the agent is on a call. */
  callStarted(extension: string, callId: string): void {
    const a = this.#agents.get(extension);
    if (!a || a.calls.has(callId)) return;
    a.calls.add(callId);
  }

  callEnded(callId: string): void {
    let freed = false;
    for (const a of this.#agents.values()) {
      if (a.calls.delete(callId) && a.calls.size === 0) {
        freed = true;
        a.idleSince = Math.max(a.idleSince, this.#o.clock.now());
      }
    }
    if (freed) this.#dispatch();
  }

  // ---- reading ----------------------------------------------------------------------------------------------

  stats(group: string): GroupStats | undefined {
    return this.#groups.has(group) ? this.#stat(group).read() : undefined;
  }

  /** The group's waiting callers, longest wait first (ids), for supervisors and tests. */
  waiting(group: string): string[] {
    return this.#waiting(group).map((e) => e.id);
  }

  /** Queue calls known (waiting, ringing, overflowing or connected); 0 at rest. */
  size(): number {
    return this.#entries.size;
  }

  /** Stops every timer (shutdown). */
  close(): void {
    for (const e of this.#entries.values()) this.#leaveQueue(e);
    for (const a of this.#agents.values()) {
      this.#o.clock.clearTimeout(a.wrapTimer);
      a.wrapTimer = undefined;
    }
  }

  #stat(group: string): GroupStatsCounter {
    let s = this.#stats.get(group);
    if (!s) this.#stats.set(group, (s = new GroupStatsCounter()));
    return s;
  }

  #emit(
    e:
      | { type: 'callcenter.caller.queued'; group: string; callId: string; caller: Party; position: number }
      | {
          type: 'callcenter.caller.connected';
          group: string;
          callId: string;
          caller: Party;
          agent: string;
          waitMs: number;
        }
      | { type: 'callcenter.caller.abandoned'; group: string; callId: string; caller: Party; waitMs: number }
      | {
          type: 'callcenter.caller.overflowed';
          group: string;
          callId: string;
          caller: Party;
          reason: 'queue-full' | 'max-wait';
          to: string;
          waitMs: number;
        },
  ): void {
    this.#o.bus.emit({ ...e, tenantId: this.tenantId, at: this.#o.clock.now() });
  }

  #log(): Logger {
    return this.#o.log;
  }
}

const STATUSES: readonly AgentStatusName[] = [
  'available',
  'unavailable',
  'wrap-up',
  'signed-in',
  'signed-out',
];

/** A stored status, or Signed out (not at the desk) for a workplace that never set one. */
function asStatus(s: string | undefined): AgentStatus {
  return (STATUSES as readonly string[]).includes(s ?? '') ? (s as AgentStatus) : 'signed-out';
}
