import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatCSeq, parseCSeq } from './cseq.js';
import { parseContentLength, parseDeltaSeconds, parseMaxForwards } from './scalar-headers.js';

describe('parseCSeq', () => {
  const ok: Array<[string, number, string]> = [
    ['1 INVITE', 1, 'INVITE'],
    ['0009 INVITE', 9, 'INVITE'],
    ['  4294967295   REGISTER ', 4294967295, 'REGISTER'],
    ['0 RE%47IST%45R', 0, 'RE%47IST%45R'],
    ['00000000000000000001 ACK', 1, 'ACK'],
  ];
  for (const [s, seq, method] of ok) test(s, () => assert.deepEqual(parseCSeq(s), { seq, method }));

  const bad = [
    '4294967296 INVITE',
    '36893488147419103232 REGISTER',
    '-1 INVITE',
    '1INVITE',
    '1',
    'INVITE',
    '1 INV ITE',
    '1 INVITE;x',
    '',
    '1.5 INVITE',
  ];
  for (const s of bad) test(`rejects ${JSON.stringify(s)}`, () => assert.equal(parseCSeq(s), undefined));

  test('formatCSeq', () => assert.equal(formatCSeq({ seq: 7, method: 'BYE' }), '7 BYE'));
});

describe('scalar headers', () => {
  test('Max-Forwards 0-255 only', () => {
    assert.equal(parseMaxForwards('0068'), 68);
    assert.equal(parseMaxForwards('0'), 0);
    assert.equal(parseMaxForwards('255'), 255);
    assert.equal(parseMaxForwards('256'), undefined);
    assert.equal(parseMaxForwards('300'), undefined);
    assert.equal(parseMaxForwards('7a'), undefined);
    assert.equal(parseMaxForwards(''), undefined);
  });

  test('delta-seconds clamp to 2^32-1 and reject non-digits', () => {
    assert.equal(parseDeltaSeconds(' 3600 '), 3600);
    assert.equal(parseDeltaSeconds('4294967295'), 4294967295);
    assert.equal(parseDeltaSeconds('1' + '0'.repeat(100)), 4294967295);
    assert.equal(parseDeltaSeconds('-1'), undefined);
    assert.equal(parseDeltaSeconds('3600s'), undefined);
    assert.equal(parseDeltaSeconds(''), undefined);
  });

  test('Content-Length: digits only, bounded', () => {
    assert.equal(parseContentLength('150'), 150);
    assert.equal(parseContentLength('-999'), undefined);
    assert.equal(parseContentLength('five'), undefined);
    assert.equal(parseContentLength('99999999999999999999'), undefined);
    assert.equal(parseContentLength('10', 5), undefined);
  });
});
