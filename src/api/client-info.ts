import { z } from 'zod';
import type { ApiDeps } from './api-deps.js';
import type { RouteTable } from './route-table.js';

const wrapUp = z.object({
  groups: z.array(z.object({ extension: z.string(), seconds: z.number().int() })),
});
const assisted = z.array(z.object({ extension: z.string(), name: z.string() }));

/**
 * Two small read-only facts the desktop client shows and the other routes do not carry: how long wrap-up lasts
 * in each of my call-center groups (for the countdown beside the status), and the executives I assist (the
 * identities I may "call as", `POST /api/v1/calls` with `as`).
 */
export function clientInfoRoutes(routes: RouteTable, deps: ApiDeps): void {
  routes.add({
    method: 'GET',
    url: '/api/v1/me/callcenter/wrap-up',
    tag: 'callcenter',
    summary: 'The wrap-up time of each of my call-center groups, seconds (0: none)',
    access: 'user',
    ok: { status: 200, description: 'my groups with their wrap-up', schema: wrapUp },
    handler: async ({ who }) => {
      const groups = await deps.store.callCenter.groups(who.tenantId);
      return {
        groups: groups
          .filter((g) => g.agents.some((a) => a.extension === who.workplace))
          .map((g) => ({ extension: g.extension, seconds: g.wrapUpS })),
      } satisfies z.input<typeof wrapUp>;
    },
  });
  routes.add({
    method: 'GET',
    url: '/api/v1/me/executives',
    tag: 'executive',
    summary: 'The executives I assist (whom I may call as), in extension order',
    access: 'user',
    ok: { status: 200, description: 'executives I assist', schema: assisted },
    handler: async ({ who }) => {
      const [executives, plan] = await Promise.all([
        deps.store.executives.executives(who.tenantId),
        deps.directory.plan(who.tenantId),
      ]);
      return executives
        .filter((e) => e.assistants.some((a) => a.extension === who.workplace))
        .map((e) => ({ extension: e.extension, name: plan.workplace(e.extension)?.name ?? e.extension }))
        .sort((a, b) => a.extension.localeCompare(b.extension)) satisfies z.input<typeof assisted>;
    },
  });
}
