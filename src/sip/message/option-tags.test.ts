import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Headers } from './headers.js';
import { optionTags } from './option-tags.js';

describe('optionTags', () => {
  it('joins every line, splits the lists, lower-cases and drops empties', () => {
    const h = new Headers();
    h.add('Require', ' 100rel , Timer');
    h.add('Require', ',EventList,');
    h.add('Supported', 'path');
    assert.deepEqual(optionTags(h, 'Require'), ['100rel', 'timer', 'eventlist']);
    assert.deepEqual(optionTags(h, 'Supported'), ['path']);
    assert.deepEqual(optionTags(h, 'Proxy-Require'), []);
  });
});
