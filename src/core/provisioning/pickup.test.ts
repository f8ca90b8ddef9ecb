import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createPgTestSchema, PG_SKIP_REASON, pgTestUrl } from '../../../test/support/postgres.js';
import { openStore } from '../../store/open-store.js';
import type { Store } from '../../store/types.js';
import { parseProvisioning, ProvisioningError } from './parse.js';
import { applyProvisioning, formatChanges, planProvisioning } from './plan.js';

const FILE = `tenants:
  - id: acme
    name: Acme GmbH
    domain: acme.example
    pickupOrder: oldest
    workplaces:
      - { extension: "100", name: Karin Heiden }
      - { extension: "101", name: Jonas Brandt }
      - { extension: "102", name: Mia Vogel }
      - { extension: "103", name: Lea Roth }
    pickupGroups:
      - name: Vertrieb
        members: ["100", "101"]
      - name: Lager
        members: ["102"]
  - id: beta
    name: Beta AG
    domain: beta.example
    workplaces:
      - { extension: "100", name: Eva Lorenz }
`;

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

function reject(text: string): ProvisioningError {
  try {
    parseProvisioning(text, 'f.yaml');
  } catch (err) {
    assert.ok(err instanceof ProvisioningError, String(err));
    return err;
  }
  assert.fail('expected a ProvisioningError');
}

describe('parseProvisioning: pickup groups', () => {
  it('parses groups and the order; defaults: no groups, newest', () => {
    const [a, b] = parseProvisioning(FILE, 'f.yaml').tenants;
    assert.equal(a!.pickupOrder, 'oldest');
    assert.deepEqual(a!.pickupGroups, [
      { name: 'Vertrieb', members: ['100', '101'] },
      { name: 'Lager', members: ['102'] },
    ]);
    assert.equal(b!.pickupOrder, 'newest');
    assert.deepEqual(b!.pickupGroups, []);
  });

  it('reports a workplace in two groups, an unknown member, bad values, each with its line', () => {
    const text = FILE.replace('members: ["102"]', 'members: ["102", "101", "199", 103]')
      .replace('pickupOrder: oldest', 'pickupOrder: longest')
      .replace('      - name: Lager', '      - name: Lager\n        memebers: []');
    const err = reject(text);
    const at = lineOf(text, '"199"');
    assert.deepEqual(
      err.issues.map((i) => `${i.line} ${i.path}: ${i.message}`),
      [
        `${lineOf(text, 'longest')} tenants[0].pickupOrder: must be one of: newest, oldest`,
        `${lineOf(text, 'memebers')} tenants[0].pickupGroups[1].memebers: unknown key (did you mean "members"?); allowed here: name, members`,
        `${at} tenants[0].pickupGroups[1].members[1]: workplace "101" is already in pickup group "Vertrieb"; a workplace can be in at most one pickup group`,
        `${at} tenants[0].pickupGroups[1].members[2]: no workplace with extension "199" in this tenant`,
        `${at} tenants[0].pickupGroups[1].members[3]: must be a quoted string, e.g. "103" (YAML reads 103 as a number)`,
      ],
    );
  });

  it('refuses duplicate group names, empty groups and another tenant’s extension', () => {
    const text = FILE.replace('name: Lager', 'name: Vertrieb').replace(
      '    workplaces:\n      - { extension: "100", name: Eva Lorenz }',
      '    workplaces:\n      - { extension: "100", name: Eva Lorenz }\n    pickupGroups: [{ name: X, members: ["101"] }, { name: Y, members: [] }]',
    );
    const err = reject(text);
    assert.deepEqual(
      err.issues.map((i) => `${i.path}: ${i.message}`),
      [
        'tenants[0].pickupGroups[1].name: duplicate pickup group name "Vertrieb"',
        'tenants[1].pickupGroups[0].members[0]: no workplace with extension "101" in this tenant',
        'tenants[1].pickupGroups[1].members: a pickup group needs at least one member',
      ],
    );
  });
});

function pickupApplySuite(
  name: string,
  open: () => Promise<{ url: string; cleanup(): Promise<void> }>,
  skip: string | false,
) {
  describe(name, { skip }, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    const doc = (text = FILE) => parseProvisioning(text, 'f.yaml');

    before(async () => {
      const b = await open();
      cleanup = b.cleanup;
      store = await openStore(b.url);
    });
    after(async () => {
      await store?.close();
      await cleanup?.();
    });
    beforeEach(async () => {
      for (const t of (await store.directory.snapshot()).tenants) await store.provisioning.removeTenant(t.id);
    });

    it('stores groups and order per tenant; a second apply changes nothing', async () => {
      const out = formatChanges(await applyProvisioning(store, doc()));
      assert.match(out, /^~ pickup acme\/pickup pickupOrder: "newest" -> "oldest", pickupGroups: /m);
      assert.ok(!/pickup beta/.test(out), 'a tenant with the defaults stores nothing');
      assert.deepEqual(await store.pickup.settings('acme'), {
        order: 'oldest',
        groups: [
          { name: 'Vertrieb', members: ['100', '101'] },
          { name: 'Lager', members: ['102'] },
        ],
      });
      assert.deepEqual(await store.pickup.settings('beta'), { order: 'newest', groups: [] });
      assert.deepEqual(await applyProvisioning(store, doc()), []);
      assert.deepEqual(await planProvisioning(store, doc()), []);
    });

    it('moves a member, drops a group, and removing a workplace removes its membership', async () => {
      await applyProvisioning(store, doc());
      const text = FILE.replace('members: ["100", "101"]', 'members: ["100"]')
        .replace('members: ["102"]', 'members: ["101", "102"]')
        .replace('      - { extension: "103", name: Lea Roth }\n', '');
      await applyProvisioning(store, doc(text));
      assert.deepEqual((await store.pickup.settings('acme')).groups, [
        { name: 'Vertrieb', members: ['100'] },
        { name: 'Lager', members: ['101', '102'] },
      ]);
      const fewer = text
        .replace('      - { extension: "102", name: Mia Vogel }\n', '')
        .replace('members: ["101", "102"]', 'members: ["101"]');
      await applyProvisioning(store, doc(fewer));
      assert.deepEqual((await store.pickup.settings('acme')).groups, [
        { name: 'Vertrieb', members: ['100'] },
        { name: 'Lager', members: ['101'] },
      ]);
      await store.provisioning.removeWorkplace('acme', '101');
      assert.deepEqual((await store.pickup.settings('acme')).groups[1], { name: 'Lager', members: [] });
      await store.provisioning.removeTenant('acme');
      assert.deepEqual(await store.pickup.settings('acme'), { order: 'newest', groups: [] });
    });
  });
}

pickupApplySuite(
  'provisioning pickup groups (sqlite)',
  async () => ({ url: 'sqlite::memory:', cleanup: async () => undefined }),
  false,
);

const pgUrl = pgTestUrl();
pickupApplySuite(
  'provisioning pickup groups (postgres)',
  async () => {
    const schema = await createPgTestSchema(pgUrl as string, 'provpickup');
    return { url: schema.url, cleanup: () => schema.drop() };
  },
  pgUrl ? false : PG_SKIP_REASON,
);
