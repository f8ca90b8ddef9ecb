import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseProvisioning } from '../core/provisioning/parse.js';
import { applyProvisioning } from '../core/provisioning/plan.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/types.js';
import type { Actor, CallControl, CallView } from '../core/calls/call-control-types.js';
import { LOGINS, startTestApi, type TestApi } from './test-api.js';

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
      - { extension: "100", name: Erika Chef, email: erika@acme.example, packages: [assistant] }
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

  it("shows a colleague's contact card; another tenant's or an unknown extension is 404", async () => {
    const r = await t.call(cleo, 'GET', '/api/v1/workplaces/100');
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.deepEqual(r.json, {
      extension: '100',
      name: 'Erika Chef',
      email: 'erika@acme.example',
      presence: 'idle',
    });
    assert.equal((await t.call(cleo, 'GET', '/api/v1/workplaces/999')).status, 404);
  });

  it('directed pickup by extension answers 501 without call control', async () => {
    const r = await t.call(cleo, 'POST', '/api/v1/workplaces/101/pickup', { device: '102' });
    assert.equal(r.status, 501);
  });

  it('needs a login', async () => {
    assert.equal((await t.call(undefined, 'GET', '/api/v1/me/executives')).status, 401);
    assert.equal((await t.call(undefined, 'GET', '/api/v1/me/callcenter/wrap-up')).status, 401);
    assert.equal((await t.call(undefined, 'GET', '/api/v1/workplaces/100')).status, 401);
  });
});

describe('api: directed pickup by extension finds the ringing call at the colleague', () => {
  let t: TestApi;
  const picked: Array<{ workplace: string; device: string; callId?: string }> = [];
  const ringingAt: Record<string, CallView[]> = {
    '101': [
      {
        id: 'c-ring',
        state: 'ringing',
        direction: 'incoming',
        other: { number: '102' },
        since: 1_700_000_000_000,
      },
    ],
  };
  const control = {
    callsOf: (a: Actor) => ringingAt[a.workplace] ?? [],
    pickup: async (a: Actor, o: { device: string; callId?: string }) => {
      picked.push({ workplace: a.workplace, ...o });
      return { ok: true as const, value: { callId: 'c-ring' } };
    },
  } as unknown as CallControl;
  let anna = '';
  before(async () => {
    t = await startTestApi({ calls: control });
    anna = await t.login(LOGINS.anna);
  });
  after(() => t.close());

  it('picks up the call ringing at 101 on my device', async () => {
    const r = await t.call(anna, 'POST', '/api/v1/workplaces/101/pickup', { device: 'anna-desk' });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    assert.deepEqual(r.json, { callId: 'c-ring' });
    assert.deepEqual(picked, [{ workplace: '100', device: 'anna-desk', callId: 'c-ring' }]);
  });

  it('answers 409 when nothing rings there, 404 for an unknown extension, 409 for myself', async () => {
    assert.equal(
      (await t.call(anna, 'POST', '/api/v1/workplaces/102/pickup', { device: 'anna-desk' })).status,
      409,
    );
    assert.equal(
      (await t.call(anna, 'POST', '/api/v1/workplaces/109/pickup', { device: 'anna-desk' })).status,
      404,
    );
    assert.equal(
      (await t.call(anna, 'POST', '/api/v1/workplaces/100/pickup', { device: 'anna-desk' })).status,
      409,
    );
    assert.equal(picked.length, 1);
  });
});
