import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseProvisioning } from '../core/provisioning/parse.js';
import { applyProvisioning } from '../core/provisioning/plan.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/types.js';
import { startTestApi, type TestApi } from './test-api.js';

const YAML = `
tenants:
  - id: acme
    name: Acme
    domain: acme.example
    groups:
      - { extension: "600", name: Support, agents: ["101", "102"], wrapUp: 15 }
      - { extension: "601", name: Sales, agents: ["101"], wrapUp: 0 }
    executives:
      - { executive: "100", assistants: ["101"] }
    workplaces:
      - { extension: "100", name: Erika Chef, packages: [assistant] }
      - extension: "101"
        name: Ben Assistent
        packages: [group, assistant]
        webPassword: "Ben-Web-Pa55word"
      - extension: "102"
        name: Cleo Agent
        packages: [group]
        webPassword: "Cleo-Web-Pa55word"
`;

describe('api: what the desktop client shows beside the other routes (wrap-up times, executives I assist)', () => {
  let t: TestApi;
  let ben = '';
  let cleo = '';
  let store: Store;
  before(async () => {
    store = await openStore('sqlite::memory:');
    await applyProvisioning(store, parseProvisioning(YAML, 'client-info.yaml'));
    t = await startTestApi({ store });
    ben = await t.login({ domain: 'acme.example', extension: '101', password: 'Ben-Web-Pa55word' });
    cleo = await t.login({ domain: 'acme.example', extension: '102', password: 'Cleo-Web-Pa55word' });
  });
  after(async () => {
    await t.close();
    await store.close();
  });

  it('lists the wrap-up of each of my groups only', async () => {
    const b = await t.call(ben, 'GET', '/api/v1/me/callcenter/wrap-up');
    assert.equal(b.status, 200, JSON.stringify(b.json));
    assert.deepEqual(b.json, {
      groups: [
        { extension: '600', seconds: 15 },
        { extension: '601', seconds: 0 },
      ],
    });
    const c = await t.call(cleo, 'GET', '/api/v1/me/callcenter/wrap-up');
    assert.deepEqual(c.json, { groups: [{ extension: '600', seconds: 15 }] });
  });

  it('lists the executives an assistant may call as; none for others', async () => {
    const b = await t.call(ben, 'GET', '/api/v1/me/executives');
    assert.equal(b.status, 200, JSON.stringify(b.json));
    assert.deepEqual(b.json, [{ extension: '100', name: 'Erika Chef' }]);
    assert.deepEqual((await t.call(cleo, 'GET', '/api/v1/me/executives')).json, []);
  });

  it('needs a login', async () => {
    assert.equal((await t.call(undefined, 'GET', '/api/v1/me/executives')).status, 401);
    assert.equal((await t.call(undefined, 'GET', '/api/v1/me/callcenter/wrap-up')).status, 401);
  });
});
