import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { EventBus } from '../../core/events/event-bus.js';
import type { DomainEvent } from '../../core/events/types.js';
import type { GroupRecord } from '../../store/callcenter-store.js';
import { FakeClock } from '../../util/clock.js';
import { silentLogger } from '../../util/log.js';
import type { QueueCaller, QueueOfferResult } from './queue-port.js';
import { TenantCallCenter } from './tenant-call-center.js';

const flush = () => new Promise<void>((r) => setImmediate(r));

/** A waiting caller that records what the runtime asks of it; the test settles offers by hand. */
class FakeCaller implements QueueCaller {
  readonly caller;
  readonly heard: string[] = [];
  readonly offers: Array<{
    agents: readonly string[];
    timeoutMs: number;
    settle(r: QueueOfferResult): void;
  }> = [];
  #ended: Array<() => void> = [];
  #cancelled = false;
  constructor(readonly id: string) {
    this.caller = { number: `0301234${id}` };
  }
  entrance(): void {
    this.heard.push('entrance');
  }
  comfort(position: number, ewt: number): void {
    this.heard.push(`comfort ${position} ${ewt}`);
  }
  offer(agents: readonly string[], timeoutMs: number) {
    let settle!: (r: QueueOfferResult) => void;
    const result = new Promise<QueueOfferResult>((r) => (settle = r));
    this.offers.push({ agents, timeoutMs, settle });
    return {
      result,
      cancel: () => {
        this.#cancelled = true;
        settle({ outcome: 'cancelled', declinedBy: [], unreachable: [] });
      },
    };
  }
  transferTo(ext: string): void {
    this.heard.push(`transfer ${ext}`);
  }
  busy(): void {
    this.heard.push('busy');
  }
  onEnded(cb: () => void): void {
    this.#ended.push(cb);
  }
  hangUp(): void {
    for (const cb of this.#ended.splice(0)) cb();
  }
  get lastOffer() {
    return this.offers[this.offers.length - 1];
  }
  get cancelled(): boolean {
    return this.#cancelled;
  }
}

function group(over: Partial<GroupRecord> = {}): GroupRecord {
  return {
    tenantId: 'acme',
    extension: '600',
    name: 'Support',
    policy: 'linear',
    agents: [
      { extension: '100', weight: 1 },
      { extension: '101', weight: 1 },
      { extension: '102', weight: 1 },
    ],
    allowAgentLogin: false,
    ringTimeoutS: 15,
    wrapUpS: 10,
    maxQueue: 5,
    maxWaitS: 300,
    overflow: 'busy',
    music: 'default',
    comfortEveryS: 0,
    priority: 0,
    missesBeforeUnavailable: 2,
    ...over,
  };
}

describe('TenantCallCenter (fake clock)', () => {
  let clock: FakeClock;
  let bus: EventBus;
  let events: DomainEvent[];
  let stored: Array<[string, string]>;
  let cc: TenantCallCenter;

  function setup(
    groups: GroupRecord[],
    o: { statuses?: Record<string, string>; withPackage?: string[]; excluded?: (e: string) => boolean } = {},
  ) {
    cc = new TenantCallCenter({
      tenantId: 'acme',
      clock,
      bus,
      log: silentLogger(),
      ...(o.excluded ? { excluded: o.excluded } : {}),
      persist: {
        status: async (a, s) => void stored.push([a, s]),
        login: async (g, a, i) => void stored.push([`${g}/${a}`, String(i)]),
      },
    });
    cc.configure({
      groups,
      statuses: Object.entries(o.statuses ?? {}).map(([extension, status]) => ({ extension, status })),
      logins: [],
      withPackage: new Set(o.withPackage ?? ['100', '101', '102', '103']),
    });
  }

  beforeEach(() => {
    clock = new FakeClock();
    bus = new EventBus();
    events = [];
    stored = [];
    bus.onAny((e) => events.push(e));
  });

  it('holds callers while nobody is Available; the longest waiting goes to the first agent who becomes Available', async () => {
    setup([group()]);
    const a = new FakeCaller('a');
    const b = new FakeCaller('b');
    cc.enqueue('600', a);
    clock.advance(1000);
    cc.enqueue('600', b);
    assert.deepEqual(a.heard, ['entrance']);
    assert.equal(a.offers.length + b.offers.length, 0, 'signed-out agents get nothing');
    assert.deepEqual(cc.waiting('600'), ['a', 'b']);
    cc.setStatus('101', 'available');
    assert.deepEqual(a.lastOffer?.agents, ['101']);
    assert.equal(a.lastOffer?.timeoutMs, 15_000);
    assert.equal(b.offers.length, 0, 'one agent, one call');
    assert.deepEqual(stored, [['101', 'available']], 'status persisted');
    a.lastOffer!.settle({ outcome: 'answered', answeredBy: '101', declinedBy: [], unreachable: [] });
    await flush();
    assert.deepEqual(cc.waiting('600'), ['b']);
    assert.ok(
      events.some((e) => e.type === 'callcenter.caller.connected' && e.agent === '101' && e.waitMs === 1000),
    );
  });

  it('skips an Available agent in do not disturb, and offers to it once that ends', () => {
    const dnd = new Set(['100']);
    setup([group()], { statuses: { 100: 'available', 101: 'available' }, excluded: (e) => dnd.has(e) });
    const a = new FakeCaller('a');
    const b = new FakeCaller('b');
    cc.enqueue('600', a);
    cc.enqueue('600', b);
    assert.deepEqual(a.lastOffer?.agents, ['101'], 'linear would take 100 first');
    assert.equal(b.offers.length, 0, '100 is Available but in do not disturb');
    dnd.delete('100');
    cc.agentsChanged();
    assert.deepEqual(b.lastOffer?.agents, ['100']);
  });

  it('never rings Unavailable, Wrap-up, Signed in, Signed out, logged-out or busy agents', () => {
    setup(
      [
        group({
          allowAgentLogin: true,
          agents: ['100', '101', '102', '103', '104'].map((extension) => ({ extension, weight: 1 })),
        }),
      ],
      {
        statuses: {
          100: 'unavailable',
          101: 'wrap-up',
          102: 'signed-in',
          103: 'signed-out',
          104: 'available',
        },
        withPackage: ['100', '101', '102', '103', '104'],
      },
    );
    const a = new FakeCaller('a');
    cc.enqueue('600', a);
    assert.equal(a.offers.length, 0, '104 is Available but not logged in');
    assert.equal(cc.setLogin('600', '103', true), undefined);
    assert.equal(a.offers.length, 0, '103 is logged in but Signed out');
    cc.callStarted('104', 'other-call');
    assert.equal(cc.setLogin('600', '104', true), undefined);
    assert.equal(a.offers.length, 0, '104 is on another call');
    cc.callEnded('other-call');
    assert.deepEqual(a.lastOffer?.agents, ['104']);
  });

  it('passes a non-answering agent over, puts the call back at the head, and sets the agent Unavailable after N misses', async () => {
    setup([group()], { statuses: { 100: 'available', 101: 'available' } });
    const a = new FakeCaller('a');
    const b = new FakeCaller('b');
    cc.enqueue('600', a);
    clock.advance(10);
    cc.enqueue('600', b);
    assert.deepEqual(a.lastOffer?.agents, ['100']);
    assert.deepEqual(b.lastOffer?.agents, ['101']);
    a.lastOffer!.settle({ outcome: 'no-answer', declinedBy: [], unreachable: [] });
    await flush();
    assert.deepEqual(cc.waiting('600'), ['a', 'b'], 'still first in line');
    assert.equal(a.offers.length, 1, 'not re-offered to 100 at once; 101 is busy with b');
    b.lastOffer!.settle({ outcome: 'no-answer', declinedBy: [], unreachable: [] });
    await flush();
    // a goes to 101 (100 was passed over for a), b to 100.
    assert.deepEqual(a.lastOffer?.agents, ['101']);
    assert.deepEqual(b.lastOffer?.agents, ['100']);
    b.lastOffer!.settle({ outcome: 'no-answer', declinedBy: [], unreachable: [] });
    await flush();
    assert.equal(cc.statusOf('100'), 'unavailable', 'second miss in a row');
    assert.ok(
      events.some(
        (e) => e.type === 'callcenter.agent.status' && e.agent === '100' && e.cause === 'missed-calls',
      ),
    );
    assert.equal(cc.size(), 2, 'no call lost');
  });

  it('never offers a call again to an agent who declined it', async () => {
    setup([group({ agents: [{ extension: '100', weight: 1 }] })], { statuses: { 100: 'available' } });
    const a = new FakeCaller('a');
    cc.enqueue('600', a);
    a.lastOffer!.settle({ outcome: 'declined', declinedBy: ['100'], unreachable: [] });
    await flush();
    assert.equal(a.offers.length, 1);
    const b = new FakeCaller('b');
    cc.enqueue('600', b);
    assert.deepEqual(b.lastOffer?.agents, ['100'], 'but the next call is theirs');
    assert.equal(a.offers.length, 1);
  });

  it('wrap-up after a queue call ends on time, then the agent takes the next caller', async () => {
    setup([group({ wrapUpS: 10 })], { statuses: { 100: 'available' } });
    const a = new FakeCaller('a');
    const b = new FakeCaller('b');
    cc.enqueue('600', a);
    cc.enqueue('600', b);
    a.lastOffer!.settle({ outcome: 'answered', answeredBy: '100', declinedBy: [], unreachable: [] });
    await flush();
    clock.advance(30_000);
    assert.equal(b.offers.length, 0, 'agent talking');
    a.hangUp();
    assert.equal(cc.statusOf('100'), 'wrap-up');
    clock.advance(9_999);
    assert.equal(b.offers.length, 0);
    clock.advance(1);
    assert.equal(cc.statusOf('100'), 'available');
    assert.deepEqual(b.lastOffer?.agents, ['100']);
  });

  it('a Wrap-up the agent chose ends after the longest wrap-up of their groups; one running at a restart ends on time', () => {
    setup([group({ wrapUpS: 10 }), group({ extension: '601', wrapUpS: 30 })], {
      statuses: { 100: 'available' },
    });
    cc.setStatus('100', 'wrap-up');
    clock.advance(29_999);
    assert.equal(cc.statusOf('100'), 'wrap-up');
    clock.advance(1);
    assert.equal(cc.statusOf('100'), 'available');
    // "Restart": a new runtime reading a Wrap-up stored 20 s ago (of 30 s).
    const stored = [{ extension: '101', status: 'wrap-up', updatedAt: clock.now() - 20_000 }];
    const again = new TenantCallCenter({
      tenantId: 'acme',
      clock,
      bus,
      log: silentLogger(),
      persist: { status: async () => undefined, login: async () => undefined },
    });
    again.configure({
      groups: [group({ wrapUpS: 10 }), group({ extension: '601', wrapUpS: 30 })],
      statuses: [...stored, { extension: '102', status: 'wrap-up', updatedAt: clock.now() - 60_000 }],
      logins: [],
      withPackage: new Set(['100', '101', '102']),
    });
    assert.equal(again.statusOf('102'), 'available', 'its time had passed');
    assert.equal(again.statusOf('101'), 'wrap-up');
    clock.advance(9_999);
    assert.equal(again.statusOf('101'), 'wrap-up');
    clock.advance(1);
    assert.equal(again.statusOf('101'), 'available');
    again.close();
  });

  it('overflows by queue length and by wait time; an overflowed call never overflows twice', async () => {
    setup([
      group({ maxQueue: 1, maxWaitS: 60, overflow: '601' }),
      group({ extension: '601', maxQueue: 1, maxWaitS: 60, overflow: '700' }),
    ]);
    const a = new FakeCaller('a');
    const b = new FakeCaller('b');
    const c = new FakeCaller('c');
    assert.equal(cc.enqueue('600', a), 'queued');
    assert.equal(cc.enqueue('600', b), 'overflowed', '600 is full');
    assert.deepEqual(cc.waiting('601'), ['b'], 'b went on to 601');
    cc.enqueue('600', c);
    assert.deepEqual(c.heard, ['busy'], '601 full too: busy, not a second overflow to 700');
    clock.advance(59_999);
    assert.deepEqual(a.heard, ['entrance']);
    clock.advance(1);
    assert.ok(
      events.some(
        (e) => e.type === 'callcenter.caller.overflowed' && e.callId === 'a' && e.reason === 'max-wait',
      ),
    );
    assert.deepEqual(a.heard, ['entrance', 'busy'], 'a overflowed by wait to 601, which is full: busy');
    assert.deepEqual(b.heard, ['entrance', 'busy'], 'b waited 60 s in all (600 then 601): busy, not 700');
    assert.equal(cc.size(), 0);
    assert.equal(clock.pendingTimers(), 0);
    assert.equal(cc.stats('600')!.overflowed, 3);
    assert.equal(cc.stats('601')!.overflowed, 3);
  });

  it('overflows to an extension by wait time', () => {
    setup([group({ maxWaitS: 30, overflow: '700' })]);
    const a = new FakeCaller('a');
    cc.enqueue('600', a);
    clock.advance(29_999);
    assert.deepEqual(a.heard, ['entrance']);
    clock.advance(1);
    assert.deepEqual(a.heard, ['entrance', 'transfer 700']);
    assert.equal(cc.size(), 0);
    assert.equal(clock.pendingTimers(), 0, 'no timer left behind');
  });

  it('overflows to an outside number', () => {
    setup([group({ maxQueue: 1, overflow: '+4930999000' })]);
    const a = new FakeCaller('a');
    const b = new FakeCaller('b');
    cc.enqueue('600', a);
    assert.equal(cc.enqueue('600', b), 'overflowed');
    assert.deepEqual(b.heard, ['transfer +4930999000']);
  });

  it('a caller hanging up while queued or while an agent rings leaves no trace', async () => {
    setup([group({ comfortEveryS: 30 })], { statuses: { 100: 'available' } });
    const a = new FakeCaller('a');
    const b = new FakeCaller('b');
    cc.enqueue('600', a);
    cc.enqueue('600', b);
    b.hangUp();
    assert.deepEqual(cc.waiting('600'), ['a']);
    a.hangUp();
    assert.ok(a.cancelled, 'the ringing agent is cancelled');
    await flush();
    assert.equal(cc.size(), 0);
    assert.deepEqual(cc.waiting('600'), []);
    assert.equal(clock.pendingTimers(), 0);
    assert.equal(cc.stats('600')!.abandoned, 2);
    const c = new FakeCaller('c');
    cc.enqueue('600', c);
    assert.deepEqual(c.lastOffer?.agents, ['100'], 'agent free again');
  });

  it('announces position and estimated wait every comfortEvery seconds', () => {
    setup([group({ comfortEveryS: 30 })], { statuses: { 100: 'signed-in' } });
    const a = new FakeCaller('a');
    const b = new FakeCaller('b');
    cc.enqueue('600', a);
    cc.enqueue('600', b);
    clock.advance(30_000);
    clock.advance(30_000);
    // One agent staffed (100 signed in; the others signed out), 60 s default handle time: 2 × 60 / 1.
    assert.deepEqual(b.heard, ['entrance', 'comfort 2 120', 'comfort 2 120']);
    a.hangUp();
    clock.advance(30_000);
    assert.deepEqual(b.heard.slice(-1), ['comfort 1 60']);
  });

  it('keeps statistics: offered, answered, average and longest wait, service level', async () => {
    setup([group()], { statuses: {} });
    const a = new FakeCaller('a');
    const b = new FakeCaller('b');
    const c = new FakeCaller('c');
    cc.enqueue('600', a);
    cc.enqueue('600', b);
    cc.enqueue('600', c);
    clock.advance(10_000);
    cc.setStatus('100', 'available');
    a.lastOffer!.settle({ outcome: 'answered', answeredBy: '100', declinedBy: [], unreachable: [] });
    await flush();
    clock.advance(20_000);
    cc.setStatus('101', 'available');
    b.lastOffer!.settle({ outcome: 'answered', answeredBy: '101', declinedBy: [], unreachable: [] });
    await flush();
    c.hangUp();
    const s = cc.stats('600')!;
    assert.equal(s.offered, 3);
    assert.equal(s.answered, 2);
    assert.equal(s.abandoned, 1);
    assert.equal(s.averageWaitMs, 20_000);
    assert.equal(s.longestWaitMs, 30_000);
    assert.equal(s.serviceLevel, 1 / 3);
  });

  it('refuses login when the admin forbids it or the package is missing', () => {
    setup([group({ allowAgentLogin: false }), group({ extension: '601', allowAgentLogin: true })], {
      withPackage: ['100', '101'],
    });
    assert.equal(cc.setLogin('600', '100', true), 'forbidden');
    assert.equal(cc.setLogin('601', '102', true), 'no-package');
    assert.equal(cc.setLogin('601', '103', true), 'no-package');
    assert.equal(cc.setLogin('601', '100', true), undefined);
    assert.equal(cc.isLoggedIn('601', '100'), true);
    assert.equal(cc.setLogin('699', '100', true), 'unknown-group');
    assert.equal(cc.setStatus('102', 'available'), undefined, 'no package: no status');
  });

  it('simultaneous rings every free agent; the call goes to whoever answers', async () => {
    setup([group({ policy: 'simultaneous' })], {
      statuses: { 100: 'available', 101: 'available', 102: 'available' },
    });
    const a = new FakeCaller('a');
    cc.enqueue('600', a);
    assert.deepEqual(a.lastOffer?.agents, ['100', '101', '102']);
    const b = new FakeCaller('b');
    cc.enqueue('600', b);
    assert.equal(b.offers.length, 0, 'all agents taken by the first offer');
    a.lastOffer!.settle({ outcome: 'answered', answeredBy: '102', declinedBy: [], unreachable: [] });
    await flush();
    assert.deepEqual(b.lastOffer?.agents, ['100', '101']);
  });

  it('longest waiting caller across two groups gets a shared agent first', () => {
    setup([group({ extension: '600' }), group({ extension: '601', priority: 5 })]);
    const a = new FakeCaller('a');
    const b = new FakeCaller('b');
    cc.enqueue('601', b);
    clock.advance(5);
    cc.enqueue('600', a);
    cc.setStatus('100', 'available');
    assert.deepEqual(b.lastOffer?.agents, ['100']);
    assert.equal(a.offers.length, 0);
  });

  it('rests a call whose offer found no agent with a registered phone, instead of offering it again at once', async () => {
    setup([group({ agents: [{ extension: '101', weight: 1 }] })], { statuses: { 101: 'available' } });
    const a = new FakeCaller('a');
    cc.enqueue('600', a);
    assert.equal(a.offers.length, 1);
    a.lastOffer!.settle({ outcome: 'unavailable', declinedBy: [], unreachable: ['101'] });
    await flush();
    assert.equal(a.offers.length, 1, 'no new offer while nobody can be rung');
    clock.advance(4999);
    assert.equal(a.offers.length, 1);
    clock.advance(1);
    assert.deepEqual(a.lastOffer?.agents, ['101'], 'offered again after the rest');
    a.hangUp();
    assert.equal(clock.pendingTimers(), 0, 'no timer outlives the caller');
  });
});
