import { z } from 'zod';
import { groupSchema } from '../core/provisioning/groups.js';
import { PICKUP_ORDERS, pickupGroupSchema } from '../core/provisioning/pickup.js';
import { deviceSchema, workplaceSchema } from '../core/provisioning/schema.js';
import type { DraftTenant, DraftWorkplace } from '../core/provisioning/tenant-draft.js';
import { loadTenantDraft } from '../core/provisioning/tenant-draft.js';
import { PACKAGES } from '../core/provisioning/types.js';
import type { ApiDeps } from './api-deps.js';
import { ApiError } from './errors.js';
import type { RouteTable } from './route-table.js';
import { changeList, dryRunQuery, extension } from './schemas.js';
import { putEntry, relativeTo, removeEntry, type TenantEditor } from './tenant-edit.js';

/**
 * Admin routes (role admin, own tenant only): read and change workplaces, devices, pickup groups, call-center
 * groups, BLF lists and packages. Request bodies use the provisioning file's own schemas (docs/provisioning.md);
 * every change is validated with the whole tenant and applied by the one-transaction planner, and the running
 * PBX picks it up as after `zentrale provision`. `?dryRun=true` answers the plan without writing.
 */
const extParams = z.strictObject({ extension });

/** As in the file, without the extension (it is in the path); a device's password may be left out to keep it. */
const workplaceBody = workplaceSchema.omit({ extension: true }).extend({
  devices: z.array(deviceSchema.extend({ password: deviceSchema.shape.password.optional() })).default([]),
  webPassword: z.string().max(256, 'at most 256 characters').nullable().optional(),
});

const workplaceView = z.object({
  extension: z.string(),
  name: z.string(),
  email: z.string().optional(),
  language: z.string(),
  packages: z.array(z.string()),
  externalNumber: z.string().optional(),
  blf: z.array(z.string()),
  role: z.string(),
  webLogin: z.boolean(),
  devices: z.array(z.object({ username: z.string(), kind: z.string(), registered: z.boolean() })),
});

const pickupBody = z.strictObject({
  order: z.enum(PICKUP_ORDERS, { error: `must be one of: ${PICKUP_ORDERS.join(', ')}` }).default('newest'),
  groups: z.array(pickupGroupSchema),
});

const groupBody = groupSchema.omit({ extension: true });

