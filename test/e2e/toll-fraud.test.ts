import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { answeringCarrier, carrierTrunkYaml, startProvisioned } from './support/provisioned.js';
import { runSipp } from './support/sipp.js';
import { assertBaseline, type TestServer } from './support/server.js';

/** Toll-fraud limits with a sipp carrier: refused destinations and counts never reach the trunk. */
const PORT_BASE = Number((process.env.ZENTRALE_TEST_RTP_PORTS ?? '31000-31999').split('-')[0]) - 500;
const DOMAIN = 'acme.zentrale.test';
const CARRIER_IP = '127.0.0.9';
const CARRIER_PORT = PORT_BASE + 50;
const PASSWORD = 'acme-Heiden-Pa55word';

const FIXTURE = `tenants:
  - id: acme
    name: Acme GmbH
    domain: ${DOMAIN}
    workplaces:
      - extension: '100'
        name: Karin Heiden
        externalNumber: '+4930555100'
        devices:
          - { username: '100', password: '${PASSWORD}' }
${carrierTrunkYaml(CARRIER_IP, CARRIER_PORT)}`;

function dial(t: TestServer, number: string, scenario = 'device-call-403-announced.xml') {
  return runSipp({
    scenario,
    target: t.udp,
    localPort: PORT_BASE + 52,
    keys: { user: '100', domain: DOMAIN, dial: number },
    extra: ['-au', '100', '-ap', PASSWORD],
    timeoutS: 10,
    trace: true,
  });
}

describe('toll-fraud limits', () => {
  let t: TestServer;
  before(async () => {
    t = await startProvisioned('toll-fraud', FIXTURE);
  });
  after(async () => {
    await t.stop();
  });
  afterEach(async () => {
    await assertBaseline(t, 8000);
  });

  for (const [what, number, cls] of [
    ['a premium-rate number', '009001234567', 'premium'],
    ['an international number', '00044201234567', 'international'],
  ] as const) {
    it(`${what} is refused with the information tone and 403, and logged as fraud.refused`, async () => {
      const r = await dial(t, number);
      assert.equal(r.code, 0, `${r.messages}\n${r.stderr}`);
      assert.match(r.messages, /SIP\/2\.0 403 Call Not Allowed/);
      const ev = t.logs.find((l) => l.event === 'fraud.refused' && l.class === cls);
      assert.ok(ev, `a fraud.refused event for ${cls}`);
      assert.equal(ev.source, '127.0.0.1');
      assert.equal(ev.tenant, 'acme');
      assert.equal(ev.workplace, '100');
    });
  }

  it('a national call goes out; the next one past the hourly limit is refused before the carrier sees it', async () => {
    const carrier = await answeringCarrier(t, CARRIER_IP, CARRIER_PORT);
    const first = await dial(t, '00301234', 'device-call.xml');
    assert.equal(first.code, 0, first.messages + first.stderr);
    const c = await carrier.done;
    assert.equal(c.code, 0, c.stdout + c.stderr);
    const second = await dial(t, '00301234');
    assert.equal(second.code, 0, second.stderr);
    assert.ok(t.logs.some((l) => l.event === 'fraud.refused' && l.reason === 'hourly-limit'));
    const metrics = await (await fetch(`http://127.0.0.1:${t.server.httpPort}/metrics`)).text();
    assert.match(metrics, /^zentrale_fraud_refused_total 3$/m);
  });
});
