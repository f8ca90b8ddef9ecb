import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createPgTestSchema, PG_SKIP_REASON, pgTestUrl } from '../../../test/support/postgres.js';
import { computeHa1 } from '../../sip/auth/ha1.js';
import { openStore } from '../../store/open-store.js';
import type { Store } from '../../store/types.js';
import { parseProvisioning, ProvisioningError } from './parse.js';
import { applyProvisioning, formatChanges, planProvisioning } from './plan.js';

// Prettier writes the example with single quotes; the tests edit it with double-quoted snippets.
const DEMO = readFileSync('examples/demo.yaml', 'utf8').replaceAll("'", '"');
const demo = () => parseProvisioning(DEMO, 'demo.yaml');

async function counts(store: Store): Promise<{ tenants: number; workplaces: number; devices: number }> {
  const s = await store.directory.snapshot();
  return { tenants: s.tenants.length, workplaces: s.workplaces.length, devices: s.devices.length };
}

/** Wipes the directory between tests so each starts from an empty store. */
async function clear(store: Store): Promise<void> {
  const s = await store.directory.snapshot();
  for (const t of s.tenants) await store.provisioning.removeTenant(t.id);
}

/** A store whose n-th device write fails, to prove apply is all-or-nothing. */
function failingOnDevice(store: Store, n: number): Store {
  let writes = 0;
  const wrap = (s: Store): Store => ({
    dialect: s.dialect,
    directory: s.directory,
    registrations: s.registrations,
    callHistory: s.callHistory,
    trunks: s.trunks,
    pickup: s.pickup,
    park: s.park,
    blfSubscriptions: s.blfSubscriptions,
    callCenter: s.callCenter,
    voicemail: s.voicemail,
    forwarding: s.forwarding,
    executives: s.executives,
    webAccess: s.webAccess,
    tollFraud: s.tollFraud,
    provisioning: {
      upsertTenant: (t) => s.provisioning.upsertTenant(t),
      removeTenant: (id) => s.provisioning.removeTenant(id),
      upsertWorkplace: (w) => s.provisioning.upsertWorkplace(w),
      removeWorkplace: (t, e) => s.provisioning.removeWorkplace(t, e),
      removeDevice: (t, u) => s.provisioning.removeDevice(t, u),
      upsertTrunk: (t) => s.provisioning.upsertTrunk(t),
      removeTrunk: (t, id) => s.provisioning.removeTrunk(t, id),
      upsertDid: (d) => s.provisioning.upsertDid(d),
      removeDid: (t, n) => s.provisioning.removeDid(t, n),
      upsertDevice: async (d) => {
        if (++writes === n) throw new Error('disk on fire');
        await s.provisioning.upsertDevice(d);
      },
    },
    transaction: (fn) => s.transaction((tx) => fn(wrap(tx))),
    close: () => s.close(),
  });
  return wrap(store);
}

