import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RawClientSlots, slotIn } from './raw-client-slots.js';

describe('slotIn', () => {
  it('reads the decimal number after the last dot before the end', () => {
    assert.equal(slotIn('z9hG4bKabc.0', 12), 0);
    assert.equal(slotIn('z9hG4bKabc.417', 14), 417);
    assert.equal(slotIn('z9hG4bKa.b.42|NOTIFY', 13), 42);
  });
  it('is -1 without a dot, without digits, with other characters or more than nine digits', () => {
    for (const b of ['z9hG4bKabc', 'z9hG4bKabc.', 'z9hG4bKabc.1a', 'z9hG4bKabc.-1', 'z9hG4bK.1234567890'])
      assert.equal(slotIn(b, b.length), -1, b);
  });
});

describe('RawClientSlots', () => {
  it('takes only the next free slot, finds by branch and method, and reuses freed slots', () => {
    const s = new RawClientSlots<string>();
    assert.equal(s.nextSlot(), 0);
    assert.equal(s.add(1, 'z9hG4bKa.1', 'NOTIFY', 'A'), false, 'not the next slot');
    assert.equal(s.add(0, 'z9hG4bKa.0', 'NOTIFY', 'A'), true);
    assert.equal(s.add(1, 'z9hG4bKb.1', 'NOTIFY', 'B'), true);
    assert.equal(s.size, 2);
    assert.equal(s.get('z9hG4bKa.0', 'NOTIFY'), 'A');
    assert.equal(s.get('z9hG4bKa.0', 'INFO'), undefined, 'another method');
    assert.equal(s.get('z9hG4bKforged.0', 'NOTIFY'), undefined, 'the slot holds another branch');
    assert.equal(s.get('z9hG4bKb.7', 'NOTIFY'), undefined, 'no such slot');
    assert.equal(s.getByKey('z9hG4bKb.1|NOTIFY'), 'B');
    assert.equal(s.getByKey('z9hG4bKb.1|INFO'), undefined);
    assert.equal(s.getByKey('z9hG4bKforged.1|NOTIFY'), undefined);
    assert.equal(s.delete('z9hG4bKforged.0|NOTIFY'), false);
    assert.equal(s.delete('z9hG4bKa.0|NOTIFYX'), false);
    assert.equal(s.delete('z9hG4bKa.0|NOTIFY'), true);
    assert.equal(s.delete('z9hG4bKa.0|NOTIFY'), false, 'once');
    assert.equal(s.get('z9hG4bKa.0', 'NOTIFY'), undefined);
    assert.equal(s.nextSlot(), 0, 'the freed slot comes next');
    assert.equal(s.add(0, 'z9hG4bKc.0', 'NOTIFY', 'C'), true);
    assert.equal(s.nextSlot(), 2);
    assert.deepEqual([...s.values()].sort(), ['B', 'C']);
    s.clear();
    assert.equal(s.size, 0);
    assert.equal(s.nextSlot(), 0);
  });
});
