import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { doubled } from './ring-column.js';

describe('doubled ring columns', () => {
  it('moves every live entry to its index under the doubled length, for typed and plain arrays', () => {
    // Capacity 4, entries 5..8 live: at indexes 1, 2, 3, 0.
    const ints = new Int32Array([8, 5, 6, 7]);
    const names = ['e8', 'e5', 'e6', 'e7'];
    const grownInts = doubled(ints, 5, 9);
    const grownNames = doubled(names, 5, 9);
    assert.ok(grownInts instanceof Int32Array);
    assert.equal(grownInts.length, 8);
    for (let seq = 5; seq < 9; seq++) {
      assert.equal(grownInts[seq & 7], seq);
      assert.equal(grownNames[seq & 7], `e${seq}`);
    }
    assert.equal(grownNames[4], undefined, 'no live entry there');
    assert.ok(doubled(new Float64Array(2), 0, 0) instanceof Float64Array);
  });
});
