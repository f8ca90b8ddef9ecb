import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createPgTestSchema, PG_SKIP_REASON, pgTestUrl } from '../../test/support/postgres.js';
import type { GroupRecord } from './callcenter-store.js';
import { openStore } from './open-store.js';
import type { Store } from './types.js';

function group(over: Partial<GroupRecord> = {}): GroupRecord {
  return {
    tenantId: 'a',
    extension: '600',
    name: 'Support',
    policy: 'weighted',
    agents: [
      { extension: '100', weight: 1 },
      { extension: '101', weight: 3 },
    ],
    allowAgentLogin: true,
    ringTimeoutS: 15,
    wrapUpS: 10,
    maxQueue: 20,
    maxWaitS: 300,
    overflow: '+4930123456',
    music: 'default',
    comfortEveryS: 30,
    priority: 2,
    missesBeforeUnavailable: 3,
    ...over,
  };
}

function suite(
  name: string,
  open: () => Promise<{ store: Store; cleanup(): Promise<void> }>,
  skip: string | false,
) {
  describe(name, { skip }, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    before(async () => {
      ({ store, cleanup } = await open());
      for (const t of ['a', 'b']) {
        await store.provisioning.upsertTenant({ id: t, name: t, domain: `${t}.example` });
        for (const ext of ['100', '101'])
          await store.provisioning.upsertWorkplace({
            tenantId: t,
            extension: ext,
            name: ext,
            email: null,
            language: 'de',
            packages: ['group'],
          });
      }
    });
    after(async () => {
      await store?.close();
      await cleanup?.();
    });

    it('round-trips groups per tenant and replaces on upsert', async () => {
      await store.callCenter.upsertGroup(group());
      await store.callCenter.upsertGroup(group({ tenantId: 'b', allowAgentLogin: false, agents: [] }));
      assert.deepEqual(await store.callCenter.groups('a'), [group()]);
      await store.callCenter.upsertGroup(group({ wrapUpS: 0 }));
      assert.equal((await store.callCenter.groups('a'))[0]?.wrapUpS, 0);
      assert.equal((await store.callCenter.groups('b'))[0]?.allowAgentLogin, false);
    });

    it('keeps agent status and logins per tenant; removing group, workplace or tenant removes them', async () => {
      await store.callCenter.setAgentStatus({
        tenantId: 'a',
        extension: '100',
        status: 'available',
        updatedAt: 5,
      });
      await store.callCenter.setAgentStatus({
        tenantId: 'a',
        extension: '100',
        status: 'wrap-up',
        updatedAt: 6,
      });
      await store.callCenter.setLogin('a', '600', '100', true);
      await store.callCenter.setLogin('a', '600', '100', true);
      await store.callCenter.setLogin('a', '600', '101', true);
      assert.deepEqual(await store.callCenter.agentStatuses('a'), [
        { tenantId: 'a', extension: '100', status: 'wrap-up', updatedAt: 6 },
      ]);
      assert.deepEqual(await store.callCenter.agentStatuses('b'), []);
      assert.equal((await store.callCenter.logins('a')).length, 2);
      assert.deepEqual(await store.callCenter.logins('b'), []);
      await store.callCenter.setLogin('a', '600', '101', false);
      await store.provisioning.removeWorkplace('a', '100');
      assert.deepEqual(await store.callCenter.logins('a'), []);
      assert.deepEqual(await store.callCenter.agentStatuses('a'), []);
      await store.callCenter.setLogin('a', '600', '101', true);
      await store.callCenter.removeGroup('a', '600');
      assert.deepEqual(await store.callCenter.logins('a'), []);
      await store.provisioning.removeTenant('b');
      assert.deepEqual(await store.callCenter.groups('b'), []);
    });
  });
}

suite(
  'call-center store (sqlite)',
  async () => ({ store: await openStore('sqlite::memory:'), cleanup: async () => undefined }),
  false,
);

const pgUrl = pgTestUrl();
suite(
  'call-center store (postgres)',
  async () => {
    const schema = await createPgTestSchema(pgUrl as string, 'callcenter');
    return { store: await openStore(schema.url), cleanup: () => schema.drop() };
  },
  pgUrl ? false : PG_SKIP_REASON,
);
