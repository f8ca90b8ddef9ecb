import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import type { FeatureInvocation } from '../../core/calls/service-handlers.js';
import { EventBus } from '../../core/events/event-bus.js';
import type { Party } from '../../core/events/types.js';
import { FeatureCodeRegistry } from '../../core/routing/index.js';
import type { PickupSettingsRecord } from '../../store/types.js';
import { silentLogger } from '../../util/log.js';
import { PickupService, type PickupEngine } from './pickup-service.js';
import { RingingCalls } from './ringing-calls.js';

const T0 = 1_700_000_000_000;
const outside: Party = { number: '+4930123456' };
const wp = (n: string): Party => ({ workplace: n, number: n });

/** Emits the events of one call on `bus`. */
function call(bus: EventBus, tenantId: string, callId: string, callee: string, caller: Party = outside) {
  const base = { tenantId, callId, caller, callee: wp(callee) };
  return {
    ringing: (at: number, device?: string) =>
      bus.emit({ type: 'call.ringing', ...base, at, ...(device ? { device } : {}) }),
    answered: (at: number) => bus.emit({ type: 'call.answered', ...base, at }),
    ended: (at: number) => bus.emit({ type: 'call.ended', ...base, at, reason: 'cancelled' }),
  };
}

describe('RingingCalls', () => {
  let bus: EventBus;
  let r: RingingCalls;
  beforeEach(() => {
    bus = new EventBus({ onError: (err) => assert.fail(String(err)) });
    r = new RingingCalls();
    bus.onAny((e) => r.apply(e));
  });

  it('knows since when a call rings, per workplace, until it is answered or ends', () => {
    const a = call(bus, 't1', 'a', '100');
    a.ringing(T0, 'desk');
    a.ringing(T0 + 500, 'soft'); // a second device of the same workplace: same call, same start
    assert.deepEqual(
      r.ringingAt('t1', '100').map((c) => [c.callId, c.since]),
      [['a', T0]],
    );
    a.answered(T0 + 2_000);
    assert.deepEqual(r.ringingAt('t1', '100'), []);
    const b = call(bus, 't1', 'b', '100');
    b.ringing(T0 + 3_000);
    b.ended(T0 + 4_000);
    assert.equal(r.size(), 0);
  });

  it('directed: the call at that extension of that tenant only, newest or oldest', () => {
    call(bus, 't1', 'old', '101').ringing(T0);
    call(bus, 't1', 'new', '101').ringing(T0 + 1_000);
    call(bus, 't2', 'other-tenant', '101').ringing(T0 + 2_000);
    assert.equal(r.chooseDirected('t1', '101', 'newest')?.callId, 'new');
    assert.equal(r.chooseDirected('t1', '101', 'oldest')?.callId, 'old');
    assert.equal(r.chooseDirected('t2', '101', 'oldest')?.callId, 'other-tenant');
    assert.equal(r.chooseDirected('t1', '102', 'newest'), undefined);
    assert.equal(r.chooseDirected('t3', '101', 'newest'), undefined);
  });

  it('group: among the other members; newest by default rule, oldest by setting; never own or foreign calls', () => {
    call(bus, 't1', 'at-100', '100').ringing(T0);
    call(bus, 't1', 'at-101', '101').ringing(T0 + 1_000);
    call(bus, 't1', 'at-102', '102').ringing(T0 + 2_000); // the picker's own ringing call
    call(bus, 't1', 'at-103', '103').ringing(T0 + 3_000); // not in the group
    call(bus, 't1', 'by-102', '101', wp('102')).ringing(T0 + 4_000); // the picker called 101 itself
    call(bus, 't2', 'foreign', '100').ringing(T0 + 5_000);
    const members = ['100', '101', '102'];
    assert.equal(r.chooseGroup('t1', members, '102', 'newest')?.callId, 'at-101');
    assert.equal(r.chooseGroup('t1', members, '102', 'oldest')?.callId, 'at-100');
    assert.equal(r.chooseGroup('t1', ['103'], '102', 'newest')?.callId, 'at-103');
    assert.equal(r.chooseGroup('t2', members, '102', 'newest')?.callId, 'foreign');
    assert.equal(r.chooseGroup('t1', ['102'], '102', 'newest'), undefined);
  });
});

