import { z } from 'zod';
import type { ApiDeps } from './api-deps.js';
import { ApiError } from './errors.js';
import type { RouteTable } from './route-table.js';
import { agentStatus, extension, party } from './schemas.js';

const groupParams = z.strictObject({ group: extension });

const myCallCenter = z.object({
  status: agentStatus.nullable().describe('null: this workplace is no agent'),
  groups: z.array(
    z.object({
      extension: z.string(),
      name: z.string(),
      loggedIn: z.boolean(),
      allowAgentLogin: z.boolean(),
    }),
  ),
});

const queueSnapshot = z.object({
  group: z.string(),
  waiting: z.array(
    z.object({ callId: z.string(), caller: party, waitingMs: z.number(), ringing: z.array(z.string()) }),
  ),
  agents: z.array(
    z.object({ extension: z.string(), status: agentStatus, loggedIn: z.boolean(), onCall: z.boolean() }),
  ),
});

/**
 * My agent side of the call center (status, per-group login) and, for supervisors, a group's queue. Supervisors
 * are the tenant's admins and the group's own agents (a team sees its queue, as on a wallboard).
 */
export function callCenterRoutes(routes: RouteTable, deps: ApiDeps): void {
  const cc = deps.callCenter;
  routes.add({
    method: 'GET',
    url: '/api/v1/me/callcenter',
    tag: 'callcenter',
    summary: 'My workplace status and my groups with my login to each',
    access: 'user',
    ok: { status: 200, description: 'my agent state', schema: myCallCenter },
    handler: async ({ who }) => ({
      status: (await cc.statusOf(who.tenantId, who.workplace)) ?? null,
      groups: await cc.groupsOf(who.tenantId, who.workplace),
    }),
  });
  routes.add({
    method: 'PUT',
    url: '/api/v1/me/callcenter/status',
    tag: 'callcenter',
    summary: 'Change my workplace status (the five states)',
    access: 'user',
    body: z.strictObject({ status: agentStatus }),
    ok: { status: 200, description: 'the new status', schema: z.object({ status: agentStatus }) },
    errors: [409],
    handler: async ({ who, body }) => {
      const s = await cc.setStatus(who.tenantId, who.workplace, body.status);
      if (s === undefined) throw new ApiError('CONFLICT', 'this workplace is no call-center agent');
      return { status: s };
    },
  });
  routes.add({
    method: 'PUT',
    url: '/api/v1/me/callcenter/groups/:group',
    tag: 'callcenter',
    summary: 'Log in to or out of one of my groups (where the admin allows it)',
    access: 'user',
    params: groupParams,
    body: z.strictObject({ loggedIn: z.boolean() }),
    ok: { status: 200, description: 'the new login', schema: z.object({ loggedIn: z.boolean() }) },
    errors: [403, 404, 409],
    handler: async ({ who, params, body }) => {
      const r = await cc.setLogin(who.tenantId, params.group, who.workplace, body.loggedIn);
      if (r === 'unknown-group' || r === 'not-agent')
        throw new ApiError('NOT_FOUND', 'no such group of mine');
      if (r === 'forbidden') throw new ApiError('FORBIDDEN', 'this group does not let agents log in or out');
      if (r === 'no-package') throw new ApiError('CONFLICT', 'this workplace has no group package');
      return { loggedIn: body.loggedIn };
    },
  });
  routes.add({
    method: 'GET',
    url: '/api/v1/callcenter/groups/:group/queue',
    tag: 'callcenter',
    summary:
      "A group's queue: waiting callers with their wait, agents by state (admins and the group's agents)",
    access: 'user',
    params: groupParams,
    ok: { status: 200, description: 'the snapshot', schema: queueSnapshot },
    errors: [403, 404],
    handler: async ({ who, params }) => {
      const q = await cc.queue(who.tenantId, params.group);
      if (!q) throw new ApiError('NOT_FOUND', 'no such group');
      if (who.role !== 'admin' && !q.agents.some((a) => a.extension === who.workplace))
        throw new ApiError('FORBIDDEN', "only admins and the group's agents see its queue");
      const now = deps.clock.now();
      return {
        group: params.group,
        waiting: q.waiting.map((w) => ({
          callId: w.callId,
          caller: w.caller,
          waitingMs: now - w.arrivedAt,
          ringing: w.ringing,
        })),
        agents: q.agents,
      };
    },
  });
}
