import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveDialString, type Route } from './dial-plan.js';
import { FeatureCodeRegistry } from './feature-codes.js';

function registry(): FeatureCodeRegistry {
  const r = new FeatureCodeRegistry();
  r.register({ code: '*8', takesArgument: false, id: 'pickup.group', description: 'group pickup' });
  r.register({ code: '*97', takesArgument: true, id: 'pickup.directed', description: 'directed pickup' });
  r.register({ code: '**', takesArgument: true, id: 'intercom', description: 'intercom' });
  r.register({ code: '#21#', takesArgument: false, id: 'forward.off', description: 'cancel forwarding' });
  r.register({
    code: '#65',
    takesArgument: true,
    argumentOptional: true,
    id: 'opt-in',
    description: 'opt in',
  });
  return r;
}

const extensions = new Set(['100', '101', '200', '0', '010']);

describe('resolveDialString', () => {
  const cases: Array<[string, Route, string?]> = [
    // workplaces
    ['100', { kind: 'workplace', extension: '100' }],
    ['1 00', { kind: 'workplace', extension: '100' }],
    ['\t200\n', { kind: 'workplace', extension: '200' }],
    ['0', { kind: 'workplace', extension: '0' }], // an operator extension wins over the prefix
    ['010', { kind: 'workplace', extension: '010' }],
    ['102', { kind: 'invalid', reason: 'no such extension' }],
    ['1000', { kind: 'invalid', reason: 'no such extension' }],
    ['10', { kind: 'invalid', reason: 'no such extension' }],
    // external
    ['0301234567', { kind: 'external', number: '301234567' }],
    ['0 030 / 123-45 67', { kind: 'external', number: '0301234567' }],
    ['+49 (30) 123.4567', { kind: 'external', number: '+49301234567' }],
    ['+4930123', { kind: 'external', number: '+4930123' }],
    ['00', { kind: 'external', number: '0' }],
    ['0 0', { kind: 'external', number: '0' }],
    ['+', { kind: 'invalid', reason: 'malformed' }],
    ['+49*1', { kind: 'invalid', reason: 'malformed' }],
    ['0301*', { kind: 'invalid', reason: 'malformed' }],
    ['12+3', { kind: 'invalid', reason: 'malformed' }],
    ['++49', { kind: 'invalid', reason: 'malformed' }],
    // feature codes
    ['*8', { kind: 'feature', code: '*8', handler: 'pickup.group' }],
    ['*97101', { kind: 'feature', code: '*97', argument: '101', handler: 'pickup.directed' }],
    ['*97 101', { kind: 'feature', code: '*97', argument: '101', handler: 'pickup.directed' }],
    ['**200', { kind: 'feature', code: '**', argument: '200', handler: 'intercom' }],
    ['#21#', { kind: 'feature', code: '#21#', handler: 'forward.off' }],
    ['*97', { kind: 'invalid', reason: 'feature code needs an argument' }],
    ['#65', { kind: 'feature', code: '#65', handler: 'opt-in' }], // the argument is optional
    ['#65300', { kind: 'feature', code: '#65', argument: '300', handler: 'opt-in' }],
    ['*81', { kind: 'invalid', reason: 'unknown feature code' }], // *8 takes no argument
    ['*9', { kind: 'invalid', reason: 'unknown feature code' }],
    ['*', { kind: 'invalid', reason: 'unknown feature code' }],
    ['#', { kind: 'invalid', reason: 'unknown feature code' }],
    ['*100', { kind: 'invalid', reason: 'unknown feature code' }], // never falls through to the extension
    // malformed
    ['', { kind: 'invalid', reason: 'empty' }],
    [' - ', { kind: 'invalid', reason: 'empty' }],
    ['alice', { kind: 'invalid', reason: 'malformed' }],
    ['100;user=phone', { kind: 'invalid', reason: 'malformed' }],
    ['10a', { kind: 'invalid', reason: 'malformed' }],
    ['0'.repeat(33), { kind: 'invalid', reason: 'too long' }],
  ];
  for (const [dialled, want] of cases) {
    it(`${JSON.stringify(dialled)} → ${want.kind === 'invalid' ? `invalid (${want.reason})` : want.kind}`, () => {
      assert.deepEqual(resolveDialString({ dialled, extensions, registry: registry() }), want);
    });
  }

  const prefixCases: Array<[string | undefined, string, Route]> = [
    [undefined, '0301234', { kind: 'external', number: '301234' }],
    ['9', '9301234', { kind: 'external', number: '301234' }],
    ['9', '0301234', { kind: 'invalid', reason: 'no such extension' }],
    ['9', '9', { kind: 'invalid', reason: 'no number after external prefix' }],
    ['9', '0', { kind: 'workplace', extension: '0' }],
    ['00', '00301234', { kind: 'external', number: '301234' }],
    // No prefix: every number that is not an extension goes out.
    ['', '0301234', { kind: 'external', number: '0301234' }],
    ['', '102', { kind: 'external', number: '102' }],
    ['', '100', { kind: 'workplace', extension: '100' }],
    ['', '+49301', { kind: 'external', number: '+49301' }],
  ];
  for (const [externalPrefix, dialled, want] of prefixCases) {
    it(`prefix ${JSON.stringify(externalPrefix)}: ${JSON.stringify(dialled)} → ${want.kind}`, () => {
      assert.deepEqual(
        resolveDialString({ dialled, extensions, externalPrefix, registry: registry() }),
        want,
      );
    });
  }

  it('only sees the extensions it is given (tenant isolation)', () => {
    const other = new Set(['300']);
    assert.deepEqual(resolveDialString({ dialled: '100', extensions: other, registry: registry() }), {
      kind: 'invalid',
      reason: 'no such extension',
    });
  });
});
