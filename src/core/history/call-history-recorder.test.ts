import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { openStore } from '../../store/open-store.js';
import type { CallHistoryRecord, CallHistoryStore, Store } from '../../store/types.js';
import { createLogger } from '../../util/log.js';
import { EventBus } from '../events/event-bus.js';
import type { CallEndReason, Party } from '../events/types.js';
import { CallHistoryRecorder, directionOf } from './call-history-recorder.js';

const T0 = 1_700_000_000_000;
const karin: Party = { workplace: '100', device: '100-desk', number: '100', name: 'Karin Heiden' };
const jan: Party = { workplace: '200', number: '200', name: 'Jan Wolf' };
const outside: Party = { number: '+4930123456' };

/** Emits one call's events. */
function call(bus: EventBus, o: { tenantId?: string; callId: string; caller: Party; callee: Party }) {
  const base = { tenantId: o.tenantId ?? 'a', callId: o.callId, caller: o.caller, callee: o.callee };
  return {
    offered: (at: number) => bus.emit({ type: 'call.offered', ...base, at }),
    answered: (at: number, device?: string) =>
      bus.emit({ type: 'call.answered', ...base, at, ...(device ? { device } : {}) }),
    ended: (at: number, reason: CallEndReason, extra: { status?: number; answeredAt?: number } = {}) =>
      bus.emit({ type: 'call.ended', ...base, at, reason, ...extra }),
  };
}

/** A pino logger whose lines land in an array. */
function capturingLogger(): { log: ReturnType<typeof createLogger>; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n'))
        if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { log: createLogger({ level: 'info', destination }), lines };
}

