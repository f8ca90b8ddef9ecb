import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyNumber } from './destination-class.js';

test('classifies numbers of the home country, abroad, premium, mobile and emergency', () => {
  const de = (dialled: string, e164?: string) => classifyNumber(dialled, e164, '49');
  assert.equal(de('030123456', '+4930123456'), 'national');
  assert.equal(de('01711234567', '+491711234567'), 'mobile');
  assert.equal(de('09001234567', '+499001234567'), 'premium');
  assert.equal(de('11833', '+4911833'), 'premium');
  assert.equal(de('0044201234567', '+44201234567'), 'international');
  assert.equal(de('+882123456', '+882123456'), 'international');
  assert.equal(de('112', '+112'), 'emergency');
  assert.equal(de('110'), 'emergency');
  assert.equal(classifyNumber('0791234567', '+41791234567', '41'), 'mobile');
  assert.equal(classifyNumber('0906123456', '+41906123456', '41'), 'premium');
  assert.equal(classifyNumber('19005551234', '+19005551234', '1'), 'premium');
  assert.equal(classifyNumber('0612345678', '+33612345678', '33'), 'mobile');
  // Unknown ranges of a known home country: national.
  assert.equal(classifyNumber('0123456', '+3912345', '39'), 'national');
});

test('without a country, national format counts as national and everything else as international', () => {
  assert.equal(classifyNumber('030123456', undefined, undefined), 'national');
  assert.equal(classifyNumber('004930123456', undefined, undefined), 'international');
  assert.equal(classifyNumber('+4930123456', undefined, undefined), 'international');
});
