/** Test support: the API over the real executive, forwarding and voicemail features and an in-memory store. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Directory } from '../core/directory/directory.js';
import { parseProvisioning } from '../core/provisioning/parse.js';
import { applyProvisioning } from '../core/provisioning/plan.js';
import { TenantExecutives } from '../features/executive/tenant-executives.js';
import { ForwardingService } from '../features/forwarding/forwarding-service.js';
import { Mailboxes } from '../features/voicemail/mailboxes.js';
import { MessageFiles } from '../features/voicemail/message-files.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/types.js';
import { SystemClock } from '../util/clock.js';
import { createLogger } from '../util/log.js';
import { executivePort, voicemailPort } from './ports.js';
import { startTestApi, type TestApi } from './test-api.js';

/**
 * acme: 100 admin; 200 executive (assistants 201 with a divert target, 202); 203 unrelated; 200 has a mailbox.
 * other: 100 admin; 200 executive with assistant 201 — the same extensions, another tenant.
 */
export const FEATURES_FIXTURE = `
tenants:
  - id: acme
    name: Acme
    domain: acme.example
    executives:
      - executive: "200"
        assistants: [{ extension: "201", divertTo: "203" }, "202"]
        filtering: all
    workplaces:
      - { extension: "100", name: Anna Admin, webPassword: "Anna-Web-Pa55word", role: admin }
      - extension: "200"
        name: Eva Executive
        packages: [assistant, voicemail]
        webPassword: "Eva-Web-Pa55word"
        voicemail: { pin: "583914" }
        devices: [{ username: eva-desk, password: "Desk-Pa55-word-E" }]
      - { extension: "201", name: Alex Assistant, packages: [assistant], webPassword: "Alex-Web-Pa55word" }
      - { extension: "202", name: Bea Assistant, packages: [assistant], webPassword: "Bea-Web-Pa55word" }
      - { extension: "203", name: Carl Colleague, webPassword: "Carl-Web-Pa55word" }
  - id: other
    name: Other
    domain: other.example
    executives:
      - { executive: "200", assistants: ["201"] }
    workplaces:
      - { extension: "100", name: Olga Other, webPassword: "Olga-Web-Pa55word", role: admin }
      - extension: "200"
        name: Otto Executive
        packages: [assistant, voicemail]
        webPassword: "Otto-Web-Pa55word"
        voicemail: { pin: "583914" }
      - { extension: "201", name: Oskar Assistant, packages: [assistant], webPassword: "Oskar-Web-Pa55word" }
`;

const login = (domain: string, extension: string, password: string) => ({ domain, extension, password });
export const FEATURE_LOGINS = {
  anna: login('acme.example', '100', 'Anna-Web-Pa55word'),
  eva: login('acme.example', '200', 'Eva-Web-Pa55word'),
  alex: login('acme.example', '201', 'Alex-Web-Pa55word'),
  bea: login('acme.example', '202', 'Bea-Web-Pa55word'),
  carl: login('acme.example', '203', 'Carl-Web-Pa55word'),
  olga: login('other.example', '100', 'Olga-Web-Pa55word'),
  otto: login('other.example', '200', 'Otto-Web-Pa55word'),
  oskar: login('other.example', '201', 'Oskar-Web-Pa55word'),
} as const;

export interface FeaturesApi extends TestApi {
  mailboxes: Mailboxes;
  forwarding: ForwardingService;
  /** Mailbox counts told to MWI, as `tenant/extension new/old`. */
  mwi: string[];
}

export async function startFeaturesApi(): Promise<FeaturesApi> {
  const store: Store = await openStore('sqlite::memory:');
  await applyProvisioning(store, parseProvisioning(FEATURES_FIXTURE, 'fixture.yaml'));
  const clock = new SystemClock();
  const dataDir = mkdtempSync(join(tmpdir(), 'zentrale-api-vm-'));
  const mwi: string[] = [];
  const mailboxes = new Mailboxes({
    store: store.voicemail,
    files: new MessageFiles(dataDir),
    clock,
    changed: (t, e, c) => mwi.push(`${t}/${e} ${c.newCount}/${c.oldCount}`),
  });
  const directory = new Directory({ store: store.directory, clock });
  const forwarding = new ForwardingService({
    store,
    directory,
    log: createLogger({ level: 'silent' }),
  });
  // The executive state as the service loads it, read afresh on every use (so provisioning shows at once).
  const executives = executivePort({
    tenant: async (id) => {
      const s = store.executives;
      const t = new TenantExecutives(id, {
        filter: (e, on) => s.setFilter(id, e, on),
        optIn: (e, a, v) => s.setOptIn(id, e, a, v),
        divert: (e, a, v) => s.setDivert(id, e, a, v),
      });
      t.configure(await s.executives(id), await s.state(id));
      return t;
    },
  });
  const api = await startTestApi({
    store,
    extra: { executives, forwarding, voicemail: voicemailPort(mailboxes) },
  });
  return {
    ...api,
    mailboxes,
    forwarding,
    mwi,
    close: async () => {
      await api.close();
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
