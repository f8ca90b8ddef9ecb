import type { Wallboard, WallboardGroup } from '../api/portal-types.js';
import type { Party } from '../api/types.js';

/** A wallboard kept live: the snapshot, then every stream event after its `seq` (pure, so it is testable). */
export type Board = Wallboard & { onCall: Record<string, string> };

interface Ev {
  seq: number;
  type: string;
  at: string;
  data: Record<string, unknown>;
}

export function fromSnapshot(w: Wallboard): Board {
  return { ...w, onCall: {} };
}

export function apply(b: Board, e: Ev): Board {
  if (e.seq <= b.seq) return b;
  const d = e.data;
  const slMs = b.serviceLevelS * 1000;
  const group = (f: (g: WallboardGroup) => WallboardGroup) => (ext: unknown) =>
    b.groups.map((g) => (g.extension === ext ? f(g) : g));
  let groups = b.groups;
  const onCall = { ...b.onCall };
  const left = (
    g: WallboardGroup,
    callId: string,
    kind: 'answered' | 'abandoned' | 'overflowed',
    waitMs: number,
  ) => {
    const was = g.waiting.some((w) => w.callId === callId);
    const today = { ...g.today };
    if (!was) today.offered++;
    today[kind]++;
    if (kind === 'answered') {
      today.averageWaitMs = Math.round((g.today.averageWaitMs * g.today.answered + waitMs) / today.answered);
      if (waitMs <= slMs) today.answeredWithinServiceLevel++;
    }
    today.longestWaitTodayMs = Math.max(today.longestWaitTodayMs, waitMs);
    const n = today.answered + today.abandoned + today.overflowed;
    today.serviceLevel = n === 0 ? null : today.answeredWithinServiceLevel / n;
    return { ...g, waiting: g.waiting.filter((w) => w.callId !== callId), today };
  };
  switch (e.type) {
    case 'callcenter.caller.queued':
      groups = group((g) =>
        g.waiting.some((w) => w.callId === d['callId'])
          ? g
          : {
              ...g,
              waiting: [
                ...g.waiting,
                { callId: String(d['callId']), caller: d['caller'] as Party, since: e.at, waitingMs: 0 },
              ],
              today: { ...g.today, offered: g.today.offered + 1 },
            },
      )(d['group']);
      break;
    case 'callcenter.caller.connected':
      groups = group((g) => left(g, String(d['callId']), 'answered', Number(d['waitMs'])))(d['group']);
      onCall[String(d['agent'])] = String(d['callId']);
      break;
    case 'callcenter.caller.abandoned':
      groups = group((g) => left(g, String(d['callId']), 'abandoned', Number(d['waitMs'])))(d['group']);
      break;
    case 'callcenter.caller.overflowed':
      groups = group((g) => left(g, String(d['callId']), 'overflowed', Number(d['waitMs'])))(d['group']);
      break;
    case 'callcenter.agent.status':
      groups = groups.map((g) => ({
        ...g,
        agents: g.agents.map((a) =>
          a.extension === d['agent'] ? { ...a, status: d['status'] as typeof a.status, since: e.at } : a,
        ),
      }));
      break;
    case 'callcenter.agent.login':
      groups = group((g) => ({
        ...g,
        agents: g.agents.map((a) =>
          a.extension === d['agent'] ? { ...a, loggedIn: Boolean(d['loggedIn']) } : a,
        ),
      }))(d['group']);
      break;
    case 'call.ended':
      for (const [agent, callId] of Object.entries(onCall)) if (callId === d['callId']) delete onCall[agent];
      break;
    default:
      return { ...b, seq: e.seq };
  }
  groups = groups.map((g) => ({
    ...g,
    agents: g.agents.map((a) => ({
      ...a,
      onCall: a.extension in onCall ? true : e.type === 'call.ended' ? false : a.onCall,
    })),
  }));
  return { ...b, seq: e.seq, groups, onCall };
}
