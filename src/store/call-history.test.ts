import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createPgTestSchema, PG_SKIP_REASON, pgTestUrl } from '../../test/support/postgres.js';
import { openStore } from './open-store.js';
import type { CallHistoryRecord, Store } from './types.js';

function rec(over: Partial<CallHistoryRecord> = {}): CallHistoryRecord {
  return {
    id: 'h1',
    tenantId: 'a',
    callId: 'call-1',
    direction: 'internal',
    callerNumber: '100',
    callerName: 'Karin Heiden',
    callerWorkplace: '100',
    calleeNumber: '200',
    calleeName: null,
    calleeWorkplace: '200',
    answeredByDevice: '200-desk',
    startedAt: 1_700_000_000_000,
    answeredAt: 1_700_000_003_000,
    endedAt: 1_700_000_063_000,
    durationS: 60,
    outcome: 'completed',
    status: null,
    ...over,
  };
}

function historySuite(
  name: string,
  open: () => Promise<{ store: Store; cleanup(): Promise<void> }>,
  skip: string | false,
): void {
  describe(name, { skip }, () => {
    let store: Store;
    let cleanup: () => Promise<void>;

    before(async () => {
      ({ store, cleanup } = await open());
      await store.provisioning.upsertTenant({ id: 'a', name: 'A', domain: 'a.example' });
      await store.provisioning.upsertTenant({ id: 'b', name: 'B', domain: 'b.example' });
      await store.provisioning.upsertTenant({ id: 'c', name: 'C', domain: 'c.example' });
    });
    after(async () => {
      await store?.close();
      await cleanup?.();
    });

    it('round-trips every field, nulls and bigint timestamps included', async () => {
      const full = rec({ id: 'rt-1', tenantId: 'c', status: 200 });
      const bare = rec({
        id: 'rt-2',
        tenantId: 'c',
        direction: 'inbound',
        callerNumber: '+4930123456',
        callerName: null,
        callerWorkplace: null,
        answeredByDevice: null,
        answeredAt: null,
        durationS: 0,
        outcome: 'busy',
        status: 486,
        startedAt: 1_700_000_000_001,
      });
      await store.callHistory.add(full);
      await store.callHistory.add(bare);
      assert.deepEqual(await store.callHistory.list('c'), [bare, full]);
    });

    it('keeps the first record when the same id is added twice', async () => {
      await store.callHistory.add(rec({ id: 'dup', tenantId: 'c', outcome: 'completed', startedAt: 5 }));
      await store.callHistory.add(rec({ id: 'dup', tenantId: 'c', outcome: 'failed', startedAt: 5 }));
      const found = (await store.callHistory.list('c')).filter((r) => r.id === 'dup');
      assert.deepEqual(
        found.map((r) => r.outcome),
        ['completed'],
      );
    });

    it('lists one tenant only, newest first, paged by limit and before, filtered by workplace', async () => {
      const t0 = 1_800_000_000_000;
      await store.transaction(async (tx) => {
        for (let i = 0; i < 5; i++) {
          await tx.callHistory.add(
            rec({
              id: `a-${i}`,
              callId: `ca-${i}`,
              startedAt: t0 + i * 1000,
              // Calls 0, 2 and 4 involve 300 as caller or callee; 1 and 3 do not.
              callerWorkplace: i === 2 ? '300' : '100',
              calleeWorkplace: i === 0 || i === 4 ? '300' : '200',
            }),
          );
        }
        await tx.callHistory.add(
          rec({ id: 'b-0', tenantId: 'b', startedAt: t0 + 10_000, calleeWorkplace: '300' }),
        );
      });
      const ids = (rs: CallHistoryRecord[]): string[] => rs.map((r) => r.id);

      assert.deepEqual(ids(await store.callHistory.list('a')), ['a-4', 'a-3', 'a-2', 'a-1', 'a-0']);
      assert.deepEqual(ids(await store.callHistory.list('a', { limit: 2 })), ['a-4', 'a-3']);
      assert.deepEqual(ids(await store.callHistory.list('a', { limit: 2, before: t0 + 3000 })), [
        'a-2',
        'a-1',
      ]);
      assert.deepEqual(ids(await store.callHistory.list('a', { workplace: '300' })), ['a-4', 'a-2', 'a-0']);
      assert.deepEqual(ids(await store.callHistory.list('a', { workplace: '300', before: t0 + 4000 })), [
        'a-2',
        'a-0',
      ]);
      assert.deepEqual(ids(await store.callHistory.list('b', { workplace: '300' })), ['b-0']);
      assert.deepEqual(ids(await store.callHistory.list('nobody')), []);
    });

    it('clamps the limit', async () => {
      assert.equal((await store.callHistory.list('a', { limit: 0 })).length, 1);
      assert.equal((await store.callHistory.list('a', { limit: -5 })).length, 1);
      assert.equal((await store.callHistory.list('a', { limit: 2.7 })).length, 2);
      assert.equal((await store.callHistory.list('a', { limit: Number.NaN })).length, 5);
    });

    it('rolls back with the transaction', async () => {
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.callHistory.add(rec({ id: 'rolled-back', tenantId: 'b' }));
          throw new Error('abort');
        }),
        /abort/,
      );
      assert.ok(!(await store.callHistory.list('b')).some((r) => r.id === 'rolled-back'));
    });

    it('refuses a record for an unknown tenant, and removing a tenant removes its history', async () => {
      await assert.rejects(store.callHistory.add(rec({ id: 'orphan', tenantId: 'missing' })));
      await store.provisioning.removeTenant('b');
      assert.deepEqual(await store.callHistory.list('b'), []);
      assert.equal((await store.callHistory.list('a')).length, 5);
    });
  });
}

historySuite(
  'call history (sqlite)',
  async () => ({ store: await openStore('sqlite::memory:'), cleanup: async () => undefined }),
  false,
);

const pgUrl = pgTestUrl();
historySuite(
  'call history (postgres)',
  async () => {
    const schema = await createPgTestSchema(pgUrl as string, 'history');
    return { store: await openStore(schema.url), cleanup: () => schema.drop() };
  },
  pgUrl ? false : PG_SKIP_REASON,
);
