import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_NC_PER_NONCE, NonceTracker } from './nonce-tracker.js';

describe('NonceTracker', () => {
  it('accepts each nc of a nonce once and a qop-less nonce once', () => {
    const t = new NonceTracker(10, 1000);
    assert.equal(t.use('a', 0, 1, 0), 'fresh');
    assert.equal(t.use('a', 0, 1, 1), 'replay');
    assert.equal(t.use('a', 0, 2, 2), 'fresh');
    assert.equal(t.use('a', 0, 2, 3), 'replay');
    assert.equal(t.use('a', 0, 1, 4), 'replay', 'the first nc stays used after others');
    assert.equal(t.use('b', 0, undefined, 5), 'fresh');
    assert.equal(t.use('b', 0, undefined, 6), 'replay');
    assert.equal(t.use('b', 0, 1, 7), 'replay', 'a qop-less nonce is spent');
    assert.equal(t.use('a', 0, undefined, 8), 'replay', 'a counted nonce cannot be reused without qop');
  });

  it('stops a nonce at MAX_NC_PER_NONCE values', () => {
    const t = new NonceTracker(10, 1000);
    for (let nc = 1; nc <= MAX_NC_PER_NONCE; nc++) assert.equal(t.use('a', 0, nc, 0), 'fresh', `nc ${nc}`);
    assert.equal(t.use('a', 0, MAX_NC_PER_NONCE + 1, 0), 'full');
    assert.equal(t.use('a', 0, 1, 0), 'replay');
  });

  it('forgets expired nonces oldest first, keeping live ones', () => {
    const t = new NonceTracker(100, 1000);
    t.use('old', 0, 1, 0);
    t.use('mid', 500, 1, 500);
    t.use('new', 900, 1, 900);
    t.prune(1200);
    assert.equal(t.size, 2);
    assert.equal(t.use('mid', 500, 1, 1200), 'replay', 'live entries are still known');
    t.prune(1600);
    assert.equal(t.size, 1);
    t.prune(5000);
    assert.equal(t.size, 0);
    assert.equal(t.use('again', 5000, 1, 5000), 'fresh', 'the FIFO works after it emptied');
  });

  it('evicts the oldest past max and refuses anything issued no later than an evicted nonce', () => {
    const t = new NonceTracker(3, 1_000_000);
    for (let i = 0; i < 3; i++) t.use(`n${i}`, i, 1, i);
    assert.equal(t.use('n3', 3, 1, 3), 'fresh');
    assert.equal(t.size, 3);
    assert.equal(t.use('n0', 0, 2, 4), 'evicted', 'n0 left the table: its window stays closed');
    assert.equal(t.use('late', 0, 1, 4), 'evicted', 'issued no later than the evicted n0');
    assert.equal(t.use('n1', 1, 2, 4), 'fresh', 'n1 is still tracked');
  });

  it('stays correct across many evictions (FIFO compaction)', () => {
    const t = new NonceTracker(50, 1_000_000);
    for (let i = 0; i < 20_000; i++) assert.equal(t.use(`n${i}`, i, 1, i), 'fresh');
    assert.equal(t.size, 50);
    for (let i = 19_950; i < 20_000; i++) assert.equal(t.use(`n${i}`, i, 1, 20_000), 'replay', `n${i}`);
    assert.equal(t.use('n19949', 19_949, 2, 20_000), 'evicted');
    t.prune(1_100_000);
    assert.equal(t.size, 0);
  });
});
