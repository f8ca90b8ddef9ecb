import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventBus } from './event-bus.js';
import type { DomainEvent } from './types.js';

const caller = { workplace: '100', device: '100a', number: '100', name: 'Karin' };
const callee = { workplace: '200', number: '200' };

function offered(callId = 'c1'): DomainEvent {
  return { type: 'call.offered', tenantId: 't', callId, at: 1, caller, callee };
}
function answered(callId = 'c1'): DomainEvent {
  return { type: 'call.answered', tenantId: 't', callId, at: 2, caller, callee, device: '200a' };
}
function ended(callId = 'c1'): DomainEvent {
  return { type: 'call.ended', tenantId: 't', callId, at: 3, caller, callee, reason: 'completed' };
}

describe('EventBus', () => {
  it('delivers typed events only to listeners of that type', () => {
    const bus = new EventBus();
    const seen: string[] = [];
    bus.on('call.answered', (e) => seen.push(`answered ${e.device ?? ''}`));
    bus.on('call.ended', (e) => seen.push(`ended ${e.reason}`));
    bus.emit(offered());
    bus.emit(answered());
    bus.emit(ended());
    assert.deepEqual(seen, ['answered 200a', 'ended completed']);
  });

  it('delivers synchronously, in subscription order across typed and catch-all listeners', () => {
    const bus = new EventBus();
    const seen: string[] = [];
    bus.on('call.offered', () => seen.push('typed-1'));
    bus.onAny((e) => seen.push(`any-${e.type}`));
    bus.on('call.offered', () => seen.push('typed-2'));
    bus.emit(offered());
    seen.push('after emit');
    assert.deepEqual(seen, ['typed-1', 'any-call.offered', 'typed-2', 'after emit']);
  });

  it('unsubscribes, idempotently, and counts listeners', () => {
    const bus = new EventBus();
    const seen: string[] = [];
    const off1 = bus.on('call.ended', () => seen.push('ended'));
    const off2 = bus.onAny(() => seen.push('any'));
    assert.equal(bus.listenerCount(), 2);
    assert.equal(bus.listenerCount('call.ended'), 2);
    assert.equal(bus.listenerCount('call.offered'), 1);
    off1();
    off1();
    assert.equal(bus.listenerCount(), 1);
    bus.emit(ended());
    off2();
    bus.emit(ended());
    assert.deepEqual(seen, ['any']);
    assert.equal(bus.listenerCount(), 0);
  });

  it('a throwing listener stops neither the other listeners nor the emitter, and is reported', () => {
    const errors: Array<[unknown, string]> = [];
    const bus = new EventBus({ onError: (err, e) => errors.push([err, e.type]) });
    const seen: string[] = [];
    const boom = new Error('boom');
    bus.on('call.offered', () => seen.push('first'));
    bus.on('call.offered', () => {
      throw boom;
    });
    bus.onAny(() => {
      throw 'not an Error';
    });
    bus.on('call.offered', () => seen.push('last'));
    assert.doesNotThrow(() => bus.emit(offered()));
    assert.deepEqual(seen, ['first', 'last']);
    assert.deepEqual(errors, [
      [boom, 'call.offered'],
      ['not an Error', 'call.offered'],
    ]);
  });

  it('survives an onError that throws', () => {
    const bus = new EventBus({
      onError: () => {
        throw new Error('reporter broke');
      },
    });
    let reached = false;
    bus.on('call.offered', () => {
      throw new Error('boom');
    });
    bus.on('call.offered', () => (reached = true));
    assert.doesNotThrow(() => bus.emit(offered()));
    assert.equal(reached, true);
  });

  it('queues events emitted by a listener so every listener sees emission order', () => {
    const bus = new EventBus();
    const seen: string[] = [];
    bus.on('call.answered', (e) => {
      seen.push(`A:${e.type}`);
      bus.emit(ended(e.callId));
      // Re-entrant emit is queued, not delivered inside this listener.
      seen.push('A:after nested emit');
    });
    bus.onAny((e) => seen.push(`B:${e.type}`));
    bus.emit(answered());
    assert.deepEqual(seen, ['A:call.answered', 'A:after nested emit', 'B:call.answered', 'B:call.ended']);
  });

  it('does not call a listener removed, nor one added, during the delivery of an event', () => {
    const bus = new EventBus();
    const seen: string[] = [];
    let offLater = (): void => undefined;
    bus.on('call.offered', () => {
      seen.push('first');
      offLater();
      bus.on('call.offered', () => seen.push('added'));
    });
    offLater = bus.on('call.offered', () => seen.push('removed'));
    bus.emit(offered('c1'));
    assert.deepEqual(seen, ['first']);
    bus.emit(offered('c2'));
    assert.deepEqual(seen, ['first', 'first', 'added']);
  });

  it('buses are independent (no module state)', () => {
    const a = new EventBus();
    const b = new EventBus();
    let count = 0;
    a.onAny(() => count++);
    b.emit(offered());
    assert.equal(count, 0);
    assert.equal(b.listenerCount(), 0);
  });
});
