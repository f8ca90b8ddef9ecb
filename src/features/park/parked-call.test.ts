import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { locationsOf, ParkedCall, ParkLot, PARK_TRANSITIONS, type ParkState } from './parked-call.js';

const parked = (tenantId: string, location: string, callId = `c-${location}`) =>
  new ParkedCall({
    tenantId,
    location,
    callId,
    parked: { workplace: '100', number: '100' },
    parker: { workplace: '101', number: '101' },
    since: 0,
  });

describe('a parked call (state machine)', () => {
  it('parked → recalling → parked again when nobody answered, then retrieved', () => {
    const p = parked('t1', '700');
    assert.equal(p.state, 'parked');
    assert.ok(p.waiting);
    p.to('recalling');
    assert.ok(p.waiting, 'a recall keeps the location occupied');
    p.to('parked');
    p.to('retrieved');
    assert.equal(p.waiting, false);
  });

  it('the recall ends answered (returned) or diverted; only a recalling call gets there', () => {
    const a = parked('t1', '700');
    assert.throws(() => a.to('returned'), /illegal transition parked -> returned/);
    assert.throws(() => a.to('diverted'), /illegal transition parked -> diverted/);
    a.to('recalling');
    a.to('returned');
    const b = parked('t1', '701');
    b.to('recalling');
    b.to('diverted');
    assert.equal(b.waiting, false);
  });

  it('final states are final: a retrieve racing a hang-up loses without throwing (tryTo)', () => {
    const finals: ParkState[] = ['retrieved', 'returned', 'diverted', 'abandoned'];
    for (const f of finals) assert.equal(PARK_TRANSITIONS[f], undefined, `${f} has no successor`);
    const p = parked('t1', '700');
    assert.equal(p.tryTo('abandoned'), true);
    assert.equal(p.tryTo('retrieved'), false);
    assert.equal(p.state, 'abandoned');
    assert.throws(() => p.to('parked'));
  });
});

describe('park locations', () => {
  it('a range keeps its digits', () => {
    assert.deepEqual(locationsOf('700', '703'), ['700', '701', '702', '703']);
    assert.deepEqual(locationsOf('08', '10'), ['08', '09', '10']);
  });

  it('the lowest free location; a location holds one call; tenants never share a lot', () => {
    const lot = new ParkLot();
    const range = locationsOf('700', '701');
    assert.equal(lot.free('t1', range), '700');
    const a = parked('t1', '700');
    lot.put(a);
    assert.equal(lot.free('t1', range), '701');
    assert.throws(() => lot.put(parked('t1', '700', 'other')), /taken/);
    // Another tenant's 700 is its own.
    assert.equal(lot.free('t2', range), '700');
    assert.equal(lot.at('t2', '700'), undefined);
    lot.put(parked('t1', '701'));
    assert.equal(lot.free('t1', range), undefined, 'all occupied');
    // Removing a call that no longer holds the location leaves the holder alone.
    lot.remove(parked('t1', '701', 'stale'));
    assert.equal(lot.count(), 2);
    lot.remove(a);
    assert.equal(lot.free('t1', range), '700');
    assert.deepEqual(
      lot.list('t1').map((p) => p.location),
      ['701'],
    );
  });
});
