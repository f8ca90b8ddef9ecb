import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../util/clock.js';
import { DeadlineQueues } from './deadline-queues.js';

describe('DeadlineQueues', () => {
  it('fires each deadline at its own time, in order, on one clock timer per duration', () => {
    const clock = new FakeClock();
    const q = new DeadlineQueues(clock);
    const fired: string[] = [];
    q.setTimeout(() => fired.push('a'), 500);
    clock.advance(100);
    q.setTimeout(() => fired.push('b'), 500);
    q.setTimeout(() => fired.push('long'), 5000);
    assert.equal(clock.pendingTimers(), 2);
    assert.equal(q.pending(), 3);
    clock.advance(399);
    assert.equal(fired.length, 0);
    clock.advance(1);
    assert.deepEqual(fired, ['a']);
    clock.advance(99);
    assert.deepEqual(fired, ['a']);
    clock.advance(1);
    assert.deepEqual(fired, ['a', 'b']);
    clock.advance(5000);
    assert.deepEqual(fired, ['a', 'b', 'long']);
    assert.equal(clock.pendingTimers(), 0);
    assert.equal(q.pending(), 0);
  });

  it('skips cleared deadlines and releases the clock timer when none is left', () => {
    const clock = new FakeClock();
    const q = new DeadlineQueues(clock);
    const fired: string[] = [];
    const h1 = q.setTimeout(() => fired.push('1'), 500);
    clock.advance(10);
    q.setTimeout(() => fired.push('2'), 500);
    q.clearTimeout(h1);
    q.clearTimeout(h1);
    clock.advance(490);
    assert.equal(fired.length, 0);
    clock.advance(10);
    assert.deepEqual(fired, ['2']);
    const h3 = q.setTimeout(() => fired.push('3'), 500);
    assert.equal(clock.pendingTimers(), 1);
    q.clearTimeout(h3);
    assert.equal(clock.pendingTimers(), 0);
    clock.advance(1000);
    assert.deepEqual(fired, ['2']);
  });

  it('lets a firing callback schedule behind and cancel others without losing order', () => {
    const clock = new FakeClock();
    const q = new DeadlineQueues(clock);
    const fired: string[] = [];
    const later = q.setTimeout(() => fired.push('cancelled'), 600);
    q.setTimeout(() => {
      fired.push('first');
      q.clearTimeout(later);
      q.setTimeout(() => fired.push('again'), 500);
    }, 500);
    q.setTimeout(() => fired.push('second'), 500);
    clock.advance(500);
    assert.deepEqual(fired, ['first', 'second']);
    clock.advance(500);
    assert.deepEqual(fired, ['first', 'second', 'again']);
    assert.equal(clock.pendingTimers(), 0);
  });
  it('a long queue of mostly cleared deadlines keeps firing the live ones on time and in order', () => {
    const clock = new FakeClock();
    const q = new DeadlineQueues(clock);
    const fired: number[] = [];
    const handles = Array.from({ length: 5000 }, (_, i) => {
      if (i % 100 === 0) clock.advance(1);
      return q.setTimeout(() => fired.push(i), 32_000);
    });
    // Most are cleared at once (answered), which compacts the queue; every 500th stays.
    handles.forEach((h, i) => i % 500 !== 0 && q.clearTimeout(h));
    assert.equal(q.pending(), 10);
    // Deadline i is due at 32 000 ms + 1 + floor(i / 100); the clock stands at 50.
    clock.advance(32_001 - 50);
    assert.deepEqual(fired, [0]);
    clock.advance(44);
    assert.equal(fired.length, 9);
    clock.advance(1);
    assert.deepEqual(fired, [0, 500, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 4500]);
    assert.equal(q.pending(), 0);
    assert.equal(clock.pendingTimers(), 0);
  });
});
