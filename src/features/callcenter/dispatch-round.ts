// One round of the tenant's dispatcher: gathers the waiting calls and the groups' agents as `planDispatch`
// (dispatcher.ts) needs them, and returns the offers to make now.

import type { GroupRecord } from '../../store/callcenter-store.js';
import { isEligible, type AgentView } from './agent-state.js';
import type { AgentRoster } from './agent-roster.js';
import { planDispatch, type GroupState, type Offer, type WaitingCall } from './dispatcher.js';
import type { Entry } from './queue-entry.js';

export interface DispatchRoundInput {
  readonly roster: AgentRoster;
  readonly groups: ReadonlyMap<string, GroupRecord>;
  /** Every queue call known; only those in `queued` and not ringing anyone wait for an offer. */
  readonly entries: ReadonlyMap<string, Entry>;
  readonly queued: ReadonlySet<string>;
  /** group → extension offered its previous call (circular policy). */
  readonly lastOffered: ReadonlyMap<string, string>;
  /** group → queue calls answered per extension (weighted policy). */
  readonly served: ReadonlyMap<string, ReadonlyMap<string, number>>;
}

/**
 * The offers to make now. Side effect: an entry whose every possible agent was passed over forgets who passed it
 * over, so they are all eligible again.
 */
export function dispatchRound(x: DispatchRoundInput): Offer[] {
  const waiting: WaitingCall[] = [];
  const groups = new Map<string, GroupState>();
  const busy = new Set<string>();
  let anyFree = false;
  for (const a of x.roster.all()) {
    if (a.queueCall || a.calls.size > 0) busy.add(a.extension);
    else if (a.status === 'available' && a.hasPackage) anyFree = true;
  }
  // Nobody could take a call: skip planning (most events while the queue is long and every agent is busy).
  if (!anyFree) return [];
  for (const e of x.entries.values()) {
    if (!x.queued.has(e.id) || e.offering || e.restTimer) continue;
    waiting.push({ callId: e.id, groupId: e.group, enqueuedAt: e.arrivedAt });
  }
  if (waiting.length === 0) return [];
  for (const g of x.groups.values()) {
    const lastOffered = x.lastOffered.get(g.extension);
    groups.set(g.extension, {
      policy: g.policy,
      priority: g.priority,
      agents: x.roster.views(g),
      served: x.served.get(g.extension) ?? new Map(),
      ...(lastOffered !== undefined ? { lastOffered } : {}),
    });
  }
  // Passed-over agents are skipped only while someone else (free now or later) could take the call: when every
  // agent who could take it was passed over, they are all eligible again.
  for (const w of waiting) {
    const e = x.entries.get(w.callId)!;
    if (e.passedOver.size === 0) continue;
    const views = groups.get(e.group)?.agents ?? [];
    const could = (v: AgentView) => isEligible({ ...v, onCall: false }, e.id);
    if (!views.some((v) => could(v) && !e.passedOver.has(v.extension))) e.passedOver = new Set();
  }
  // An agent's view lists the waiting calls they declined or were passed over for (AgentView.declined).
  const skip = new Map<string, Set<string>>();
  for (const w of waiting) {
    const e = x.entries.get(w.callId)!;
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
        agents: g.agents.map((a) => (skip.has(a.extension) ? { ...a, declined: skip.get(a.extension)! } : a)),
      });
  }
  return planDispatch({ waiting, groups, busy });
}
