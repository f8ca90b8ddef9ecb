import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createPgTestSchema, PG_SKIP_REASON, pgTestUrl } from '../../../test/support/postgres.js';
import { defaultForwarding } from '../../store/forwarding-store.js';
import { openStore } from '../../store/open-store.js';
import type { Store } from '../../store/types.js';
import { parseProvisioning, ProvisioningError } from './parse.js';
import { applyProvisioning, formatChanges, planProvisioning } from './plan.js';

const FILE = `tenants:
  - id: acme
    name: Acme GmbH
    domain: acme.example
    workplaces:
      - extension: "100"
        name: Karin Heiden
        forwarding:
          busy: voicemail
          noAnswer: { target: "101", seconds: 15 }
          notReachable: "+4930123456"
      - extension: "101"
        name: Jonas Brandt
        forwarding: { always: "100", dnd: true }
      - { extension: "102", name: Mia Vogel }
    trunks:
      - { id: carrier, peer: "127.0.0.1:5080", countryCode: "49" }
  - id: beta
    name: Beta AG
    domain: beta.example
    workplaces:
      - { extension: "100", name: Eva Lorenz }
      - { extension: "101", name: Ben Kurz }
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

describe('parseProvisioning: forwarding', () => {
  it('reads rules and targets; what is left out is off; defaults: 20 s, no DND', () => {
    const [a, b] = parseProvisioning(FILE, 'f.yaml').tenants;
    const [w100, w101, w102] = a!.workplaces;
    assert.deepEqual(w100!.forwarding, {
      always: { enabled: false, target: null },
      busy: { enabled: true, target: { kind: 'voicemail' } },
      noAnswer: { enabled: true, target: { kind: 'extension', number: '101' }, seconds: 15 },
      notReachable: { enabled: true, target: { kind: 'external', number: '+4930123456' } },
      dnd: false,
    });
    assert.equal(w101!.forwarding.dnd, true);
    assert.deepEqual(w101!.forwarding.always, {
      enabled: true,
      target: { kind: 'extension', number: '100' },
    });
    assert.deepEqual(w102!.forwarding, defaultForwarding());
    assert.deepEqual(b!.workplaces[0]!.forwarding, defaultForwarding());
  });

  it('refuses an outside number without a trunk, an unknown or own extension, bad values, each with its line', () => {
    const text = FILE.replace(
      '      - { extension: "101", name: Ben Kurz }',
      `      - extension: "101"
        name: Ben Kurz
        forwarding:
          always: "+4930999"
          busy: "101"
          notReachable: "300"
          noAnswer: { target: voicemail, seconds: 2, after: 3 }
          dnd: yes please`,
    ).replace('busy: voicemail', 'busy: mailbox');
    const err = reject(text);
    assert.deepEqual(
      err.issues.map((i) => `${i.line} ${i.path}: ${i.message}`),
      [
        `${lineOf(text, 'mailbox')} tenants[0].workplaces[0].forwarding.busy: must be an extension (2 to 8 digits), an E.164 number with "+", or voicemail`,
        `${lineOf(text, '+4930999')} tenants[1].workplaces[1].forwarding.always: the tenant has no trunk, so it may not dial "+4930999"; forward to an extension or voicemail`,
        `${lineOf(text, 'busy: "101"')} tenants[1].workplaces[1].forwarding.busy: a workplace cannot forward to itself`,
        `${lineOf(text, '"300"')} tenants[1].workplaces[1].forwarding.notReachable: no workplace with extension "300" in this tenant`,
        `${lineOf(text, 'seconds: 2')} tenants[1].workplaces[1].forwarding.noAnswer.seconds: at least 5 seconds`,
        `${lineOf(text, 'seconds: 2')} tenants[1].workplaces[1].forwarding.noAnswer.after: unknown key; allowed here: target, seconds`,
        `${lineOf(text, 'yes please')} tenants[1].workplaces[1].forwarding.dnd: must be true or false`,
      ],
    );
  });
});

function forwardingApplySuite(
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

    it('stores the file’s settings; a second apply changes nothing; defaults store nothing', async () => {
      const out = formatChanges(await applyProvisioning(store, doc()));
      assert.match(
        out,
        /^~ forwarding acme\/100 busy: "off" -> "voicemail", noAnswer: "off" -> "101 after 15s", notReachable: "off" -> "\+4930123456"$/m,
      );
      assert.match(out, /^~ forwarding acme\/101 always: "off" -> "100", dnd: false -> true$/m);
      assert.ok(!/forwarding acme\/102|forwarding beta/.test(out), out);
      assert.equal((await store.forwarding.get('acme', '101')).dnd, true);
      assert.deepEqual(await planProvisioning(store, doc()), []);
    });

    it('keeps settings changed at run time until the file’s own value changes; goes with the workplace', async () => {
      await applyProvisioning(store, doc());
      const changed = { ...(await store.forwarding.get('acme', '101')), dnd: false };
      await store.forwarding.set('acme', '101', changed);
      await applyProvisioning(store, doc());
      assert.equal(
        (await store.forwarding.get('acme', '101')).dnd,
        false,
        'the same file keeps the user’s change',
      );
      await applyProvisioning(
        store,
        doc(FILE.replace('{ always: "100", dnd: true }', '{ always: "102", dnd: true }')),
      );
      const now = await store.forwarding.get('acme', '101');
      assert.equal(now.dnd, true);
      assert.deepEqual(now.always.target, { kind: 'extension', number: '102' });
      await store.provisioning.removeWorkplace('acme', '101');
      assert.deepEqual(await store.forwarding.get('acme', '101'), defaultForwarding());
      assert.equal((await store.forwarding.all('acme')).has('101'), false);
    });
  });
}

forwardingApplySuite(
  'provisioning forwarding (sqlite)',
  async () => ({ url: 'sqlite::memory:', cleanup: async () => undefined }),
  false,
);

const pgUrl = pgTestUrl();
forwardingApplySuite(
  'provisioning forwarding (postgres)',
  async () => {
    const schema = await createPgTestSchema(pgUrl as string, 'provfwd');
    return { url: schema.url, cleanup: () => schema.drop() };
  },
  pgUrl ? false : PG_SKIP_REASON,
);
