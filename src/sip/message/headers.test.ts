import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Headers, canonicalHeaderName } from './headers.js';

describe('Headers', () => {
  test('compact forms and case are folded to one spelling (RFC 3261 7.3.3)', () => {
    assert.equal(canonicalHeaderName('v'), 'Via');
    assert.equal(canonicalHeaderName('CALL-id'), 'Call-ID');
    assert.equal(canonicalHeaderName('X-Custom'), 'X-Custom');
    const h = new Headers([
      ['v', 'a'],
      ['VIA', 'b'],
      ['x-custom', '1'],
    ]);
    assert.deepEqual(h.getAll('via'), ['a', 'b']);
    assert.equal(h.get('X-CUSTOM'), '1');
    assert.equal(h.count('Via'), 2);
    assert.equal(h.count('To'), 0);
  });

  test('prepend, set, setFirst, delete, clone keep order and independence', () => {
    const h = new Headers([
      ['To', 't'],
      ['Via', 'a'],
      ['Via', 'b'],
    ]);
    h.prepend('v', 'top');
    assert.deepEqual(h.getAll('Via'), ['top', 'a', 'b']);
    h.setFirst('Via', 'top2');
    assert.deepEqual(h.getAll('Via'), ['top2', 'a', 'b']);
    const c = h.clone();
    h.set('Via', 'only');
    assert.deepEqual(h.entries(), [
      ['To', 't'],
      ['Via', 'only'],
    ]);
    assert.deepEqual(c.getAll('Via'), ['top2', 'a', 'b']);
    c.delete('via');
    assert.equal(c.size, 1);
    assert.equal(c.has('Via'), false);
  });
});
