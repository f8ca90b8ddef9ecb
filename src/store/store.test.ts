import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { createPgTestSchema, PG_SKIP_REASON, pgTestUrl } from '../../test/support/postgres.js';
import { openStore, parseStoreUrl } from './open-store.js';
import { migrations } from './migrations/index.js';
import type { RegistrationRecord, Store } from './types.js';

/** How a suite gets at its database: a URL to open (again), and cleanup. */
interface Backend {
  url: string;
  opts?: { dataDir?: string };
  cleanup(): Promise<void>;
}

function registration(over: Partial<RegistrationRecord> = {}): RegistrationRecord {
  return {
    tenantId: 'a',
    username: '100',
    contact: 'sip:100@192.0.2.10:5060;transport=udp',
    contactParams: ';+sip.instance="<urn:uuid:00000000-0000-0000-0000-000000000001>";reg-id=1',
    q: 0.5,
    callId: 'call-1',
    cseq: 1,
    expiresAt: 1_700_000_060_000,
    flowProtocol: 'udp',
    flowAddress: '192.0.2.10',
    flowPort: 5060,
    flowLocalAddress: '198.51.100.1',
    flowLocalPort: 5060,
    flowConnectionId: null,
    userAgent: 'Test Phone 1.0',
    updatedAt: 1_700_000_000_000,
    ...over,
  };
}

async function seed(store: Store): Promise<void> {
  await store.transaction(async (tx) => {
    await tx.provisioning.upsertTenant({ id: 'a', name: 'Tenant A', domain: 'a.example' });
    await tx.provisioning.upsertTenant({ id: 'b', name: 'Tenant B', domain: 'b.example' });
    await tx.provisioning.upsertWorkplace({
      tenantId: 'a',
      extension: '100',
      name: 'Karin Heiden',
      email: 'karin@a.example',
      language: 'de',
      packages: ['group'],
    });
    await tx.provisioning.upsertDevice({
      tenantId: 'a',
      username: '100',
      workplaceExtension: '100',
      kind: 'deskphone',
      ha1Md5: 'md5-a-100',
      ha1Sha256: 'sha-a-100',
    });
  });
}

