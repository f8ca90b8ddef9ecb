import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { devicePasswordProblem } from './password-policy.js';

describe('devicePasswordProblem', () => {
  const ctx = { username: 'karin', extension: '100' };
  const cases: Array<[string, RegExp | undefined]> = [
    ['short1A', /7 characters, at least 10/],
    ['aaaaaaaaaaaa', /one character repeated/],
    ['abcdefghijkl', /two of/],
    ['ABCDEFGHIJKL', /two of/],
    ['123456789012', /two of/],
    ['my-karin-phone', /contains the username/],
    ['my-KARIN-phone', /contains the username/],
    ['phone-100-xyz', /contains the extension/],
    ['Password123', /commonly used/],
    ['qwertzuiop', /two of|commonly used/],
    ['welcome123', /commonly used/],
    ['a-long-secret', undefined],
    ['demo-Heiden-Pa55word', undefined],
    ['Zürich-Bahnhof', undefined],
    ['correct horse battery staple', undefined],
  ];
  for (const [password, want] of cases) {
    it(`${password} -> ${want ? String(want) : 'ok'}`, () => {
      const got = devicePasswordProblem(password, ctx);
      if (want) assert.match(got ?? '', want);
      else assert.equal(got, undefined);
    });
  }
  it('prefixes every refusal with "too weak"', () => {
    assert.match(devicePasswordProblem('x', ctx) ?? '', /^too weak \(/);
  });
});
