import type { CallCenterService } from '../features/callcenter/callcenter-service.js';
import type { Store } from '../store/types.js';
import type { CallCenterPort, LoginOutcome } from './api-deps.js';

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