describe('CallHistoryRecorder', () => {
  let store: Store;
  let bus: EventBus;
  let busErrors: unknown[];

  beforeEach(async () => {
    store = await openStore('sqlite::memory:');
    await store.provisioning.upsertTenant({ id: 'a', name: 'A', domain: 'a.example' });
    await store.provisioning.upsertTenant({ id: 'b', name: 'B', domain: 'b.example' });
    busErrors = [];
    bus = new EventBus({ onError: (err) => busErrors.push(err) });
  });
  afterEach(async () => {
    assert.deepEqual(busErrors, [], 'the recorder never throws into the bus');
    await store.close();
  });

  it('records an answered internal call with its duration from answer to end', async () => {
    const rec = new CallHistoryRecorder({ bus, store: store.callHistory });
    const c = call(bus, { callId: 'c1', caller: karin, callee: jan });
    c.offered(T0);
    c.answered(T0 + 3_000, '200-soft');
    assert.equal(rec.pending(), 0, 'nothing is written before the call ends');
    c.ended(T0 + 63_400, 'completed');
    assert.equal(rec.pending(), 1);
    await rec.flush();
    assert.equal(rec.pending(), 0);
    const [r, ...rest] = await store.callHistory.list('a');
    assert.deepEqual(rest, []);
    assert.ok(r);
    assert.match(r.id, /^[0-9a-f-]{36}$/);
    assert.deepEqual({ ...r, id: 'x' }, {
      id: 'x',
      tenantId: 'a',
      callId: 'c1',
      direction: 'internal',
      callerNumber: '100',
      callerName: 'Karin Heiden',
      callerWorkplace: '100',
      calleeNumber: '200',
      calleeName: 'Jan Wolf',
      calleeWorkplace: '200',
      answeredByDevice: '200-soft',
      startedAt: T0,
      answeredAt: T0 + 3_000,
      endedAt: T0 + 63_400,
      durationS: 60,
      outcome: 'completed',
      status: null,
    } satisfies CallHistoryRecord);
  });

  it('records unanswered calls with duration 0, the reason and the SIP status', async () => {
    const rec = new CallHistoryRecorder({ bus, store: store.callHistory });
    const c = call(bus, { callId: 'c2', caller: outside, callee: jan });
    c.offered(T0);
    c.ended(T0 + 30_000, 'no-answer', { status: 480 });
    await rec.flush();
    const [r] = await store.callHistory.list('a');
    assert.ok(r);
    assert.equal(r.direction, 'inbound');
    assert.equal(r.callerName, null);
    assert.equal(r.callerWorkplace, null);
    assert.equal(r.answeredAt, null);
    assert.equal(r.answeredByDevice, null);
    assert.equal(r.durationS, 0);
    assert.equal(r.outcome, 'no-answer');
    assert.equal(r.status, 480);
    assert.equal(r.startedAt, T0);
  });

  it('does not record the offers of a queued call to agents (partOf), only the queued call', async () => {
    const rec = new CallHistoryRecorder({ bus, store: store.callHistory });
    const queued = call(bus, { callId: 'q1', caller: outside, callee: { number: '600', name: 'Support' } });
    queued.offered(T0);
    // Two agents are offered the call in turn: the first does not answer, the second does.
    const base = { tenantId: 'a', caller: outside, partOf: 'q1' };
    bus.emit({ type: 'call.ringing', ...base, callId: 'q1:o1', callee: jan, at: T0 + 1000 });
    bus.emit({
      type: 'call.ended',
      ...base,
      callId: 'q1:o1',
      callee: jan,
      at: T0 + 16_000,
      reason: 'no-answer',
    });
    bus.emit({ type: 'call.answered', ...base, callId: 'q1:o2', callee: karin, at: T0 + 20_000 });
    bus.emit({
      type: 'call.ended',
      ...base,
      callId: 'q1:o2',
      callee: karin,
      at: T0 + 80_000,
      reason: 'completed',
    });
    queued.ended(T0 + 80_000, 'completed', { answeredAt: T0 + 20_000 });
    await rec.flush();
    const all = await store.callHistory.list('a');
    assert.deepEqual(
      all.map((r) => [r.callId, r.outcome, r.durationS]),
      [['q1', 'completed', 60]],
    );
  });

  it('records a pickup: how, from which workplace, and the picking device', async () => {
    const rec = new CallHistoryRecorder({ bus, store: store.callHistory });
    const picker: Party = { workplace: '101', device: '101-desk', number: '101', name: 'Jonas Brandt' };
    const c = call(bus, { callId: 'p1', caller: outside, callee: picker });
    c.offered(T0);
    bus.emit({
      type: 'call.picked-up',
      tenantId: 'a',
      callId: 'p1',
      at: T0 + 2_000,
      by: picker,
      from: jan,
      kind: 'group',
    });
    c.answered(T0 + 2_000, '101-desk');
    c.ended(T0 + 12_000, 'completed');
    const other = call(bus, { callId: 'p2', caller: karin, callee: jan });
    other.offered(T0);
    other.answered(T0 + 1_000, '200-soft');
    bus.emit({
      type: 'call.picked-up',
      tenantId: 'a',
      callId: 'p2',
      at: T0 + 5_000,
      by: { ...jan, device: '200-desk' },
      from: { ...jan, device: '200-soft' },
      kind: 'pull',
    });
    other.ended(T0 + 9_000, 'completed');
    const plain = call(bus, { callId: 'p3', caller: karin, callee: jan });
    plain.offered(T0);
    plain.ended(T0 + 1_000, 'cancelled');
    await rec.flush();
    const byId = new Map((await store.callHistory.list('a')).map((r) => [r.callId, r]));
    assert.deepEqual(byId.get('p1')?.pickup, { kind: 'group', from: '200' });
    assert.equal(byId.get('p1')?.answeredByDevice, '101-desk');
    assert.equal(byId.get('p1')?.calleeWorkplace, '101');
    assert.deepEqual(byId.get('p2')?.pickup, { kind: 'pull', from: '200-soft' });
    assert.equal(byId.get('p3')?.pickup, undefined, 'no pickup, no field');
  });

  it('uses call.ended alone when it missed the start (started mid-call)', async () => {
    const rec = new CallHistoryRecorder({ bus, store: store.callHistory });
    const c = call(bus, { callId: 'c3', caller: karin, callee: outside });
    c.ended(T0 + 10_000, 'completed', { answeredAt: T0 + 4_000 });
    await rec.flush();
    const [r] = await store.callHistory.list('a');
    assert.ok(r);
    assert.equal(r.direction, 'outbound');
    assert.equal(r.startedAt, T0 + 4_000);
    assert.equal(r.answeredAt, T0 + 4_000);
    assert.equal(r.durationS, 6);
  });

  it('writes one record per call even if call.ended repeats, and keeps tenants apart', async () => {
    const rec = new CallHistoryRecorder({ bus, store: store.callHistory });
    const a = call(bus, { callId: 'same', caller: karin, callee: jan });
    const b = call(bus, { tenantId: 'b', callId: 'same', caller: outside, callee: jan });
    a.offered(T0);
    b.offered(T0 + 1);
    b.answered(T0 + 2_000);
    a.ended(T0 + 5_000, 'busy', { status: 486 });
    a.ended(T0 + 5_001, 'failed');
    b.ended(T0 + 12_000, 'completed');
    await rec.flush();
    const ra = await store.callHistory.list('a');
    const rb = await store.callHistory.list('b');
    assert.deepEqual(
      ra.map((r) => [r.outcome, r.durationS]),
      [['busy', 0]],
    );
    assert.deepEqual(
      rb.map((r) => [r.outcome, r.durationS, r.startedAt]),
      [['completed', 10, T0 + 1]],
    );
    assert.equal(rec.openCalls(), 0);
  });

  it('logs a failed write and carries on; the emitter never sees it', async () => {
    const { log, lines } = capturingLogger();
    const rec = new CallHistoryRecorder({ bus, store: store.callHistory, log });
    // Tenant 'gone' does not exist: the store's foreign key refuses the record.
    const gone = call(bus, { tenantId: 'gone', callId: 'g1', caller: karin, callee: jan });
    gone.offered(T0);
    assert.doesNotThrow(() => gone.ended(T0 + 1_000, 'cancelled'));
    const ok = call(bus, { callId: 'ok', caller: karin, callee: jan });
    ok.offered(T0);
    ok.ended(T0 + 1_000, 'cancelled');
    await rec.flush();
    assert.equal(rec.pending(), 0);
    assert.equal((await store.callHistory.list('a')).length, 1);
    const failed = lines.filter((l) => l['msg'] === 'call history: could not write the record');
    assert.equal(failed.length, 1);
    assert.equal((failed[0]?.['record'] as CallHistoryRecord).callId, 'g1');
  });

  it('survives a store that throws synchronously', async () => {
    const throwing: CallHistoryStore = {
      add: () => {
        throw new Error('sync');
      },
      list: () => Promise.resolve([]),
    };
    const rec = new CallHistoryRecorder({ bus, store: throwing });
    const c = call(bus, { callId: 'c1', caller: karin, callee: jan });
    c.offered(T0);
    c.ended(T0 + 1, 'cancelled');
    await rec.flush();
    assert.equal(rec.pending(), 0);
  });

  it('flush waits for the writes in flight', async () => {
    const written: string[] = [];
    const releases: Array<() => void> = [];
    const slow: CallHistoryStore = {
      add: (r) =>
        new Promise<void>((resolve) =>
          releases.push(() => {
            written.push(r.callId);
            resolve();
          }),
        ),
      list: () => Promise.resolve([]),
    };
    const rec = new CallHistoryRecorder({ bus, store: slow });
    for (const id of ['s1', 's2']) {
      const c = call(bus, { callId: id, caller: karin, callee: jan });
      c.offered(T0);
      c.ended(T0 + 1, 'cancelled');
    }
    await new Promise((r) => setImmediate(r));
    assert.equal(rec.pending(), 2);
    let flushed = false;
    const f = rec.flush().then(() => (flushed = true));
    releases.shift()?.();
    await new Promise((r) => setImmediate(r));
    assert.equal(flushed, false);
    assert.equal(rec.pending(), 1);
    releases.shift()?.();
    await f;
    assert.deepEqual(written, ['s1', 's2']);
    assert.equal(rec.pending(), 0);
  });

  it('stop() unsubscribes and waits for writes', async () => {
    const rec = new CallHistoryRecorder({ bus, store: store.callHistory });
    assert.equal(bus.listenerCount(), 4, 'offered, answered, picked-up, ended');
    const c = call(bus, { callId: 'c1', caller: karin, callee: jan });
    c.offered(T0);
    c.ended(T0 + 1, 'cancelled');
    const open = call(bus, { callId: 'still-open', caller: karin, callee: jan });
    open.offered(T0);
    await rec.stop();
    assert.equal(bus.listenerCount(), 0);
    assert.equal(rec.openCalls(), 0);
    open.ended(T0 + 2, 'completed');
    assert.equal(rec.pending(), 0);
    assert.deepEqual(
      (await store.callHistory.list('a')).map((r) => r.callId),
      ['c1'],
    );
  });

  it('bounds the calls it tracks', async () => {
    const rec = new CallHistoryRecorder({ bus, store: store.callHistory, maxOpenCalls: 2 });
    for (const id of ['o1', 'o2', 'o3']) call(bus, { callId: id, caller: karin, callee: jan }).offered(T0);
    assert.equal(rec.openCalls(), 2);
    // o1 was dropped: its end still makes a record, from call.ended alone.
    call(bus, { callId: 'o1', caller: karin, callee: jan }).ended(T0 + 5_000, 'cancelled');
    await rec.flush();
    const [r] = await store.callHistory.list('a');
    assert.equal(r?.startedAt, T0 + 5_000);
    await rec.stop();
  });
});

describe('directionOf', () => {
  const cases: Array<[Party, Party, string]> = [
    [karin, jan, 'internal'],
    [karin, outside, 'outbound'],
    [outside, jan, 'inbound'],
    [outside, { number: '+4940999' }, 'inbound'],
  ];
  for (const [caller, callee, want] of cases) {
    it(`${caller.number} → ${callee.number}: ${want}`, () => assert.equal(directionOf(caller, callee), want));
  }
});
