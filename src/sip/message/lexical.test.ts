import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isToken, parseDigits, quote, scanQuoted, splitList, unquote } from './lexical.js';

describe('lexical', () => {
  test('isToken', () => {
    assert.equal(isToken("!interesting-Method0123456789_*+`.%indeed'~"), true);
    assert.equal(isToken('a b'), false);
    assert.equal(isToken(''), false);
    assert.equal(isToken('REGISTER/'), false);
  });

  test('scanQuoted honours quoted-pairs', () => {
    assert.equal(scanQuoted('"a\\"b" x', 0), 6);
    assert.equal(scanQuoted('"abc', 0), -1);
    assert.equal(scanQuoted('"ab\\"', 0), -1);
  });

  test('quote/unquote', () => {
    assert.equal(unquote('"a\\"b\\\\c"'), 'a"b\\c');
    assert.equal(unquote('plain'), 'plain');
    assert.equal(unquote(quote('x "y" \\ z')), 'x "y" \\ z');
    assert.equal(quote('a\r\nb'), '"a  b"');
  });

  test('splitList', () => {
    assert.deepEqual(splitList(' a , "b,c" , <d,e>;x=1 '), ['a', '"b,c"', '<d,e>;x=1']);
    assert.deepEqual(splitList(''), ['']);
    assert.equal(splitList('"a, b'), undefined);
    assert.equal(splitList('<a, b'), undefined);
  });

  test('parseDigits checks range per digit', () => {
    assert.equal(parseDigits('0000000000000000000042', 100), 42);
    assert.equal(parseDigits('101', 100), undefined);
    assert.equal(parseDigits('9'.repeat(400), 2 ** 32), undefined);
    assert.equal(parseDigits('+1', 10), undefined);
    assert.equal(parseDigits('', 10), undefined);
  });
});