function storeSuite(name: string, makeBackend: () => Promise<Backend>, skip: string | false): void {
  describe(name, { skip }, () => {
    let backend: Backend;
    let store: Store;

    before(async () => {
      backend = await makeBackend();
      store = await openStore(backend.url, backend.opts);
      await seed(store);
    });
    after(async () => {
      await store?.close();
      await backend?.cleanup();
    });

    it('reopens without re-running migrations and keeps the data', async () => {
      await store.close();
      store = await openStore(backend.url, backend.opts);
      store = await reopenTwice(store, backend);
      assert.deepEqual(await store.directory.tenant('a'), { id: 'a', name: 'Tenant A', domain: 'a.example' });
    });

    it('reads the directory', async () => {
      assert.equal((await store.directory.tenantByDomain('A.EXAMPLE'))?.id, 'a');
      assert.deepEqual(await store.directory.workplaces('a'), [
        {
          tenantId: 'a',
          extension: '100',
          name: 'Karin Heiden',
          email: 'karin@a.example',
          language: 'de',
          packages: ['group'],
        },
      ]);
      const snap = await store.directory.snapshot();
      assert.deepEqual(
        snap.tenants.map((t) => t.id),
        ['a', 'b'],
      );
      assert.equal(snap.devices.length, 1);
    });

    it('isolates tenants: a device of tenant a is not found under tenant b', async () => {
      assert.equal((await store.directory.device('a', '100'))?.ha1Md5, 'md5-a-100');
      assert.equal(await store.directory.device('b', '100'), undefined);
      assert.deepEqual(await store.directory.devices('b'), []);
      assert.deepEqual(await store.directory.workplaces('b'), []);
      await store.registrations.upsert(registration());
      assert.deepEqual(await store.registrations.list('b', '100'), []);
      await store.registrations.removeAll('b', '100');
      assert.equal((await store.registrations.list('a', '100')).length, 1);
      await store.registrations.removeAll('a', '100');
    });

    it('upserts, replaces and removes registrations', async () => {
      const r1 = registration();
      const r2 = registration({
        contact: 'sip:100@192.0.2.11:5060',
        q: null,
        flowConnectionId: 'c-7',
        userAgent: null,
      });
      await store.registrations.upsert(r1);
      await store.registrations.upsert(r2);
      let list = await store.registrations.list('a', '100');
      assert.deepEqual(list, [r1, r2]);
      assert.equal(typeof list[0]?.expiresAt, 'number', 'bigint columns come back as numbers');

      const r1b = { ...r1, cseq: 2, expiresAt: r1.expiresAt + 3_600_000, callId: 'call-1' };
      await store.registrations.upsert(r1b);
      list = await store.registrations.list('a', '100');
      assert.deepEqual(list, [r1b, r2]);

      await store.registrations.remove('a', '100', r2.contact);
      assert.deepEqual(await store.registrations.list('a', '100'), [r1b]);
      await store.registrations.removeAll('a', '100');
      assert.deepEqual(await store.registrations.list('a', '100'), []);
    });

    it('replaces the bindings of many AORs at once, leaving others alone', async () => {
      const keep = registration({ username: '200', contact: 'sip:200@192.0.2.20' });
      await store.registrations.upsert(keep);
      await store.registrations.upsert(registration({ contact: 'sip:gone@192.0.2.1' }));
      const aors = Array.from({ length: 1_203 }, (_, i) => ({ tenantId: 'a', username: `u${i}` }));
      const bindings = aors.map((a, i) =>
        registration({ username: a.username, contact: `sip:${i}@192.0.2.9` }),
      );
      const fresh = registration({ contact: 'sip:fresh@192.0.2.2' });
      await store.registrations.replaceAors(
        [{ tenantId: 'a', username: '100' }, ...aors],
        [fresh, ...bindings],
      );
      assert.deepEqual(await store.registrations.list('a', '100'), [fresh]);
      assert.deepEqual(await store.registrations.list('a', 'u1202'), [bindings[1202]]);
      assert.deepEqual(await store.registrations.list('a', '200'), [keep]);
      // An AOR named without bindings is emptied.
      await store.registrations.replaceAors([{ tenantId: 'a', username: '100' }], []);
      assert.deepEqual(await store.registrations.list('a', '100'), []);
      await store.registrations.replaceAors([{ tenantId: 'a', username: '200' }, ...aors], []);
      assert.deepEqual(await store.registrations.loadUnexpired(0), []);
    });

    it('replaces AORs atomically: a failing insert leaves the old bindings in place', async () => {
      const old = registration({ username: '400', contact: 'sip:old@192.0.2.40' });
      await store.registrations.upsert(old);
      const dup = registration({ username: '400', contact: 'sip:dup@192.0.2.41' });
      await assert.rejects(store.registrations.replaceAors([{ tenantId: 'a', username: '400' }], [dup, dup]));
      assert.deepEqual(await store.registrations.list('a', '400'), [old]);
      await store.registrations.removeAll('a', '400');
    });

    it('a round written while another transaction is open waits for it and survives its rollback', async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let entered!: () => void;
      const inside = new Promise<void>((r) => (entered = r));
      const failing = store
        .transaction(async (tx) => {
          await tx.registrations.upsert(registration({ username: '300', contact: 'sip:rolled@192.0.2.30' }));
          entered();
          await gate;
          throw new Error('rolled back');
        })
        .catch((err: unknown) => String(err));
      await inside;
      const round = store.registrations.replaceAors(
        [{ tenantId: 'a', username: '301' }],
        [registration({ username: '301', contact: 'sip:kept@192.0.2.31' })],
      );
      release();
      assert.match(await failing, /rolled back/);
      await round;
      assert.deepEqual(await store.registrations.list('a', '300'), []);
      assert.deepEqual(
        (await store.registrations.list('a', '301')).map((r) => r.contact),
        ['sip:kept@192.0.2.31'],
      );
      await store.registrations.replaceAors([{ tenantId: 'a', username: '301' }], []);
    });

    it('loads unexpired and removes expired registrations', async () => {
      const now = 1_700_000_000_000;
      await store.registrations.upsert(registration({ contact: 'sip:old@192.0.2.1', expiresAt: now - 1 }));
      await store.registrations.upsert(registration({ contact: 'sip:edge@192.0.2.2', expiresAt: now }));
      await store.registrations.upsert(registration({ contact: 'sip:new@192.0.2.3', expiresAt: now + 1 }));
      await store.registrations.upsert(
        registration({ tenantId: 'b', contact: 'sip:b@192.0.2.4', expiresAt: now + 5 }),
      );
      const live = await store.registrations.loadUnexpired(now);
      assert.deepEqual(
        live.map((r) => `${r.tenantId}/${r.contact}`),
        ['a/sip:new@192.0.2.3', 'b/sip:b@192.0.2.4'],
      );
      assert.equal(await store.registrations.removeExpired(now), 2);
      assert.equal(await store.registrations.removeExpired(now), 0);
      await store.registrations.removeAll('a', '100');
      await store.registrations.removeAll('b', '100');
    });

    it('rolls a failed transaction back completely', async () => {
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.provisioning.upsertTenant({ id: 'c', name: 'Tenant C', domain: 'c.example' });
          await tx.provisioning.upsertWorkplace({
            tenantId: 'c',
            extension: '200',
            name: 'X',
            email: null,
            language: 'en',
            packages: [],
          });
          await tx.registrations.upsert(registration({ tenantId: 'c' }));
          // Visible inside the transaction...
          assert.equal((await tx.directory.tenant('c'))?.name, 'Tenant C');
          throw new Error('boom');
        }),
        /boom/,
      );
      // ...and gone after it.
      assert.equal(await store.directory.tenant('c'), undefined);
      assert.deepEqual(await store.directory.workplaces('c'), []);
      assert.deepEqual(await store.registrations.list('c', '100'), []);
    });

    it('rolls back when the database refuses a write (duplicate domain)', async () => {
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.provisioning.upsertTenant({ id: 'd', name: 'D', domain: 'd.example' });
          await tx.provisioning.upsertTenant({ id: 'e', name: 'E', domain: 'd.example' });
        }),
      );
      assert.equal(await store.directory.tenant('d'), undefined);
    });

    it('joins the outer transaction when transaction() is called on a transaction store', async () => {
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.transaction((inner) =>
            inner.provisioning.upsertTenant({ id: 'f', name: 'F', domain: 'f.example' }),
          );
          throw new Error('outer fails');
        }),
      );
      assert.equal(await store.directory.tenant('f'), undefined);
    });

    it('refuses a device whose workplace does not exist', async () => {
      await assert.rejects(
        store.provisioning.upsertDevice({
          tenantId: 'b',
          username: '100',
          workplaceExtension: '999',
          kind: 'softphone',
          ha1Md5: 'x',
          ha1Sha256: 'y',
        }),
      );
    });

    it('removing a workplace removes its devices and their registrations', async () => {
      await store.provisioning.upsertWorkplace({
        tenantId: 'a',
        extension: '101',
        name: 'Jonas Brandt',
        email: null,
        language: 'en',
        packages: [],
      });
      await store.provisioning.upsertDevice({
        tenantId: 'a',
        username: '101',
        workplaceExtension: '101',
        kind: 'softphone',
        ha1Md5: 'm',
        ha1Sha256: 's',
      });
      await store.registrations.upsert(registration({ username: '101' }));
      await store.provisioning.removeWorkplace('a', '101');
      assert.equal(await store.directory.device('a', '101'), undefined);
      assert.deepEqual(await store.registrations.list('a', '101'), []);
      assert.ok(await store.directory.device('a', '100'), 'other workplaces untouched');
    });

    it('removing a tenant removes everything it owns', async () => {
      await store.provisioning.upsertTenant({ id: 'g', name: 'G', domain: 'g.example' });
      await store.provisioning.upsertWorkplace({
        tenantId: 'g',
        extension: '10',
        name: 'G',
        email: null,
        language: 'de',
        packages: [],
      });
      await store.registrations.upsert(registration({ tenantId: 'g', username: '10' }));
      await store.provisioning.removeTenant('g');
      assert.deepEqual(await store.directory.workplaces('g'), []);
      assert.deepEqual(await store.registrations.list('g', '10'), []);
    });
  });
}