function provisioningSuite(
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

    it('applies a valid file, then a second apply changes nothing', async () => {
      const changes = await applyProvisioning(store, demo());
      assert.equal(changes.filter((c) => c.entity === 'tenant').length, 2);
      assert.deepEqual(await counts(store), { tenants: 2, workplaces: 7, devices: 7 });
      assert.match(formatChanges(changes), /^\+ tenant demo\n\+ workplace demo\/100\n/);

      const dev = await store.directory.device('demo', '100');
      assert.equal(dev?.ha1Md5, computeHa1('MD5', '100', 'demo.zentrale.test', 'demo-Heiden-Pa55word'));
      assert.equal(
        dev?.ha1Sha256,
        computeHa1('SHA-256', '100', 'demo.zentrale.test', 'demo-Heiden-Pa55word'),
      );
      assert.deepEqual((await store.directory.workplaces('demo'))[2]?.packages, ['assistant', 'group']);
      // Same username, other tenant, other realm: a different account.
      assert.notEqual((await store.directory.device('other', '100'))?.ha1Md5, dev?.ha1Md5);

      assert.deepEqual(await applyProvisioning(store, demo()), []);
      assert.deepEqual(await planProvisioning(store, demo()), []);
      assert.equal(formatChanges([]), 'no changes');
    });

    it('a dry run (plan) writes nothing', async () => {
      const plan = await planProvisioning(store, demo());
      // Two tenants, seven workplaces, seven devices, two mailboxes, demo's pickup settings, its call-center group,
      // the forwarding of its workplace 104, its executive and six web logins.
      assert.equal(plan.length, 2 + 7 + 7 + 2 + 2 + 1 + 1 + 6);
      assert.deepEqual(await counts(store), { tenants: 0, workplaces: 0, devices: 0 });
    });

    it('rejects a file with one bad device whole, naming the line; the store is unchanged', async () => {
      await applyProvisioning(store, demo());
      const before = await store.directory.snapshot();
      // A new workplace for demo plus a weak password on other's second device.
      const text = DEMO.replace('name: Andere AG', 'name: Andere AG (neu)').replace(
        'other-Hartmann-Pa55word',
        'hartmann',
      );
      assert.throws(
        () => parseProvisioning(text, 'demo.yaml'),
        (err: unknown) => {
          assert.ok(err instanceof ProvisioningError);
          const line = DEMO.split('\n').findIndex((l) => l.includes('other-Hartmann-Pa55word')) + 1;
          assert.match(
            err.message,
            new RegExp(
              `^demo\\.yaml:${line}:\\d+ tenants\\[1\\]\\.workplaces\\[1\\]\\.devices\\[0\\]\\.password: too weak`,
            ),
          );
          return true;
        },
      );
      assert.deepEqual(await store.directory.snapshot(), before);
    });

    it('rolls the whole apply back when a write fails midway', async () => {
      await assert.rejects(applyProvisioning(failingOnDevice(store, 6), demo()), /disk on fire/);
      assert.deepEqual(await counts(store), { tenants: 0, workplaces: 0, devices: 0 });
    });

    it('removes workplaces and devices no longer listed, leaving other tenants alone', async () => {
      await applyProvisioning(store, demo());
      await store.registrations.upsert({
        tenantId: 'demo',
        username: '104',
        contact: 'sip:104@192.0.2.4',
        contactParams: '',
        q: null,
        callId: 'c',
        cseq: 1,
        expiresAt: Date.now() + 60_000,
        flowProtocol: 'udp',
        flowAddress: '192.0.2.4',
        flowPort: 5060,
        flowLocalAddress: '192.0.2.1',
        flowLocalPort: 5060,
        flowConnectionId: null,
        userAgent: null,
        updatedAt: Date.now(),
      });
      // Only the demo tenant, without workplace 104: "other" is not in the file and must survive.
      const onlyDemo = DEMO.slice(0, DEMO.indexOf('  # A second tenant')).replace(
        / {6}- extension: "104"[\s\S]*$/,
        '',
      );
      const changes = await applyProvisioning(store, parseProvisioning(onlyDemo, 'demo.yaml'));
      assert.equal(formatChanges(changes), '- device demo/104\n- workplace demo/104');
      assert.deepEqual(
        (await store.directory.workplaces('demo')).map((w) => w.extension),
        ['100', '101', '102', '103'],
      );
      assert.deepEqual(await store.registrations.list('demo', '104'), []);
      assert.equal((await store.directory.workplaces('other')).length, 2);
    });

    it('reports updates field by field and never prints a password', async () => {
      await applyProvisioning(store, demo());
      const text = DEMO.replace('name: Karin Heiden', 'name: Karin Heiden-Brandt')
        .replace('demo-Heiden-Pa55word', 'demo-Heiden-N3wPassword')
        .replace('packages: [group, assistant]', 'packages: [group]')
        // 102 stops being an assistant, so the executive it assisted goes too.
        .replace(/ {4}executives:\n(?: {6}.*\n)+/, '')
        .replace(
          '"103", password: "demo-Vogel-Pa55word", kind: webrtc',
          '"103", password: "demo-Vogel-Pa55word", kind: softphone',
        );
      const changes = await applyProvisioning(store, parseProvisioning(text, 'demo.yaml'));
      const out = formatChanges(changes);
      assert.equal(
        out,
        [
          '~ workplace demo/100 name: "Karin Heiden" -> "Karin Heiden-Brandt"',
          '~ workplace demo/102 packages: ["assistant","group"] -> ["group"]',
          '~ device demo/100 password changed',
          '~ device demo/103 kind: "webrtc" -> "softphone"',
          '- executive demo/100',
        ].join('\n'),
      );
      assert.ok(!out.includes('N3w'));
      assert.equal(
        (await store.directory.device('demo', '100'))?.ha1Md5,
        computeHa1('MD5', '100', 'demo.zentrale.test', 'demo-Heiden-N3wPassword'),
      );
    });

    it('moves a device to another workplace while removing its old one', async () => {
      await applyProvisioning(store, demo());
      // Device 104 now hangs off workplace 103; workplace 104 goes.
      const text = DEMO.replace(
        '          - { username: "103", password: "demo-Vogel-Pa55word", kind: webrtc }',
        '          - { username: "103", password: "demo-Vogel-Pa55word", kind: webrtc }\n          - { username: "104", password: "demo-Schaefer-Pa55word", kind: softphone }',
      ).replace(/ {6}- extension: "104"\n(?: {8}.*\n| {10}.*\n)*/, '');
      const changes = await applyProvisioning(store, parseProvisioning(text, 'demo.yaml'));
      assert.equal(
        formatChanges(changes),
        '~ device demo/104 workplace: "104" -> "103"\n- workplace demo/104',
      );
      assert.equal((await store.directory.device('demo', '104'))?.workplaceExtension, '103');
    });

    it('re-hashes passwords when the domain changes', async () => {
      await applyProvisioning(store, demo());
      const text = DEMO.replace('domain: other.zentrale.test', 'domain: andere.zentrale.test');
      const out = formatChanges(await applyProvisioning(store, parseProvisioning(text, 'demo.yaml')));
      assert.match(out, /^~ tenant other domain: "other.zentrale.test" -> "andere.zentrale.test"$/m);
      assert.match(out, /^~ device other\/100 password re-hashed for the new domain$/m);
      assert.equal(
        (await store.directory.device('other', '100'))?.ha1Sha256,
        computeHa1('SHA-256', '100', 'andere.zentrale.test', 'other-Lorenz-Pa55word'),
      );
    });

    it('refuses a domain owned by a tenant outside the file, naming the line', async () => {
      await store.provisioning.upsertTenant({ id: 'legacy', name: 'Legacy', domain: 'demo.zentrale.test' });
      await assert.rejects(applyProvisioning(store, demo()), (err: unknown) => {
        assert.ok(err instanceof ProvisioningError);
        assert.equal(
          err.message,
          'demo.yaml:10:13 tenants[0].domain: domain "demo.zentrale.test" belongs to tenant "legacy", which this file does not change',
        );
        return true;
      });
      assert.deepEqual(await counts(store), { tenants: 1, workplaces: 0, devices: 0 });
    });
  });
}

provisioningSuite(
  'provisioning (sqlite)',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zentrale-prov-'));
    return {
      url: `sqlite:${join(dir, 'zentrale.db')}`,
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
  false,
);

const pgUrl = pgTestUrl();
provisioningSuite(
  'provisioning (postgres)',
  async () => {
    const s = await createPgTestSchema(pgUrl as string, 'prov');
    return { url: s.url, cleanup: () => s.drop() };
  },
  pgUrl ? false : PG_SKIP_REASON,
);
