import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatOutboundNumber, toE164 } from './number-format.js';
import type { FormatOutboundInput } from './number-format.js';

describe('formatOutboundNumber', () => {
  const cases: Array<
    [Omit<FormatOutboundInput, 'countryCode'> & { countryCode?: string | null }, string | undefined]
  > = [
    [{ dialled: '0030123', prefix: '0', format: 'national' }, '030123'],
    [{ dialled: '030123', prefix: '', format: 'e164', countryCode: '49' }, '+4930123'],
    [{ dialled: '0030123', prefix: '0', format: 'e164', countryCode: '49' }, '+4930123'],
    [{ dialled: '0049301234', prefix: '', format: 'e164', countryCode: '49' }, '+49301234'],
    [{ dialled: '0044207', prefix: '', format: 'e164', countryCode: '49' }, '+44207'],
    [{ dialled: '+44207', prefix: '', format: 'e164', countryCode: '49' }, '+44207'],
    [{ dialled: '+44207', prefix: '0', format: 'e164', countryCode: '49' }, '+44207'],
    [{ dialled: '0 030 / 123-4', prefix: '0', format: 'e164', countryCode: '49' }, '+49301234'],
    [{ dialled: '110', prefix: '', format: 'e164', countryCode: '49' }, '110'],
    [{ dialled: '030123', prefix: '', format: 'e164', countryCode: null }, '030123'],
    [{ dialled: '+49301234', prefix: '', format: 'national', countryCode: '49' }, '0301234'],
    [{ dialled: '0049301234', prefix: '', format: 'national', countryCode: '49' }, '0301234'],
    [{ dialled: '+44207', prefix: '', format: 'national', countryCode: '49' }, '0044207'],
    [{ dialled: '0044207', prefix: '', format: 'national', countryCode: '49' }, '0044207'],
    [{ dialled: '+44207', prefix: '', format: 'national' }, '0044207'],
    [{ dialled: '9030123', prefix: '9', format: 'national' }, '030123'],
    [{ dialled: '030123', prefix: '9', format: 'national' }, undefined],
    [{ dialled: '0', prefix: '0', format: 'national' }, undefined],
    [{ dialled: '+', prefix: '', format: 'e164', countryCode: '49' }, undefined],
    [{ dialled: '00', prefix: '', format: 'e164', countryCode: '49' }, undefined],
    [{ dialled: '030*1', prefix: '', format: 'e164', countryCode: '49' }, undefined],
    [{ dialled: 'alice', prefix: '', format: 'e164', countryCode: '49' }, undefined],
  ];
  for (const [input, want] of cases) {
    it(`${JSON.stringify(input)} → ${String(want)}`, () => {
      assert.equal(formatOutboundNumber({ countryCode: null, ...input }), want);
    });
  }
});

describe('toE164', () => {
  const cases: Array<[string, string | null, string | undefined]> = [
    ['+4930123456100', '49', '+4930123456100'],
    ['4930123456100', '49', '+4930123456100'],
    ['004930123456100', '49', '+4930123456100'],
    ['030123456100', '49', '+4930123456100'],
    ['030123456100', '43', '+4330123456100'],
    ['030123456100', null, undefined],
    ['+49 30 123', '49', '+4930123'],
    ['anonymous', '49', undefined],
    ['+', '49', undefined],
    ['', '49', undefined],
  ];
  for (const [n, cc, want] of cases) {
    it(`${n} (cc ${String(cc)}) → ${String(want)}`, () => assert.equal(toE164(n, cc), want));
  }
});
