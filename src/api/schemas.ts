import { z } from 'zod';

/** Schemas shared by several resource families (request pieces and documented answers). */

export const extension = z.string().regex(/^[0-9]{2,8}$/, 'must be 2 to 8 digits');

export const callIdParams = z.strictObject({ callId: z.string().min(1).max(128) });

export const party = z.object({
  workplace: z.string().optional(),
  device: z.string().optional(),
  number: z.string(),
  name: z.string().optional(),
});

export const errorBody = z.object({
  error: z.string().describe('machine-readable code, see docs/api.md'),
  message: z.string(),
  field: z.string().optional().describe('the offending field, e.g. devices[0].password or (body)'),
  issues: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
});

export const presenceStatus = z.enum(['idle', 'ringing', 'busy']);

export const agentStatus = z.enum(['available', 'unavailable', 'wrap-up', 'signed-in', 'signed-out']);

/** `?dryRun=true`: plan only. */
export const dryRunQuery = z.strictObject({
  dryRun: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .optional()
    .transform((v) => v === 'true'),
});

export const changeList = z.object({
  dryRun: z.boolean(),
  changes: z.array(
    z.object({
      action: z.enum(['create', 'update', 'delete']),
      entity: z.string(),
      key: z.string(),
      fields: z.array(
        z.object({ field: z.string(), from: z.unknown(), to: z.unknown(), secret: z.boolean() }),
      ),
    }),
  ),
});
