import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { deviceSchema, workplaceSchema } from '../core/provisioning/schema.js';
import type { DraftTenant } from '../core/provisioning/tenant-draft.js';
import { ApiError } from './errors.js';
import type { RouteTable } from './route-table.js';
import { changeList, dryRunQuery } from './schemas.js';
import { relativeTo, type TenantEditor } from './tenant-edit.js';

/**
 * What a workplace changes of itself in MyPortal: its profile (name, language, e-mail) and its devices' SIP
 * passwords. Every change goes through the provisioning planner like an admin edit, so the file's rules apply
 * (a weak password is refused at its field); a device password is shown once in the answer and never again (the
 * store keeps the digest's hash input only as the registrar needs it, the API never reads it back).
 */
const profileBody = z.strictObject({
  name: workplaceSchema.shape.name,
  language: workplaceSchema.shape.language,
  email: workplaceSchema.shape.email,
});

const usernameParams = z.strictObject({ username: deviceSchema.shape.username });

const secretAnswer = z.object({
  username: z.string(),
  password: z.string().describe('shown once; store it in the phone now'),
  changes: changeList.shape.changes,
});

/** 24 random characters from a set without look-alikes: about 140 bits, far above the strength rule. */
export function generatePassword(): string {
  const set = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  const bytes = randomBytes(24);
  let out = '';
  for (const b of bytes) out += set[b % set.length];
  return out;
}

export function meSettingsRoutes(routes: RouteTable, editor: TenantEditor): void {
  const mine = (t: DraftTenant, extension: string): number => {
    const i = t.workplaces.findIndex((w) => w.extension === extension);
    if (i < 0) throw new ApiError('UNAUTHENTICATED', 'this workplace no longer exists');
    return i;
  };
  routes.add({
    method: 'PUT',
    url: '/api/v1/me/profile',
    tag: 'me',
    summary: 'Change my name, language and e-mail',
    access: 'user',
    query: dryRunQuery,
    body: profileBody,
    ok: { status: 200, description: 'what changed', schema: changeList },
    errors: [422],
    handler: async ({ who, query, body }) => {
      let at = -1;
      return editor.edit(
        who.tenantId,
        { dryRun: query.dryRun, fieldOf: (p) => relativeTo(`workplaces[${at}]`)(p) },
        (t) => {
          at = mine(t, who.workplace);
          const w = t.workplaces[at]!;
          w.name = body.name;
          w.language = body.language;
          if (body.email) w.email = body.email;
          else delete w.email;
        },
      );
    },
  });
  routes.add({
    method: 'POST',
    url: '/api/v1/me/devices',
    tag: 'me',
    summary: 'Add a device to my workplace; the answer shows its new SIP password once',
    access: 'user',
    body: z.strictObject({ username: deviceSchema.shape.username, kind: deviceSchema.shape.kind }),
    ok: { status: 201, description: 'the device and its password', schema: secretAnswer },
    errors: [422],
    handler: async ({ who, body }) => {
      const password = generatePassword();
      let at = -1;
      let dev = -1;
      const r = await editor.edit(
        who.tenantId,
        {
          dryRun: false,
          fieldOf: (p) =>
            relativeTo(`workplaces[${at}].devices[${dev}]`)(p).replace(/^workplaces\[\d+\]\./, ''),
        },
        (t) => {
          at = mine(t, who.workplace);
          const w = t.workplaces[at]!;
          if (w.devices.some((d) => d.username === body.username))
            throw new ApiError('VALIDATION_FAILED', 'username: this device exists already', 'username');
          dev = w.devices.push({ username: body.username, kind: body.kind, password }) - 1;
        },
      );
      return { username: body.username, password, changes: r.changes };
    },
  });
  routes.add({
    method: 'POST',
    url: '/api/v1/me/devices/:username/password',
    tag: 'me',
    summary:
      'Set a new SIP password for one of my devices (generated when none is sent; strength-checked); shown once',
    access: 'user',
    params: usernameParams,
    body: z.strictObject({ password: deviceSchema.shape.password.optional() }),
    ok: { status: 200, description: 'the new password', schema: secretAnswer },
    errors: [404, 422],
    handler: async ({ who, params, body }) => {
      const password = body.password ?? generatePassword();
      let at = -1;
      let dev = -1;
      const r = await editor.edit(
        who.tenantId,
        {
          dryRun: false,
          fieldOf: (p) => (p === `workplaces[${at}].devices[${dev}].password` ? 'password' : p),
        },
        (t) => {
          at = mine(t, who.workplace);
          const w = t.workplaces[at]!;
          dev = w.devices.findIndex((d) => d.username === params.username);
          if (dev < 0) throw new ApiError('NOT_FOUND', 'no such device of mine');
          w.devices[dev]!.password = password;
        },
      );
      return { username: params.username, password, changes: r.changes };
    },
  });
}
