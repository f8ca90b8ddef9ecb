import type { GroupRecord } from '../../store/callcenter-store.js';
import type { Store } from '../../store/types.js';
import type { FieldChange, ProvisionedGroup, ProvisioningChange } from './types.js';

/** The group changes of one tenant, each with its write (same shape as plan.ts's planned changes). */
export async function planGroups(
  store: Store,
  tenantId: string,
  groups: readonly ProvisionedGroup[],
  tenantExists: boolean,
): Promise<Array<{ change: ProvisioningChange; write(store: Store): Promise<void> }>> {
  const have = new Map(
    (tenantExists ? await store.callCenter.groups(tenantId) : []).map((g) => [g.extension, g]),
  );
  const out: Array<{ change: ProvisioningChange; write(store: Store): Promise<void> }> = [];
  for (const [ext] of have) {
    if (!groups.some((g) => g.extension === ext)) {
      out.push({
        change: { action: 'delete', entity: 'group', tenantId, key: ext, fields: [] },
        write: (s) => s.callCenter.removeGroup(tenantId, ext),
      });
    }
  }
  for (const g of groups) {
    const want = groupRecord(tenantId, g);
    const old = have.get(g.extension);
    const fields: FieldChange[] = [];
    if (old) {
      for (const k of Object.keys(want) as Array<keyof GroupRecord>) {
        if (JSON.stringify(old[k]) !== JSON.stringify(want[k]))
          fields.push({ field: k, from: old[k], to: want[k] });
      }
    }
    if (!old || fields.length > 0) {
      out.push({
        change: { action: old ? 'update' : 'create', entity: 'group', tenantId, key: g.extension, fields },
        write: (s) => s.callCenter.upsertGroup(want),
      });
    }
  }
  return out;
}

export function groupRecord(tenantId: string, g: ProvisionedGroup): GroupRecord {
  return {
    tenantId,
    extension: g.extension,
    name: g.name,
    policy: g.policy,
    agents: g.agents.map((a) => ({ extension: a.extension, weight: a.weight })),
    allowAgentLogin: g.allowAgentLogin,
    ringTimeoutS: g.ringTimeout,
    wrapUpS: g.wrapUp,
    maxQueue: g.maxQueue,
    maxWaitS: g.maxWait,
    overflow: g.overflow,
    music: g.music,
    comfortEveryS: g.comfortEvery,
    priority: g.priority,
    missesBeforeUnavailable: g.missesBeforeUnavailable,
  };
}
