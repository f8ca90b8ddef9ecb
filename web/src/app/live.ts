import type { AgentStatus, CallView, Party, Presence, Snapshot, StreamMessage } from '../api/types.js';
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
  /** The PBX's own list (`/api/v1/calls`), before what only the events tell is added. */
  #rest: CallView[] = [];
  /**
   * What only the events tell about a call: a call ringing at me as an executive's assistant is not (yet) in
   * the PBX's call list, and the executive it is for is carried by the events. Kept until the call ends.
   */
  readonly #seen = new Map<string, { ringing?: CallView; for?: Party }>();
  #refetch: Promise<void> | undefined;
  #again = false;

  setMe(extension: string): void {
    this.#me = extension;
  }

  reset(): void {
    this.#rest = [];
    this.#seen.clear();
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
      this.#note(m.type, data, at);
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
          this.#rest = await api.calls();
          this.#compose();
        } catch {
          // The stream's next event or snapshot tries again.
        }
      } while (this.#again);
      this.#refetch = undefined;
    })();
    return this.#refetch;
  }

  #snapshot(s: Snapshot): void {
    this.#rest = s.calls;
    this.#compose();
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

  #note(type: string, d: Record<string, unknown>, at: number): void {
    const id = String(d['callId']);
    const callee = d['callee'] as Party | undefined;
    const forParty = d['for'] as Party | undefined;
    const entry = this.#seen.get(id) ?? {};
    if (forParty) entry.for = forParty;
    if (type === 'call.ringing' && callee?.workplace === this.#me) {
      const caller = d['caller'] as Party;
      const device = d['device'] as string | undefined;
      entry.ringing = {
        id,
        state: 'ringing',
        direction: 'incoming',
        other: caller,
        ...(device ? { device } : {}),
        ...(forParty ? { for: forParty } : {}),
        ...(typeof d['queue'] === 'string' ? { queue: d['queue'] } : {}),
        since: new Date(at).toISOString(),
      };
    } else if (type !== 'call.ringing') delete entry.ringing;
    const party = d['party'] as Party | undefined;
    const over =
      type === 'call.ended' ||
      (type === 'call.ring-ended' && party?.workplace === this.#me) ||
      (type === 'call.picked-up' && (d['from'] as Party | undefined)?.workplace === this.#me);
    if (over) this.#seen.delete(id);
    else if (entry.ringing || entry.for) this.#seen.set(id, entry);
    this.#compose();
  }

  #compose(): void {
    const ids = new Set(this.#rest.map((c) => c.id));
    const known = this.#rest.map((c) => {
      const f = this.#seen.get(c.id)?.for;
      return !c.for && f ? { ...c, for: f } : c;
    });
    const ringing = [...this.#seen.values()].flatMap((e) =>
      e.ringing && !ids.has(e.ringing.id) ? [e.ringing] : [],
    );
    this.calls.set([...known, ...ringing]);
  }

  #missedByMe(d: Record<string, unknown>): boolean {
    const callee = d['callee'] as { workplace?: string } | undefined;
    return callee?.workplace === this.#me && d['answeredAt'] === undefined;
  }
}

export const live = new LiveState();
