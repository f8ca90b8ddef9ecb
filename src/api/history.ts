import { z } from 'zod';
import type { CallHistoryRecord } from '../store/types.js';
import type { ApiDeps } from './api-deps.js';
import { ApiError } from './errors.js';
import type { RouteTable } from './route-table.js';

const historyQuery = z.strictObject({
  limit: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'at least 1')
    .max(200, 'at most 200')
    .default(50),
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,200}$/, 'not a cursor of this API')
    .optional(),
  direction: z.enum(['incoming', 'outgoing'], { error: 'must be incoming or outgoing' }).optional(),
  missed: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .optional()
    .transform((v) => (v === undefined ? undefined : v === 'true')),
});

const entry = z.object({
  id: z.string(),
  callId: z.string(),
  direction: z.enum(['incoming', 'outgoing']),
  missed: z.boolean(),
  other: z.object({ number: z.string(), name: z.string().nullable(), workplace: z.string().nullable() }),
  startedAt: z.string(),
  answeredAt: z.string().nullable(),
  endedAt: z.string(),
  durationS: z.number(),
  outcome: z.string(),
  answeredByDevice: z.string().nullable(),
  pickup: z.object({ kind: z.string(), from: z.string() }).optional(),
});
const page = z.object({
  items: z.array(entry),
  next: z.string().nullable().describe('cursor of the next page'),
});

/** Where a page ends: the last record's start time and id (ties on the same millisecond are ordered by id). */
interface Cursor {
  s: number;
  id: string;
}

const BATCH = 200;
const MAX_BATCHES = 10;

/** My call history, newest first, paged by an opaque cursor, filterable by direction and missed. */
export function historyRoutes(routes: RouteTable, deps: ApiDeps): void {
  routes.add({
    method: 'GET',
    url: '/api/v1/me/history',
    tag: 'history',
    summary:
      'My call history, newest first (`cursor` from the previous page; filter by direction and missed)',
    access: 'user',
    query: historyQuery,
    ok: { status: 200, description: 'one page', schema: page },
    handler: async ({ who, query }) => {
      let after = query.cursor !== undefined ? decode(query.cursor) : undefined;
      const items: Array<z.input<typeof entry>> = [];
      let more = true;
      // The store pages by start time only; filters and same-millisecond ties are applied here, in bounded
      // batches, so a sparse filter cannot make one request read the whole journal.
      for (let i = 0; i < MAX_BATCHES && items.length <= query.limit && more; i++) {
        const batch = await deps.store.callHistory.list(who.tenantId, {
          workplace: who.workplace,
          limit: BATCH,
          ...(after ? { before: after.s + 1 } : {}),
        });
        more = batch.length === BATCH;
        for (const r of batch) {
          if (after && (r.startedAt > after.s || (r.startedAt === after.s && r.id >= after.id))) continue;
          after = { s: r.startedAt, id: r.id };
          const e = view(r, who.workplace);
          if (query.direction !== undefined && e.direction !== query.direction) continue;
          if (query.missed !== undefined && e.missed !== query.missed) continue;
          items.push(e);
          if (items.length > query.limit) break;
        }
      }
      const pageItems = items.slice(0, query.limit);
      const last = pageItems.at(-1);
      // A full page continues after its last item; a page cut short by the scan bound continues where the scan
      // stopped (it may be empty when a filter matched nothing in that stretch).
      const next =
        items.length > query.limit && last
          ? { s: Date.parse(last.startedAt), id: last.id }
          : more
            ? after
            : undefined;
      return { items: pageItems, next: next ? encode(next) : null };
    },
  });
}

function view(r: CallHistoryRecord, me: string): z.input<typeof entry> {
  const outgoing = r.callerWorkplace === me;
  return {
    id: r.id,
    callId: r.callId,
    direction: outgoing ? 'outgoing' : 'incoming',
    missed: !outgoing && r.answeredAt === null,
    other: outgoing
      ? { number: r.calleeNumber, name: r.calleeName, workplace: r.calleeWorkplace }
      : { number: r.callerNumber, name: r.callerName, workplace: r.callerWorkplace },
    startedAt: new Date(r.startedAt).toISOString(),
    answeredAt: r.answeredAt !== null ? new Date(r.answeredAt).toISOString() : null,
    endedAt: new Date(r.endedAt).toISOString(),
    durationS: r.durationS,
    outcome: r.outcome,
    answeredByDevice: r.answeredByDevice,
    ...(r.pickup ? { pickup: r.pickup } : {}),
  };
}

function encode(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

function decode(s: string): Cursor {
  try {
    const v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as Partial<Cursor>;
    if (typeof v.s === 'number' && Number.isFinite(v.s) && typeof v.id === 'string')
      return { s: v.s, id: v.id };
  } catch {
    // fall through
  }
  throw new ApiError('INVALID_QUERY', 'cursor: not a cursor of this API', 'cursor');
}
