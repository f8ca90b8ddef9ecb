import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createPgTestSchema, PG_SKIP_REASON, pgTestUrl } from '../../../test/support/postgres.js';
import { openStore } from '../../store/open-store.js';
import type { BlfSubscriptionRecord, Store } from '../../store/types.js';
import { parseProvisioning, ProvisioningError } from './parse.js';
import { applyProvisioning, formatChanges } from './plan.js';

const FILE = `tenants:
  - id: acme
    name: Acme GmbH
    domain: acme.example
    workplaces:
      - extension: "100"
        name: Karin Heiden
        blf: ["102", "101"]
      - extension: "101"
        name: Jonas Brandt
      - extension: "102"
        name: Lena Vogt
  - id: beta
    name: Beta AG
    domain: beta.example
    workplaces:
      - extension: "200"
        name: Eva Lorenz
`;

function reject(text: string): ProvisioningError {
  try {
    parseProvisioning(text, 'f.yaml');
  } catch (err) {
    assert.ok(err instanceof ProvisioningError);
    return err;
  }
  assert.fail('accepted');
}

describe('provisioning blf (parse)', () => {
  it('keeps the order of the monitored extensions; absent means none', () => {
    const doc = parseProvisioning(FILE, 'f.yaml');
    assert.deepEqual(doc.tenants[0]?.workplaces[0]?.blf, ['102', '101']);
    assert.deepEqual(doc.tenants[0]?.workplaces[1]?.blf, []);
  });

  it('refuses an extension of another tenant, naming line and field', () => {
    const err = reject(FILE.replace('blf: ["102", "101"]', 'blf: ["102", "200"]'));
    assert.equal(
      err.message,
      'f.yaml:8:22 tenants[0].workplaces[0].blf[1]: no workplace with extension "200" in this tenant',
    );
  });

  it('refuses duplicates, the workplace itself, numbers and non-lists', () => {
    assert.match(
      reject(FILE.replace('["102", "101"]', '["101", "101"]')).message,
      /^f\.yaml:8:\d+ tenants\[0\]\.workplaces\[0\]\.blf\[1\]: extension "101" listed twice$/,
    );
    assert.match(
      reject(FILE.replace('["102", "101"]', '["100"]')).message,
      /blf\[0\]: a workplace cannot monitor itself/,
    );
    assert.match(
      reject(FILE.replace('["102", "101"]', '[101]')).message,
      /blf\[0\]: must be a quoted string/,
    );
    assert.match(reject(FILE.replace('["102", "101"]', '"101"')).message, /8:\d+ .*blf: expected a list/);
  });
});

async function clear(store: Store): Promise<void> {
  const s = await store.directory.snapshot();
  for (const t of s.tenants) await store.provisioning.removeTenant(t.id);
}

function record(over: Partial<BlfSubscriptionRecord> = {}): BlfSubscriptionRecord {
  return {
    tenantId: 'acme',
    id: 's1',
    watcher: 'phone-100',
    kind: 'dialog',
    resource: '101',
    callId: 'c1@x',
    localTag: 'lt',
    remoteTag: 'rt',
    localUri: 'sip:101@acme.example',
    remoteUri: 'sip:phone-100@acme.example',
    remoteTarget: 'sip:phone-100@127.0.0.1:5070',
    routeSet: ['<sip:proxy.example;lr>'],
    localSeq: 12,
    remoteSeq: 3,
    flow: {
      protocol: 'udp',
      localAddress: '127.0.0.1',
      localPort: 5060,
      address: '127.0.0.1',
      port: 5070,
      connectionId: null,
    },
    expiresAt: 1_800_000_000_000,
    versionFloor: 100,
    resourceVersions: { '101': 7 },
    updatedAt: 1_700_000_000_000,
    ...over,
  };
}

function storeSuite(
  name: string,
  open: () => Promise<{ url: string; cleanup(): Promise<void> }>,
  skip: string | false,
) {
  describe(name, { skip }, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    before(async () => {
      const b = await open();
      cleanup = b.cleanup;
      store = await openStore(b.url);
    });
    after(async () => {
      await store?.close();
      await cleanup?.();
    });
    beforeEach(() => clear(store));

    it('stores the list per workplace, reports changes, clears it', async () => {
      const out = formatChanges(await applyProvisioning(store, parseProvisioning(FILE, 'f.yaml')));
      assert.match(out, /^\+ workplace acme\/100$/m);
      const ws = await store.directory.workplaces('acme');
      assert.deepEqual(ws.find((w) => w.extension === '100')?.blf, ['102', '101']);
      assert.equal(ws.find((w) => w.extension === '101')?.blf, undefined);
      assert.deepEqual(await applyProvisioning(store, parseProvisioning(FILE, 'f.yaml')), []);
      const changed = FILE.replace('blf: ["102", "101"]', 'blf: ["101"]');
      assert.equal(
        formatChanges(await applyProvisioning(store, parseProvisioning(changed, 'f.yaml'))),
        '~ workplace acme/100 blf: ["102","101"] -> ["101"]',
      );
      const none = FILE.replace('        blf: ["102", "101"]\n', '');
      assert.equal(
        formatChanges(await applyProvisioning(store, parseProvisioning(none, 'f.yaml'))),
        '~ workplace acme/100 blf: ["101"] -> null',
      );
      assert.equal((await store.directory.workplaces('acme'))[0]?.blf, undefined);
    });

    it('persists subscriptions; removing the tenant removes them', async () => {
      await applyProvisioning(store, parseProvisioning(FILE, 'f.yaml'));
      await store.blfSubscriptions.upsert(record());
      await store.blfSubscriptions.upsert(
        record({ id: 's2', kind: 'list', resource: '100', localSeq: null }),
      );
      await store.blfSubscriptions.upsert(record({ versionFloor: 200 }));
      const all = await store.blfSubscriptions.loadAll();
      assert.deepEqual(all, [
        record({ versionFloor: 200 }),
        record({ id: 's2', kind: 'list', resource: '100', localSeq: null }),
      ]);
      await store.blfSubscriptions.remove('beta', 's1');
      assert.equal((await store.blfSubscriptions.loadAll()).length, 2, 'scoped to the tenant');
      await store.blfSubscriptions.remove('acme', 's1');
      assert.deepEqual(
        (await store.blfSubscriptions.loadAll()).map((r) => r.id),
        ['s2'],
      );
      await store.provisioning.removeTenant('acme');
      assert.deepEqual(await store.blfSubscriptions.loadAll(), []);
    });
  });
}

storeSuite(
  'provisioning blf (sqlite)',
  async () => ({ url: 'sqlite::memory:', cleanup: async () => undefined }),
  false,
);
const pgUrl = pgTestUrl();
storeSuite(
  'provisioning blf (postgres)',
  async () => {
    const schema = await createPgTestSchema(pgUrl as string, 'provblf');
    return { url: schema.url, cleanup: () => schema.drop() };
  },
  pgUrl ? false : PG_SKIP_REASON,
);
