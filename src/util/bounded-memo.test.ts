import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memoBounded } from './bounded-memo.js';

describe('memoBounded', () => {
  it('makes a value once per key and starts over past the bound', () => {
    const table = new Map<string, number>();
    let made = 0;
    const get = (k: string) => memoBounded(table, k, 2, () => ++made);
    assert.equal(get('a'), 1);
    assert.equal(get('a'), 1, 'kept');
    assert.equal(get('b'), 2);
    assert.equal(table.size, 2);
    assert.equal(get('c'), 3, 'a third key clears the full table');
    assert.deepEqual([...table.keys()], ['c']);
    assert.equal(get('a'), 4, 'made again after the clear');
  });
});
