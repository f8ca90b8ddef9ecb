import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createPgTestSchema, PG_SKIP_REASON, pgTestUrl } from '../../../test/support/postgres.js';
import { openStore } from '../../store/open-store.js';
import type { Store } from '../../store/types.js';
import { parseProvisioning, ProvisioningError } from './parse.js';
import { parsePeer } from './peer.js';
import { applyProvisioning, formatChanges, planProvisioning } from './plan.js';

const TENANT_A = `  - id: acme
    name: Acme GmbH
    domain: acme.example
    workplaces:
      - extension: "100"
        name: Karin Heiden
        externalNumber: "+4930123456100"
        devices: [{ username: "100", password: "a-long-secret" }]
      - extension: "101"
        name: Jonas Brandt
    trunks:
      - id: carrier1
        peer: 127.0.0.1:5090
        register: { username: "4930123", password: "pw", expires: 600 }
        outboundPrefix: "0"
        numberFormat: e164
        countryCode: "49"
        dids:
          - { number: "+4930123456100", extension: "100" }
          - { number: "+4930123456199", extension: "100" }
        defaultCallerId: "+4930123456000"
`;
const TENANT_B = `  - id: beta
    name: Beta AG
    domain: beta.example
    workplaces:
      - extension: "200"
        name: Eva Lorenz
    trunks:
      - id: main
        peer: "[2001:db8::5]"
        transport: tcp
        numberFormat: national
        dids: [{ number: "+4940555000", extension: "200" }]
`;
const FILE = `tenants:\n${TENANT_A}${TENANT_B}`;

function reject(text: string): ProvisioningError {
  try {
    parseProvisioning(text, 'f.yaml');
  } catch (err) {
    assert.ok(err instanceof ProvisioningError, String(err));
    return err;
  }
  assert.fail('expected a ProvisioningError');
}

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('parsePeer', () => {
  const cases: Array<[string, { host: string; port: number } | undefined]> = [
    ['127.0.0.1:5090', { host: '127.0.0.1', port: 5090 }],
    ['192.0.2.1', { host: '192.0.2.1', port: 5060 }],
    ['SIP.Carrier.example:5080', { host: 'sip.carrier.example', port: 5080 }],
    ['localhost', { host: 'localhost', port: 5060 }],
    ['[2001:db8::1]:5061', { host: '2001:db8::1', port: 5061 }],
    ['[2001:db8::1]', { host: '2001:db8::1', port: 5060 }],
    ['2001:db8::1', undefined],
    ['999.1.1.1:5060', undefined],
    ['host:0', undefined],
    ['host:70000', undefined],
    ['host:', undefined],
    ['sip:host', undefined],
    ['', undefined],
    ['a b', undefined],
  ];
  for (const [text, want] of cases) {
    it(JSON.stringify(text), () => assert.deepEqual(parsePeer(text), want));
  }
});

