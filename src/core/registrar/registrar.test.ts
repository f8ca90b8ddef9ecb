import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { LocationService } from './location-service.js';
import type { RegistrationRecord, RegistrationStore } from '../../store/types.js';
import { startTestPbx, type TestPbx } from '../test-pbx.js';

const register = (
  pbx: TestPbx,
  headers: Array<[string, string]>,
  extra: { callId?: string; cseq?: number } = {},
) => pbx.sendAuthenticated({ method: 'REGISTER', headers, ...extra });

describe('Registrar and LocationService (RFC 3261 section 10.3)', () => {
  let pbx: TestPbx;
  beforeEach(async () => {
    pbx = await startTestPbx();
  });
  afterEach(async () => {
    await pbx.close();
  });

  it('binds a contact, keeps its own parameters, and lists it with the granted expiry', async () => {
    const res = await register(pbx, [
      ['Contact', '<sip:100@10.0.0.1:5060>;+sip.instance="<urn:uuid:1>";reg-id=1;expires=600'],
    ]);
    assert.equal(res.status, 200);
    assert.match(
      res.headers.get('Contact') ?? '',
      /^<sip:100@10\.0\.0\.1:5060>.*\+sip\.instance.*;expires=600$/,
    );
    const [b] = pbx.location.lookup('t1', '100');
    assert.equal(b?.contact, 'sip:100@10.0.0.1:5060');
    assert.match(b?.contactParams ?? '', /reg-id=1/);
    assert.doesNotMatch(b?.contactParams ?? '', /expires/);
  });

  it('lists bindings highest q first (no q counts as 1) and dates the 200 by the clock (RFC 3261 20.17)', async () => {
    const res = await register(pbx, [
      ['Contact', '<sip:100@10.0.0.1>;q=0.5, <sip:100@10.0.0.2>;q=0.9'],
      ['Contact', '<sip:100@10.0.0.3>'],
    ]);
    assert.equal(res.status, 200);
    assert.deepEqual(
      pbx.location.lookup('t1', '100').map((b) => [b.contact, b.q]),
      [
        ['sip:100@10.0.0.3', null],
        ['sip:100@10.0.0.2', 0.9],
        ['sip:100@10.0.0.1', 0.5],
      ],
    );
    assert.equal(
      res.headers.get('Date'),
      new Date(Math.floor(pbx.net.clock.now() / 1000) * 1000).toUTCString(),
    );
    await pbx.net.advance(61_000, 1_000);
    const later = await register(pbx, [['Contact', '<sip:100@10.0.0.3>']]);
    assert.equal(
      later.headers.get('Date'),
      new Date(Math.floor(pbx.net.clock.now() / 1000) * 1000).toUTCString(),
    );
    assert.notEqual(later.headers.get('Date'), res.headers.get('Date'));
  });

  it('caps the expiry at maxExpires and refuses a too-brief one with 423 and Min-Expires', async () => {
    await register(pbx, [
      ['Contact', '<sip:100@10.0.0.1>'],
      ['Expires', '999999'],
    ]);
    const [b] = pbx.location.lookup('t1', '100');
    assert.equal(b!.expiresAt - pbx.net.clock.now(), 3600_000);
    const brief = await register(pbx, [['Contact', '<sip:100@10.0.0.9>;expires=10']]);
    assert.equal(brief.status, 423);
    assert.equal(brief.headers.get('Min-Expires'), '60');
  });

  it('removes one binding with expires=0 and all with * / Expires: 0; * without Expires: 0 is 400', async () => {
    await register(pbx, [
      ['Contact', '<sip:100@10.0.0.1>, <sip:100@10.0.0.2>'],
      ['Expires', '600'],
    ]);
    assert.equal(pbx.location.lookup('t1', '100').length, 2);
    await register(pbx, [['Contact', '<sip:100@10.0.0.1>;expires=0']]);
    assert.deepEqual(
      pbx.location.lookup('t1', '100').map((b) => b.contact),
      ['sip:100@10.0.0.2'],
    );
    assert.equal((await register(pbx, [['Contact', '*']])).status, 400);
    assert.equal(
      (
        await register(pbx, [
          ['Contact', '*'],
          ['Expires', '0'],
        ])
      ).status,
      200,
    );
    assert.equal(pbx.location.size(), 0);
  });

  it('aborts an out-of-order REGISTER of the same Call-ID (step 7) with 500 and Retry-After', async () => {
    const first = await register(pbx, [['Contact', '<sip:100@10.0.0.1>']], { callId: 'reg-1', cseq: 10 });
    assert.equal(first.status, 200);
    const old = await register(pbx, [['Contact', '<sip:100@10.0.0.1>;expires=0']], {
      callId: 'reg-1',
      cseq: 5,
    });
    assert.equal(old.status, 500);
    assert.equal(old.headers.get('Retry-After'), '1');
    assert.equal(pbx.location.size(), 1);
  });

  it('expires bindings on the clock and finds the persisted ones again after a restart', async () => {
    await register(pbx, [
      ['Contact', '<sip:100@10.0.0.1>'],
      ['Expires', '120'],
    ]);
    await register(pbx, [
      ['Contact', '<sip:100@10.0.0.2>'],
      ['Expires', '3600'],
    ]);
    await pbx.location.flush();
    const again = new LocationService({ store: pbx.store.registrations, clock: pbx.net.clock });
    await again.start();
    assert.equal(again.size(), 2, 'reloaded from the store');
    await again.stop();
    pbx.net.clock.advance(121_000);
    await pbx.net.drain();
    assert.deepEqual(
      pbx.location.lookup('t1', '100').map((b) => b.contact),
      ['sip:100@10.0.0.2'],
    );
  });

  it('writes behind: the REGISTER is answered before the store has the binding; flush and stop write it', async () => {
    let writes = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const store = pbx.store.registrations;
    const slow = new LocationService({
      store: beforeEachRound(store, async () => {
        await gate;
        writes++;
      }),
      clock: pbx.net.clock,
    });
    await slow.update('t1', '200', () => ({
      change: {
        upserts: [
          {
            tenantId: 't1',
            username: '200',
            contact: 'sip:200@10.0.0.9',
            contactParams: '',
            q: null,
            callId: 'c',
            cseq: 1,
            expiresAt: pbx.net.clock.now() + 60_000,
            flowProtocol: 'udp',
            flowLocalAddress: '10.0.0.2',
            flowLocalPort: 5060,
            flowAddress: '10.0.0.9',
            flowPort: 5060,
            flowConnectionId: null,
            userAgent: null,
            updatedAt: 0,
          },
        ],
        removes: [],
      },
      result: undefined,
    }));
    assert.equal(slow.lookup('t1', '200').length, 1, 'memory has it at once');
    assert.equal((await store.list('t1', '200')).length, 0, 'the store not yet');
    assert.equal(slow.pendingWrites(), 1, 'waits for the write delay');
    pbx.net.clock.advance(200);
    await Promise.resolve();
    assert.equal(slow.pendingWrites(), 0, 'taken by the round in flight');
    release();
    await slow.stop();
    assert.equal(writes, 1);
    assert.equal((await store.list('t1', '200')).length, 1, 'stop flushed it');
  });

  it('writes the changes of one write delay in one round', async () => {
    let rounds = 0;
    const store = pbx.store.registrations;
    const batched = new LocationService({
      store: beforeEachRound(store, async () => {
        rounds++;
      }),
      clock: pbx.net.clock,
      writeDelayMs: 500,
    });
    for (const user of ['100', '101', '200']) {
      await batched.update('t1', user, () => ({
        change: { upserts: [binding(user, pbx.net.clock.now() + 60_000)], removes: [] },
        result: undefined,
      }));
    }
    pbx.net.clock.advance(499);
    await batched.flush().then(
      () => undefined,
      () => undefined,
    );
    assert.equal(rounds, 1, 'flush starts the round at once');
    for (const user of ['100', '101', '200']) assert.equal((await store.list('t1', user)).length, 1);
    await batched.update('t1', '100', () => ({
      change: { upserts: [], removes: [], removeAll: true },
      result: 0,
    }));
    pbx.net.clock.advance(500);
    await new Promise((r) => setImmediate(r));
    assert.equal(rounds, 2, 'the delay elapsed: the next round ran by itself');
    assert.equal((await store.list('t1', '100')).length, 0);
    await batched.stop();
  });
});

/** The store, with `hook` awaited before each write round (replaceAors). */
function beforeEachRound(store: RegistrationStore, hook: () => Promise<void>): RegistrationStore {
  return {
    list: (t, u) => store.list(t, u),
    upsert: (r) => store.upsert(r),
    remove: (t, u, c) => store.remove(t, u, c),
    removeAll: (t, u) => store.removeAll(t, u),
    replaceAors: async (aors, bindings) => {
      await hook();
      await store.replaceAors(aors, bindings);
    },
    loadUnexpired: (now) => store.loadUnexpired(now),
    removeExpired: (now) => store.removeExpired(now),
  };
}

function binding(username: string, expiresAt: number): RegistrationRecord {
  return {
    tenantId: 't1',
    username,
    contact: `sip:${username}@10.0.0.9`,
    contactParams: '',
    q: null,
    callId: 'c',
    cseq: 1,
    expiresAt,
    flowProtocol: 'udp',
    flowLocalAddress: '10.0.0.2',
    flowLocalPort: 5060,
    flowAddress: '10.0.0.9',
    flowPort: 5060,
    flowConnectionId: null,
    userAgent: null,
    updatedAt: 0,
  };
}
