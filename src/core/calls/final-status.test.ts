import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bestFinalStatus, reasonForStatus } from './final-status.js';

test('bestFinalStatus: table', () => {
  const table: Array<[number[], number]> = [
    [[], 480],
    [[486], 486],
    [[486, 408], 486],
    [[603, 486], 603],
    [[408, 408], 480],
    [[503], 480],
    [[488, 415], 415],
    [[487], 480],
    [[600], 600],
    [[404, 486], 486],
  ];
  for (const [input, want] of table) assert.equal(bestFinalStatus(input), want, JSON.stringify(input));
});

test('reasonForStatus: table', () => {
  assert.equal(reasonForStatus(486), 'busy');
  assert.equal(reasonForStatus(603), 'declined');
  assert.equal(reasonForStatus(404), 'not-found');
  assert.equal(reasonForStatus(480), 'unavailable');
  assert.equal(reasonForStatus(500), 'failed');
});