describe('parseProvisioning: trunks', () => {
  it('parses trunks, DIDs and external numbers with their defaults', () => {
    const doc = parseProvisioning(FILE, 'f.yaml');
    const [a, b] = doc.tenants;
    assert.equal(a!.workplaces[0]!.externalNumber, '+4930123456100');
    assert.equal(a!.workplaces[1]!.externalNumber, null);
    const t = a!.trunks[0]!;
    assert.deepEqual(
      { ...t, dids: t.dids.map((d) => `${d.number}>${d.extension}`) },
      {
        id: 'carrier1',
        peerHost: '127.0.0.1',
        peerPort: 5090,
        transport: 'udp',
        register: { username: '4930123', password: 'pw', expires: 600 },
        outboundPrefix: '0',
        numberFormat: 'e164',
        countryCode: '49',
        dids: ['+4930123456100>100', '+4930123456199>100'],
        defaultCallerId: '+4930123456000',
      },
    );
    assert.equal(t.dids[1]!.numberAt.line, lineOf(FILE, '+4930123456199'));
    const m = b!.trunks[0]!;
    assert.equal(m.peerHost, '2001:db8::5');
    assert.equal(m.peerPort, 5060);
    assert.equal(m.transport, 'tcp');
    assert.equal(m.register, null);
    assert.equal(m.outboundPrefix, '0');
    assert.equal(m.countryCode, null);
  });

  it('a tenant without trunks has none', () => {
    const text = `tenants:\n${TENANT_A.slice(0, TENANT_A.indexOf('    trunks:'))}`.replace(
      /\s*externalNumber.*\n/,
      '\n',
    );
    assert.deepEqual(parseProvisioning(text, 'f.yaml').tenants[0]!.trunks, []);
  });

  it('accepts a weak carrier password (it is the carrier’s)', () => {
    assert.doesNotThrow(() => parseProvisioning(FILE.replace('password: "pw"', 'password: "1"'), 'f.yaml'));
  });

  it('reports bad values with their lines', () => {
    const text = FILE.replace('peer: 127.0.0.1:5090', 'peer: 127.0.0.1:99999')
      .replace(
        '{ number: "+4930123456199", extension: "100" }',
        '{ number: +4930123456199, extension: "999" }',
      )
      .replace('numberFormat: national', 'numberFormat: local')
      .replace('transport: tcp', 'transport: tls\n        registr: {}');
    const err = reject(text);
    assert.deepEqual(
      err.issues.map((i) => `${i.line} ${i.path}: ${i.message}`),
      [
        `${lineOf(text, '99999')} tenants[0].trunks[0].peer: must be host:port (an IP address or host name; IPv6 in [ ])`,
        `${lineOf(text, '+4930123456199')} tenants[0].trunks[0].dids[1].number: must be a quoted string, e.g. "4930123456199" (YAML reads 4930123456199 as a number)`,
        `${lineOf(text, '+4930123456199')} tenants[0].trunks[0].dids[1].extension: no workplace or group with extension "999" in this tenant`,
        `${lineOf(text, 'transport: tls')} tenants[1].trunks[0].transport: must be one of: udp, tcp`,
        `${lineOf(text, 'registr:')} tenants[1].trunks[0].registr: unknown key (did you mean "register"?); allowed here: id, peer, transport, register, outboundPrefix, numberFormat, countryCode, dids, defaultCallerId`,
        `${lineOf(text, 'numberFormat: local')} tenants[1].trunks[0].numberFormat: must be one of: e164, national`,
      ],
    );
  });

  it('needs a country code for e164, and unique trunk ids and DIDs across tenants', () => {
    const text = FILE.replace('numberFormat: national', 'numberFormat: e164')
      .replace('"+4940555000"', '"+4930123456100"')
      .replace('      - id: main', '      - id: main\n        peer: 192.0.2.9\n      - id: main');
    const err = reject(text);
    const msgs = err.issues.map((i) => `${i.path}: ${i.message}`);
    assert.ok(msgs.includes('tenants[1].trunks[1].id: duplicate trunk id "main"'), msgs.join('\n'));
    assert.ok(
      msgs.includes(
        'tenants[1].trunks[1].dids[0].number: DID "+4930123456100" is already used (at tenants[0].trunks[0].dids[0])',
      ),
      msgs.join('\n'),
    );
    assert.ok(
      msgs.some((m) =>
        m.startsWith('tenants[1].trunks[0].numberFormat: numberFormat e164 needs countryCode'),
      ),
    );
  });

  it('rejects a malformed E.164 number and an unquoted prefix', () => {
    const text = FILE.replace('defaultCallerId: "+4930123456000"', 'defaultCallerId: "030123"').replace(
      'outboundPrefix: "0"',
      'outboundPrefix: 0',
    );
    const msgs = reject(text).issues.map((i) => `${i.path}: ${i.message}`);
    assert.deepEqual(msgs, [
      'tenants[0].trunks[0].outboundPrefix: must be a quoted string, e.g. "0" (YAML reads 0 as a number)',
      'tenants[0].trunks[0].defaultCallerId: must be an E.164 number with "+", e.g. "+4930123456100"',
    ]);
  });

  it('never puts the carrier password into an error message', () => {
    const err = reject(FILE.replace('expires: 600', 'expires: 5'));
    assert.ok(!err.message.includes('"pw"'));
    assert.match(err.message, /register\.expires: at least 60 seconds/);
  });
});

async function clear(store: Store): Promise<void> {
  const s = await store.directory.snapshot();
  for (const t of s.tenants) await store.provisioning.removeTenant(t.id);
}

