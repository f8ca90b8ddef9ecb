import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSendableMediaAddress } from './address.js';

describe('isSendableMediaAddress', () => {
  const cases: Array<[string, number, boolean]> = [
    ['127.0.0.1', 4000, true],
    ['192.168.1.20', 5004, true],
    ['10.0.0.1', 65535, true],
    ['0.0.0.0', 4000, false],
    ['0.1.2.3', 4000, false],
    ['255.255.255.255', 4000, false],
    ['224.0.0.1', 4000, false],
    ['239.255.255.250', 4000, false],
    ['240.0.0.1', 4000, false],
    ['127.0.0.1', 0, false],
    ['127.0.0.1', 65536, false],
    ['127.0.0.1', -1, false],
    ['::1', 4000, true],
    ['2001:db8::1', 4000, true],
    ['::', 4000, false],
    ['0:0:0:0:0:0:0:0', 4000, false],
    ['ff02::1', 4000, false],
    ['::ffff:0.0.0.0', 4000, false],
    ['::ffff:192.0.2.1', 4000, true],
    ['pbx.example.com', 4000, false],
    ['', 4000, false],
  ];
  for (const [address, port, ok] of cases) {
    it(`${address}:${port} → ${ok}`, () => assert.equal(isSendableMediaAddress(address, port), ok));
  }
});
