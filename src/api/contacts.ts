import { z } from 'zod';
import type { CallControl } from '../core/calls/call-control-types.js';
import type { ApiDeps } from './api-deps.js';
import { unwrap } from './calls.js';
import { ApiError } from './errors.js';
import type { RouteTable } from './route-table.js';
import { extension, presenceStatus } from './schemas.js';

const extensionParams = z.strictObject({ extension });
const card = z.object({
  extension: z.string(),
  name: z.string(),
  email: z.string().nullable(),
  presence: presenceStatus,
});

/**
 * A colleague as a contact: the card the client shows ("show contact", "e-mail") and directed pickup by
 * extension — what the BLF key and `*97<extension>` do on a desk phone. The caller sees only the lamp of a
 * colleague, never the call ids of that colleague's calls, so the route finds the ringing call itself and hands
 * it to call control's directed pickup, whose rules decide as for the feature code.
 */
export function contactRoutes(routes: RouteTable, deps: ApiDeps): void {
  routes.add({
    method: 'GET',
    url: '/api/v1/workplaces/:extension',
    tag: 'workplaces',
    summary: "A colleague's contact card: name, e-mail, busy lamp",
    access: 'user',
    params: extensionParams,
    ok: { status: 200, description: 'the card', schema: card },
    errors: [404],
    handler: async ({ who, params }) => {
      const w = (await deps.directory.plan(who.tenantId)).workplace(params.extension);
      if (!w) throw new ApiError('NOT_FOUND', 'no such workplace');
      return {
        extension: w.extension,
        name: w.name,
        email: w.email,
        presence: deps.presence.lampOf(who.tenantId, w.extension),
      } satisfies z.input<typeof card>;
    },
  });
  routes.add({
    method: 'POST',
    url: '/api/v1/workplaces/:extension/pickup',
    tag: 'calls',
    summary: 'Directed pickup by extension: take the call ringing at this colleague on one of my devices',
    access: 'user',
    params: extensionParams,
    body: z.strictObject({
      device: z.string().regex(/^[A-Za-z0-9._~-]{1,64}$/, 'must be a device username'),
    }),
    ok: { status: 201, description: 'picked up', schema: z.object({ callId: z.string() }) },
    errors: [404, 409, 501, 502],
    handler: async ({ who, params, body }) => {
      const cc: CallControl | undefined = deps.calls;
      if (!cc) throw new ApiError('NOT_IMPLEMENTED', 'call control is not available in this build');
      if (params.extension === who.workplace) throw new ApiError('INVALID_STATE', 'that is my own workplace');
      if (!(await deps.directory.plan(who.tenantId)).workplace(params.extension))
        throw new ApiError('NOT_FOUND', 'no such workplace');
      const ringing = cc
        .callsOf({ tenantId: who.tenantId, workplace: params.extension })
        .find((c) => c.state === 'ringing' && c.direction === 'incoming');
      if (!ringing) throw new ApiError('INVALID_STATE', 'nothing is ringing there');
      return unwrap(
        await cc.pickup(
          { tenantId: who.tenantId, workplace: who.workplace },
          { device: body.device, callId: ringing.id },
        ),
      );
    },
  });
}
