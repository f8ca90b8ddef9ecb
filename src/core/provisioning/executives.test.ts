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
      - { extension: "300", name: Karin Heiden, packages: [assistant] }
      - { extension: "301", name: Anna Berg, packages: [assistant] }
      - { extension: "302", name: Ben Ott, packages: [assistant] }
      - { extension: "303", name: Cem Aydin }
      - { extension: "305", name: Reception }
    executives:
`;

const GOOD = `${HEAD}      - executive: "300"
        assistants: ["301", { extension: "302", divertTo: "305" }]
        filtering: all
        alerting: simultaneous
        nextAssistantSeconds: 10
        rolloverSeconds: 30
        screening: true
        optInOut: true
        pushRecallSeconds: 20
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

describe('provisioning: executives', () => {
  it('parses the documented example; assistants as extension or with divertTo', () => {
    const e = parseProvisioning(GOOD, 'f.yaml').tenants[0]!.executives[0]!;
    assert.deepEqual(e.assistants, [
      { extension: '301', divertTo: null },
      { extension: '302', divertTo: '305' },
    ]);
    assert.equal(e.filtering, 'all');
    assert.equal(e.screening, true);
    assert.equal(e.pushRecallSeconds, 20);
  });

  it('fills defaults', () => {
    const e = parseProvisioning(`${HEAD}      - { executive: "300", assistants: ["301"] }\n`, 'f.yaml')
      .tenants[0]!.executives[0]!;
    assert.equal(e.alerting, 'simultaneous');
    assert.equal(e.rolloverSeconds, 30);
    assert.equal(e.optInOut, true);
    assert.equal(e.screening, false);
  });

  it('names line and field of each mistake, the assistant package among them', () => {
    const e = reject(`${HEAD}      - executive: "303"
        assistants: ["301", "303", "999", "301", { extension: "302", divertTo: "888" }]
        filtering: some
        alerting: random
        rolloverSeconds: -1
        pushRecallSeconds: 1
        colour: red
      - executive: "300"
        assistants: [{ extension: "302", divertTo: "300", ring: yes }]
      - { executive: "300", assistants: [] }
`);
    const by = new Map(e.issues.map((i) => [i.path, i]));
    const expect: Array<[string, number, RegExp]> = [
      ['tenants[0].executives[0].executive', 12, /workplace "303" needs the "assistant" package/],
      ['tenants[0].executives[0].assistants[1]', 13, /cannot be its own assistant/],
      ['tenants[0].executives[0].assistants[2]', 13, /no workplace with extension "999"/],
      ['tenants[0].executives[0].assistants[3]', 13, /listed twice/],
      ['tenants[0].executives[0].assistants[4].divertTo', 13, /no workplace with extension "888"/],
      ['tenants[0].executives[0].filtering', 14, /must be one of: off, all, internal, external/],
      ['tenants[0].executives[0].alerting', 15, /must be one of: simultaneous, sequential/],
      ['tenants[0].executives[0].rolloverSeconds', 16, /at least 0 \(0 = never\)/],
      ['tenants[0].executives[0].pushRecallSeconds', 17, /at least 5/],
      ['tenants[0].executives[0].colour', 18, /unknown key; allowed here: executive, assistants/],
      ['tenants[0].executives[1].assistants[0].divertTo', 20, /would loop/],
      ['tenants[0].executives[1].assistants[0].ring', 20, /unknown key; allowed here: extension, divertTo/],
      ['tenants[0].executives[2].executive', 21, /executive "300" listed twice/],
      ['tenants[0].executives[2].assistants', 21, /at least one assistant/],
    ];
    for (const [path, line, re] of expect) {
      const i = by.get(path);
      assert.ok(i, `${path} missing in:\n${e.message}`);
      assert.equal(i.line, line, path);
      assert.match(i.message, re, path);
    }
  });

  it('stores executives, keeps runtime switches on re-apply and drops a removed executive with them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zentrale-exec-'));
    const store = await openStore('sqlite:z.db', { dataDir: dir });
    try {
      const changes = await applyProvisioning(store, parseProvisioning(GOOD, 'f.yaml'));
      assert.match(formatChanges(changes), /\+ executive acme\/300/);
      const [x] = await store.executives.executives('acme');
      assert.deepEqual(x?.assistants[1], { extension: '302', divertTo: '305' });
      assert.equal(x?.rolloverS, 30);
      assert.deepEqual(await store.executives.executives('other'), [], 'scoped to the tenant');
      await store.executives.setFilter('acme', '300', false);
      await store.executives.setOptIn('acme', '300', '301', false);
      await store.executives.setDivert('acme', '300', '302', true);
      assert.deepEqual(await applyProvisioning(store, parseProvisioning(GOOD, 'f.yaml')), []);
      const changed = await applyProvisioning(
        store,
        parseProvisioning(GOOD.replace('rolloverSeconds: 30', 'rolloverSeconds: 0'), 'f.yaml'),
      );
      assert.equal(formatChanges(changed), '~ executive acme/300 rolloverS: 30 -> 0');
      assert.deepEqual(await store.executives.state('acme'), {
        filters: [{ executive: '300', on: false }],
        assistants: [
          { executive: '300', assistant: '301', optedIn: false },
          { executive: '300', assistant: '302', divertOn: true },
        ],
      });
      const removed = await applyProvisioning(
        store,
        parseProvisioning(HEAD.replace('    executives:\n', ''), 'f.yaml'),
      );
      assert.equal(formatChanges(removed), '- executive acme/300');
      assert.deepEqual(await store.executives.state('acme'), { filters: [], assistants: [] });
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
