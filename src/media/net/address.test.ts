import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSendableMediaAddress, literalLookup } from './address.js';

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

describe('literalLookup', () => {
  it('answers an IP literal inside the call (dgram then sends without a deferred tick)', () => {
    const got: Array<[string, number]> = [];
    literalLookup('127.0.0.1', 4, (err, address, family) => {
      assert.equal(err, null);
      got.push([address, family]);
    });
    literalLookup('::1', 6, (_err, address, family) => got.push([address, family]));
    assert.deepEqual(got, [
      ['127.0.0.1', 4],
      ['::1', 6],
    ]);
  });

  it('leaves a name to dns.lookup (answered later, not in the call)', async () => {
    let sync = true;
    const answer = new Promise<[NodeJS.ErrnoException | null, string, number]>((resolve) =>
      literalLookup('localhost', 4, (err, address, family) => {
        assert.equal(sync, false);
        resolve([err, address, family]);
      }),
    );
    sync = false;
    const [err, address, family] = await answer;
    assert.equal(err, null);
    assert.equal(family, 4);
    assert.equal(address, '127.0.0.1');
  });
});
