import type { AgentView } from '../agent-state.js';

export interface PolicyContext {
  /** The queue call being distributed. Agents who declined it are skipped. */
  readonly callId: string;
  /** Extension offered the previous call of this group (circular only). */
  readonly lastOffered?: string;
  /** Queue calls answered per agent extension (weighted only); missing = 0. */
  readonly served: ReadonlyMap<string, number>;
}

/**
 * A distribution policy: a pure function from the group's agents to the extensions to ring for one call.
 * Returns [] when nobody is eligible; one extension for every policy except 'simultaneous', which returns
 * every eligible agent in list order. Ties are always broken by list position (then extension).
 */
export type DistributionPolicy = (agents: readonly AgentView[], ctx: PolicyContext) => string[];
