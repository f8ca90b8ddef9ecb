// Tiny discrete-time queue simulator for the policy tests (test support only; pure, fake clock).
// Calls arrive every `interArrival` ms into one FIFO queue; at every tick the head call is offered to
// whoever the policy names; the answering agent talks for talk(callIndex, ext) ms, then is in wrap-up for
// `wrapUp` ms, then Available again with idleSince = end of wrap-up.
import type { AgentStatus, AgentView } from '../agent-state.js';
import { isEligible } from '../agent-state.js';
import type { DistributionPolicy } from '../policies/index.js';

export interface SimAgent {
  readonly extension: string;
  readonly weight?: number;
  readonly status?: AgentStatus;
  readonly loggedIn?: boolean;
}

export interface SimOptions {
  readonly agents: readonly SimAgent[];
  readonly policy: DistributionPolicy;
  readonly calls: number;
  readonly interArrival: number;
  readonly talk: (callIndex: number, ext: string) => number;
  readonly wrapUp: number;
  /** Which rung agent answers; null = every rung agent declines. Default: the first one. */
  readonly answer?: (rung: readonly string[], callIndex: number, attempt: number) => string | null;
  readonly tick?: number;
}

export interface OfferRecord {
  readonly callId: string;
  readonly callIndex: number;
  readonly at: number;
  readonly rung: readonly string[];
  readonly answeredBy: string | null;
  /** Agent views as the policy saw them. */
  readonly views: readonly AgentView[];
  /** Extensions eligible at offer time, in list order. */
  readonly eligible: readonly string[];
  readonly lastOffered: string | undefined;
  readonly served: ReadonlyMap<string, number>;
}

export interface SimResult {
  readonly offers: readonly OfferRecord[];
  /** Who answered each call, in call order (null = dropped after everyone declined). */
  readonly answeredBy: readonly (string | null)[];
  /** Calls answered per extension. */
  readonly counts: Readonly<Record<string, number>>;
}

interface Mutable {
  extension: string;
  status: AgentStatus;
  loggedIn: boolean;
  onCall: boolean;
  idleSince: number;
  weight: number;
  position: number;
  declined: Set<string>;
  busyUntil: number;
  wrapUntil: number;
}

export function simulate(o: SimOptions): SimResult {
  const tick = o.tick ?? 1000;
  const agents: Mutable[] = o.agents.map((a, i) => ({
    extension: a.extension,
    status: a.status ?? 'available',
    loggedIn: a.loggedIn ?? true,
    onCall: false,
    idleSince: 0,
    weight: a.weight ?? 1,
    position: i,
    declined: new Set<string>(),
    busyUntil: 0,
    wrapUntil: 0,
  }));
  const served = new Map<string, number>();
  const counts: Record<string, number> = Object.fromEntries(o.agents.map((a) => [a.extension, 0]));
  const answeredBy: (string | null)[] = [];
  const offers: OfferRecord[] = [];
  const queue: { callId: string; index: number; attempts: number }[] = [];
  let lastOffered: string | undefined;
  let arrived = 0;
  let done = 0;
  const limit = (o.calls * o.interArrival + 1) * 1000;

  for (let t = 0; done < o.calls; t += tick) {
    if (t > limit) throw new Error('simulation does not terminate');
    for (const a of agents) {
      if (a.onCall && t >= a.busyUntil) {
        a.onCall = false;
        a.status = 'wrap-up';
        a.wrapUntil = a.busyUntil + o.wrapUp;
      }
      if (a.status === 'wrap-up' && t >= a.wrapUntil) {
        a.status = 'available';
        a.idleSince = a.wrapUntil;
      }
    }
    while (arrived < o.calls && arrived * o.interArrival <= t) {
      queue.push({ callId: `call-${arrived}`, index: arrived, attempts: 0 });
      arrived++;
    }
    while (queue.length > 0) {
      const call = queue[0]!;
      const views: AgentView[] = agents.map((a) => ({
        extension: a.extension,
        status: a.status,
        loggedIn: a.loggedIn,
        onCall: a.onCall,
        idleSince: a.idleSince,
        weight: a.weight,
        position: a.position,
        declined: new Set(a.declined),
      }));
      const ctx = { callId: call.callId, lastOffered, served: new Map(served) };
      const rung = o.policy(views, ctx);
      if (rung.length === 0) {
        if (agents.every((a) => a.declined.has(call.callId))) {
          queue.shift(); // nobody left to offer it to: overflow
          answeredBy[call.index] = null;
          done++;
          continue;
        }
        break;
      }
      const who = o.answer ? o.answer(rung, call.index, call.attempts) : (rung[0] ?? null);
      offers.push({
        callId: call.callId,
        callIndex: call.index,
        at: t,
        rung,
        answeredBy: who,
        views,
        eligible: views.filter((v) => isEligible(v, call.callId)).map((v) => v.extension),
        lastOffered,
        served: ctx.served,
      });
      lastOffered = rung[rung.length - 1];
      call.attempts++;
      if (who === null) {
        for (const ext of rung) agents.find((a) => a.extension === ext)!.declined.add(call.callId);
        continue;
      }
      const agent = agents.find((a) => a.extension === who)!;
      agent.onCall = true;
      agent.busyUntil = t + o.talk(call.index, who);
      served.set(who, (served.get(who) ?? 0) + 1);
      counts[who] = (counts[who] ?? 0) + 1;
      answeredBy[call.index] = who;
      queue.shift();
      done++;
    }
  }
  return { offers, answeredBy, counts };
}
