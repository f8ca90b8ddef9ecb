// Per-tenant dispatch planning: which waiting queue call is offered to which agents, right now.
//
// THE RULE (also in README.md). planDispatch is pure and total-ordered, so the same input always
// gives the same plan. The runtime must run exactly one dispatcher per tenant (serialise calls to
// planDispatch and the application of its result), and put every agent it offers a call to, or who is on a
// call, into `busy` for the next plan until that offer ends.
//
//  1. Waiting calls are taken best first: longest wait (smallest enqueuedAt); ties by higher group
//     priority (larger number wins); then groupId, then callId (lexicographic). A callId listed twice is
//     planned once (first occurrence in that order).
//  2. For each call, the group's policy runs over the group's agents, with every agent in `busy` or
//     already offered a call earlier in this plan treated as on a call (ineligible). The policy itself drops agents that are
//     not Available, not logged in to that group, on a call, or that declined this call.
//  3. If the policy names agents, the call is offered to them (one agent; several only for
//     'simultaneous') and they are taken for the rest of the plan. Otherwise the call keeps waiting.
//  4. Within one plan a group's lastOffered advances to the last agent offered, so two calls of one
//     circular group in the same plan go to consecutive agents.
//
// Consequences: no agent is offered two calls, no call is offered twice in a plan, and an agent who is in
// several groups, when free, gets the best waiting call (by 1.) among the groups whose policy picks them.
// The assignment is greedy in that order, not a global optimum.

import type { AgentView } from './agent-state.js';
import { getPolicy } from './policies/index.js';

export interface WaitingCall {
  readonly callId: string;
  readonly groupId: string;
  /** Time the call entered the queue; smaller = waiting longer. */
  readonly enqueuedAt: number;
}

export interface GroupState {
  /** Policy name, see policies/index.ts (circular, linear, simultaneous, longest-idle, weighted). */
  readonly policy: string;
  /** Larger = more important when two calls have waited equally long. */
  readonly priority: number;
  /** The group's agents, each as seen by this group (loggedIn is per group). */
  readonly agents: readonly AgentView[];
  /** Extension offered the group's previous call (circular). */
  readonly lastOffered?: string;
  /** Queue calls answered per extension in this group (weighted). */
  readonly served: ReadonlyMap<string, number>;
}

export interface DispatchInput {
  readonly waiting: readonly WaitingCall[];
  readonly groups: ReadonlyMap<string, GroupState>;
  /** Extensions currently ringing for a queue call or on a call: never offered anything in this plan. */
  readonly busy: ReadonlySet<string>;
}

export interface Offer {
  readonly callId: string;
  readonly groupId: string;
  /** Extensions to ring, in list order (more than one only for 'simultaneous'). */
  readonly agents: string[];
}

/** Order of waiting calls: longest wait, then higher group priority, then groupId, then callId. */
export function compareWaiting(
  a: WaitingCall,
  b: WaitingCall,
  priorityOf: (groupId: string) => number,
): number {
  return (
    a.enqueuedAt - b.enqueuedAt ||
    priorityOf(b.groupId) - priorityOf(a.groupId) ||
    cmp(a.groupId, b.groupId) ||
    cmp(a.callId, b.callId)
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Plan offers for the waiting calls (see THE RULE above). Calls of unknown groups are left waiting. */
export function planDispatch(input: DispatchInput): Offer[] {
  const priorityOf = (g: string): number => input.groups.get(g)?.priority ?? 0;
  const order = [...input.waiting].sort((a, b) => compareWaiting(a, b, priorityOf));
  const taken = new Set<string>(input.busy);
  const planned = new Set<string>();
  const lastOffered = new Map<string, string | undefined>();
  const offers: Offer[] = [];

  // Agents who could take some call at all (declines aside). Only a shortcut: once none is left the remaining
  // calls keep waiting, and a call whose group has none left is skipped without running its policy.
  const free = new Set<string>();
  for (const g of input.groups.values())
    for (const a of g.agents)
      if (a.status === 'available' && a.loggedIn && !a.onCall && !taken.has(a.extension))
        free.add(a.extension);

  for (const call of order) {
    if (free.size === 0) break;
    if (planned.has(call.callId)) continue;
    const group = input.groups.get(call.groupId);
    if (!group) continue;
    if (!group.agents.some((a) => free.has(a.extension))) continue;
    // Taken agents stay in the list (marked on a call) so list positions, and with them the circular
    // rotation relative to lastOffered, are unchanged.
    const view = group.agents.map((a) => (taken.has(a.extension) ? { ...a, onCall: true } : a));
    const last = lastOffered.has(call.groupId) ? lastOffered.get(call.groupId) : group.lastOffered;
    const chosen = getPolicy(group.policy)(view, {
      callId: call.callId,
      lastOffered: last,
      served: group.served,
    });
    if (chosen.length === 0) continue;
    planned.add(call.callId);
    for (const ext of chosen) {
      taken.add(ext);
      free.delete(ext);
    }
    lastOffered.set(call.groupId, chosen[chosen.length - 1]);
    offers.push({ callId: call.callId, groupId: call.groupId, agents: chosen });
  }
  return offers;
}
