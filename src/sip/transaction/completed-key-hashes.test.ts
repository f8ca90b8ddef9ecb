import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../util/clock.js';
import { CompletedKeyHashes } from './completed-key-hashes.js';

const key = (i: number) => `z9hG4bK${i.toString(36).padStart(16, 'x')}|NOTIFY`;

describe('completed keys kept as hash counts until one lifetime ends (Timer K of raw requests)', () => {
  it('a key is known from add until its lifetime ends, then not; one clock timer at most', () => {
    const clock = new FakeClock();
    const c = new CompletedKeyHashes(clock, 5000, 1000);
    assert.equal(c.has(key(1)), false, 'nothing allocated yet');
    c.add(key(1));
    clock.advance(2000);
    c.add(key(2));
    assert.equal(c.size, 2);
    assert.equal(clock.pendingTimers(), 1);
    assert.ok(c.has(key(1)) && c.has(key(2)));
    clock.advance(2999);
    assert.ok(c.has(key(1)), 'still inside its 5 s');
    clock.advance(1);
    assert.equal(c.has(key(1)), false);
    assert.ok(c.has(key(2)));
    assert.equal(c.size, 1);
    clock.advance(2000);
    assert.equal(c.has(key(2)), false);
    assert.equal(c.size, 0);
    assert.equal(clock.pendingTimers(), 0, 'no timer once empty');
  });

  it('keeps order across ring growth and wrap-around: thousands added in waves expire exactly on time', () => {
    const clock = new FakeClock();
    const c = new CompletedKeyHashes(clock, 5000, 100_000);
    let next = 0;
    const live: Array<{ k: string; until: number }> = [];
    for (let wave = 0; wave < 12; wave++) {
      // Waves of different sizes, so the ring's head sits mid-array when it has to grow.
      for (let i = 0; i < 150 + wave * 97; i++) {
        const k = key(next++);
        c.add(k);
        live.push({ k, until: clock.now() + 5000 });
      }
      clock.advance(1700);
      const now = clock.now();
      const alive = live.filter((e) => e.until > now);
      assert.equal(c.size, alive.length);
      for (const e of alive) assert.ok(c.has(e.k), `${e.k} kept until ${e.until}`);
    }
    clock.advance(5000);
    assert.equal(c.size, 0);
    assert.ok(
      live.every((e) => !c.has(e.k)),
      'every count back to zero',
    );
    assert.equal(clock.pendingTimers(), 0);
  });

  it('past max the oldest go early; clear forgets all and its timer', () => {
    const clock = new FakeClock();
    const c = new CompletedKeyHashes(clock, 5000, 3);
    for (let i = 0; i < 5; i++) c.add(key(i));
    assert.equal(c.size, 3);
    assert.ok(c.has(key(4)) && c.has(key(3)) && c.has(key(2)));
    c.clear();
    assert.equal(c.size, 0);
    assert.equal(c.has(key(4)), false);
    assert.equal(clock.pendingTimers(), 0);
  });

  it('a key never added is mostly unknown (only a shared slot answers yes)', () => {
    const clock = new FakeClock();
    const c = new CompletedKeyHashes(clock, 5000, 100_000);
    for (let i = 0; i < 10_000; i++) c.add(key(i));
    let yes = 0;
    for (let i = 10_000; i < 20_000; i++) if (c.has(key(i))) yes++;
    // 10 000 keys over 2^18 slots: about 4 % of other keys share a slot; far more means a poor hash.
    assert.ok(yes < 800, `${yes} of 10 000 unknown keys answered yes`);
    c.clear();
  });
});
