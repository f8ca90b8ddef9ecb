import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canTransition } from '../../util/state-machine.js';
import { CALL_TRANSITIONS, type CallState } from './call.js';
import { LEG_TRANSITIONS, type LegState } from './leg.js';

/** The call and leg tables, checked move by move: what the code relies on and what it must never do. */
describe('call and leg state tables', () => {
  const call: Array<[CallState, CallState, boolean]> = [
    ['ringing', 'answered', true],
    ['ringing', 'ended', true],
    ['ringing', 'queued', false],
    ['queued', 'offering', true],
    ['queued', 'ended', true],
    ['queued', 'answered', false],
    ['offering', 'queued', true],
    ['offering', 'answered', true],
    ['offering', 'ended', true],
    ['answered', 'ended', true],
    ['answered', 'ringing', false],
    ['answered', 'queued', false],
    ['ended', 'ringing', false],
    ['ended', 'answered', false],
  ];
  for (const [from, to, legal] of call)
    it(`Call ${from} -> ${to}: ${legal ? 'legal' : 'illegal'}`, () =>
      assert.equal(canTransition(CALL_TRANSITIONS, from, to), legal));

  const leg: Array<[LegState, LegState, boolean]> = [
    ['connected', 'held', true],
    ['held', 'connected', true],
    ['connected', 'offering', true],
    ['offering', 'connected', true],
    ['offering', 'held', true],
    ['connected', 'transferring', true],
    ['transferring', 'connected', true],
    ['transferring', 'replaced', true],
    ['transferring', 'held', false],
    ['transferring', 'moved', false],
    ['connected', 'moved', true],
    ['held', 'replaced', true],
    ['replaced', 'connected', false],
    ['replaced', 'ended', false],
    ['moved', 'connected', false],
    ['moved', 'ended', false],
    ['ended', 'connected', false],
  ];
  for (const [from, to, legal] of leg)
    it(`Leg ${from} -> ${to}: ${legal ? 'legal' : 'illegal'}`, () =>
      assert.equal(canTransition(LEG_TRANSITIONS, from, to), legal));
});
