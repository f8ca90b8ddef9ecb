import { z } from 'zod';
import type { ApiDeps } from './api-deps.js';
import { ApiError } from './errors.js';
import type { RouteTable } from './route-table.js';
import { presenceStatus } from './schemas.js';

const meSchema = z.object({
  tenant: z.string(),
  domain: z.string(),
  extension: z.string(),
  name: z.string(),
  email: z.string().nullable(),
  language: z.string(),
  role: z.enum(['user', 'admin']),
  packages: z.array(z.string()),
  presence: presenceStatus,
  devices: z.array(
    z.object({
      username: z.string(),
      kind: z.string(),
      registered: z.boolean(),
      contacts: z.array(
        z.object({
          transport: z.string(),
          userAgent: z.string().nullable(),
          expiresAt: z.string(),
          from: z.string().describe('the address and port the registration came from'),
          registeredAt: z.string().describe('the last REGISTER that bound or refreshed this contact'),
        }),
      ),
    }),
  ),
});

/** The caller's own workplace. */
export function meRoutes(routes: RouteTable, deps: ApiDeps): void {
  routes.add({
    method: 'GET',
    url: '/api/v1/me',
    tag: 'me',
    summary: 'My workplace: extension, name, language, role, packages, devices with their registration state',
    access: 'user',
    ok: { status: 200, description: 'my workplace', schema: meSchema },
    handler: async ({ who }) => {
      const plan = await deps.directory.plan(who.tenantId);
      const w = plan.workplace(who.workplace);
      // The workplace was removed while the session lived: as if the login were gone.
      if (!w) throw new ApiError('UNAUTHENTICATED', 'this workplace no longer exists');
      return {
        tenant: who.tenantId,
        domain: who.domain,
        extension: w.extension,
        name: w.name,
        email: w.email,
        language: w.language,
        role: who.role,
        packages: w.packages,
        presence: deps.presence.lampOf(who.tenantId, w.extension),
        devices: plan.devicesOf(w.extension).map((d) => {
          const contacts = deps.registrations.lookup(who.tenantId, d.username);
          return {
            username: d.username,
            kind: d.kind,
            registered: contacts.length > 0,
            contacts: contacts.map((c) => ({
              transport: c.flowProtocol,
              userAgent: c.userAgent,
              expiresAt: new Date(c.expiresAt).toISOString(),
              from: c.flowAddress.includes(':')
                ? `[${c.flowAddress}]:${c.flowPort}`
                : `${c.flowAddress}:${c.flowPort}`,
              registeredAt: new Date(c.updatedAt).toISOString(),
            })),
          };
        }),
      } satisfies z.input<typeof meSchema>;
    },
  });
}
