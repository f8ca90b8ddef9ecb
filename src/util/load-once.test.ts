import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LoadOnce } from './load-once.js';

describe('LoadOnce', () => {
  it('loads a key once for concurrent callers and makes the value readable at once afterwards', async () => {
    let loads = 0;
    const c = new LoadOnce(async (k: string) => {
      loads++;
      await new Promise((r) => setTimeout(r, 5));
      return `v-${k}`;
    });
    assert.equal(c.ready('a'), undefined);
    const [x, y] = await Promise.all([c.get('a'), c.get('a')]);
    assert.equal(x, 'v-a');
    assert.equal(y, 'v-a');
    assert.equal(loads, 1);
    assert.equal(c.ready('a'), 'v-a');
    assert.deepEqual([...c.values()], ['v-a']);
    assert.deepEqual(
      [...c.entries()].map(([k]) => k),
      ['a'],
    );
  });

  it('forgets a failed load so the next caller tries again', async () => {
    let fail = true;
    const c = new LoadOnce(async (k: number) => {
      if (fail) throw new Error('store down');
      return k * 2;
    });
    await assert.rejects(c.get(2), /store down/);
    assert.equal(c.ready(2), undefined);
    assert.deepEqual([...c.entries()], []);
    fail = false;
    assert.equal(await c.get(2), 4);
    assert.equal(c.ready(2), 4);
  });
});
