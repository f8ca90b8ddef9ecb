import { z } from 'zod';
import type { ApiDeps } from './api-deps.js';
import { ApiError } from './errors.js';
import type { RouteTable } from './route-table.js';
import { agentStatus, extension, party } from './schemas.js';
import { dayOf, figures, type WallboardBook } from './wallboard-book.js';
import type { Principal } from './session-service.js';

const slQuery = z.strictObject({
  serviceLevelS: z.coerce
    .number({ error: 'must be a number of seconds' })
    .int('must be a whole number of seconds')
    .min(1, 'at least 1')
    .max(3600, 'at most 3600')
    .default(20),
});

const groupView = z.object({
  extension: z.string(),
  name: z.string(),
  waiting: z.array(z.object({ callId: z.string(), caller: party, since: z.string(), waitingMs: z.number() })),
  longestWaitingMs: z.number().describe('the longest wait of a caller waiting now (0: nobody waits)'),
  agents: z.array(
    z.object({
      extension: z.string(),
      name: z.string(),
      status: agentStatus,
      loggedIn: z.boolean(),
      onCall: z.boolean(),
      since: z.string().nullable().describe('null: unchanged since the server started'),
    }),
  ),
  today: z.object({
    offered: z.number(),
    answered: z.number(),
    abandoned: z.number(),
    overflowed: z.number(),
    answeredWithinServiceLevel: z.number(),
    serviceLevel: z.number().nullable(),
    averageWaitMs: z.number(),
    longestWaitTodayMs: z.number(),
  }),
});

const snapshot = z.object({
  seq: z.number().describe("the tenant's event sequence number this snapshot reflects"),
  at: z.string(),
  day: z.string(),
  serviceLevelS: z.number(),
  groups: z.array(groupView),
});

/**
 * The call-center wallboard (supervisors: the tenant's admins, and each group's own agents for that group). One
 * snapshot route whose `seq` lines it up with the event stream: a wallboard connects the stream, takes this
 * snapshot, and applies only the queue and agent events whose `seq` is greater — live without polling, and
 * correct again after any reconnect by doing the same. The day's outcomes are exportable as CSV.
 */
export function wallboardRoutes(
  routes: RouteTable,
  deps: ApiDeps,
  book: WallboardBook,
  seqOf: (tenantId: string) => number,
): void {
  const visibleGroups = async (who: Principal) => {
    const groups = await deps.store.callCenter.groups(who.tenantId);
    return who.role === 'admin'
      ? groups
      : groups.filter((g) => g.agents.some((a) => a.extension === who.workplace));
  };
  routes.add({
    method: 'GET',
    url: '/api/v1/wallboard',
    tag: 'callcenter',
    summary: "Wallboard snapshot of the groups I supervise (admins: all), with the event stream's seq",
    access: 'user',
    query: slQuery,
    ok: { status: 200, description: 'the snapshot', schema: snapshot },
    handler: async ({ who, query }) => {
      const groups = await visibleGroups(who);
      const plan = await deps.directory.plan(who.tenantId);
      // The agents' login and call state come from the call center (async); everything the events change is read
      // below from the book in one synchronous go together with seq, and the book's agent status wins.
      const queues = await Promise.all(groups.map((g) => deps.callCenter.queue(who.tenantId, g.extension)));
      const now = deps.clock.now();
      const seq = seqOf(who.tenantId);
      const slMs = query.serviceLevelS * 1000;
      return {
        seq,
        at: new Date(now).toISOString(),
        day: dayOf(now),
        serviceLevelS: query.serviceLevelS,
        groups: groups.map((g, i) => {
          const day = book.group(who.tenantId, g.extension);
          const q = queues[i];
          const waiting = day.waiting.map((w) => ({
            callId: w.callId,
            caller: w.caller,
            since: new Date(w.since).toISOString(),
            waitingMs: now - w.since,
          }));
          return {
            extension: g.extension,
            name: g.name,
            waiting,
            longestWaitingMs: waiting.reduce((m, w) => Math.max(m, w.waitingMs), 0),
            agents: g.agents.map((a) => {
              const live = q?.agents.find((x) => x.extension === a.extension);
              const known = book.agent(who.tenantId, a.extension);
              return {
                extension: a.extension,
                name: plan.workplace(a.extension)?.name ?? a.extension,
                status: known?.status ?? live?.status ?? 'signed-out',
                loggedIn: live?.loggedIn ?? false,
                onCall: book.onCall(who.tenantId, a.extension) || (live?.onCall ?? false),
                since: known ? new Date(known.since).toISOString() : null,
              };
            }),
            today: { offered: day.offered, ...figures(day.outcomes, slMs) },
          };
        }),
      };
    },
  });
  routes.add({
    method: 'GET',
    url: '/api/v1/wallboard/groups/:group/today.csv',
    tag: 'callcenter',
    summary: "The day's queue outcomes of one group as CSV (time, call, caller, outcome, wait, agent)",
    access: 'user',
    params: z.strictObject({ group: extension }),
    ok: { status: 200, description: 'text/csv' },
    errors: [404],
    handler: async ({ who, params, reply }) => {
      const g = (await visibleGroups(who)).find((x) => x.extension === params.group);
      if (!g) throw new ApiError('NOT_FOUND', 'no such group of mine');
      const rows = book
        .group(who.tenantId, g.extension)
        .outcomes.map((o) =>
          [
            new Date(o.at).toISOString(),
            o.callId,
            o.caller,
            o.outcome,
            (o.waitMs / 1000).toFixed(1),
            o.agent ?? '',
          ]
            .map(csvCell)
            .join(','),
        );
      const day = dayOf(deps.clock.now());
      await reply
        .code(200)
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="wallboard-${g.extension}-${day}.csv"`)
        .send(['time,call,caller,outcome,wait_s,agent', ...rows].join('\r\n') + '\r\n');
    },
  });
}

/** RFC 4180 quoting; a leading = + - @ is neutralised so a spreadsheet never runs a caller-supplied formula. */
export function csvCell(v: string): string {
  const safe = /^[=+\-@]/.test(v) && !/^\+[0-9]+$/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
