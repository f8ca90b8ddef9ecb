import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApiClient } from './support/api-client.js';
import { answeringCarrier, carrierTrunkYaml, startProvisioned } from './support/provisioned.js';
import { runSipp } from './support/sipp.js';
import { assertBaseline, type TestServer } from './support/server.js';

/**
 * Toll-fraud limits for external calls no phone dialled: a forward to an outside number counts against the
 * forwarding workplace, click-to-dial (POST /api/v1/calls) against the workplace that placed it. A sipp carrier
 * stands for the trunk; client ports come from this run's range (ZENTRALE_TEST_RTP_PORTS).
 */
const PORT_BASE = Number((process.env.ZENTRALE_TEST_RTP_PORTS ?? '31000-31999').split('-')[0]) - 500;
const DOMAIN = 'acme.zentrale.test';
const CARRIER_IP = '127.0.0.9';
const CARRIER_PORT = PORT_BASE + 70;
const PASSWORD = 'acme-Ott-Pa55word-1';
const WEB_PASSWORD = 'web-Ott-Pa55word-1';

const FIXTURE = `tenants:
  - id: acme
    name: Acme GmbH
    domain: ${DOMAIN}
    workplaces:
      - extension: '100'
        name: Karin Heiden
        externalNumber: '+4930555100'
        forwarding: { always: '+49301234' }
      - extension: '101'
        name: Jens Ott
        webPassword: '${WEB_PASSWORD}'
        devices:
          - { username: '101', password: '${PASSWORD}' }
      - extension: '200'
        name: Premium Forward
        forwarding: { always: '+499001234567' }
${carrierTrunkYaml(CARRIER_IP, CARRIER_PORT)}`;

describe('toll-fraud limits for forwards and click-to-dial', () => {
  let t: TestServer;
  before(async () => {
    t = await startProvisioned('toll-fraud-indirect', FIXTURE);
  });
  after(async () => {
    await t.stop();
  });
  afterEach(async () => {
    await assertBaseline(t, 8000);
  });

  function dial(number: string, scenario = 'device-call-403.xml') {
    return runSipp({
      scenario,
      target: t.udp,
      localPort: PORT_BASE + 72,
      keys: { user: '101', domain: DOMAIN, dial: number },
      extra: ['-au', '101', '-ap', PASSWORD],
      timeoutS: 10,
      trace: true,
    });
  }

  it('a forward to a premium-rate number is refused (403) and logged against the forwarding workplace', async () => {
    const r = await dial('200');
    assert.equal(r.code, 0, `${r.messages}\n${r.stderr}`);
    const ev = t.logs.find((l) => l.event === 'fraud.refused' && l.workplace === '200');
    assert.ok(ev, 'a fraud.refused event for workplace 200');
    assert.equal(ev.class, 'premium');
    assert.equal(ev.source, '127.0.0.1', "the caller's address");
    assert.equal(ev.tenant, 'acme');
  });

  it("a national forward goes out; the next one past the forwarding workplace's hourly limit is refused", async () => {
    const carrier = await answeringCarrier(t, CARRIER_IP, CARRIER_PORT);
    const first = await dial('100', 'device-call.xml');
    assert.equal(first.code, 0, first.messages + first.stderr);
    const c = await carrier.done;
    assert.equal(c.code, 0, c.stdout + c.stderr);
    const second = await dial('100');
    assert.equal(second.code, 0, second.messages + second.stderr);
    assert.ok(
      t.logs.some((l) => l.event === 'fraud.refused' && l.reason === 'hourly-limit' && l.workplace === '100'),
      'refused by the hourly limit of the forwarding workplace 100',
    );
  });

  it('click-to-dial to a premium-rate number is refused (403) before any phone rings', async () => {
    const reg = await runSipp({
      scenario: 'register-auth.xml',
      target: t.udp,
      localPort: PORT_BASE + 73,
      keys: { user: '101', domain: DOMAIN, expires: 300 },
      extra: ['-au', '101', '-ap', PASSWORD],
    });
    assert.equal(reg.code, 0, reg.stdout + reg.stderr);
    const api = new ApiClient(t.server.httpPort);
    assert.equal(await api.login(DOMAIN, '101', WEB_PASSWORD), 201);
    const before = t.logs.filter((l) => l.event === 'fraud.refused').length;
    const r = await api.request('POST', '/api/v1/calls', { device: '101', to: '009001234567' });
    assert.equal(r.status, 403, JSON.stringify(r.json));
    const refused = t.logs.filter((l) => l.event === 'fraud.refused');
    assert.equal(refused.length, before + 1);
    assert.equal(refused.at(-1)!.workplace, '101');
    assert.equal(refused.at(-1)!.class, 'premium');
    // Unregister, so the leak check sees no binding left over from this test.
    const unreg = await runSipp({
      scenario: 'register-auth.xml',
      target: t.udp,
      localPort: PORT_BASE + 73,
      keys: { user: '101', domain: DOMAIN, expires: 0 },
      extra: ['-au', '101', '-ap', PASSWORD],
    });
    assert.equal(unreg.code, 0, unreg.stdout + unreg.stderr);
  });
});
