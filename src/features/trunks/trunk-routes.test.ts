import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseProvisioning } from '../../core/provisioning/parse.js';
import { applyProvisioning } from '../../core/provisioning/plan.js';
import { openStore } from '../../store/open-store.js';
import type { Store } from '../../store/types.js';
import { FakeClock } from '../../util/clock.js';
import { TrunkRoutes } from './trunk-routes.js';

// Two tenants share one carrier address (127.0.0.1); a third reaches its carrier by host name.
const FILE = `tenants:
  - id: acme
    name: Acme
    domain: acme.example
    workplaces:
      - { extension: "100", name: Karin, externalNumber: "+4930123456100" }
      - { extension: "101", name: Jonas }
    trunks:
      - id: carrier1
        peer: 127.0.0.1:5090
        register: { username: "4930123", password: "pw" }
        countryCode: "49"
        dids:
          - { number: "+4930123456100", extension: "100" }
          - { number: "+4930123456199", extension: "101" }
        defaultCallerId: "+4930123456000"
  - id: beta
    name: Beta
    domain: beta.example
    workplaces:
      - { extension: "200", name: Eva }
    trunks:
      - id: shared
        peer: 127.0.0.1:5090
        numberFormat: national
        countryCode: "49"
        dids: [{ number: "+4940555000", extension: "200" }]
  - id: gamma
    name: Gamma
    domain: gamma.example
    workplaces:
      - { extension: "300", name: Udo }
    trunks:
      - id: named
        peer: sip.carrier.example:5070
        transport: tcp
        countryCode: "43"
        dids: [{ number: "+431999", extension: "300" }]
`;

