import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatParams, isPlainParamValue, parseHeaderParams } from './params.js';
import { quote, unquote } from './lexical.js';

describe('parseHeaderParams', () => {
  test('names lower-cased, values as received, flags null, quoted values keep quotes', () => {
    const p = parseHeaderParams(' ; Tag = AbC ;lr; +sip.instance="<urn:uuid:1>" ;q=0.5', 0)!;
    assert.deepEqual(
      [...p],
      [
        ['tag', 'AbC'],
        ['lr', null],
        ['+sip.instance', '"<urn:uuid:1>"'],
        ['q', '0.5'],
      ],
    );
    assert.equal(unquote(p.get('+sip.instance')!), '<urn:uuid:1>');
  });

  test('a repeated name keeps its first value', () => {
    assert.equal(parseHeaderParams(';a=1;A=2', 0)!.get('a'), '1');
  });

  test('IPv6 value without brackets (received) and with (maddr)', () => {
    assert.equal(parseHeaderParams(';received=2001:db8::1;maddr=[::1]', 0)!.get('maddr'), '[::1]');
  });

  for (const s of [';', ';;', ';a;', ';a=', ';=b', ';a="x', 'a', ';a b', ';a=<x>']) {
    test(`rejects ${JSON.stringify(s)}`, () => assert.equal(parseHeaderParams(s, 0), undefined));
  }

  test('empty input is no params', () => assert.equal(parseHeaderParams('  ', 0)!.size, 0));
});

describe('formatParams', () => {
  test('round trip', () => {
    const s = ';tag=x;lr;name="a \\"b\\""';
    assert.equal(formatParams(parseHeaderParams(s, 0)!), s);
  });

  test('isPlainParamValue tells when quoting is needed', () => {
    assert.equal(isPlainParamValue('z9hG4bK-1.2'), true);
    assert.equal(isPlainParamValue('a b'), false);
    assert.equal(isPlainParamValue(''), false);
    assert.equal(quote('a "b" \\'), '"a \\"b\\" \\\\"');
  });
});
