import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StateMachine, assertTransition, canTransition, type TransitionTable } from './state-machine.js';

type Light = 'red' | 'green' | 'amber' | 'off';
const TABLE: TransitionTable<Light> = {
  red: ['green', 'off'],
  green: ['amber', 'off'],
  amber: ['red', 'off'],
};

describe('state machine helper', () => {
  const cases: Array<[Light, Light, boolean]> = [
    ['red', 'green', true],
    ['green', 'amber', true],
    ['amber', 'red', true],
    ['red', 'off', true],
    ['red', 'amber', false],
    ['green', 'red', false],
    ['red', 'red', false],
    ['off', 'red', false],
    ['off', 'off', false],
  ];
  for (const [from, to, legal] of cases) {
    it(`${from} -> ${to} is ${legal ? 'legal' : 'illegal'}`, () => {
      assert.equal(canTransition(TABLE, from, to), legal);
      if (legal) assertTransition('Light', TABLE, from, to);
      else assert.throws(() => assertTransition('Light', TABLE, from, to), /Light: illegal transition/);
    });
  }

  it('StateMachine moves along the table and refuses the rest, keeping its state', () => {
    const m = new StateMachine<Light>('Light', TABLE, 'red');
    assert.equal(m.state, 'red');
    assert.ok(m.can('green'));
    assert.ok(!m.can('amber'));
    m.to('green');
    assert.ok(m.is('green', 'amber'));
    assert.throws(() => m.to('red'), /illegal transition green -> red/);
    assert.equal(m.state, 'green');
    m.to('off');
    assert.throws(() => m.to('red'));
  });
});