describe('TrunkRoutes', () => {
  let store: Store;
  const clock = new FakeClock();
  const lookups: string[] = [];
  let routes: TrunkRoutes;

  before(async () => {
    store = await openStore('sqlite::memory:');
    await applyProvisioning(store, parseProvisioning(FILE, 'f.yaml'));
    routes = new TrunkRoutes({
      store,
      clock,
      resolve: async (host) => {
        lookups.push(host);
        if (host === 'sip.carrier.example') return '192.0.2.77';
        throw new Error('ENOTFOUND');
      },
    });
  });
  after(() => store.close());

  it('outbound: formats the number, presents the workplace external number, asserts identity', async () => {
    assert.deepEqual(await routes.outbound('acme', '100', '030555'), {
      trunkId: 'carrier1',
      flow: {
        protocol: 'udp',
        remote: { address: '127.0.0.1', port: 5090 },
        local: { address: '', port: 0 },
      },
      requestUri: 'sip:+4930555@127.0.0.1:5090',
      from: '<sip:+4930123456100@127.0.0.1>',
      to: '<sip:+4930555@127.0.0.1>',
      e164: '+4930555',
      headers: [['P-Asserted-Identity', '<sip:+4930123456100@127.0.0.1>']],
      // The registration account also answers the carrier's challenge to the INVITE.
      credentials: { username: '4930123', password: 'pw' },
      // The home country the toll-fraud limits classify the destination by.
      countryCode: '49',
    });
  });

  it('outbound: a workplace without external number presents the trunk default', async () => {
    const t = await routes.outbound('acme', '101', '+44207');
    assert.equal(t?.from, '<sip:+4930123456000@127.0.0.1>');
    assert.equal(t?.requestUri, 'sip:+44207@127.0.0.1:5090');
  });

  it('outbound: national format; a host name resolved once; tcp in the Request-URI', async () => {
    const b = await routes.outbound('beta', '200', '+4930555');
    assert.equal(b?.requestUri, 'sip:030555@127.0.0.1:5090');
    // A national-format trunk still names the number in E.164 for History-Info.
    assert.equal(b?.e164, '+4930555');
    const g1 = await routes.outbound('gamma', '300', '01234');
    const g2 = await routes.outbound('gamma', '300', '01235');
    assert.equal(g1?.requestUri, 'sip:+431234@sip.carrier.example:5070;transport=tcp');
    assert.deepEqual(g1?.flow.remote, { address: '192.0.2.77', port: 5070 });
    assert.equal(g1?.flow.protocol, 'tcp');
    assert.equal(g2?.to, '<sip:+431235@sip.carrier.example>');
    // Without any caller id of its own, gamma's call says so.
    assert.equal(g1?.from, '<sip:anonymous@sip.carrier.example>');
    assert.deepEqual(lookups, ['sip.carrier.example']);
  });

  it('outbound: no trunk, or no number → undefined', async () => {
    assert.equal(await routes.outbound('nobody', '100', '030555'), undefined);
    assert.equal(await routes.outbound('acme', '100', 'alice'), undefined);
  });

  it('externalPrefix: the first trunk’s outboundPrefix', async () => {
    assert.equal(await routes.externalPrefix('acme'), '0');
    assert.equal(await routes.externalPrefix('nobody'), undefined);
  });

  it('inbound: a DID in any notation reaches its workplace, from any port of the peer address', async () => {
    const src = { address: '127.0.0.1', port: 5090 };
    for (const dialled of ['+4930123456100', '4930123456100', '004930123456100', '030123456100']) {
      assert.deepEqual(await routes.inbound(src, dialled, '0301111'), {
        kind: 'workplace',
        tenantId: 'acme',
        trunkId: 'carrier1',
        extension: '100',
        callerNumber: '+49301111',
      });
    }
    const r = await routes.inbound(
      { address: '::ffff:127.0.0.1', port: 40000 },
      '+4930123456199',
      'anonymous',
    );
    assert.deepEqual(r, {
      kind: 'workplace',
      tenantId: 'acme',
      trunkId: 'carrier1',
      extension: '101',
      callerNumber: 'anonymous',
    });
  });

  it('inbound: tenants sharing a carrier address are told apart by DID ownership', async () => {
    const src = { address: '127.0.0.1', port: 5090 };
    const b = await routes.inbound(src, '+4940555000', '+4930123');
    assert.deepEqual(b, {
      kind: 'workplace',
      tenantId: 'beta',
      trunkId: 'shared',
      extension: '200',
      callerNumber: '+4930123',
    });
    // gamma's DID never reaches anyone through acme/beta's carrier address.
    assert.deepEqual(await routes.inbound(src, '+431999', 'x'), {
      kind: 'unknown-number',
      tenantId: 'acme',
      trunkId: 'carrier1',
    });
  });

  it('inbound: matched by the resolved host name; unknown peers get undefined', async () => {
    assert.equal(
      (await routes.inbound({ address: '192.0.2.77', port: 5070 }, '+431999', '1'))?.kind,
      'workplace',
    );
    // acme's number from gamma's carrier: gamma's unknown number, never acme's workplace.
    assert.deepEqual(await routes.inbound({ address: '192.0.2.77', port: 5070 }, '+4930123456100', '1'), {
      kind: 'unknown-number',
      tenantId: 'gamma',
      trunkId: 'named',
    });
    assert.equal(
      await routes.inbound({ address: '192.0.2.1', port: 5090 }, '+4930123456100', '1'),
      undefined,
    );
  });

  it('caches for ttl; invalidate() reloads at once', async () => {
    await store.provisioning.removeTrunk('gamma', 'named');
    assert.notEqual(await routes.outbound('gamma', '300', '01234'), undefined, 'still cached');
    clock.advance(5_000);
    assert.equal(await routes.outbound('gamma', '300', '01234'), undefined, 'expired');
    await store.provisioning.upsertWorkplace({
      tenantId: 'acme',
      extension: '101',
      name: 'Jonas',
      email: null,
      language: 'de',
      packages: [],
      externalNumber: '+4930123456199',
    });
    routes.invalidate();
    assert.equal((await routes.outbound('acme', '101', '030'))?.from, '<sip:+4930123456199@127.0.0.1>');
  });
});