function trunkApplySuite(
  name: string,
  open: () => Promise<{ url: string; cleanup(): Promise<void> }>,
  skip: string | false,
) {
  describe(name, { skip }, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    const doc = (text = FILE) => parseProvisioning(text, 'f.yaml');

    before(async () => {
      const b = await open();
      cleanup = b.cleanup;
      store = await openStore(b.url);
    });
    after(async () => {
      await store?.close();
      await cleanup?.();
    });
    beforeEach(() => clear(store));

    it('creates trunks and DIDs, then a second apply changes nothing', async () => {
      const changes = await applyProvisioning(store, doc());
      const out = formatChanges(changes);
      assert.match(out, /^\+ trunk acme\/carrier1$/m);
      assert.match(out, /^\+ did acme\/\+4930123456100$/m);
      assert.match(out, /^\+ did beta\/\+4940555000$/m);
      assert.ok(!out.includes('pw'));
      const [t] = await store.trunks.forTenant('acme');
      assert.equal(t?.regPassword, 'pw', 'stored as given: it is sent to the carrier');
      assert.equal(t?.peerPort, 5090);
      assert.equal((await store.trunks.didLookup('+4940555000'))?.tenantId, 'beta');
      assert.equal((await store.directory.workplaces('acme'))[0]?.externalNumber, '+4930123456100');
      assert.deepEqual(await applyProvisioning(store, doc()), []);
      assert.deepEqual(await planProvisioning(store, doc()), []);
    });

    it('reports trunk updates field by field and only that the password changed', async () => {
      await applyProvisioning(store, doc());
      const text = FILE.replace('password: "pw"', 'password: "n3w-secret"')
        .replace('peer: 127.0.0.1:5090', 'peer: 127.0.0.1:5092')
        .replace(
          '{ number: "+4930123456199", extension: "100" }',
          '{ number: "+4930123456199", extension: "101" }',
        )
        .replace('        externalNumber: "+4930123456100"\n', '');
      const out = formatChanges(await applyProvisioning(store, doc(text)));
      assert.equal(
        out,
        [
          '~ workplace acme/100 externalNumber: "+4930123456100" -> null',
          '~ trunk acme/carrier1 peer: "127.0.0.1:5090" -> "127.0.0.1:5092", password changed',
          '~ did acme/+4930123456199 extension: "100" -> "101"',
        ].join('\n'),
      );
      assert.ok(!out.includes('n3w'));
      assert.equal((await store.trunks.forTenant('acme'))[0]?.regPassword, 'n3w-secret');
      assert.equal((await store.directory.workplaces('acme'))[0]?.externalNumber, undefined);
    });

    it('removing a trunk deletes its DIDs; other tenants are untouched', async () => {
      await applyProvisioning(store, doc());
      const text = FILE.slice(0, FILE.indexOf('    trunks:')) + TENANT_B;
      const out = formatChanges(await applyProvisioning(store, doc(text)));
      assert.equal(out, '- did acme/+4930123456100\n- did acme/+4930123456199\n- trunk acme/carrier1');
      assert.deepEqual(await store.trunks.forTenant('acme'), []);
      assert.deepEqual(await store.trunks.dids('acme'), []);
      assert.equal((await store.trunks.dids('beta')).length, 1);
    });

    it('moves a DID from one tenant to another within one file', async () => {
      await applyProvisioning(store, doc());
      // beta's number goes to acme; beta (later in the file) gives it up in the same run.
      const text = FILE.replace(
        '          - { number: "+4930123456199", extension: "100" }',
        '          - { number: "+4930123456199", extension: "100" }\n          - { number: "+4940555000", extension: "101" }',
      ).replace('dids: [{ number: "+4940555000", extension: "200" }]', 'dids: []');
      await applyProvisioning(store, doc(text));
      assert.deepEqual(await store.trunks.didLookup('+4940555000'), {
        number: '+4940555000',
        tenantId: 'acme',
        trunkId: 'carrier1',
        extension: '101',
      });
      assert.deepEqual(await store.trunks.dids('beta'), []);
    });

    it('refuses a DID owned by a tenant outside the file, naming the line', async () => {
      await applyProvisioning(store, doc());
      const onlyA = `tenants:\n${TENANT_A.replace('"+4930123456199"', '"+4940555000"')}`;
      await assert.rejects(applyProvisioning(store, doc(onlyA)), (err: unknown) => {
        assert.ok(err instanceof ProvisioningError);
        assert.equal(
          err.message,
          `f.yaml:${lineOf(onlyA, '+4940555000')}:23 tenants[0].trunks[0].dids[1].number: DID "+4940555000" belongs to tenant "beta", which this file does not change`,
        );
        return true;
      });
      assert.equal((await store.trunks.didLookup('+4940555000'))?.tenantId, 'beta');
    });
  });
}

trunkApplySuite(
  'provisioning trunks (sqlite)',
  async () => ({ url: 'sqlite::memory:', cleanup: async () => undefined }),
  false,
);

const pgUrl = pgTestUrl();
trunkApplySuite(
  'provisioning trunks (postgres)',
  async () => {
    const schema = await createPgTestSchema(pgUrl as string, 'provtrunks');
    return { url: schema.url, cleanup: () => schema.drop() };
  },
  pgUrl ? false : PG_SKIP_REASON,
);
