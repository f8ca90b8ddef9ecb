import { z } from 'zod';
import type { ApiDeps } from './api-deps.js';
import type { RouteTable } from './route-table.js';
import { presenceStatus } from './schemas.js';

const workplacesSchema = z.array(
  z.object({ extension: z.string(), name: z.string(), presence: presenceStatus }),
);

/** The tenant's directory: every workplace with its busy lamp (the token's tenant only). */
export function workplaceRoutes(routes: RouteTable, deps: ApiDeps): void {
  routes.add({
    method: 'GET',
    url: '/api/v1/workplaces',
    tag: 'workplaces',
    summary: "The tenant's directory: every workplace with its busy lamp",
    access: 'user',
    ok: { status: 200, description: 'the directory, by extension', schema: workplacesSchema },
    handler: async ({ who }) => {
      const plan = await deps.directory.plan(who.tenantId);
      return [...plan.extensions].sort().map((ext) => ({
        extension: ext,
        name: plan.workplace(ext)!.name,
        presence: deps.presence.lampOf(who.tenantId, ext),
      }));
    },
  });
}
