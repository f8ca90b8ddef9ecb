import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openStore } from '../../store/open-store.js';
import { DEFAULT_PARK } from '../../store/park-store.js';
import { parseProvisioning, ProvisioningError } from './parse.js';
import { applyProvisioning, formatChanges } from './plan.js';

const file = (park: string) => `tenants:
  - id: acme
    name: Acme GmbH
    domain: acme.example
${park}    workplaces:
      - { extension: "100", name: Karin Heiden }
      - { extension: "710", name: Jonas Brandt }
  - id: beta
    name: Beta AG
    domain: beta.example
`;

function issues(text: string): string[] {
  try {
    parseProvisioning(text, 'f.yaml');
  } catch (err) {
    assert.ok(err instanceof ProvisioningError, String(err));
    return err.issues.map((i) => `${i.line} ${i.path}: ${i.message}`);
  }
  assert.fail('expected a ProvisioningError');
}

describe('provisioning: call park', () => {
  it('refuses a bad range or recall time with line and field', () => {
    assert.deepEqual(issues(file(`    park: { locations: "709-700" }\n`)), [
      '5 tenants[0].park.locations: the range must go up and both ends need the same number of digits, e.g. "700-709"',
    ]);
    assert.match(
      issues(file(`    park: { locations: "70" }\n`)).join(),
      /^5 tenants\[0\]\.park\.locations: must be a range/,
    );
    assert.match(
      issues(file(`    park: { locations: "700-709", recallSeconds: 5 }\n`)).join(),
      /^5 tenants\[0\]\.park\.recallSeconds: at least 10/,
    );
    assert.match(
      issues(file(`    park: { locations: "705-715" }\n`)).join(),
      /tenants\[0\]\.park\.locations: park location 710 is the extension of a workplace/,
    );
  });

  it('stores the settings per tenant; without the key the defaults apply', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zentrale-park-'));
    const store = await openStore('sqlite:z.db', { dataDir: dir });
    try {
      const text = file(`    park: { locations: "800-804", recallSeconds: 30 }\n`);
      const changes = await applyProvisioning(store, parseProvisioning(text, 'f.yaml'));
      assert.match(formatChanges(changes), /~ park acme\/park park: "default" -> "800-804, recall 30 s"/);
      assert.deepEqual(await store.park.settings('acme'), { first: '800', last: '804', recallSeconds: 30 });
      assert.deepEqual(await store.park.settings('beta'), DEFAULT_PARK, 'another tenant keeps the defaults');
      assert.deepEqual(await applyProvisioning(store, parseProvisioning(text, 'f.yaml')), [], 'no change');
      await applyProvisioning(store, parseProvisioning(file(''), 'f.yaml'));
      assert.deepEqual(
        await store.park.settings('acme'),
        DEFAULT_PARK,
        'removing the key restores the defaults',
      );
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
