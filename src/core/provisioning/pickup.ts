import { z } from 'zod';
import type { PickupSettingsRecord, Store } from '../../store/types.js';
import type { RawIssue } from './raw-issue.js';
import type { ProvisionedTenant, ProvisioningChange } from './types.js';

/**
 * Provisioning of call pickup: `pickupGroups: [{ name, members: ["100", "101"] }]` and
 * `pickupOrder: newest | oldest` on a tenant. Kept apart from the other keys so the feature's rules are in one
 * place: the schema, the cross-entry rules (members are the tenant's workplaces, each in at most one group) and
 * the plan step.
 */

export const PICKUP_ORDERS = ['newest', 'oldest'] as const;
export type PickupOrderSetting = (typeof PICKUP_ORDERS)[number];

export const pickupGroupSchema = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(100, 'at most 100 characters'),
  members: z
    .array(
      z
        .string({
          error: (iss) =>
            typeof iss.input === 'number'
              ? `must be a quoted string, e.g. "${iss.input}" (YAML reads ${iss.input} as a number)`
              : undefined,
        })
        .regex(/^[0-9]{2,8}$/, 'extension must be 2 to 8 digits'),
    )
    .min(1, 'a pickup group needs at least one member'),
});

export const pickupTenantKeys = {
  pickupGroups: z.array(pickupGroupSchema).default([]),
  pickupOrder: z
    .enum(PICKUP_ORDERS, { error: `must be one of: ${PICKUP_ORDERS.join(', ')}` })
    .default('newest'),
};

/** Group names unique in the tenant; members are its workplaces; a workplace is in at most one group. */
export function checkPickupGroups(t: unknown, ti: number, issues: RawIssue[]): void {
  const groups = field(t, 'pickupGroups');
  if (!Array.isArray(groups)) return;
  const workplaces = field(t, 'workplaces');
  const extensions = new Set(
    (Array.isArray(workplaces) ? workplaces : [])
      .map((w) => field(w, 'extension'))
      .filter((e) => typeof e === 'string'),
  );
  const names = new Map<string, number>();
  const memberOf = new Map<string, string>();
  groups.forEach((g, gi) => {
    const gPath = ['tenants', ti, 'pickupGroups', gi];
    const rawName = field(g, 'name');
    const name = typeof rawName === 'string' ? rawName.trim() : `#${gi}`;
    if (typeof rawName === 'string') {
      if (names.has(name))
        issues.push({ path: [...gPath, 'name'], message: `duplicate pickup group name "${name}"` });
      else names.set(name, gi);
    }
    const members = field(g, 'members');
    if (!Array.isArray(members)) return;
    members.forEach((m, mi) => {
      if (typeof m !== 'string') return;
      const mPath = [...gPath, 'members', mi];
      if (!extensions.has(m)) {
        issues.push({ path: mPath, message: `no workplace with extension "${m}" in this tenant` });
        return;
      }
      const first = memberOf.get(m);
      if (first !== undefined) {
        issues.push({
          path: mPath,
          message:
            first === name
              ? `workplace "${m}" is listed twice in pickup group "${name}"`
              : `workplace "${m}" is already in pickup group "${first}"; a workplace can be in at most one pickup group`,
        });
        return;
      }
      memberOf.set(m, name);
    });
  });
}

/** The settings the file asks for. */
export function pickupSettingsOf(t: ProvisionedTenant): PickupSettingsRecord {
  return {
    order: t.pickupOrder,
    groups: t.pickupGroups.map((g) => ({ name: g.name, members: [...g.members] })),
  };
}

/**
 * The plan step: one `pickup` change when the tenant's settings differ from the stored ones (a new tenant
 * without groups and with the default order has nothing to store). Runs after the workplaces are written.
 */
export async function planPickup(
  store: Store,
  t: ProvisionedTenant,
  exists: boolean,
): Promise<{ change: ProvisioningChange; write(s: Store): Promise<void> } | undefined> {
  const want = pickupSettingsOf(t);
  const have: PickupSettingsRecord = exists
    ? await store.pickup.settings(t.id)
    : { order: 'newest', groups: [] };
  const fields = [];
  if (have.order !== want.order) fields.push({ field: 'pickupOrder', from: have.order, to: want.order });
  const show = (s: PickupSettingsRecord) => s.groups.map((g) => `${g.name}: ${g.members.join(' ')}`);
  if (JSON.stringify(have.groups) !== JSON.stringify(want.groups))
    fields.push({ field: 'pickupGroups', from: show(have), to: show(want) });
  if (fields.length === 0) return undefined;
  return {
    change: { action: 'update', entity: 'pickup', tenantId: t.id, key: 'pickup', fields },
    write: (s) => s.pickup.replace(t.id, want),
  };
}

function field(obj: unknown, key: string): unknown {
  return obj !== null && typeof obj === 'object' && !Array.isArray(obj)
    ? (obj as Record<string, unknown>)[key]
    : undefined;
}
