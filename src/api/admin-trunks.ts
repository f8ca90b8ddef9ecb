import { z } from 'zod';
import { registerSchema, trunkSchema } from '../core/provisioning/schema.js';
import type { DraftTenant } from '../core/provisioning/tenant-draft.js';
import { loadTenantDraft } from '../core/provisioning/tenant-draft.js';
import type { ApiDeps } from './api-deps.js';
import { ApiError } from './errors.js';
import type { RouteTable } from './route-table.js';
import { changeList, dryRunQuery } from './schemas.js';
import { relativeTo, removeEntry, type TenantEditor } from './tenant-edit.js';

/**
 * Admin routes for the tenant's trunks with their DIDs (the `trunks:` key of docs/provisioning.md). The
 * registration password is write-only: no answer carries it (only `passwordSet`), and a body that leaves it out
 * keeps the stored one, so a form can edit a trunk without ever knowing its secret.
 */
const idParams = z.strictObject({ id: trunkSchema.shape.id });

const trunkBody = trunkSchema.omit({ id: true }).extend({
  register: registerSchema.extend({ password: registerSchema.shape.password.optional() }).optional(),
});

const trunkView = z.object({
  id: z.string(),
  peer: z.string(),
  transport: z.string(),
  register: z
    .object({ username: z.string(), expires: z.number().optional(), passwordSet: z.boolean() })
    .optional(),
  outboundPrefix: z.string(),
  numberFormat: z.string(),
  countryCode: z.string().optional(),
  defaultCallerId: z.string().optional(),
  dids: z.array(z.object({ number: z.string(), extension: z.string() })),
});

type Register = { username: string; password: string; expires?: number };

/** A trunk as the API shows it: everything of the file but the registration password. */
function view(tr: Record<string, unknown>): z.output<typeof trunkView> {
  const { register, ...rest } = tr as z.output<typeof trunkView> & { register?: Register };
  return {
    ...rest,
    ...(register
      ? {
          register: {
            username: register.username,
            ...(register.expires !== undefined ? { expires: register.expires } : {}),
            passwordSet: register.password !== '',
          },
        }
      : {}),
  };
}

export function adminTrunkRoutes(routes: RouteTable, deps: ApiDeps, editor: TenantEditor): void {
  const draftOf = async (tenantId: string): Promise<DraftTenant> => {
    const d = await loadTenantDraft(deps.store, tenantId);
    if (!d) throw new ApiError('NOT_FOUND', 'no such tenant');
    return d.tenant;
  };
  routes.add({
    method: 'GET',
    url: '/api/v1/admin/trunks',
    tag: 'admin',
    summary: "The tenant's trunks with their DIDs (the registration password is never shown)",
    access: 'admin',
    ok: { status: 200, description: 'the trunks', schema: z.array(trunkView) },
    handler: async ({ who }) => (await draftOf(who.tenantId)).trunks.map(view),
  });
  routes.add({
    method: 'PUT',
    url: '/api/v1/admin/trunks/:id',
    tag: 'admin',
    summary:
      'Create or replace a trunk with its DIDs (`register.password` left out: the stored one is kept; required for a new registration)',
    access: 'admin',
    params: idParams,
    query: dryRunQuery,
    body: trunkBody,
    ok: { status: 200, description: 'what changed', schema: changeList },
    errors: [422],
    handler: async ({ who, params, query, body }) => {
      let at = -1;
      return editor.edit(
        who.tenantId,
        { dryRun: query.dryRun, fieldOf: (p) => relativeTo(`trunks[${at}]`)(p) },
        (t) => {
          at = t.trunks.findIndex((tr) => tr.id === params.id);
          const old = at >= 0 ? (t.trunks[at]!['register'] as Register | undefined) : undefined;
          const { register, ...rest } = body;
          let reg: Register | undefined;
          if (register) {
            const password = register.password ?? old?.password;
            if (password === undefined)
              throw new ApiError(
                'INVALID_BODY',
                'register.password: required for a new registration',
                'register.password',
              );
            reg = { ...register, password };
          }
          const tr = { id: params.id, ...rest, ...(reg ? { register: reg } : {}) };
          if (at >= 0) t.trunks[at] = tr;
          else at = t.trunks.push(tr) - 1;
        },
      );
    },
  });
  routes.add({
    method: 'DELETE',
    url: '/api/v1/admin/trunks/:id',
    tag: 'admin',
    summary: 'Remove a trunk with its DIDs',
    access: 'admin',
    params: idParams,
    query: dryRunQuery,
    ok: { status: 200, description: 'what changed', schema: changeList },
    errors: [404, 422],
    handler: async ({ who, params, query }) =>
      editor.edit(who.tenantId, { dryRun: query.dryRun }, (t) => {
        removeEntry(t.trunks, (tr) => tr.id === params.id, `no trunk ${params.id}`);
      }),
  });
}
