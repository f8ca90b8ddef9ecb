import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SubscriptionService } from '../../core/subscriptions/subscription-service.js';
import { TestSubscriber } from '../../core/subscriptions/test-subscriber.js';
import type { OutOfDialogRequestOptions } from '../../sip/ua/index.js';
import { Net } from '../../sip/ua/test-net.js';
import { openStore } from '../../store/open-store.js';
import type { DeviceRecord, RegistrationRecord, Store, TenantRecord } from '../../store/types.js';
import type { SipResponse } from '../../sip/message/index.js';
import { createLogger } from '../../util/log.js';
import { MESSAGE_SUMMARY, parseMessageSummary, type MailboxCounts } from './message-summary.js';
import { MwiSubscriptions } from './mwi-subscriptions.js';
import { sendUnsolicitedMwi } from './unsolicited-mwi.js';

const ACME: TenantRecord = { id: 'acme', name: 'Acme', domain: 'example.com' };
const phone = (username: string, workplaceExtension: string): DeviceRecord => ({
  tenantId: 'acme',
  username,
  workplaceExtension,
  kind: 'deskphone',
  ha1Md5: '',
  ha1Sha256: '',
});
const log = createLogger({ level: 'silent' });

describe('MwiSubscriptions (message-summary on the subscription service)', () => {
  let store: Store;
  before(async () => {
    store = await openStore('sqlite::memory:');
    await store.provisioning.upsertTenant(ACME);
  });
  after(() => store.close());

  function setup(device: DeviceRecord) {
    const net = new Net();
    const boxes = new Map<string, MailboxCounts>([['100', { newCount: 0, oldCount: 2 }]]);
    const svc = new SubscriptionService({
      ua: net.b.ua,
      tenants: { tenantById: async () => ACME },
      store,
      clock: net.clock,
      log,
    });
    const mwi = new MwiSubscriptions({
      subscriptions: svc,
      counts: async (_t, wp) => boxes.get(wp),
      log,
    });
    net.b.onApp = (tx) => void svc.handleSubscribe(tx, ACME, device);
    return { net, mwi, boxes };
  }

  it("refuses another workplace's mailbox (403) and a workplace without one (404)", async () => {
    const { net, mwi } = setup(phone('desk-100', '100'));
    const s = new TestSubscriber(net);
    const other = await s.subscribe({ uri: 'sip:101@example.com', event: MESSAGE_SUMMARY });
    assert.deepEqual([other.status, other.reason], [403, 'Not Your Mailbox']);
    await net.finish();
    const n = setup(phone('desk-101', '101'));
    const none = await new TestSubscriber(n.net).subscribe({
      uri: 'sip:101@example.com',
      event: MESSAGE_SUMMARY,
    });
    assert.deepEqual([none.status, none.reason], [404, 'No Mailbox']);
    assert.equal(mwi.count() + n.mwi.count(), 0);
    await n.net.finish();
  });

  it('the own AOR or the extension names the mailbox; every change is NOTIFYed; other mailboxes are not', async () => {
    const { net, mwi, boxes } = setup(phone('desk-100', '100'));
    const s = new TestSubscriber(net);
    assert.equal(
      (await s.subscribe({ uri: 'sip:desk-100@example.com', event: MESSAGE_SUMMARY })).status,
      200,
    );
    await net.drain();
    const first = parseMessageSummary(s.notifies[0]!.body);
    assert.deepEqual(first, { waiting: false, account: 'sip:100@example.com', newCount: 0, oldCount: 2 });
    assert.equal(s.notifies[0]!.request.headers.get('Content-Type'), 'application/simple-message-summary');
    mwi.changed('acme', '100', { newCount: 1, oldCount: 2 });
    mwi.changed('acme', '101', { newCount: 5, oldCount: 0 });
    mwi.changed('other', '100', { newCount: 7, oldCount: 0 });
    await net.drain();
    assert.equal(s.notifies.length, 2);
    assert.equal(parseMessageSummary(s.notifies[1]!.body)?.waiting, true);
    await mwi.reconcile(); // the mailbox is still there: nothing happens
    await net.drain();
    assert.equal(s.notifies.length, 2);
    boxes.delete('100');
    await mwi.reconcile();
    await net.drain();
    assert.match(
      s.notifies.at(-1)!.request.headers.get('Subscription-State') ?? '',
      /terminated;reason=noresource/,
    );
    await net.finish();
  });
});

describe('unsolicited MWI', () => {
  it('goes to every registered contact of the listed devices only', async () => {
    const sent: OutOfDialogRequestOptions[] = [];
    const binding = (username: string, contact: string) => ({ username, contact }) as RegistrationRecord;
    const contacts: Record<string, RegistrationRecord[]> = {
      old: [binding('old', 'sip:old@10.0.0.1:5060'), binding('old', 'sip:old@10.0.0.2:5060')],
      new: [binding('new', 'sip:new@10.0.0.3:5060')],
    };
    await sendUnsolicitedMwi(
      {
        lookup: (_t, u) => contacts[u] ?? [],
        flowOf: () => ({
          protocol: 'udp',
          local: { address: '127.0.0.1', port: 5060 },
          remote: { address: '10.0.0.1', port: 5060 },
        }),
        request: async (o) => {
          sent.push(o);
          return { status: 200 } as SipResponse;
        },
        log,
      },
      {
        tenantId: 'acme',
        domain: 'example.com',
        extension: '100',
        devices: ['old'],
        counts: { newCount: 1, oldCount: 0 },
      },
    );
    assert.deepEqual(
      sent.map((o) => o.requestUri),
      ['sip:old@10.0.0.1:5060', 'sip:old@10.0.0.2:5060'],
    );
    assert.equal(sent[0]!.method, 'NOTIFY');
    assert.deepEqual(sent[0]!.headers?.[0], ['Event', 'message-summary']);
    assert.equal(parseMessageSummary(sent[0]!.body!.toString())?.newCount, 1);
  });
});
