import type { AgentStatus, CallView, Presence, Snapshot, StreamMessage } from '../api/types.js';
import { api } from './api-instance.js';
import { Value } from './store.js';

export interface AgentState {
  status: AgentStatus | null;
  groups: Array<{ extension: string; loggedIn: boolean }>;
  /** When the current status began (ms), for the wrap-up countdown. */
  since: number;
}

/**
 * What the event stream keeps up to date: my calls, the lamps of my monitored colleagues and my agent state. A
 * snapshot replaces everything; events change it. Call events carry only the parties, so on each one the call
 * list is re-read from `/api/v1/calls` (one request, coalesced), which gives the state, device, queue and
 * "for" of each call exactly as the PBX sees it.
 */
class LiveState {
  readonly calls = new Value<CallView[]>([]);
  readonly lamps = new Value<Record<string, Presence>>({});
  readonly agent = new Value<AgentState | null>(null);
  /** Incoming calls that ended unanswered since the page loaded (the history has the rest). */
  readonly missed = new Value<number>(0);
  #me = '';
  #refetch: Promise<void> | undefined;
  #again = false;

  setMe(extension: string): void {
    this.#me = extension;
  }

  reset(): void {
    this.calls.set([]);
    this.lamps.set({});
    this.agent.set(null);
  }

  apply(m: StreamMessage): void {
    if (m.type === 'snapshot') return this.#snapshot((m as { data: Snapshot }).data);
    if (m.type === 'resumed') return void this.refreshCalls();
    const data = (m as { data: Record<string, unknown> }).data ?? {};
    const at = Date.parse((m as { at?: string }).at ?? '') || Date.now();
    if (m.type.startsWith('call.')) {
      if (m.type === 'call.ended' && this.#missedByMe(data)) this.missed.update((n) => n + 1);
      void this.refreshCalls();
    } else if (m.type === 'presence.changed') {
      const w = String(data['workplace']);
      this.lamps.update((l) => ({ ...l, [w]: data['status'] as Presence }));
    } else if (m.type === 'callcenter.agent.status' && data['agent'] === this.#me) {
      const status = data['status'] as AgentStatus;
      this.agent.update((a) => ({ groups: a?.groups ?? [], status, since: at }));
    } else if (m.type === 'callcenter.agent.login' && data['agent'] === this.#me) {
      const g = String(data['group']);
      const loggedIn = data['loggedIn'] === true;
      this.agent.update((a) => {
        const base = a ?? { status: null, groups: [], since: at };
        const groups = base.groups.some((x) => x.extension === g)
          ? base.groups.map((x) => (x.extension === g ? { ...x, loggedIn } : x))
          : [...base.groups, { extension: g, loggedIn }];
        return { ...base, groups };
      });
    }
  }

  /** Re-reads my calls; calls during a running read are folded into one more read after it. */
  refreshCalls(): Promise<void> {
    if (this.#refetch) {
      this.#again = true;
      return this.#refetch;
    }
    this.#refetch = (async () => {
      do {
        this.#again = false;
        try {
          this.calls.set(await api.calls());
        } catch {
          // The stream's next event or snapshot tries again.
        }
      } while (this.#again);
      this.#refetch = undefined;
    })();
    return this.#refetch;
  }

  #snapshot(s: Snapshot): void {
    this.calls.set(s.calls);
    const lamps: Record<string, Presence> = {};
    for (const b of s.blf) lamps[b.extension] = b.presence;
    this.lamps.set(lamps);
    const prev = this.agent.get();
    this.agent.set(
      s.agent
        ? {
            status: s.agent.status,
            groups: s.agent.groups,
            since: prev && prev.status === s.agent.status ? prev.since : Date.now(),
          }
        : null,
    );
  }

  #missedByMe(d: Record<string, unknown>): boolean {
    const callee = d['callee'] as { workplace?: string } | undefined;
    return callee?.workplace === this.#me && d['answeredAt'] === undefined;
  }
}

export const live = new LiveState();
