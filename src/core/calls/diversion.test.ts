import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diversionHeaders } from './diversion.js';

const B = { workplace: '101', number: '101', name: 'B' };
const C = { workplace: '102', number: '102' };
const D = { number: '+4930123' };

test('no hops, no headers', () => {
  assert.deepEqual(diversionHeaders('d.test', [], C), []);
});

test('one hop: Diversion names the diverting party, History-Info the chain with the cause', () => {
  const h = new Map(diversionHeaders('d.test', [{ from: B, reason: 'no-answer' }], C));
  assert.equal(h.get('Diversion'), '<sip:101@d.test>;reason=no-answer;counter=1');
  assert.equal(h.get('History-Info'), '<sip:101@d.test>;index=1, <sip:102@d.test;cause=408>;index=1.1;mp=1');
});

test('two hops: newest Diversion first, History-Info in order with each cause', () => {
  const h = new Map(
    diversionHeaders(
      'd.test',
      [
        { from: B, reason: 'unconditional' },
        { from: C, reason: 'user-busy' },
      ],
      D,
    ),
  );
  assert.equal(
    h.get('Diversion'),
    '<sip:102@d.test>;reason=user-busy;counter=2, <sip:101@d.test>;reason=unconditional;counter=1',
  );
  assert.equal(
    h.get('History-Info'),
    '<sip:101@d.test>;index=1, <sip:102@d.test;cause=302>;index=1.1;mp=1, <sip:+4930123@d.test;cause=486>;index=1.1.1;mp=1.1',
  );
});
