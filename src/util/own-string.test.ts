import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ownString } from './own-string.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Heap bytes per kept key when 20 000 keys are cut from 2 KB messages, kept as they are or through `keep`. */
function heldPerKey(keep: (s: string) => string): number {
  const table = new Map<string, number>();
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < 20_000; i++) {
    const message = `Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK${i}xyzxyzxyz\r\n${'X'.repeat(2000)}${i}`;
    const start = message.indexOf('z9hG4bK');
    table.set(keep(`b|${message.slice(start, message.indexOf('\r'))}|REGISTER`), i);
  }
  gc();
  const held = (process.memoryUsage().heapUsed - before) / table.size;
  assert.equal(table.size, 20_000);
  return held;
}

describe('ownString', () => {
  it('is the same text', () => {
    for (const s of ['', 'short', 'z9hG4bKabcdefghijklmnop', 'ümlaut and more than thirteen'])
      assert.equal(ownString(s), s);
  });

  it('does not keep the message it was cut from alive (as a plain slice does)', () => {
    const sliced = heldPerKey((s) => s);
    const owned = heldPerKey(ownString);
    assert.ok(sliced > 1500, `a sliced key holds its message: ${sliced.toFixed(0)} B per key`);
    assert.ok(owned < 400, `an owned key holds only itself: ${owned.toFixed(0)} B per key`);
  });
});
