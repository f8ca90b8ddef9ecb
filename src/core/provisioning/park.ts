import { z } from 'zod';
import type { ParkSettingsRecord } from '../../store/park-store.js';
import type { Store } from '../../store/types.js';
import type { RawIssue } from './raw-issue.js';
import type { ProvisionedTenant, ProvisioningChange } from './types.js';

/**
 * Provisioning of call park: `park: { locations: "700-709", recallSeconds: 45 }` on a tenant (docs/provisioning.md,
 * "Call park"). Without the key the tenant parks at 700–709 with a 45 s recall.
 */

export const PARK_KEYS = ['locations', 'recallSeconds'] as const;

const RANGE_RE = /^([0-9]{2,8})-([0-9]{2,8})$/;

export const parkSchema = z.strictObject({
  locations: z
    .string()
    .trim()
    .regex(RANGE_RE, 'must be a range of numbers of the same length, e.g. "700-709"')
    .refine((s) => {
      const [, a, b] = RANGE_RE.exec(s) ?? [];
      return a !== undefined && b !== undefined && a.length === b.length && Number(a) <= Number(b);
    }, 'the range must go up and both ends need the same number of digits, e.g. "700-709"')
    .refine((s) => {
      const [, a, b] = RANGE_RE.exec(s) ?? [];
      return Number(b) - Number(a) < 100;
    }, 'at most 100 park locations'),
  recallSeconds: z.number().int('whole seconds').min(10, 'at least 10').max(600, 'at most 600').default(45),
});

export const parkTenantKeys = { park: parkSchema.optional() };

/** Park locations must not be workplaces' extensions (a dialled location would be ambiguous). */
export function checkParkLocations(t: unknown, ti: number, issues: RawIssue[]): void {
  const park = field(t, 'park');
  const locations = field(park, 'locations');
  if (typeof locations !== 'string') return;
  const [, a, b] = RANGE_RE.exec(locations.trim()) ?? [];
  if (a === undefined || b === undefined || a.length !== b.length) return;
  const workplaces = field(t, 'workplaces');
  for (const w of Array.isArray(workplaces) ? workplaces : []) {
    const e = field(w, 'extension');
    if (typeof e === 'string' && e.length === a.length && Number(e) >= Number(a) && Number(e) <= Number(b)) {
      issues.push({
        path: ['tenants', ti, 'park', 'locations'],
        message: `park location ${e} is the extension of a workplace; choose a range no workplace uses`,
      });
      return;
    }
  }
}

/** The settings the file asks for, or undefined when the tenant has no `park` key (the defaults apply). */
export function parkSettingsOf(t: ProvisionedTenant): ParkSettingsRecord | undefined {
  if (!t.park) return undefined;
  const [, first, last] = RANGE_RE.exec(t.park.locations)!;
  return { first: first!, last: last!, recallSeconds: t.park.recallSeconds };
}

/** The plan step: one `park` change when the tenant's settings differ from the stored ones. */
export async function planPark(
  store: Store,
  t: ProvisionedTenant,
  exists: boolean,
): Promise<{ change: ProvisioningChange; write(s: Store): Promise<void> } | undefined> {
  const want = parkSettingsOf(t);
  const have = exists ? await store.park.stored(t.id) : undefined;
  const show = (s: ParkSettingsRecord | undefined) =>
    s ? `${s.first}-${s.last}, recall ${s.recallSeconds} s` : 'default';
  if (show(have) === show(want)) return undefined;
  return {
    change: {
      action: 'update',
      entity: 'park',
      tenantId: t.id,
      key: 'park',
      fields: [{ field: 'park', from: show(have), to: show(want) }],
    },
    write: (s) => s.park.replace(t.id, want),
  };
}

function field(obj: unknown, key: string): unknown {
  return obj !== null && typeof obj === 'object' && !Array.isArray(obj)
    ? (obj as Record<string, unknown>)[key]
    : undefined;
}
