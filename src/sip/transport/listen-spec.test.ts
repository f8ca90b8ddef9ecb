import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatListenSpec, parseListenSpecs } from './listen-spec.js';

test('parseListenSpecs: valid lists', () => {
  assert.deepEqual(parseListenSpecs('udp:127.0.0.1:5060,tcp:127.0.0.1:5060,ws:127.0.0.1:5066'), [
    { protocol: 'udp', address: '127.0.0.1', port: 5060 },
    { protocol: 'tcp', address: '127.0.0.1', port: 5060 },
    { protocol: 'ws', address: '127.0.0.1', port: 5066 },
  ]);
  assert.deepEqual(parseListenSpecs('tls:127.0.0.1:5061,wss:[::1]:5067'), [
    { protocol: 'tls', address: '127.0.0.1', port: 5061 },
    { protocol: 'wss', address: '::1', port: 5067 },
  ]);
  assert.throws(() => parseListenSpecs('tcp:127.0.0.1:5061,tls:127.0.0.1:5061'), /same tcp port/);
  assert.deepEqual(parseListenSpecs(' UDP:[::1]:5060 , '), [{ protocol: 'udp', address: '::1', port: 5060 }]);
  assert.deepEqual(parseListenSpecs('tcp:0.0.0.0:0,ws:0.0.0.0:0'), [
    { protocol: 'tcp', address: '0.0.0.0', port: 0 },
    { protocol: 'ws', address: '0.0.0.0', port: 0 },
  ]);
});

test('parseListenSpecs: bad input throws a readable error', () => {
  const table: Array<[string, RegExp]> = [
    ['', /nothing to listen on/],
    ['udp', /malformed/],
    ['udp:127.0.0.1', /malformed/],
    ['sctp:127.0.0.1:5060', /unknown protocol "sctp"/],
    ['udp:localhost:5060', /not an IP address/],
    ['udp:::1:5060', /malformed/],
    ['udp:[127.0.0.1]:5060', /only IPv6/],
    ['udp:[::1:5060', /malformed/],
    ['udp:127.0.0.1:65536', /out of range/],
    ['udp:127.0.0.1:-1', /malformed/],
    ['udp:127.0.0.1:50a', /malformed/],
    ['udp:1.2.3.999:5060', /not an IP address/],
    ['tcp:127.0.0.1:5060,ws:127.0.0.1:5060', /same tcp port/],
    ['udp:127.0.0.1:5060,udp:127.0.0.1:5060', /same udp port/],
  ];
  for (const [input, re] of table) assert.throws(() => parseListenSpecs(input), re, input);
});

test('formatListenSpec round-trips', () => {
  for (const s of ['udp:127.0.0.1:5060', 'tcp:[::1]:0', 'ws:[2001:db8::1]:5066']) {
    const [spec] = parseListenSpecs(s);
    assert.ok(spec);
    assert.equal(formatListenSpec(spec), s);
  }
});
