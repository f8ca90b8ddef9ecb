import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_NC_PER_NONCE, NonceTracker } from './nonce-tracker.js';

/** A test nonce's two words: FNV-1a of its name and of the name reversed (distinct for the names used here). */
function id(name: string): [number, number] {
  const fnv = (s: string) => {
    let h = 0x811c9dc5;
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    return h;
  };
  return [fnv(name), fnv([...name].reverse().join(''))];
}

describe('NonceTracker', () => {
  it('accepts each nc of a nonce once and a qop-less nonce once', () => {
    const t = new NonceTracker(10, 1000);
    assert.equal(t.use(...id('a'), 0, 1, 0), 'fresh');
    assert.equal(t.use(...id('a'), 0, 1, 1), 'replay');
    assert.equal(t.use(...id('a'), 0, 2, 2), 'fresh');
    assert.equal(t.use(...id('a'), 0, 2, 3), 'replay');
    assert.equal(t.use(...id('a'), 0, 1, 4), 'replay', 'the first nc stays used after others');
    assert.equal(t.use(...id('b'), 0, undefined, 5), 'fresh');
    assert.equal(t.use(...id('b'), 0, undefined, 6), 'replay');
    assert.equal(t.use(...id('b'), 0, 1, 7), 'replay', 'a qop-less nonce is spent');
    assert.equal(
      t.use(...id('a'), 0, undefined, 8),
      'replay',
      'a counted nonce cannot be reused without qop',
    );
  });

  it('stops a nonce at MAX_NC_PER_NONCE values', () => {
    const t = new NonceTracker(10, 1000);
    for (let nc = 1; nc <= MAX_NC_PER_NONCE; nc++)
      assert.equal(t.use(...id('a'), 0, nc, 0), 'fresh', `nc ${nc}`);
    assert.equal(t.use(...id('a'), 0, MAX_NC_PER_NONCE + 1, 0), 'full');
    assert.equal(t.use(...id('a'), 0, 1, 0), 'replay');
  });

  it('forgets expired nonces oldest first, keeping live ones', () => {
    const t = new NonceTracker(100, 1000);
    t.use(...id('old'), 0, 1, 0);
    t.use(...id('mid'), 500, 1, 500);
    t.use(...id('new'), 900, 1, 900);
    t.prune(1200);
    assert.equal(t.size, 2);
    assert.equal(t.use(...id('mid'), 500, 1, 1200), 'replay', 'live entries are still known');
    t.prune(1600);
    assert.equal(t.size, 1);
    t.prune(5000);
    assert.equal(t.size, 0);
    assert.equal(t.use(...id('again'), 5000, 1, 5000), 'fresh', 'the FIFO works after it emptied');
  });

  it('evicts the oldest past max and refuses anything issued no later than an evicted nonce', () => {
    const t = new NonceTracker(3, 1_000_000);
    for (let i = 0; i < 3; i++) t.use(...id(`n${i}`), i, 1, i);
    assert.equal(t.use(...id('n3'), 3, 1, 3), 'fresh');
    assert.equal(t.size, 3);
    assert.equal(t.use(...id('n0'), 0, 2, 4), 'evicted', 'n0 left the table: its window stays closed');
    assert.equal(t.use(...id('late'), 0, 1, 4), 'evicted', 'issued no later than the evicted n0');
    assert.equal(t.use(...id('n1'), 1, 2, 4), 'fresh', 'n1 is still tracked');
  });

  it('stays correct across many evictions (FIFO compaction)', () => {
    const t = new NonceTracker(50, 1_000_000);
    for (let i = 0; i < 20_000; i++) assert.equal(t.use(...id(`n${i}`), i, 1, i), 'fresh');
    assert.equal(t.size, 50);
    for (let i = 19_950; i < 20_000; i++)
      assert.equal(t.use(...id(`n${i}`), i, 1, 20_000), 'replay', `n${i}`);
    assert.equal(t.use(...id('n19949'), 19_949, 2, 20_000), 'evicted');
    t.prune(1_100_000);
    assert.equal(t.size, 0);
  });

  it('tells apart nonces on one bucket and stays correct as the ring grows', () => {
    const t = new NonceTracker(5_000, 1_000_000);
    // Same low word (the bucket), different high words; then enough others to grow the ring several times.
    assert.equal(t.use(1, 7, 0, 1, 0), 'fresh');
    assert.equal(t.use(2, 7, 0, 1, 0), 'fresh');
    assert.equal(t.use(1, 7, 0, 1, 0), 'replay');
    assert.equal(t.use(2, 7 + (1 << 17), 0, 1, 0), 'fresh', 'a low word that differs above the bucket bits');
    for (let i = 0; i < 3_000; i++) assert.equal(t.use(100 + i, i * 131, 0, 1, 0), 'fresh');
    assert.equal(t.size, 3_003);
    assert.equal(t.use(2, 7, 0, 1, 0), 'replay');
    assert.equal(t.use(2, 7, 0, 2, 0), 'fresh');
    assert.equal(t.use(2, 7, 0, 2, 0), 'replay');
    for (let i = 0; i < 3_000; i += 97)
      assert.equal(t.use(100 + i, i * 131, 0, 1, 0), 'replay', `entry ${i}`);
  });
});
