import type { ExecutiveRecord } from '../../store/executive-store.js';
import type { Store } from '../../store/types.js';
import type { FieldChange, ProvisionedExecutive, ProvisioningChange } from './types.js';

/**
 * The executive changes of one tenant, each with its write (same shape as plan.ts's planned changes). Runtime
 * switches (filter, opt-in, divert) are not provisioning: they stay as people set them, and go only with the
 * executive.
 */
export async function planExecutives(
  store: Store,
  tenantId: string,
  executives: readonly ProvisionedExecutive[],
  tenantExists: boolean,
): Promise<Array<{ change: ProvisioningChange; write(store: Store): Promise<void> }>> {
  const have = new Map(
    (tenantExists ? await store.executives.executives(tenantId) : []).map((e) => [e.extension, e]),
  );
  const out: Array<{ change: ProvisioningChange; write(store: Store): Promise<void> }> = [];
  for (const [ext] of have) {
    if (!executives.some((e) => e.executive === ext)) {
      out.push({
        change: { action: 'delete', entity: 'executive', tenantId, key: ext, fields: [] },
        write: (s) => s.executives.removeExecutive(tenantId, ext),
      });
    }
  }
  for (const e of executives) {
    const want = executiveRecord(tenantId, e);
    const old = have.get(e.executive);
    const fields: FieldChange[] = [];
    if (old) {
      for (const k of Object.keys(want) as Array<keyof ExecutiveRecord>) {
        if (JSON.stringify(old[k]) !== JSON.stringify(want[k]))
          fields.push({ field: k, from: old[k], to: want[k] });
      }
    }
    if (!old || fields.length > 0) {
      out.push({
        change: {
          action: old ? 'update' : 'create',
          entity: 'executive',
          tenantId,
          key: e.executive,
          fields,
        },
        write: (s) => s.executives.upsertExecutive(want),
      });
    }
  }
  return out;
}

function executiveRecord(tenantId: string, e: ProvisionedExecutive): ExecutiveRecord {
  return {
    tenantId,
    extension: e.executive,
    assistants: e.assistants.map((a) => ({ extension: a.extension, divertTo: a.divertTo })),
    filtering: e.filtering,
    alerting: e.alerting,
    nextAssistantS: e.nextAssistantSeconds,
    rolloverS: e.rolloverSeconds,
    screening: e.screening,
    optInOut: e.optInOut,
    pushRecallS: e.pushRecallSeconds,
  };
}
