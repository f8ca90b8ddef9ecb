import { z } from 'zod';
import {
  DEFAULT_TOLL_FRAUD_LIMITS,
  DESTINATION_CLASSES,
  type Store,
  type TollFraudLimitsRecord,
} from '../../store/types.js';
import type { ProvisionedTenant, ProvisioningChange } from './types.js';

/**
 * Provisioning of the toll-fraud limits of a tenant (docs/security.md):
 *
 *     tollFraud:
 *       maxConcurrentExternalCalls: 10
 *       maxExternalCallsPerWorkplacePerHour: 30
 *       allow: [national, mobile]          # international and premium only when listed
 *
 * Left out, the defaults hold: no count limits, national and mobile destinations only.
 */
export const tollFraudSchema = z.strictObject({
  maxConcurrentExternalCalls: z.number().int().min(0).max(100_000).optional(),
  maxExternalCallsPerWorkplacePerHour: z.number().int().min(0).max(100_000).optional(),
  allow: z
    .array(z.enum(DESTINATION_CLASSES, { error: `must be one of: ${DESTINATION_CLASSES.join(', ')}` }))
    .optional(),
});

export const tollFraudTenantKeys = {
  tollFraud: tollFraudSchema.optional(),
};

export type TollFraudInput = z.output<typeof tollFraudSchema> | undefined;

/** The limits the file asks for, defaults filled in; classes in a fixed order, so comparisons are stable. */
export function tollFraudLimitsOf(input: TollFraudInput): TollFraudLimitsRecord {
  const allow = new Set(input?.allow ?? DEFAULT_TOLL_FRAUD_LIMITS.allow);
  return {
    maxConcurrentExternalCalls: input?.maxConcurrentExternalCalls ?? null,
    maxExternalCallsPerWorkplacePerHour: input?.maxExternalCallsPerWorkplacePerHour ?? null,
    allow: DESTINATION_CLASSES.filter((c) => allow.has(c)),
  };
}

/** The plan step: one `toll-fraud` change when the tenant's limits differ from the stored (or default) ones. */
export async function planTollFraud(
  store: Store,
  t: ProvisionedTenant,
  exists: boolean,
): Promise<{ change: ProvisioningChange; write(s: Store): Promise<void> } | undefined> {
  const want = t.tollFraud;
  const have = exists ? await store.tollFraud.limits(t.id) : tollFraudLimitsOf(undefined);
  const fields = [];
  for (const k of ['maxConcurrentExternalCalls', 'maxExternalCallsPerWorkplacePerHour'] as const)
    if (have[k] !== want[k]) fields.push({ field: `tollFraud.${k}`, from: have[k], to: want[k] });
  if (have.allow.join(',') !== want.allow.join(','))
    fields.push({ field: 'tollFraud.allow', from: have.allow, to: want.allow });
  // Nothing stored reads as the defaults, so a new tenant with the defaults has nothing to write.
  if (fields.length === 0) return undefined;
  return {
    change: { action: 'update', entity: 'toll-fraud', tenantId: t.id, key: 'tollFraud', fields },
    write: (s) => s.tollFraud.replace(t.id, want),
  };
}
