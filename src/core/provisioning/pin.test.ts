import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pinProblem } from './password-policy.js';
import { hashPin, hashProvisionedPin, verifyPin } from './pin.js';

describe('pinProblem', () => {
  const cases: Array<[string, RegExp | undefined]> = [
    ['12a456', /digits only/],
    ['4711', /4 digits, at least 6/],
    ['1234567890123', /at most 12/],
    ['777777', /one digit repeated/],
    ['123456', /consecutive/],
    ['987654', /consecutive/],
    ['890123', /consecutive/],
    ['121212', /repeated pattern/],
    ['123123', /repeated pattern/],
    ['581006', /contains the extension/],
    ['147258', /commonly used/],
    ['583914', undefined],
    ['20261204', undefined],
  ];
  for (const [pin, want] of cases) {
    it(`${pin} -> ${want ? String(want) : 'ok'}`, () => {
      const got = pinProblem(pin, { extension: '100' });
      if (want) assert.match(got ?? '', want);
      else assert.equal(got, undefined);
    });
  }
});

describe('PIN hashes', () => {
  it('stores no PIN, verifies the right one only, and gives the same provisioned hash for the same mailbox', async () => {
    const a = hashProvisionedPin('583914', 'acme', '100');
    assert.equal(a, hashProvisionedPin('583914', 'acme', '100'));
    assert.notEqual(a, hashProvisionedPin('583914', 'acme', '101'), 'salted per mailbox');
    assert.ok(!a.includes('583914'));
    assert.equal(await verifyPin('583914', a), true);
    assert.equal(await verifyPin('583915', a), false);
    const b = await hashPin('583914');
    assert.notEqual(b, await hashPin('583914'), 'random salt at run time');
    assert.equal(await verifyPin('583914', b), true);
    assert.equal(await verifyPin('583914', 'garbage'), false);
  });
});
