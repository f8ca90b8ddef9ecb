import { z } from 'zod';
import type { RouteTable } from './route-table.js';
import type { SessionService } from './session-service.js';

const loginBody = z.strictObject({
  domain: z.string().min(1).max(253),
  extension: z.string().regex(/^[0-9]{2,8}$/, 'must be 2 to 8 digits'),
  password: z.string().min(1, 'must not be empty').max(256),
});

/** Log in (a bearer token) and log out. */
export function sessionRoutes(routes: RouteTable, sessions: SessionService): void {
  routes.add({
    method: 'POST',
    url: '/api/v1/sessions',
    tag: 'sessions',
    summary: 'Log in with the workplace web password; answers a bearer token',
    access: 'public',
    body: loginBody,
    ok: {
      status: 201,
      description: 'logged in',
      schema: z.object({ token: z.string(), expiresAt: z.string().describe('ISO 8601') }),
    },
    errors: [401, 429],
    handler: async ({ body, req }) => {
      const s = await sessions.login(req.ip, body.domain, body.extension, body.password);
      return { token: s.token, expiresAt: new Date(s.expiresAt).toISOString() };
    },
  });
  routes.add({
    method: 'DELETE',
    url: '/api/v1/sessions/current',
    tag: 'sessions',
    summary: 'Log out: the token stops working at once, its event streams close',
    access: 'user',
    ok: { status: 204, description: 'logged out' },
    handler: async ({ who }) => {
      await sessions.logout(who);
    },
  });
}
