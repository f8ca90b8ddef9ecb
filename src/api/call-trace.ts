import { z } from 'zod';
import type { ApiDeps } from './api-deps.js';
import { ApiError } from './errors.js';
import type { RouteTable } from './route-table.js';
import { party } from './schemas.js';

const summary = z.object({
  id: z.string(),
  startedAt: z.string(),
  endedAt: z.string().optional(),
  caller: party.optional(),
  callee: party.optional(),
  outcome: z.string().optional().describe('the end reason, or the decision that refused the call'),
  group: z.string().optional().describe('the call-center group of a queue call'),
  entries: z.number(),
});

const entry = z.object({
  atMs: z.number().describe('ms after the first entry of the call'),
  at: z.string(),
  kind: z.enum(['sip', 'decision', 'event']),
  leg: z.string().optional().describe('sip: "caller", a device username or trunk'),
  direction: z.enum(['in', 'out']).optional(),
  peer: z.string().optional(),
  line: z.string(),
  type: z.string().optional(),
  sip: z
    .object({
      method: z.string(),
      status: z.number().optional(),
      headers: z.record(z.string(), z.string()),
      body: z.string().optional(),
    })
    .optional(),
});

const callParams = z.strictObject({ id: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'not a call id') });

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * The admin's call trace: the tenant's recent calls (a bounded ring buffer the PBX keeps per tenant) and the
 * ladder of one — SIP messages of every leg (start line and key headers; credentials are never kept), the
 * dial-plan, feature-code and queue decisions, with timings.
 */
export function callTraceRoutes(routes: RouteTable, deps: ApiDeps): void {
  const reader = () => {
    if (!deps.trace) throw new ApiError('NOT_IMPLEMENTED', 'this server keeps no call trace');
    return deps.trace;
  };
  const view = (s: ReturnType<NonNullable<ApiDeps['trace']>['recent']>[number]) => ({
    ...s,
    startedAt: iso(s.startedAt),
    ...(s.endedAt !== undefined ? { endedAt: iso(s.endedAt) } : {}),
  });
  routes.add({
    method: 'GET',
    url: '/api/v1/admin/calls/recent',
    tag: 'admin',
    summary: "The tenant's recent calls with a trace, newest first",
    access: 'admin',
    ok: { status: 200, description: 'newest first', schema: z.array(summary) },
    errors: [501],
    handler: async ({ who }) => reader().recent(who.tenantId).map(view),
  });
  routes.add({
    method: 'GET',
    url: '/api/v1/admin/calls/:id/trace',
    tag: 'admin',
    summary: "One call's ladder: SIP messages of all legs, routing and queue decisions, timings",
    access: 'admin',
    params: callParams,
    ok: {
      status: 200,
      description: 'the ladder',
      schema: z.object({ call: summary, entries: z.array(entry) }),
    },
    errors: [404, 501],
    handler: async ({ who, params }) => {
      const t = reader().trace(who.tenantId, params.id);
      if (!t) throw new ApiError('NOT_FOUND', 'no such recent call');
      const t0 = t.entries[0]?.at ?? t.summary.startedAt;
      return {
        call: view(t.summary),
        entries: t.entries.map((e) => ({ ...e, atMs: e.at - t0, at: iso(e.at) })),
      };
    },
  });
}
