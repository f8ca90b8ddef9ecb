import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EventBus } from '../../core/events/event-bus.js';
import { AS_FEATURE_EVENT, FeatureKeys } from '../../core/subscriptions/feature-keys.js';
import { SubscriptionService } from '../../core/subscriptions/subscription-service.js';
import { TestSubscriber } from '../../core/subscriptions/test-subscriber.js';
import { Net } from '../../sip/ua/test-net.js';
import { openStore } from '../../store/open-store.js';
import type { DeviceRecord, Store, TenantRecord, WorkplaceRecord } from '../../store/types.js';
import { createLogger } from '../../util/log.js';
import { AcdSubscriptions } from './acd-subscriptions.js';
import type { AgentStatus } from './agent-state.js';

const ACME: TenantRecord = { id: 'acme', name: 'Acme', domain: 'example.com' };
const device = (workplaceExtension: string): DeviceRecord => ({
  tenantId: 'acme',
  username: `phone-${workplaceExtension}`,
  workplaceExtension,
  kind: 'deskphone',
  ha1Md5: '',
  ha1Sha256: '',
});
const workplace = (extension: string, packages: string[]): WorkplaceRecord => ({
  tenantId: 'acme',
  extension,
  name: `WP ${extension}`,
  email: null,
  language: 'de',
  packages,
});
const PLAN = [workplace('100', ['group']), workplace('101', [])];
const READY =
  '<SetAgentState xmlns="http://www.ecma-international.org/standards/ecma-323/csta/ed3">' +
  '<device>100</device><requestedAgentState>ready</requestedAgentState></SetAgentState>';
const log = createLogger({ level: 'silent' });

describe('AcdSubscriptions (as-feature-event on the subscription service)', () => {
  let store: Store;
  before(async () => {
    store = await openStore('sqlite::memory:');
    await store.provisioning.upsertTenant(ACME);
  });
  after(() => store.close());

  function setup(phone: DeviceRecord) {
    const net = new Net();
    const bus = new EventBus();
    const status = new Map<string, AgentStatus>();
    const svc = new SubscriptionService({
      ua: net.b.ua,
      tenants: { tenantById: async () => ACME },
      store,
      clock: net.clock,
      log,
    });
    const keys = new FeatureKeys({ subscriptions: svc, log });
    const part = new AcdSubscriptions({
      keys,
      directory: {
        plan: async () => ({ workplace: (e: string) => PLAN.find((w) => w.extension === e) }),
      },
      agents: {
        statusOf: async (_t, wp) => status.get(wp),
        setStatus: async (tenantId, wp, s) => {
          const previous = status.get(wp) ?? 'signed-out';
          status.set(wp, s);
          bus.emit({
            type: 'callcenter.agent.status',
            tenantId,
            at: 0,
            agent: wp,
            status: s,
            previous,
            cause: 'agent',
          });
        },
      },
      bus,
    });
    part.start();
    // The leak-check view of the tests: the live subscriptions, and stop() of the part.
    const acd = { count: () => keys.count(), stop: () => part.stop() };
    net.b.onApp = (tx) => void svc.handleSubscribe(tx, ACME, phone);
    return { net, bus, svc, acd, status };
  }

  it('refuses a workplace without the group package (403), before anything is set', async () => {
    const { net, acd, status } = setup(device('101'));
    const s = new TestSubscriber(net);
    const res = await s.subscribe({ uri: 'sip:101@example.com', event: AS_FEATURE_EVENT, body: READY });
    assert.equal(res.status, 403);
    assert.equal(res.reason, 'Group Package Not Booked');
    assert.equal(status.size, 0);
    assert.equal(acd.count(), 0);
    await net.finish();
  });

  it('SetAgentState in the SUBSCRIBE sets the status; the NOTIFYs follow every change; unsubscribe ends it', async () => {
    const { net, bus, svc, acd, status } = setup(device('100'));
    const s = new TestSubscriber(net);
    const res = await s.subscribe({
      uri: 'sip:100@example.com',
      event: AS_FEATURE_EVENT,
      expires: 600,
      body: READY,
    });
    assert.equal(res.status, 200);
    await net.drain();
    assert.equal(status.get('100'), 'available');
    assert.equal(acd.count(), 1);
    assert.match(s.notifies[0]!.body, /<AgentReadyEvent /);
    assert.equal(s.notifies[0]!.request.headers.get('Event'), AS_FEATURE_EVENT);
    assert.equal(s.notifies[0]!.request.headers.get('Content-Type'), 'application/x-as-feature-event+xml');
    // A change from elsewhere (feature code, wrap-up timer) reaches the key.
    status.set('100', 'wrap-up');
    bus.emit({
      type: 'callcenter.agent.status',
      tenantId: 'acme',
      at: 1,
      agent: '100',
      status: 'wrap-up',
      previous: 'available',
      cause: 'queue-call',
    });
    await net.drain();
    assert.match(s.notifies.at(-1)!.body, /<AgentWorkingAfterCallEvent /);
    // Another workplace's change does not.
    const before = s.notifies.length;
    bus.emit({
      type: 'callcenter.agent.status',
      tenantId: 'acme',
      at: 2,
      agent: '101',
      status: 'available',
      previous: 'signed-out',
      cause: 'agent',
    });
    await net.drain();
    assert.equal(s.notifies.length, before);
    assert.equal(
      (await s.subscribe({ uri: 'sip:100@example.com', event: AS_FEATURE_EVENT, expires: 0 })).status,
      200,
    );
    await net.drain();
    assert.equal(s.states().at(-1), 'terminated;reason=timeout');
    assert.match(
      s.notifies.at(-1)!.body,
      /<AgentWorkingAfterCallEvent /,
      'the last state in the final NOTIFY',
    );
    assert.equal(acd.count(), 0);
    await svc.stop();
    assert.deepEqual(await store.blfSubscriptions.loadAll(), []);
    acd.stop();
    await net.finish();
  });

  it('is stored and restored like any subscription (kind as-feature-event), with the status current at restore', async () => {
    const first = setup(device('100'));
    const s = new TestSubscriber(first.net);
    await s.subscribe({ uri: 'sip:100@example.com', event: AS_FEATURE_EVENT, expires: 600 });
    await first.svc.stop();
    first.acd.stop();
    const stored = await store.blfSubscriptions.loadAll();
    assert.deepEqual(
      stored.map((r) => [r.kind, r.resource]),
      [['as-feature-event', '100']],
    );
    const second = setup(device('100'));
    second.status.set('100', 'unavailable');
    const s2 = new TestSubscriber(second.net);
    await second.svc.start();
    await second.net.drain();
    assert.equal(second.acd.count(), 1);
    assert.match(s2.notifies[0]!.body, /<AgentNotReadyEvent /);
    await second.net.advance(601_000, 10_000);
    assert.equal(s2.states().at(-1), 'terminated;reason=timeout');
    await second.svc.stop();
    second.acd.stop();
    await first.net.finish();
    await second.net.finish();
  });
});