/** Opens and closes the store twice more: migrations must be a no-op on an up-to-date schema. */
async function reopenTwice(store: Store, backend: Backend): Promise<Store> {
  await store.close();
  const again = await openStore(backend.url, backend.opts);
  await again.close();
  return openStore(backend.url, backend.opts);
}

storeSuite(
  'store (sqlite)',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zentrale-store-'));
    return {
      url: 'sqlite:zentrale.db',
      opts: { dataDir: join(dir, 'data') },
      cleanup: async () => {
        // The file was opened in WAL mode with NORMAL sync, as the brief for embedded use asks.
        const raw = new BetterSqlite3(join(dir, 'data', 'zentrale.db'), { readonly: true });
        try {
          assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
          const names = raw.prepare('select name from kysely_migration order by name').pluck().all();
          // Every migration ran, in name order (listing them here again only made each new one a merge conflict).
          assert.deepEqual(names, Object.keys(migrations).sort());
          assert.equal(names[0], '0001-directory');
        } finally {
          raw.close();
          rmSync(dir, { recursive: true, force: true });
        }
      },
    };
  },
  false,
);

const pgUrl = pgTestUrl();
storeSuite(
  'store (postgres)',
  async () => {
    const schema = await createPgTestSchema(pgUrl as string, 'store');
    return { url: schema.url, cleanup: () => schema.drop() };
  },
  pgUrl ? false : PG_SKIP_REASON,
);

describe('parseStoreUrl', () => {
  const cases: Array<[string, ReturnType<typeof parseStoreUrl>]> = [
    ['postgres://u@h/db', { dialect: 'postgres', url: 'postgres://u@h/db' }],
    ['postgresql://u@h/db', { dialect: 'postgres', url: 'postgresql://u@h/db' }],
    ['sqlite::memory:', { dialect: 'sqlite', path: ':memory:' }],
    [':memory:', { dialect: 'sqlite', path: ':memory:' }],
    ['sqlite:z.db', { dialect: 'sqlite', path: '/data/z.db' }],
    ['sqlite:/abs/z.db', { dialect: 'sqlite', path: '/abs/z.db' }],
    ['sqlite:///abs/z.db', { dialect: 'sqlite', path: '/abs/z.db' }],
    ['z.db', { dialect: 'sqlite', path: '/data/z.db' }],
  ];
  for (const [url, want] of cases) {
    it(url, () => assert.deepEqual(parseStoreUrl(url, { dataDir: '/data' }), want));
  }
  it('rejects other schemes', () => assert.throws(() => parseStoreUrl('mysql://x/y'), /unsupported/));
});

describe('openStore in memory', () => {
  it('works with sqlite::memory:', async () => {
    const store = await openStore('sqlite::memory:');
    await seed(store);
    assert.equal((await store.directory.tenantByDomain('b.example'))?.id, 'b');
    await store.close();
  });
});
