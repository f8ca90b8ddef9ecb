import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Net } from '../../sip/ua/test-net.js';
import { openStore } from '../../store/open-store.js';
import type { DeviceRecord, Store, TenantRecord } from '../../store/types.js';
import { createLogger } from '../../util/log.js';
import { AS_FEATURE_EVENT, FeatureKeys, type FeatureKeyPart } from './feature-keys.js';
import { SubscriptionService } from './subscription-service.js';
import { TestSubscriber } from './test-subscriber.js';

const ACME: TenantRecord = { id: 'acme', name: 'Acme', domain: 'example.com' };
const PHONE: DeviceRecord = {
  tenantId: 'acme',
  username: 'phone-100',
  workplaceExtension: '100',
  kind: 'deskphone',
  ha1Md5: '',
  ha1Sha256: '',
};
const log = createLogger({ level: 'silent' });

/** A part with one or two documents per workplace, set by `<Set>name=value</Set>` bodies. */
function part(name: string, keys: string[], serves = true): FeatureKeyPart & { state: Map<string, string> } {
  const state = new Map(keys.map((k) => [k, 'off']));
  return {
    name,
    state,
    serves: async () => (serves ? true : { reason: `${name} Not Booked` }),
    received: async (_t, _w, body) => {
      const m = /<Set>(\w+)=(\w+)<\/Set>/.exec(body);
      if (m && state.has(m[1]!)) state.set(m[1]!, m[2]!);
    },
    documents: async () => [...state].map(([k, v]) => `<${k}>${v}</${k}>`),
  };
}

describe('FeatureKeys (as-feature-event with parts)', () => {
  let store: Store;
  before(async () => {
    store = await openStore('sqlite::memory:');
    await store.provisioning.upsertTenant(ACME);
  });
  after(() => store.close());

  function setup(...parts: FeatureKeyPart[]) {
    const net = new Net();
    const svc = new SubscriptionService({
      ua: net.b.ua,
      tenants: { tenantById: async () => ACME },
      store,
      clock: net.clock,
      log,
    });
    const keys = new FeatureKeys({ subscriptions: svc, log });
    for (const p of parts) keys.addPart(p);
    net.b.onApp = (tx) => void svc.handleSubscribe(tx, ACME, PHONE);
    return { net, svc, keys };
  }

  it('refuses with the first refusal when no part serves the workplace', async () => {
    const { net, keys } = setup(part('a', ['x'], false), part('b', ['y'], false));
    const s = new TestSubscriber(net);
    const res = await s.subscribe({ uri: 'sip:100@example.com', event: AS_FEATURE_EVENT });
    assert.deepEqual([res.status, res.reason], [403, 'a Not Booked']);
    assert.equal(keys.count(), 0);
    await net.finish();
  });

  it('one subscription serves every part: full state as multipart, a change only as its own document', async () => {
    const a = part('a', ['dnd', 'cfa']);
    const b = part('b', ['agent']);
    const { net, svc, keys } = setup(a, part('c', ['z'], false), b);
    const s = new TestSubscriber(net);
    const res = await s.subscribe({
      uri: 'sip:100@example.com',
      event: AS_FEATURE_EVENT,
      expires: 600,
      body: '<Set>agent=ready</Set>',
    });
    assert.equal(res.status, 200);
    await net.drain();
    const full = s.notifies[0]!;
    assert.match(full.request.headers.get('Content-Type') ?? '', /^multipart\/mixed;boundary=/);
    const parts = full.body.split(/--as-feature-event-part/).filter((p) => p.includes('<'));
    assert.deepEqual(
      parts.map((p) => /<(\w+)>(\w+)</.exec(p)!.slice(1).join('=')),
      ['dnd=off', 'cfa=off', 'agent=ready'],
      'the parts in order, the set request applied, the part that does not serve left out',
    );
    a.state.set('dnd', 'on');
    keys.changed('acme', '100', 'a', await a.documents('acme', '100'));
    keys.changed('acme', '100', 'a', await a.documents('acme', '100'));
    keys.changed('acme', '101', 'a', ['<dnd>on</dnd>']);
    keys.changed('acme', '100', 'c', ['<z>on</z>']);
    await net.drain();
    assert.equal(
      s.notifies.length,
      2,
      'one NOTIFY: unchanged documents, other workplaces and parts not served send none',
    );
    assert.equal(s.notifies[1]!.request.headers.get('Content-Type'), 'application/x-as-feature-event+xml');
    assert.equal(s.notifies[1]!.body, '<dnd>on</dnd>');
    await svc.stop();
    await net.finish();
  });
});
