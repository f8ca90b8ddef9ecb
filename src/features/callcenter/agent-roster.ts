// The agents of one tenant's call center: each workplace's status, its Wrap-up timer, its logins per group and
// the calls it is on. Every change that could free or bind an agent calls `changed` so the tenant's dispatcher
// runs again (README "Dispatch rule").

import type { EventBus } from '../../core/events/event-bus.js';
import type { AgentStatusName } from '../../core/events/types.js';
import type { GroupRecord } from '../../store/callcenter-store.js';
import type { Clock, TimerHandle } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import type { AgentStatus, AgentView } from './agent-state.js';

export interface CallCenterPersistence {
  status(agent: string, status: AgentStatus, at: number): Promise<void>;
  login(group: string, agent: string, loggedIn: boolean): Promise<void>;
}

export type LoginRefusal = 'no-package' | 'not-agent' | 'forbidden' | 'unknown-group';

/** Why a status changed, as published on `callcenter.agent.status`. */
export type StatusCause = 'agent' | 'wrap-up' | 'queue-call' | 'missed-calls';

export interface Agent {
  readonly extension: string;
  status: AgentStatus;
  idleSince: number;
  /** Ids of calls (any call, seen on the bus) the workplace is ringing for or talking in. */
  readonly calls: Set<string>;
  /** The queue call this agent is offered (ringing) or connected to. */
  queueCall: string | undefined;
  /** Consecutive queue calls not answered. */
  misses: number;
  wrapTimer: TimerHandle | undefined;
  hasPackage: boolean;
}

export interface AgentRosterOptions {
  tenantId: string;
  clock: Clock;
  bus: EventBus;
  log: Logger;
  persist: CallCenterPersistence;
  /** The tenant's groups as currently configured. */
  groups: () => ReadonlyMap<string, GroupRecord>;
  /** Something changed that may let a waiting call be offered. */
  changed: () => void;
  /** Agents that take no queue call now whatever their status (do not disturb, told by the composition root). */
  excluded?: (extension: string) => boolean;
}

export class AgentRoster {
  readonly #o: AgentRosterOptions;
  readonly #agents = new Map<string, Agent>();
  /** group → agents logged in (only meaningful when the group allows login; otherwise all agents are in). */
  readonly #logins = new Map<string, Set<string>>();

  constructor(o: AgentRosterOptions) {
    this.#o = o;
  }

  /**
   * (Re)loads the agents: every workplace with the `group` package or listed in a group, with its stored status,
   * and the logins. Known agents keep their live state. Call after the groups changed.
   */
  configure(x: {
    groups: readonly GroupRecord[];
    /** Stored statuses; `updatedAt` lets a Wrap-up that was running at shutdown end on time. */
    statuses: ReadonlyArray<{ extension: string; status: string; updatedAt?: number }>;
    logins: ReadonlyArray<{ group: string; agent: string }>;
    withPackage: ReadonlySet<string>;
  }): void {
    const stored = new Map(x.statuses.map((s) => [s.extension, s.status]));
    const storedAt = new Map(x.statuses.map((s) => [s.extension, s.updatedAt]));
    const restoredWrapUps: Agent[] = [];
    const now = this.#o.clock.now();
    for (const ext of new Set([
      ...x.withPackage,
      ...x.groups.flatMap((g) => g.agents.map((a) => a.extension)),
    ])) {
      const known = this.#agents.get(ext);
      if (known) {
        known.hasPackage = x.withPackage.has(ext);
        continue;
      }
      const a: Agent = {
        extension: ext,
        status: asStatus(stored.get(ext)),
        idleSince: now,
        calls: new Set(),
        queueCall: undefined,
        misses: 0,
        wrapTimer: undefined,
        hasPackage: x.withPackage.has(ext),
      };
      this.#agents.set(ext, a);
      if (stored.get(ext) === 'wrap-up') restoredWrapUps.push(a);
    }
    this.#logins.clear();
    for (const l of x.logins) {
      let set = this.#logins.get(l.group);
      if (!set) this.#logins.set(l.group, (set = new Set()));
      set.add(l.agent);
    }
    // A Wrap-up running when the process stopped ends when it would have (at once if that time has passed).
    for (const a of restoredWrapUps) {
      const wrapMs = this.#wrapMsOf(a.extension);
      if (wrapMs === 0) continue;
      const left = (storedAt.get(a.extension) ?? now) + wrapMs - now;
      if (left <= 0) this.change(a, 'available', 'wrap-up');
      else this.#armWrap(a, left);
    }
  }

  get(extension: string): Agent | undefined {
    return this.#agents.get(extension);
  }

  all(): IterableIterator<Agent> {
    return this.#agents.values();
  }

  statusOf(extension: string): AgentStatus | undefined {
    return this.#agents.get(extension)?.status;
  }

  // ---- status and wrap-up -----------------------------------------------------------------------------------