export function adminRoutes(routes: RouteTable, deps: ApiDeps, editor: TenantEditor): void {
  const draftOf = async (tenantId: string): Promise<DraftTenant> => {
    const d = await loadTenantDraft(deps.store, tenantId);
    if (!d) throw new ApiError('NOT_FOUND', 'no such tenant');
    return d.tenant;
  };
  const view = (tenantId: string, w: DraftWorkplace, keep?: string) => ({
    extension: w.extension,
    name: w.name,
    ...(w.email !== undefined ? { email: w.email } : {}),
    language: w.language,
    packages: w.packages,
    ...(w.externalNumber !== undefined ? { externalNumber: w.externalNumber } : {}),
    blf: w.blf,
    role: w.role,
    webLogin: w.webPassword !== undefined && (keep === undefined || w.webPassword === keep),
    devices: w.devices.map((d) => ({
      username: d.username,
      kind: d.kind,
      registered: deps.registrations.lookup(tenantId, d.username).length > 0,
    })),
  });
  const indexOf = (t: DraftTenant, ext: string): number => {
    const i = t.workplaces.findIndex((w) => w.extension === ext);
    if (i < 0) throw new ApiError('NOT_FOUND', `no workplace ${ext}`);
    return i;
  };

  routes.add({
    method: 'GET',
    url: '/api/v1/admin/workplaces',
    tag: 'admin',
    summary: "The tenant's workplaces with devices, packages, BLF lists and roles (no secrets)",
    access: 'admin',
    ok: { status: 200, description: 'by extension', schema: z.array(workplaceView) },
    handler: async ({ who }) => (await draftOf(who.tenantId)).workplaces.map((w) => view(who.tenantId, w)),
  });
  routes.add({
    method: 'GET',
    url: '/api/v1/admin/workplaces/:extension',
    tag: 'admin',
    summary: 'One workplace',
    access: 'admin',
    params: extParams,
    ok: { status: 200, description: 'the workplace', schema: workplaceView },
    errors: [404],
    handler: async ({ who, params }) => {
      const t = await draftOf(who.tenantId);
      return view(who.tenantId, t.workplaces[indexOf(t, params.extension)]!);
    },
  });
  routes.add({
    method: 'PUT',
    url: '/api/v1/admin/workplaces/:extension',
    tag: 'admin',
    summary:
      'Create or replace a workplace (device `password` left out: kept; `webPassword` left out: kept, null: removed)',
    access: 'admin',
    params: extParams,
    query: dryRunQuery,
    body: workplaceBody,
    ok: { status: 200, description: 'what changed', schema: changeList },
    errors: [422],
    handler: async ({ who, params, query, body }) => {
      let at = -1;
      return editor.edit(
        who.tenantId,
        { dryRun: query.dryRun, fieldOf: (p) => relativeTo(`workplaces[${at}]`)(p) },
        (t, keep) => {
          at = t.workplaces.findIndex((w) => w.extension === params.extension);
          const old = at >= 0 ? t.workplaces[at] : undefined;
          const oldDevices = new Set(old?.devices.map((d) => d.username));
          const devices = body.devices.map((d, i) => {
            if (d.password === undefined && !oldDevices.has(d.username))
              throw new ApiError(
                'INVALID_BODY',
                `devices[${i}].password: required for a new device`,
                `devices[${i}].password`,
              );
            return { username: d.username, kind: d.kind, password: d.password ?? keep };
          });
          const { webPassword, email, externalNumber, ...rest } = body;
          const web = webPassword === undefined ? old?.webPassword : (webPassword ?? undefined);
          const w: DraftWorkplace = {
            ...rest,
            extension: params.extension,
            devices,
            ...(email ? { email } : {}),
            ...(externalNumber ? { externalNumber } : {}),
            ...(web !== undefined ? { webPassword: web } : {}),
          };
          if (at >= 0) t.workplaces[at] = w;
          else at = t.workplaces.push(w) - 1;
        },
      );
    },
  });
  routes.add({
    method: 'DELETE',
    url: '/api/v1/admin/workplaces/:extension',
    tag: 'admin',
    summary: 'Remove a workplace with its devices (refused while a group, pickup group or BLF list names it)',
    access: 'admin',
    params: extParams,
    query: dryRunQuery,
    ok: { status: 200, description: 'what changed', schema: changeList },
    errors: [404, 422],
    handler: async ({ who, params, query }) =>
      editor.edit(who.tenantId, { dryRun: query.dryRun }, (t) => {
        t.workplaces.splice(indexOf(t, params.extension), 1);
      }),
  });
  routes.add({
    method: 'PUT',
    url: '/api/v1/admin/workplaces/:extension/blf',
    tag: 'admin',
    summary: "Replace a workplace's BLF list",
    access: 'admin',
    params: extParams,
    query: dryRunQuery,
    body: z.strictObject({ extensions: z.array(extension).max(200, 'at most 200 monitored extensions') }),
    ok: { status: 200, description: 'what changed', schema: changeList },
    errors: [404, 422],
    handler: async ({ who, params, query, body }) => {
      let at = -1;
      return editor.edit(
        who.tenantId,
        {
          dryRun: query.dryRun,
          fieldOf: (p) => relativeTo(`workplaces[${at}].blf`)(p).replace(/^\[/, 'extensions['),
        },
        (t) => {
          at = indexOf(t, params.extension);
          t.workplaces[at]!.blf = body.extensions;
        },
      );
    },
  });
  routes.add({
    method: 'PUT',
    url: '/api/v1/admin/workplaces/:extension/packages',
    tag: 'admin',
    summary: "Replace a workplace's booked packages",
    access: 'admin',
    params: extParams,
    query: dryRunQuery,
    body: z.strictObject({
      packages: z.array(z.enum(PACKAGES, { error: `unknown package (known: ${PACKAGES.join(', ')})` })),
    }),
    ok: { status: 200, description: 'what changed', schema: changeList },
    errors: [404, 422],
    handler: async ({ who, params, query, body }) => {
      let at = -1;
      return editor.edit(
        who.tenantId,
        { dryRun: query.dryRun, fieldOf: (p) => relativeTo(`workplaces[${at}]`)(p) },
        (t) => {
          at = indexOf(t, params.extension);
          t.workplaces[at]!.packages = body.packages;
        },
      );
    },
  });
  routes.add({
    method: 'GET',
    url: '/api/v1/admin/devices',
    tag: 'admin',
    summary: "The tenant's devices with their workplace and registration state",
    access: 'admin',
    ok: {
      status: 200,
      description: 'by workplace',
      schema: z.array(
        z.object({ username: z.string(), workplace: z.string(), kind: z.string(), registered: z.boolean() }),
      ),
    },
    handler: async ({ who }) =>
      (await draftOf(who.tenantId)).workplaces.flatMap((w) =>
        w.devices.map((d) => ({
          username: d.username,
          workplace: w.extension,
          kind: d.kind,
          registered: deps.registrations.lookup(who.tenantId, d.username).length > 0,
        })),
      ),
  });
  routes.add({
    method: 'GET',
    url: '/api/v1/admin/pickup-groups',
    tag: 'admin',
    summary: "The tenant's pickup groups and pickup order",
    access: 'admin',
    ok: { status: 200, description: 'the settings', schema: pickupBody },
    handler: async ({ who }) => {
      const t = await draftOf(who.tenantId);
      return { order: t.pickupOrder, groups: t.pickupGroups };
    },
  });
  routes.add({
    method: 'PUT',
    url: '/api/v1/admin/pickup-groups',
    tag: 'admin',
    summary: "Replace the tenant's pickup groups and order",
    access: 'admin',
    query: dryRunQuery,
    body: pickupBody,
    ok: { status: 200, description: 'what changed', schema: changeList },
    errors: [422],
    handler: async ({ who, query, body }) =>
      editor.edit(
        who.tenantId,
        {
          dryRun: query.dryRun,
          fieldOf: (p) => p.replace(/^pickupGroups/, 'groups').replace(/^pickupOrder/, 'order'),
        },
        (t) => {
          t.pickupGroups = body.groups;
          t.pickupOrder = body.order;
        },
      ),
  });
  routes.add({
    method: 'GET',
    url: '/api/v1/admin/callcenter-groups',
    tag: 'admin',
    summary: "The tenant's call-center groups as provisioned",
    access: 'admin',
    ok: { status: 200, description: 'by extension', schema: z.array(z.record(z.string(), z.unknown())) },
    handler: async ({ who }) => (await draftOf(who.tenantId)).groups,
  });
  routes.add({
    method: 'PUT',
    url: '/api/v1/admin/callcenter-groups/:extension',
    tag: 'admin',
    summary: 'Create or replace a call-center group (the file format of `groups:`)',
    access: 'admin',
    params: extParams,
    query: dryRunQuery,
    body: groupBody,
    ok: { status: 200, description: 'what changed', schema: changeList },
    errors: [422],
    handler: async ({ who, params, query, body }) => {
      let at = -1;
      return editor.edit(
        who.tenantId,
        { dryRun: query.dryRun, fieldOf: (p) => relativeTo(`groups[${at}]`)(p) },
        (t) => {
          at = putEntry(t.groups, (g) => g.extension === params.extension, {
            extension: params.extension,
            ...body,
          });
        },
      );
    },
  });
  routes.add({
    method: 'DELETE',
    url: '/api/v1/admin/callcenter-groups/:extension',
    tag: 'admin',
    summary: 'Remove a call-center group',
    access: 'admin',
    params: extParams,
    query: dryRunQuery,
    ok: { status: 200, description: 'what changed', schema: changeList },
    errors: [404, 422],
    handler: async ({ who, params, query }) =>
      editor.edit(who.tenantId, { dryRun: query.dryRun }, (t) => {
        removeEntry(t.groups, (g) => g.extension === params.extension, `no group ${params.extension}`);
      }),
  });
}
