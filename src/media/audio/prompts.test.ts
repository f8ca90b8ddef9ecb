import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { numberPieces, PromptSet } from './prompts.js';
import { isSilent } from './level.js';

describe('spoken numbers', () => {
  const cases: Array<['de' | 'en', number, string[]]> = [
    ['de', 0, ['n-0']],
    ['de', 1, ['n-1']],
    ['de', 17, ['n-17']],
    ['de', 20, ['n-20']],
    ['de', 21, ['n-ein', 'n-und', 'n-20']],
    ['de', 59, ['n-9', 'n-und', 'n-50']],
    ['de', 100, ['n-ein', 'n-hundred']],
    ['de', 231, ['n-2', 'n-hundred', 'n-ein', 'n-und', 'n-30']],
    ['en', 21, ['n-20', 'n-1']],
    ['en', 115, ['n-1', 'n-hundred', 'n-15']],
    ['en', 5000, ['n-9', 'n-hundred', 'n-90', 'n-9']],
  ];
  for (const [lang, n, want] of cases)
    it(`${lang} ${n}`, () => assert.deepEqual(numberPieces(lang, n), want));
});

describe('the committed prompt set', () => {
  const p = new PromptSet();
  it('has every piece a number, a date or a digit string needs, in both languages, and they are speech', () => {
    for (const lang of ['de', 'en'] as const) {
      for (let n = 0; n < 1000; n += 7)
        for (const name of numberPieces(lang, n)) assert.ok(p.has(lang, name), name);
      for (let m = 1; m <= 12; m++) assert.ok(p.has(lang, `month-${m}`));
      for (const name of [
        'vm-greeting',
        'vm-mailbox-full',
        'vm-enter-pin',
        'vm-main-menu',
        'not-reachable',
        'service-on',
      ])
        assert.equal(isSilent(p.get(lang, name)), false, `${lang}/${name}`);
      const date = p.date(lang, Date.UTC(2026, 11, 4, 9, 30));
      assert.ok(date.samples.length > 8000, 'a date is a few pieces long');
      assert.ok(p.digits(lang, '1-0-1').samples.length > p.get(lang, 'n-1').samples.length * 3);
    }
    assert.throws(() => p.get('en', 'no-such-prompt'));
  });
});
