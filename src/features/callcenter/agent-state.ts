// Workplace (ACD) state of an agent as seen by one group, and the eligibility rule for queue calls.
// Pure: no I/O, no timers; time is passed in as numbers (ms since the epoch or any monotonic origin).

/** Workplace status. Only 'available' receives queue calls. */
export type AgentStatus = 'available' | 'unavailable' | 'wrap-up' | 'signed-in' | 'signed-out';

/** One agent as seen by one group (loggedIn is per group; the rest is per workplace). */
export interface AgentView {
  readonly extension: string;
  readonly status: AgentStatus;
  /** Logged in ("Active") to this group. */
  readonly loggedIn: boolean;
  /** Currently on a call (any call, queue or not). */
  readonly onCall: boolean;
  /** Time the agent last became idle (end of their last call / wrap-up). Smaller = idle longer. */
  readonly idleSince: number;
  /** Weight for the weighted policy; <= 0 means the weighted policy never picks the agent. */
  readonly weight: number;
  /** Position in the group's agent list (list order); the universal tie-breaker. */
  readonly position: number;
  /** Ids of queue calls this agent declined; such a call is never offered to them again. */
  readonly declined: ReadonlySet<string>;
}

/**
 * May `agent` be offered queue call `callId`? Only Available agents that are logged in to the group,
 * not on a call, and have not declined this very call.
 */
export function isEligible(agent: AgentView, callId: string): boolean {
  return agent.status === 'available' && agent.loggedIn && !agent.onCall && !agent.declined.has(callId);
}

/** List order: by position, then extension (so equal positions still give a total, deterministic order). */
export function compareByPosition(a: AgentView, b: AgentView): number {
  return a.position - b.position || (a.extension < b.extension ? -1 : a.extension > b.extension ? 1 : 0);
}

/** The agents eligible for `callId`, in list order. */
export function eligibleInOrder(agents: readonly AgentView[], callId: string): AgentView[] {
  return agents.filter((a) => isEligible(a, callId)).sort(compareByPosition);
}