  /** Sets a workplace's status (from a feature code, later the client). Undefined when it is no agent at all. */
  setStatus(extension: string, status: AgentStatus): AgentStatus | undefined {
    const a = this.#agents.get(extension);
    if (!a || !a.hasPackage) return undefined;
    this.change(a, status, 'agent');
    // The manual: Wrap-up "ends by timer or by the agent" — also one the agent chose, after the longest wrap-up
    // of their groups (none when no group has one).
    const wrapMs = this.#wrapMsOf(extension);
    if (status === 'wrap-up' && wrapMs > 0) this.#armWrap(a, wrapMs);
    return status;
  }

  /** A queue call the agent talked in ended: Wrap-up for `wrapMs` when they are Available (else no change). */
  queueCallEnded(a: Agent, wrapMs: number): void {
    a.queueCall = undefined;
    a.idleSince = this.#o.clock.now();
    if (a.status === 'available' && wrapMs > 0) {
      this.change(a, 'wrap-up', 'queue-call');
      this.#armWrap(a, wrapMs);
    }
  }

  /** Changes the status, publishes and stores it; a Wrap-up timer ends with any other status. */
  change(a: Agent, status: AgentStatus, cause: StatusCause): void {
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
    this.#o.log.info({ event: 'cc.status', agent: a.extension, status, previous, cause }, 'agent status');
    this.#o.bus.emit({
      type: 'callcenter.agent.status',
      tenantId: this.#o.tenantId,
      at,
      agent: a.extension,
      status,
      previous,
      cause,
    });
    void this.#o.persist.status(a.extension, status, at).catch((err: unknown) => {
      this.#o.log.error({ event: 'cc.persist.error', err: String(err) }, 'could not store agent status');
    });
    this.#o.changed();
  }

  /** Ends a Wrap-up after `ms` (back to Available), unless the status changed meanwhile. */
  #armWrap(a: Agent, ms: number): void {
    this.#o.clock.clearTimeout(a.wrapTimer);
    a.wrapTimer = this.#o.clock.setTimeout(() => {
      a.wrapTimer = undefined;
      if (a.status === 'wrap-up') this.change(a, 'available', 'wrap-up');
    }, ms);
  }

  /** The longest wrap-up among the agent's groups, ms (0: none of them has one). */
  #wrapMsOf(extension: string): number {
    let s = 0;
    for (const g of this.#o.groups().values())
      if (g.agents.some((a) => a.extension === extension)) s = Math.max(s, g.wrapUpS);
    return s * 1000;
  }

  // ---- logins -----------------------------------------------------------------------------------------------

  /** Logs `agent` in or out of `group`; a refusal says why. */
  setLogin(group: string, agent: string, loggedIn: boolean): LoginRefusal | undefined {
    const g = this.#o.groups().get(group);
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
      tenantId: this.#o.tenantId,
      at: this.#o.clock.now(),
      agent,
      group,
      loggedIn,
    });
    void this.#o.persist.login(group, agent, loggedIn).catch((err: unknown) => {
      this.#o.log.error({ event: 'cc.persist.error', err: String(err) }, 'could not store agent login');
    });
    this.#o.changed();
    return undefined;
  }

  /** A group that does not allow login has static members: every agent is in. */
  loggedIn(g: GroupRecord, agent: string): boolean {
    return !g.allowAgentLogin || (this.#logins.get(g.extension)?.has(agent) ?? false);
  }

  /** Agents of `g` logged in and not signed out: who will take its calls sooner or later. */
  staffed(g: GroupRecord): number {
    return g.agents.filter((a) => {
      const ag = this.#agents.get(a.extension);
      return ag && this.loggedIn(g, a.extension) && ag.status !== 'signed-out';
    }).length;
  }

  /** The group's agents as its dispatch policy sees them. */
  views(g: GroupRecord): AgentView[] {
    return g.agents.map((a, position) => {
      const ag = this.#agents.get(a.extension);
      return {
        extension: a.extension,
        status: ag?.status ?? 'signed-out',
        loggedIn: ag !== undefined && ag.hasPackage && this.loggedIn(g, a.extension),
        // Do not disturb keeps an agent out like a call does: skipped now, offered again once it ends.
        onCall:
          ag === undefined ||
          ag.queueCall !== undefined ||
          ag.calls.size > 0 ||
          (this.#o.excluded?.(a.extension) ?? false),
        idleSince: ag?.idleSince ?? 0,
        weight: a.weight,
        position,
        declined: new Set<string>(),
      };
    });
  }

  // ---- calls seen on the bus --------------------------------------------------------------------------------

  /** Any call (not only queue calls) involving a workplace, as seen on the bus: the agent is on a call. */
  callStarted(extension: string, callId: string): void {
    const a = this.#agents.get(extension);
    if (!a || a.calls.has(callId)) return;
    a.calls.add(callId);
  }

  /** True when an agent became free by it. */
  callEnded(callId: string): boolean {
    let freed = false;
    for (const a of this.#agents.values()) {
      if (a.calls.delete(callId) && a.calls.size === 0) {
        freed = true;
        a.idleSince = Math.max(a.idleSince, this.#o.clock.now());
      }
    }
    return freed;
  }

  /** Stops every Wrap-up timer (shutdown). */
  close(): void {
    for (const a of this.#agents.values()) {
      this.#o.clock.clearTimeout(a.wrapTimer);
      a.wrapTimer = undefined;
    }
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
