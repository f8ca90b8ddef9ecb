import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openStore } from '../../store/open-store.js';
import type { Store } from '../../store/types.js';
import { parseProvisioning } from './parse.js';
import { applyProvisioning, formatChanges, planProvisioning } from './plan.js';
import { loadTenantDraft } from './tenant-draft.js';

const FILE = `
tenants:
  - id: acme
    name: Acme
    domain: acme.example
    executives:
      - executive: "100"
        assistants: [{ extension: "101", divertTo: "102" }]
        filtering: internal
        alerting: sequential
    workplaces:
      - extension: "100"
        name: Anna
        packages: [assistant, voicemail]
        voicemail: { pin: "583914", maxMessages: 20, email: false }
        forwarding: { busy: voicemail, noAnswer: { target: "101", seconds: 15 }, dnd: true }
        devices: [{ username: anna, password: "Device-Pa55-word" }]
      - extension: "101"
        name: Ben
        packages: [assistant]
      - extension: "102"
        name: Cleo
`;

describe('a tenant read back as a draft (admin edits)', () => {
  let store: Store;
  before(async () => {
    store = await openStore('sqlite::memory:');
    await applyProvisioning(store, parseProvisioning(FILE, 'test.yaml'));
  });
  after(() => store.close());

  it('carries mailbox, forwarding and executives, so an unchanged draft plans nothing', async () => {
    const draft = await loadTenantDraft(store, 'acme');
    assert.ok(draft);
    const anna = draft.tenant.workplaces[0]!;
    assert.deepEqual(anna['forwarding'], {
      dnd: true,
      busy: 'voicemail',
      noAnswer: { target: '101', seconds: 15 },
    });
    assert.equal((anna['voicemail'] as { maxMessages: number }).maxMessages, 20);
    assert.equal((draft.tenant['executives'] as unknown[]).length, 1);
    assert.deepEqual(await planProvisioning(store, draft.toDoc()), []);
  });

  it('an edit elsewhere leaves them alone; a new PIN in the draft is a change', async () => {
    const draft = await loadTenantDraft(store, 'acme');
    assert.ok(draft);
    draft.tenant.workplaces[2]!.name = 'Cleo B.';
    assert.equal(
      formatChanges(await planProvisioning(store, draft.toDoc())),
      '~ workplace acme/102 name: "Cleo" -> "Cleo B."',
    );
    (draft.tenant.workplaces[0]!['voicemail'] as { pin: string }).pin = '740261';
    const changes = formatChanges(await planProvisioning(store, draft.toDoc()));
    assert.match(changes, /voicemail acme\/100/);
    assert.doesNotMatch(changes, /740261/, 'no PIN in the plan');
  });
});
