import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ParkEvent } from '../../core/events/types.js';
import { applyParkEvent } from './park-lamps.js';
import { applyCallEvent, emptyPresenceBook, presenceOf } from './presence-state.js';

const base = {
  tenantId: 't1',
  at: 1000,
  callId: 'held1',
  location: '700',
  parked: { workplace: '100', number: '100' },
  parker: { workplace: '101', number: '101' },
};

describe('BLF lamps of park locations', () => {
  it('parked: one confirmed dialog at the location; retrieved: terminated once, then free', () => {
    const p = applyParkEvent(emptyPresenceBook, { type: 'park.parked', via: 'refer', ...base });
    assert.deepEqual(
      p.changed.map((c) => [c.workplace, c.status, c.dialogs.map((d) => d.phase)]),
      [['700', 'busy', ['confirmed']]],
    );
    assert.equal(presenceOf(p.state, 't1', '700').status, 'busy');
    assert.equal(presenceOf(p.state, 't2', '700').status, 'idle', 'per tenant');
    // The held call's own events (its id) leave the lamp alone.
    const ended = applyCallEvent(p.state, {
      type: 'call.ended',
      tenantId: 't1',
      callId: 'held1',
      at: 1500,
      caller: base.parked,
      callee: { number: '700' },
      reason: 'completed',
    });
    assert.equal(presenceOf(ended.state, 't1', '700').status, 'busy');
    const r = applyParkEvent(ended.state, {
      type: 'park.retrieved',
      by: { workplace: '102', number: '102' },
      waitMs: 1000,
      ...base,
    });
    assert.deepEqual(
      r.changed.map((c) => [c.status, c.dialogs.map((d) => d.phase)]),
      [['idle', ['terminated']]],
    );
    assert.equal(presenceOf(r.state, 't1', '700').dialogs.length, 0);
  });

  it('a recall keeps the lamp; an end frees it; an end of a free location changes nothing', () => {
    const p = applyParkEvent(emptyPresenceBook, { type: 'park.parked', via: 'code', ...base });
    const recall: ParkEvent = { type: 'park.recalled', outcome: 'ringing', ...base };
    assert.deepEqual(applyParkEvent(p.state, recall).changed, []);
    const e = applyParkEvent(p.state, { type: 'park.ended', reason: 'hung-up', ...base });
    assert.equal(e.changed[0]?.status, 'idle');
    assert.deepEqual(applyParkEvent(e.state, { type: 'park.ended', reason: 'hung-up', ...base }).changed, []);
  });
});