/** A fake INVITE: records the one final answer the handler gave. */
function invocation(tenantId: string, workplace: string, argument?: string) {
  const answers: string[] = [];
  const inv = {
    tenant: { id: tenantId, name: tenantId, domain: `${tenantId}.example` },
    device: { tenantId, username: `${workplace}-desk`, workplaceExtension: workplace },
    caller: { ...wp(workplace), device: `${workplace}-desk` },
    code: '*9x',
    ...(argument !== undefined ? { argument } : {}),
    incoming: { reject: (status: number, o?: { reason?: string }) => answers.push(`${status} ${o?.reason}`) },
    log: silentLogger(),
  } as unknown as FeatureInvocation; // only the fields the service reads
  return { inv, answers };
}

describe('PickupService', () => {
  let bus: EventBus;
  let engine: PickupEngine & {
    handlers: Map<string, (i: FeatureInvocation) => Promise<void>>;
    taken: string[];
  };
  let settings: Record<string, PickupSettingsRecord>;
  let service: PickupService;

  beforeEach(() => {
    bus = new EventBus({ onError: (err) => assert.fail(String(err)) });
    const handlers = new Map<string, (i: FeatureInvocation) => Promise<void>>();
    const taken: string[] = [];
    engine = {
      features: new FeatureCodeRegistry(),
      handlers,
      taken,
      onFeature: (id, h) => void handlers.set(id, h),
      pickUp: async (inv, callId, kind) => void taken.push(`${kind} ${callId} by ${inv.caller.number}`),
      pull: async (inv) => void taken.push(`pull by ${inv.device.username}`),
    };
    settings = {
      t1: { order: 'newest', groups: [{ name: 'Vertrieb', members: ['100', '101', '102'] }] },
      t2: { order: 'newest', groups: [] },
    };
    service = new PickupService({
      engine,
      bus,
      settings: async (t) => settings[t] ?? { order: 'newest', groups: [] },
      isWorkplace: async (t, e) => (t === 't1' ? ['100', '101', '102', '103'] : ['100', '101']).includes(e),
    });
  });

  const dial = async (id: string, tenant: string, from: string, argument?: string) => {
    const { inv, answers } = invocation(tenant, from, argument);
    await engine.handlers.get(id)!(inv);
    return answers;
  };

  it('registers *97 (with an extension), *98 and *11', () => {
    assert.deepEqual(
      engine.features.list().map((d) => [d.code, d.takesArgument, d.id]),
      [
        ['*97', true, 'pickup.directed'],
        ['*98', false, 'pickup.group'],
        ['*11', false, 'pickup.pull'],
      ],
    );
  });

  it('*97: picks the call at that extension; clear failures otherwise, nothing taken', async () => {
    call(bus, 't1', 'c1', '101').ringing(T0);
    call(bus, 't2', 'c2', '100').ringing(T0);
    assert.deepEqual(await dial('pickup.directed', 't1', '100', '101'), []);
    assert.deepEqual(await dial('pickup.directed', 't1', '100', '103'), ['480 Nothing Ringing']);
    assert.deepEqual(await dial('pickup.directed', 't1', '100', '555'), ['404 Extension Not Found']);
    assert.deepEqual(await dial('pickup.directed', 't1', '100', ''), ['484 Extension Missing After *97']);
    // t2's 100 rings, but t1's *97100 looks only at t1, where nothing rings at 100.
    assert.deepEqual(await dial('pickup.directed', 't1', '101', '100'), ['480 Nothing Ringing']);
    assert.deepEqual(engine.taken, ['directed c1 by 100']);
  });

  it('*98: newest by default, oldest by the tenant setting; not in a group / nothing ringing refused', async () => {
    call(bus, 't1', 'first', '100').ringing(T0);
    call(bus, 't1', 'second', '101').ringing(T0 + 1_000);
    assert.deepEqual(await dial('pickup.group', 't1', '102'), []);
    settings['t1']!.order = 'oldest';
    assert.deepEqual(await dial('pickup.group', 't1', '102'), []);
    assert.deepEqual(await dial('pickup.group', 't1', '103'), ['403 Not In A Pickup Group']);
    assert.deepEqual(await dial('pickup.group', 't2', '100'), ['403 Not In A Pickup Group']);
    bus.emit({
      type: 'call.ended',
      tenantId: 't1',
      callId: 'first',
      at: T0 + 5,
      caller: outside,
      callee: wp('100'),
      reason: 'cancelled',
    });
    bus.emit({
      type: 'call.answered',
      tenantId: 't1',
      callId: 'second',
      at: T0 + 5,
      caller: outside,
      callee: wp('101'),
    });
    assert.deepEqual(await dial('pickup.group', 't1', '102'), ['480 Nothing Ringing In Pickup Group']);
    assert.deepEqual(engine.taken, ['group second by 102', 'group first by 102']);
  });

  it('groupCall: the call *98 would take, for third-party call control; none outside a group', async () => {
    call(bus, 't1', 'first', '100').ringing(T0);
    call(bus, 't1', 'second', '101').ringing(T0 + 1_000);
    call(bus, 't2', 'foreign', '100').ringing(T0 + 2_000);
    assert.equal(await service.groupCall('t1', '102'), 'second');
    settings['t1']!.order = 'oldest';
    assert.equal(await service.groupCall('t1', '102'), 'first');
    assert.equal(await service.groupCall('t1', '103'), undefined, 'not in a group');
    assert.equal(await service.groupCall('t2', '101'), undefined, 'no group in that tenant');
    assert.deepEqual(engine.taken, [], 'choosing takes nothing');
  });

  it('a failing store still gets the INVITE a final answer (500), nothing taken', async () => {
    call(bus, 't1', 'c1', '101').ringing(T0);
    settings = new Proxy(settings, {
      get: () => {
        throw new Error('database unreachable');
      },
    });
    assert.deepEqual(await dial('pickup.group', 't1', '102'), ['500 Pickup Failed']);
    assert.deepEqual(await dial('pickup.directed', 't1', '100', '101'), ['500 Pickup Failed']);
    assert.deepEqual(engine.taken, []);
  });

  it('*11 hands the dialling device to the engine', async () => {
    assert.deepEqual(await dial('pickup.pull', 't1', '100'), []);
    assert.deepEqual(engine.taken, ['pull by 100-desk']);
  });
});

describe('RingingCalls with ring plans', () => {
  it('a call ringing at two workplaces is pickable at each; ring-ended forgets it at one only', () => {
    const r = new RingingCalls();
    const base = { tenantId: 't1', callId: 'x', caller: outside };
    r.apply({ type: 'call.ringing', ...base, callee: wp('201'), at: T0 });
    r.apply({ type: 'call.ringing', ...base, callee: wp('202'), at: T0 + 1 });
    assert.equal(r.ringingAt('t1', '201').length, 1);
    assert.equal(r.ringingAt('t1', '202').length, 1);
    r.apply({ type: 'call.ring-ended', ...base, party: wp('201'), at: T0 + 2, reason: 'stopped' });
    assert.equal(r.ringingAt('t1', '201').length, 0);
    assert.equal(r.ringingAt('t1', '202').length, 1);
    r.apply({ type: 'call.answered', ...base, callee: wp('202'), at: T0 + 3 });
    assert.equal(r.size(), 0);
  });
});
