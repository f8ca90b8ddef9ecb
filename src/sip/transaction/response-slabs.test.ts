import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../util/clock.js';
import { CompletedResponses } from './completed-responses.js';
import { ResponseSlabs, type SlabCopy } from './response-slabs.js';
import { flow } from './test-harness.js';

describe('response slabs', () => {
  it('keeps its own copy of the bytes, also across many slabs', () => {
    const clock = new FakeClock();
    const kept = new CompletedResponses<SlabCopy>(clock, 32_000, 10_000);
    const slabs = new ResponseSlabs();
    const sizes = [1, 400, 1500, 40_000, 70_000, 3];
    const to = flow();
    const originals: Buffer[] = [];
    for (let i = 0; i < 2_000; i++) {
      const b = Buffer.alloc(sizes[i % sizes.length]!, i % 251);
      originals.push(Buffer.from(b));
      kept.add(`k${i}`, slabs.keep({ bytes: b, to }));
      b.fill(0xff); // the sender may reuse its buffer once the copy is kept
    }
    for (let i = 0; i < 2_000; i++)
      assert.deepEqual(ResponseSlabs.view(kept.get(`k${i}`)!).bytes, originals[i], `entry ${i}`);
    assert.equal(kept.get('k0')?.to, to);
    clock.advance(32_000);
    assert.equal(kept.size, 0);
    assert.equal(kept.get('k1'), undefined);
  });
});
