import { z } from 'zod';
import { executiveSchema } from '../core/provisioning/executives.js';
import { loadTenantDraft } from '../core/provisioning/tenant-draft.js';
import type { ApiDeps } from './api-deps.js';
import { ApiError } from './errors.js';
import type { RouteTable } from './route-table.js';
import { changeList, dryRunQuery, extension } from './schemas.js';
import { putEntry, relativeTo, removeEntry, type TenantEditor } from './tenant-edit.js';

/**
 * Admin routes for executives and their assistants (the `executives:` key of docs/provisioning.md): assign and
 * remove assistants, filtering, alerting and the timers. Both sides must be workplaces with the `assistant`
 * package; the provisioning cross-checks say so at the field.
 */
const extParams = z.strictObject({ extension });

const executiveBody = executiveSchema.omit({ executive: true });

const executiveView = z.object({
  executive: z.string(),
  assistants: z.array(z.object({ extension: z.string(), divertTo: z.string().optional() })),
  filtering: z.string(),
  alerting: z.string(),
  nextAssistantSeconds: z.number(),
  rolloverSeconds: z.number(),
  screening: z.boolean(),
  optInOut: z.boolean(),
  pushRecallSeconds: z.number(),
});

export function adminExecutiveRoutes(routes: RouteTable, deps: ApiDeps, editor: TenantEditor): void {
  routes.add({
    method: 'GET',
    url: '/api/v1/admin/executives',
    tag: 'admin',
    summary: "The tenant's executives with their assistants and filter settings",
    access: 'admin',
    ok: { status: 200, description: 'by executive', schema: z.array(executiveView) },
    handler: async ({ who }) => {
      const d = await loadTenantDraft(deps.store, who.tenantId);
      if (!d) throw new ApiError('NOT_FOUND', 'no such tenant');
      return (d.tenant['executives'] ?? []) as Array<z.output<typeof executiveView>>;
    },
  });
  routes.add({
    method: 'PUT',
    url: '/api/v1/admin/executives/:extension',
    tag: 'admin',
    summary: 'Make a workplace an executive or replace its assistants and settings (the file format)',
    access: 'admin',
    params: extParams,
    query: dryRunQuery,
    body: executiveBody,
    ok: { status: 200, description: 'what changed', schema: changeList },
    errors: [422],
    handler: async ({ who, params, query, body }) => {
      let at = -1;
      return editor.edit(
        who.tenantId,
        { dryRun: query.dryRun, fieldOf: (p) => relativeTo(`executives[${at}]`)(p) },
        (t) => {
          const list = ((t['executives'] as Array<Record<string, unknown>> | undefined) ??= []);
          at = putEntry(list, (e) => e['executive'] === params.extension, {
            executive: params.extension,
            ...body,
          });
        },
      );
    },
  });
  routes.add({
    method: 'DELETE',
    url: '/api/v1/admin/executives/:extension',
    tag: 'admin',
    summary: 'Remove an executive (its assistants stay workplaces)',
    access: 'admin',
    params: extParams,
    query: dryRunQuery,
    ok: { status: 200, description: 'what changed', schema: changeList },
    errors: [404, 422],
    handler: async ({ who, params, query }) =>
      editor.edit(who.tenantId, { dryRun: query.dryRun }, (t) => {
        const list = (t['executives'] as Array<Record<string, unknown>> | undefined) ?? [];
        removeEntry(list, (e) => e['executive'] === params.extension, `no executive ${params.extension}`);
      }),
  });
}
