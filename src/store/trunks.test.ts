import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createPgTestSchema, PG_SKIP_REASON, pgTestUrl } from '../../test/support/postgres.js';
import { openStore } from './open-store.js';
import type { Store, TrunkRecord } from './types.js';

function trunk(over: Partial<TrunkRecord> = {}): TrunkRecord {
  return {
    tenantId: 'a',
    id: 'carrier1',
    peerHost: '192.0.2.50',
    peerPort: 5090,
    transport: 'udp',
    regUsername: '4930123',
    regPassword: 'carrier-Secret',
    regExpires: 600,
    outboundPrefix: '0',
    numberFormat: 'e164',
    countryCode: '49',
    defaultCallerId: '+4930123456000',
    ...over,
  };
}

function trunkSuite(
  name: string,
  open: () => Promise<{ store: Store; cleanup(): Promise<void> }>,
  skip: string | false,
): void {
  describe(name, { skip }, () => {
    let store: Store;
    let cleanup: () => Promise<void>;

    before(async () => {
      ({ store, cleanup } = await open());
      for (const t of ['a', 'b']) {
        await store.provisioning.upsertTenant({ id: t, name: t, domain: `${t}.example` });
        await store.provisioning.upsertWorkplace({
          tenantId: t,
          extension: '100',
          name: 'W',
          email: null,
          language: 'de',
          packages: [],
        });
      }
    });
    after(async () => {
      await store?.close();
      await cleanup?.();
    });

    it('round-trips trunks, nulls included, scoped by tenant', async () => {
      await store.provisioning.upsertTrunk(trunk());
      const bare = trunk({
        tenantId: 'b',
        id: 'plain',
        peerHost: 'sip.carrier.example',
        transport: 'tcp',
        regUsername: null,
        regPassword: null,
        regExpires: null,
        numberFormat: 'national',
        countryCode: null,
        defaultCallerId: null,
      });
      await store.provisioning.upsertTrunk(bare);
      assert.deepEqual(await store.trunks.forTenant('a'), [trunk()]);
      assert.deepEqual(await store.trunks.forTenant('b'), [bare]);
      assert.deepEqual(
        (await store.trunks.listAll()).map((t) => `${t.tenantId}/${t.id}`),
        ['a/carrier1', 'b/plain'],
      );
      await store.provisioning.upsertTrunk(trunk({ peerPort: 5060, regPassword: 'new' }));
      assert.equal((await store.trunks.forTenant('a'))[0]?.regPassword, 'new');
    });

    it('looks DIDs up across tenants; removeDid is scoped to the owner', async () => {
      await store.provisioning.upsertDid({
        number: '+4930123456100',
        tenantId: 'a',
        trunkId: 'carrier1',
        extension: '100',
      });
      await store.provisioning.upsertDid({
        number: '+4940999',
        tenantId: 'b',
        trunkId: 'plain',
        extension: '100',
      });
      assert.deepEqual(await store.trunks.didLookup('+4930123456100'), {
        number: '+4930123456100',
        tenantId: 'a',
        trunkId: 'carrier1',
        extension: '100',
      });
      assert.equal(await store.trunks.didLookup('+49000'), undefined);
      assert.deepEqual(
        (await store.trunks.dids('b')).map((d) => d.number),
        ['+4940999'],
      );
      assert.equal((await store.trunks.allDids()).length, 2);
      // Tenant b cannot remove a's number.
      await store.provisioning.removeDid('b', '+4930123456100');
      assert.equal((await store.trunks.didLookup('+4930123456100'))?.tenantId, 'a');
    });

    it('refuses a DID whose trunk is missing; its extension may be a workplace or a group (provisioning checks which)', async () => {
      await assert.rejects(
        store.provisioning.upsertDid({ number: '+491', tenantId: 'a', trunkId: 'nope', extension: '100' }),
      );
      // Migration 0008: no reference to workplaces any more, so a group's extension can be a DID's target.
      await store.provisioning.upsertDid({
        number: '+492',
        tenantId: 'a',
        trunkId: 'carrier1',
        extension: '600',
      });
      assert.ok((await store.trunks.dids('a')).some((d) => d.number === '+492' && d.extension === '600'));
      await store.provisioning.removeDid('a', '+492');
    });

    it('stores a workplace external number and reads it back only when set', async () => {
      const w = { tenantId: 'a', extension: '100', name: 'W', email: null, language: 'de', packages: [] };
      await store.provisioning.upsertWorkplace({ ...w, externalNumber: '+4930123456100' });
      assert.equal((await store.directory.workplaces('a'))[0]?.externalNumber, '+4930123456100');
      await store.provisioning.upsertWorkplace(w);
      assert.deepEqual(await store.directory.workplaces('a'), [w]);
    });

    it('removing a trunk removes its DIDs; removing a tenant removes its trunks', async () => {
      await store.provisioning.removeTrunk('a', 'carrier1');
      assert.deepEqual(await store.trunks.forTenant('a'), []);
      assert.deepEqual(await store.trunks.dids('a'), []);
      await store.provisioning.removeTenant('b');
      assert.deepEqual(await store.trunks.listAll(), []);
      assert.deepEqual(await store.trunks.allDids(), []);
    });
  });
}

trunkSuite(
  'trunks (sqlite)',
  async () => ({ store: await openStore('sqlite::memory:'), cleanup: async () => undefined }),
  false,
);

const pgUrl = pgTestUrl();
trunkSuite(
  'trunks (postgres)',
  async () => {
    const schema = await createPgTestSchema(pgUrl as string, 'trunks');
    return { store: await openStore(schema.url), cleanup: () => schema.drop() };
  },
  pgUrl ? false : PG_SKIP_REASON,
);
