import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalAddress, forbiddenDestination, ipv6Hextets, normalizeSocketAddress } from './address.js';

test('forbiddenDestination: blocks unspecified, limited broadcast, multicast, port 0, non-literals', () => {
  const table: Array<[string, number, string | undefined]> = [
    ['127.0.0.1', 5060, undefined],
    ['192.168.1.255', 5060, undefined], // maybe a subnet broadcast, maybe a host: we cannot know
    ['10.0.0.1', 1, undefined],
    ['0.0.0.0', 5060, 'unspecified address'],
    ['0.1.2.3', 5060, 'unspecified address'],
    ['255.255.255.255', 5060, 'broadcast address'],
    ['224.0.0.1', 5060, 'multicast address'],
    ['239.255.255.250', 1900, 'multicast address'],
    ['240.0.0.1', 5060, undefined],
    ['::1', 5060, undefined],
    ['[::1]', 5060, undefined],
    ['2001:db8::1', 5060, undefined],
    ['fe80::1%lo', 5060, undefined],
    ['::', 5060, 'unspecified address'],
    ['0:0:0:0:0:0:0:0', 5060, 'unspecified address'],
    ['ff02::1', 5060, 'multicast address'],
    ['FF05::1:3', 5060, 'multicast address'],
    ['ff::1', 5060, undefined], // that is 00ff::1, not multicast
    ['::ffff:255.255.255.255', 5060, 'broadcast address'],
    ['::ffff:224.0.0.1', 5060, 'multicast address'],
    ['::ffff:127.0.0.1', 5060, undefined],
    ['127.0.0.1', 0, 'invalid port'],
    ['127.0.0.1', 65536, 'invalid port'],
    ['127.0.0.1', 1.5, 'invalid port'],
    ['example.com', 5060, 'not an IP literal'],
    ['', 5060, 'not an IP literal'],
  ];
  for (const [addr, port, want] of table)
    assert.equal(forbiddenDestination(addr, port), want, `${addr}:${port}`);
});

test('ipv6Hextets / canonicalAddress', () => {
  assert.deepEqual(ipv6Hextets('::1'), [0, 0, 0, 0, 0, 0, 0, 1]);
  assert.deepEqual(ipv6Hextets('::ffff:1.2.3.4'), [0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]);
  assert.deepEqual(ipv6Hextets('1:2:3:4:5:6:7.8.9.10'), [1, 2, 3, 4, 5, 6, 0x0708, 0x090a]);
  assert.equal(ipv6Hextets('1.2.3.4'), undefined);
  assert.equal(canonicalAddress('[2001:DB8::1]'), canonicalAddress('2001:db8:0:0:0:0:0:1'));
  assert.equal(canonicalAddress('::ffff:10.0.0.1'), '10.0.0.1');
  assert.equal(canonicalAddress('Example.COM'), 'example.com');
  assert.equal(normalizeSocketAddress('::ffff:127.0.0.1'), '127.0.0.1');
  assert.equal(normalizeSocketAddress('::1'), '::1');
  assert.equal(normalizeSocketAddress(undefined), '');
});
