import type { CallCenterService } from '../features/callcenter/callcenter-service.js';
import type { Store } from '../store/types.js';
import type { TenantExecutives } from '../features/executive/tenant-executives.js';
import type { Mailboxes } from '../features/voicemail/mailboxes.js';
import type {
  CallCenterPort,
  ExecutivePort,
  ExecutiveState,
  LoginOutcome,
  VoicemailPort,
} from './api-deps.js';

/** The call-center port over the feature's service (groups from the store, state from the tenant runtime). */
export function callCenterPort(service: CallCenterService, store: Store): CallCenterPort {
  return {
    async groupsOf(tenantId, workplace) {
      const [groups, cc] = await Promise.all([store.callCenter.groups(tenantId), service.tenant(tenantId)]);
      return groups
        .filter((g) => g.agents.some((a) => a.extension === workplace))
        .map((g) => ({
          extension: g.extension,
          name: g.name,
          loggedIn: cc.isLoggedIn(g.extension, workplace),
          allowAgentLogin: g.allowAgentLogin,
        }));
    },
    async statusOf(tenantId, workplace) {
      return (await service.tenant(tenantId)).statusOf(workplace);
    },
    async setStatus(tenantId, workplace, status) {
      return (await service.tenant(tenantId)).setStatus(workplace, status);
    },
    async setLogin(tenantId, group, workplace, loggedIn): Promise<LoginOutcome> {
      return (await service.tenant(tenantId)).setLogin(group, workplace, loggedIn) ?? 'ok';
    },
    async queue(tenantId, group) {
      return (await service.tenant(tenantId)).queueSnapshot(group);
    },
  };
}

/** The executive port over the feature's per-tenant state (loaded by the service, re-read after provisioning). */
export function executivePort(service: {
  tenant(tenantId: string): Promise<TenantExecutives>;
}): ExecutivePort {
  return {
    async executives(tenantId) {
      const t = await service.tenant(tenantId);
      return t.all().map((e) => ({
        extension: e.extension,
        filtering: e.filtering as ExecutiveState['filtering'],
        filterOn: t.filterOn(e.extension),
        alerting: e.alerting === 'sequential' ? 'sequential' : 'simultaneous',
        screening: e.screening,
        optInOut: e.optInOut,
        assistants: e.assistants.map((a) => ({
          extension: a.extension,
          optedIn: t.optedIn(e.extension, a.extension),
          divertTo: a.divertTo,
          divertOn: t.divertTarget(e.extension, a.extension) !== undefined,
        })),
      }));
    },
    async setFilter(tenantId, executive, on) {
      await (await service.tenant(tenantId)).setFilter(executive, on);
    },
    async setOptIn(tenantId, executive, assistant, optedIn) {
      await (await service.tenant(tenantId)).setOptIn(executive, assistant, optedIn);
    },
    async setDivert(tenantId, executive, assistant, on) {
      await (await service.tenant(tenantId)).setDivert(executive, assistant, on);
    },
  };
}

/** The voicemail port over the feature's mailboxes: a message is found only in its own tenant's mailbox. */
export function voicemailPort(mailboxes: Mailboxes): VoicemailPort {
  const find = async (tenantId: string, extension: string, id: string) =>
    (await mailboxes.messages(tenantId, extension)).find((m) => m.id === id);
  return {
    async messages(tenantId, extension) {
      if (!(await mailboxes.box(tenantId, extension))) return undefined;
      return mailboxes.messages(tenantId, extension);
    },
    async setFolder(tenantId, extension, id, folder) {
      const m = await find(tenantId, extension, id);
      if (!m) return false;
      await (folder === 'saved' ? mailboxes.markSaved(m) : mailboxes.markNew(m));
      return true;
    },
    async remove(tenantId, extension, id) {
      const m = await find(tenantId, extension, id);
      if (!m) return false;
      await mailboxes.remove(m);
      return true;
    },
    async audio(tenantId, extension, id) {
      const m = await find(tenantId, extension, id);
      return m ? mailboxes.files.readMessage(tenantId, extension, m.id) : undefined;
    },
  };
}
