import { z } from 'zod';
import type { ApiDeps } from './api-deps.js';
import { ApiError } from './errors.js';
import type { RouteTable } from './route-table.js';
import { changeList, dryRunQuery, extension, presenceStatus } from './schemas.js';
import { relativeTo, type TenantEditor } from './tenant-edit.js';

const blfList = z.array(z.object({ extension: z.string(), name: z.string(), presence: presenceStatus }));

/**
 * My monitored colleagues (BLF keys), in key order, with their lamps. Replacing the list goes through the
 * provisioning planner like any change of `blf:`, so the desk phones' list subscriptions follow it.
 */
export function blfRoutes(routes: RouteTable, deps: ApiDeps, editor: TenantEditor): void {
  routes.add({
    method: 'GET',
    url: '/api/v1/me/blf',
    tag: 'blf',
    summary: 'My monitored list with the live lamp of each',
    access: 'user',
    ok: { status: 200, description: 'the list in key order', schema: blfList },
    handler: async ({ who }) => {
      const plan = await deps.directory.plan(who.tenantId);
      const me = plan.workplace(who.workplace);
      return (me?.blf ?? []).map((ext) => ({
        extension: ext,
        name: plan.workplace(ext)?.name ?? '',
        presence: deps.presence.lampOf(who.tenantId, ext),
      }));
    },
  });
  routes.add({
    method: 'PUT',
    url: '/api/v1/me/blf',
    tag: 'blf',
    summary: 'Replace or reorder my monitored list (`?dryRun=true`: only the plan)',
    access: 'user',
    query: dryRunQuery,
    body: z.strictObject({ extensions: z.array(extension).max(200, 'at most 200 monitored extensions') }),
    ok: { status: 200, description: 'what changed', schema: changeList },
    errors: [422],
    handler: async ({ who, body, query }) => {
      let at = -1;
      const out = await editor.edit(
        who.tenantId,
        {
          dryRun: query.dryRun,
          fieldOf: (p) => relativeTo(`workplaces[${at}].blf`)(p).replace(/^\[/, 'extensions['),
        },
        (t) => {
          at = t.workplaces.findIndex((w) => w.extension === who.workplace);
          if (at < 0) throw new ApiError('NOT_FOUND', 'this workplace no longer exists');
          t.workplaces[at]!.blf = body.extensions;
        },
      );
      return out;
    },
  });
}
