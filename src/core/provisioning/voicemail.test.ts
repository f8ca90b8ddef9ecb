import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openStore } from '../../store/open-store.js';
import type { Store } from '../../store/types.js';
import { parseProvisioning, ProvisioningError } from './parse.js';
import { applyProvisioning, formatChanges } from './plan.js';
import { hashPin, verifyPin } from './pin.js';

const file = (pin: string, extra = '') => `tenants:
  - id: acme
    name: Acme GmbH
    domain: acme.example
    workplaces:
      - extension: "100"
        name: Karin Heiden
        email: karin@acme.example
        packages: [voicemail]
        devices:
          - { username: karin-desk, password: "acme-Karin-Pa55word" }
        voicemail:
          pin: "${pin}"
          email: true
          unsolicitedNotify: [karin-desk]${extra}
      - { extension: "101", name: Jonas Brandt }
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

describe('voicemail provisioning', () => {
  let store: Store;
  before(async () => {
    store = await openStore('sqlite::memory:');
  });
  after(async () => {
    await store.close();
  });

  it('refuses a weak PIN with its line and field, and never echoes it', () => {
    const text = file('123456');
    const err = reject(text);
    const i = err.issues.find((x) => x.path === 'tenants[0].workplaces[0].voicemail.pin');
    assert.ok(i, err.message);
    assert.equal(i.line, lineOf(text, 'pin:'));
    assert.match(i.message, /consecutive/);
    assert.ok(!err.message.includes('123456'));
  });

  it('refuses settings without the package, the package without settings, unknown devices and unknown keys', () => {
    const text = `tenants:
  - id: acme
    name: Acme GmbH
    domain: acme.example
    workplaces:
      - extension: "100"
        name: Karin Heiden
        voicemail: { pin: "583914", unsolicitedNotify: [nobody], email: true, greting: x }
      - { extension: "101", name: Jonas Brandt, packages: [voicemail] }
`;
    const err = reject(text);
    const paths = err.issues.map((x) => `${x.path}: ${x.message}`).join('\n');
    assert.match(paths, /workplaces\[0\]\.voicemail: voicemail settings need the "voicemail" package/);
    assert.match(paths, /workplaces\[0\]\.voicemail\.unsolicitedNotify\[0\]: no device "nobody"/);
    assert.match(paths, /workplaces\[0\]\.voicemail\.email: e-mail notification needs/);
    assert.match(paths, /workplaces\[0\]\.voicemail\.greting: unknown key/);
    assert.match(paths, /workplaces\[1\]\.packages: the voicemail package needs/);
  });

  it('creates the mailbox with the PIN hashed; an unchanged file changes nothing; a PIN set by phone stays', async () => {
    const doc = parseProvisioning(file('583914'), 'f.yaml');
    assert.equal(JSON.stringify(doc).includes('583914'), false, 'no PIN after parsing');
    const first = await applyProvisioning(store, doc);
    assert.match(formatChanges(first), /\+ voicemail acme\/100/);
    const box = (await store.voicemail.mailbox('acme', '100'))!;
    assert.equal(await verifyPin('583914', box.pinHash), true);
    assert.deepEqual(
      [box.maxMessageS, box.maxMessages, box.emailNotify, box.unsolicited],
      [120, 50, true, ['karin-desk']],
    );
    assert.deepEqual(await applyProvisioning(store, parseProvisioning(file('583914'), 'f.yaml')), []);

    await store.voicemail.setPin('acme', '100', await hashPin('902417'));
    assert.deepEqual(await applyProvisioning(store, parseProvisioning(file('583914'), 'f.yaml')), []);
    assert.equal(await verifyPin('902417', (await store.voicemail.mailbox('acme', '100'))!.pinHash), true);

    const changed = await applyProvisioning(
      store,
      parseProvisioning(file('640271', '\n          maxMessages: 10'), 'f.yaml'),
    );
    assert.equal(formatChanges(changed), '~ voicemail acme/100 maxMessages: 50 -> 10, pin changed');
    assert.equal(await verifyPin('640271', (await store.voicemail.mailbox('acme', '100'))!.pinHash), true);
  });

  it('deleting the workplace deletes its mailbox and messages; the other tenant sees none of them', async () => {
    await store.voicemail.addMessage({
      tenantId: 'acme',
      id: 'm1',
      extension: '100',
      callerNumber: '101',
      callerName: null,
      receivedAt: 1,
      durationMs: 2000,
      folder: 'new',
      emailState: 'pending',
      emailAttempts: 0,
    });
    assert.equal((await store.voicemail.messages('other', '100')).length, 0);
    assert.equal((await store.voicemail.pendingEmails()).length, 1);
    const without = `tenants:
  - id: acme
    name: Acme GmbH
    domain: acme.example
    workplaces:
      - { extension: "101", name: Jonas Brandt }
`;
    await applyProvisioning(store, parseProvisioning(without, 'f.yaml'));
    assert.equal(await store.voicemail.mailbox('acme', '100'), undefined);
    assert.equal((await store.voicemail.messages('acme', '100')).length, 0);
    assert.equal((await store.voicemail.pendingEmails()).length, 0);
  });
});
