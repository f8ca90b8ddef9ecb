import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openStore } from '../../store/open-store.js';
import type { Store } from '../../store/types.js';
import { verifyPassword } from '../security/password-hash.js';
import { parseProvisioning, ProvisioningError } from './parse.js';
import { applyProvisioning, formatChanges, planProvisioning } from './plan.js';
import { loadTenantDraft } from './tenant-draft.js';

const file = (web: string, role = 'admin', extra = '') => `
tenants:
  - id: acme
    name: Acme
    domain: acme.example
    workplaces:
      - extension: "100"
        name: Anna
        webPassword: "${web}"
        role: ${role}
        devices: [{ username: anna, password: "Device-Pa55-word" }]
      - extension: "101"
        name: Ben
${extra}`;

describe('provisioning: web logins (webPassword, role)', () => {
  let store: Store;
  before(async () => {
    store = await openStore('sqlite::memory:');
  });
  after(() => store.close());

  it('stores an argon2id hash only, and re-applying the same password changes nothing', async () => {
    const changes = await applyProvisioning(store, parseProvisioning(file('Anna-Web-Pa55word'), 'f.yaml'));
    assert.ok(changes.some((c) => c.entity === 'web-login' && c.action === 'create' && c.key === '100'));
    const login = await store.webAccess.login('acme', '100');
    assert.equal(login?.role, 'admin');
    assert.match(login!.passwordHash!, /^\$argon2id\$/);
    assert.ok(!login!.passwordHash!.includes('Anna-Web-Pa55word'));
    assert.ok(await verifyPassword(login!.passwordHash!, 'Anna-Web-Pa55word'));
    // A workplace without web password and with the default role has no login row.
    assert.equal(await store.webAccess.login('acme', '101'), undefined);
    assert.deepEqual(
      await planProvisioning(store, parseProvisioning(file('Anna-Web-Pa55word'), 'f.yaml')),
      [],
    );
  });

  it('reports a new password as a secret change and a role change with its values', async () => {
    const changes = await applyProvisioning(
      store,
      parseProvisioning(file('Anna-Other-Pa55word', 'user'), 'f'),
    );
    assert.equal(formatChanges(changes), '~ web-login acme/100 role: "admin" -> "user", webPassword changed');
    assert.ok(!formatChanges(changes).includes('Anna-Other'));
    const login = await store.webAccess.login('acme', '100');
    assert.ok(await verifyPassword(login!.passwordHash!, 'Anna-Other-Pa55word'));
    assert.equal(await verifyPassword(login!.passwordHash!, 'Anna-Web-Pa55word'), false);
  });

  it('refuses a weak web password with the device-password rules, naming the field', () => {
    for (const weak of ['short1A', 'aaaaaaaaaaaa', 'password123', 'onlylowercaseletters', 'Xx-100-Xx-Yy']) {
      assert.throws(
        () => parseProvisioning(file(weak), 'f.yaml'),
        (e: unknown) =>
          e instanceof ProvisioningError &&
          e.issues.some(
            (i) => i.path === 'tenants[0].workplaces[0].webPassword' && /too weak/.test(i.message),
          ),
        weak,
      );
    }
  });

  it('refuses an unknown role', () => {
    assert.throws(
      () => parseProvisioning(file('Anna-Web-Pa55word', 'root'), 'f.yaml'),
      (e: unknown) =>
        e instanceof ProvisioningError && e.issues.some((i) => i.path === 'tenants[0].workplaces[0].role'),
    );
  });

  it('a tenant read back as a draft and applied unchanged is no change (stored secrets are kept)', async () => {
    const draft = await loadTenantDraft(store, 'acme');
    assert.ok(draft);
    assert.equal(draft.tenant.workplaces[0]!.webPassword, draft.keep);
    assert.deepEqual(await planProvisioning(store, draft.toDoc()), []);
    draft.tenant.workplaces[1]!.name = 'Benjamin';
    const changes = await applyProvisioning(store, draft.toDoc());
    assert.equal(formatChanges(changes), '~ workplace acme/101 name: "Ben" -> "Benjamin"');
    const login = await store.webAccess.login('acme', '100');
    assert.ok(await verifyPassword(login!.passwordHash!, 'Anna-Other-Pa55word'));
  });

  it('removing the password and the role removes the login', async () => {
    const doc = parseProvisioning(
      file('Anna-Web-Pa55word').replace(/ {8}webPassword.*\n {8}role.*\n/, ''),
      'f',
    );
    const changes = await applyProvisioning(store, doc);
    assert.ok(changes.some((c) => c.entity === 'web-login' && c.action === 'delete'));
    assert.equal(await store.webAccess.login('acme', '100'), undefined);
  });
});
