import { z } from 'zod';
import { ApiError } from './errors.js';
import type { RouteTable } from './route-table.js';
import { extension } from './schemas.js';

/**
 * Executive–assistant settings (BroadWorks' Executive and Executive-Assistant services). The routes and their
 * schemas are final; until the service exists in the PBX they answer 501 NOT_IMPLEMENTED.
 */
const filterMode = z.enum(['all-calls', 'internal-calls', 'external-calls']);
const alerting = z.enum(['sequential', 'simultaneous']);

const executiveSettings = z.strictObject({
  filtering: z.strictObject({ enabled: z.boolean(), mode: filterMode }),
  alerting: z.strictObject({
    mode: alerting,
    rollOverAfterRings: z.number().int().min(1).max(20).optional(),
  }),
});

const divert = z.strictObject({
  enabled: z.boolean(),
  to: z
    .string()
    .regex(/^\+?[0-9]{2,15}$/)
    .optional(),
});

export function executiveRoutes(routes: RouteTable): void {
  const notYet = async (): Promise<never> => {
    throw new ApiError('NOT_IMPLEMENTED', 'executive–assistant is not available in this build');
  };
  routes.add({
    method: 'GET',
    url: '/api/v1/me/executive',
    tag: 'executive',
    summary: 'My executive settings: call filtering (on/off, mode) and alerting of my assistants',
    access: 'user',
    ok: { status: 200, description: 'the settings', schema: executiveSettings },
    errors: [501],
    handler: notYet,
  });
  routes.add({
    method: 'PUT',
    url: '/api/v1/me/executive',
    tag: 'executive',
    summary: 'Change my executive settings',
    access: 'user',
    body: executiveSettings,
    ok: { status: 200, description: 'the new settings', schema: executiveSettings },
    errors: [501],
    handler: notYet,
  });
  routes.add({
    method: 'GET',
    url: '/api/v1/me/assistant',
    tag: 'executive',
    summary: 'The executives I assist, with my opt-in and divert for each',
    access: 'user',
    ok: {
      status: 200,
      description: 'my executives',
      schema: z.object({
        executives: z.array(z.object({ extension: z.string(), name: z.string(), optedIn: z.boolean() })),
        divert: divert,
      }),
    },
    errors: [501],
    handler: notYet,
  });
  routes.add({
    method: 'PUT',
    url: '/api/v1/me/assistant/executives/:executive',
    tag: 'executive',
    summary: "Opt in to or out of an executive's calls",
    access: 'user',
    params: z.strictObject({ executive: extension }),
    body: z.strictObject({ optedIn: z.boolean() }),
    ok: { status: 200, description: 'the new opt-in', schema: z.object({ optedIn: z.boolean() }) },
    errors: [404, 501],
    handler: notYet,
  });
  routes.add({
    method: 'PUT',
    url: '/api/v1/me/assistant/divert',
    tag: 'executive',
    summary: 'Divert the calls I get for my executives to another number',
    access: 'user',
    body: divert,
    ok: { status: 200, description: 'the new divert', schema: divert },
    errors: [501],
    handler: notYet,
  });
}
