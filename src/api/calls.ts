import { z } from 'zod';
import type {
  Actor,
  CallControl,
  CallView,
  ControlError,
  ControlResult,
} from '../core/calls/call-control-types.js';
import { ApiError, type ErrorCode } from './errors.js';
import type { RouteTable } from './route-table.js';
import type { Principal } from './session-service.js';
import { callIdParams, party } from './schemas.js';

/** A dial string: digits, * and #, or an E.164 number. */
const dialString = z.string().regex(/^\+?[0-9*#]{1,32}$/, 'must be a number: digits, * and #, optionally +');
const device = z.string().regex(/^[A-Za-z0-9._~-]{1,64}$/, 'must be a device username');

const callView = z.object({
  id: z.string(),
  state: z.enum(['ringing', 'talking', 'held']),
  direction: z.enum(['incoming', 'outgoing']),
  other: party,
  device: z.string().optional(),
  for: party.optional(),
  queue: z.string().optional(),
  since: z.string().describe('ISO 8601'),
  answeredAt: z.string().optional(),
});
const callIdAnswer = z.object({ callId: z.string() });

const CONTROL_ERRORS: Record<ControlError, ErrorCode> = {
  'not-found': 'NOT_FOUND',
  'invalid-state': 'INVALID_STATE',
  'no-device': 'NO_DEVICE',
  'not-allowed': 'FORBIDDEN',
  'invalid-number': 'INVALID_NUMBER',
  failed: 'UPSTREAM_FAILED',
};

/** A control result as the answer, or the control error as an ApiError (see docs/api.md, "Calls"). */
export function unwrap<T>(r: ControlResult<T>): T {
  if (r.ok) return r.value;
  throw new ApiError(CONTROL_ERRORS[r.error], r.message);
}

/** A call as the API shows it: times as ISO 8601 (REST answers and the stream's snapshot alike). */
export function callJson(c: CallView): z.input<typeof callView> {
  const { since, answeredAt, ...rest } = c;
  return {
    ...rest,
    since: new Date(since).toISOString(),
    ...(answeredAt !== undefined ? { answeredAt: new Date(answeredAt).toISOString() } : {}),
  };
}

function actor(who: Principal): Actor {
  return { tenantId: who.tenantId, workplace: who.workplace };
}

/**
 * My calls and what I do with them (BroadWorks Xsi-Actions vocabulary: dial, answer, hold, transfer, pickup).
 * Everything goes through the CallControl seam; when the composition root has none, these routes answer 501.
 */
export function callRoutes(routes: RouteTable, control: CallControl | undefined): void {
  const cc = (): CallControl => {
    if (!control) throw new ApiError('NOT_IMPLEMENTED', 'call control is not available in this build');
    return control;
  };
  const errors = [404, 409, 422, 501, 502];
  const action = (
    url: string,
    summary: string,
    run: (c: CallControl, a: Actor, callId: string) => Promise<ControlResult>,
  ) =>
    routes.add({
      method: 'POST',
      url: `/api/v1/calls/:callId/${url}`,
      tag: 'calls',
      summary,
      access: 'user',
      params: callIdParams,
      ok: { status: 204, description: 'done' },
      errors,
      handler: async ({ who, params }) => {
        unwrap(await run(cc(), actor(who), params.callId));
      },
    });

  routes.add({
    method: 'GET',
    url: '/api/v1/calls',
    tag: 'calls',
    summary: 'My live calls, oldest first',
    access: 'user',
    ok: { status: 200, description: 'my calls', schema: z.array(callView) },
    errors: [501],
    handler: async ({ who }) => cc().callsOf(actor(who)).map(callJson),
  });

  routes.add({
    method: 'POST',
    url: '/api/v1/calls',
    tag: 'calls',
    summary:
      'Start a call from one of my devices (click-to-dial: a desk phone is rung first with auto-answer hints); ' +
      '`as`: call as an executive I assist',
    access: 'user',
    body: z.strictObject({
      device,
      to: dialString,
      as: z
        .string()
        .regex(/^[0-9]{2,8}$/)
        .optional(),
    }),
    ok: { status: 201, description: 'the call is being set up', schema: callIdAnswer },
    errors,
    handler: async ({ who, body }) =>
      unwrap(
        await cc().dial(actor(who), {
          device: body.device,
          to: body.to,
          ...(body.as !== undefined ? { as: body.as } : {}),
        }),
      ),
  });

  routes.add({
    method: 'POST',
    url: '/api/v1/calls/:callId/answer',
    tag: 'calls',
    summary: 'Answer a ringing call on one of my devices',
    access: 'user',
    params: callIdParams,
    body: z.strictObject({ device }),
    ok: { status: 204, description: 'answered' },
    errors,
    handler: async ({ who, params, body }) => {
      unwrap(await cc().answer(actor(who), params.callId, { device: body.device }));
    },
  });
  action('hangup', 'Hang up', (c, a, id) => c.hangup(a, id));
  action('hold', 'Put the call on hold', (c, a, id) => c.hold(a, id));
  action('resume', 'Resume a held call', (c, a, id) => c.resume(a, id));

  routes.add({
    method: 'POST',
    url: '/api/v1/calls/:callId/transfer',
    tag: 'calls',
    summary: 'Blind transfer: the other party is sent to `to`, I leave the call',
    access: 'user',
    params: callIdParams,
    body: z.strictObject({ to: dialString }),
    ok: { status: 204, description: 'transferred' },
    errors,
    handler: async ({ who, params, body }) => {
      unwrap(await cc().blindTransfer(actor(who), params.callId, body.to));
    },
  });
  routes.add({
    method: 'POST',
    url: '/api/v1/calls/:callId/consult',
    tag: 'calls',
    summary: 'Consultation: hold this call and call `to` from the same device',
    access: 'user',
    params: callIdParams,
    body: z.strictObject({ to: dialString }),
    ok: { status: 201, description: 'the consultation call', schema: callIdAnswer },
    errors,
    handler: async ({ who, params, body }) => unwrap(await cc().consult(actor(who), params.callId, body.to)),
  });
  routes.add({
    method: 'POST',
    url: '/api/v1/calls/:callId/complete-transfer',
    tag: 'calls',
    summary: 'Attended transfer: connect the held call with the consultation call',
    access: 'user',
    params: callIdParams,
    body: z.strictObject({ consultCallId: z.string().min(1).max(128) }),
    ok: { status: 204, description: 'transferred' },
    errors,
    handler: async ({ who, params, body }) => {
      unwrap(await cc().completeTransfer(actor(who), params.callId, body.consultCallId));
    },
  });
  routes.add({
    method: 'POST',
    url: '/api/v1/calls/:callId/dtmf',
    tag: 'calls',
    summary: 'Send DTMF (RFC 4733) to the other party',
    access: 'user',
    params: callIdParams,
    body: z.strictObject({
      digits: z.string().regex(/^[0-9*#A-D]{1,32}$/, 'must be 1 to 32 of 0-9 * # A-D'),
    }),
    ok: { status: 204, description: 'sent' },
    errors,
    handler: async ({ who, params, body }) => {
      unwrap(await cc().dtmf(actor(who), params.callId, body.digits));
    },
  });
  routes.add({
    method: 'POST',
    url: '/api/v1/calls/pickup',
    tag: 'calls',
    summary: "Pick up a colleague's ringing call (with `callId`: directed; without: my pickup group's)",
    access: 'user',
    body: z.strictObject({ device, callId: z.string().min(1).max(128).optional() }),
    ok: { status: 201, description: 'picked up', schema: callIdAnswer },
    errors,
    handler: async ({ who, body }) =>
      unwrap(
        await cc().pickup(actor(who), {
          device: body.device,
          ...(body.callId !== undefined ? { callId: body.callId } : {}),
        }),
      ),
  });
  routes.add({
    method: 'POST',
    url: '/api/v1/calls/pull',
    tag: 'calls',
    summary: 'Call pull: move my answered call from another of my devices to `device`',
    access: 'user',
    body: z.strictObject({ device }),
    ok: { status: 201, description: 'pulled', schema: callIdAnswer },
    errors,
    handler: async ({ who, body }) => unwrap(await cc().pull(actor(who), { device: body.device })),
  });
}
