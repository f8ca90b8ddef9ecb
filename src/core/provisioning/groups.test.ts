import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openStore } from '../../store/open-store.js';
import { parseProvisioning, ProvisioningError } from './parse.js';
import { applyProvisioning, formatChanges } from './plan.js';

const HEAD = `tenants:
  - id: acme
    name: Acme GmbH
    domain: acme.example
    workplaces:
      - { extension: "100", name: A, packages: [group] }
      - { extension: "101", name: B, packages: [group] }
      - { extension: "102", name: C, packages: [group] }
      - { extension: "103", name: D }
      - { extension: "700", name: Reception }
    groups:
`;

const GOOD = `${HEAD}      - extension: "600"
        name: Support
        policy: longest-idle
        agents: ["100", "101", { extension: "102", weight: 2 }]
        allowAgentLogin: true
        ringTimeout: 15
        wrapUp: 10
        maxQueue: 20
        maxWait: 300
        overflow: "700"
        music: default
        comfortEvery: 30
`;

function reject(text: string): ProvisioningError {
  try {
    parseProvisioning(text, 'f.yaml');
  } catch (err) {
    assert.ok(err instanceof ProvisioningError, String(err));
    return err;
  }
  assert.fail('expected a ProvisioningError');
}

describe('provisioning: groups', () => {
  it('parses the issue example with weights and defaults', () => {
    const g = parseProvisioning(GOOD, 'f.yaml').tenants[0]!.groups[0]!;
    assert.deepEqual(g.agents, [
      { extension: '100', weight: 1 },
      { extension: '101', weight: 1 },
      { extension: '102', weight: 2 },
    ]);
    assert.equal(g.policy, 'longest-idle');
    assert.equal(g.overflow, '700');
    assert.equal(g.priority, 0);
    assert.equal(g.missesBeforeUnavailable, 3);
  });

  it('names line and field of each mistake', () => {
    const e = reject(`${HEAD}      - extension: "600"
        name: Support
        policy: random
        agents: ["100", "103", "999", "100"]
        ringTimeout: 1
        overflow: "888"
        music: jingle.wav
        comfortEvery: 5
        colour: red
      - { extension: "100", name: Clash }
`);
    const by = new Map(e.issues.map((i) => [i.path, i]));
    const expect: Array<[string, number, RegExp]> = [
      ['tenants[0].groups[0].policy', 14, /must be one of: circular, linear/],
      ['tenants[0].groups[0].agents[1]', 15, /needs the "group" package/],
      ['tenants[0].groups[0].agents[2]', 15, /no workplace with extension "999"/],
      ['tenants[0].groups[0].agents[3]', 15, /listed twice/],
      ['tenants[0].groups[0].ringTimeout', 16, /at least 5/],
      ['tenants[0].groups[0].overflow', 17, /no workplace or group with extension "888"/],
      ['tenants[0].groups[0].music', 18, /only "default"/],
      ['tenants[0].groups[0].comfortEvery', 19, /0 \(off\) or 10 to 600/],
      ['tenants[0].groups[0].colour', 20, /unknown key; allowed here: extension, name, policy/],
      ['tenants[0].groups[1].extension', 21, /already a workplace/],
    ];
    for (const [path, line, re] of expect) {
      const i = by.get(path);
      assert.ok(i, `${path} missing in:\n${e.message}`);
      assert.equal(i.line, line, path);
      assert.match(i.message, re, path);
    }
  });

  it('refuses a group overflowing to itself and duplicate group extensions', () => {
    const e = reject(`${HEAD}      - { extension: "600", name: S, overflow: "600" }
      - { extension: "600", name: T }
`);
    assert.match(e.message, /groups\[0\]\.overflow: a group cannot overflow to itself/);
    assert.match(e.message, /groups\[1\]\.extension: duplicate group extension "600"/);
  });

  it('stores groups, reports changes, keeps login/status on re-apply and drops a removed group', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zentrale-groups-'));
    const store = await openStore('sqlite:z.db', { dataDir: dir });
    try {
      const changes = await applyProvisioning(store, parseProvisioning(GOOD, 'f.yaml'));
      assert.match(formatChanges(changes), /\+ group acme\/600/);
      const [g] = await store.callCenter.groups('acme');
      assert.equal(g?.wrapUpS, 10);
      assert.equal(g?.allowAgentLogin, true);
      assert.deepEqual(g?.agents[2], { extension: '102', weight: 2 });
      assert.deepEqual(await store.callCenter.groups('other'), [], 'scoped to the tenant');
      await store.callCenter.setLogin('acme', '600', '100', true);
      await store.callCenter.setAgentStatus({
        tenantId: 'acme',
        extension: '100',
        status: 'available',
        updatedAt: 1,
      });
      assert.deepEqual(await applyProvisioning(store, parseProvisioning(GOOD, 'f.yaml')), []);
      const changed = await applyProvisioning(
        store,
        parseProvisioning(GOOD.replace('wrapUp: 10', 'wrapUp: 20'), 'f.yaml'),
      );
      assert.equal(formatChanges(changed), '~ group acme/600 wrapUpS: 10 -> 20');
      assert.deepEqual(await store.callCenter.logins('acme'), [{ group: '600', agent: '100' }]);
      const removed = await applyProvisioning(
        store,
        parseProvisioning(HEAD.replace('    groups:\n', ''), 'f.yaml'),
      );
      assert.equal(formatChanges(removed), '- group acme/600');
      assert.deepEqual(await store.callCenter.logins('acme'), []);
      assert.equal((await store.callCenter.agentStatuses('acme'))[0]?.status, 'available');
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
