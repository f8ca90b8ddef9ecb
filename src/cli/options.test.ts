import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHttpListen, parseServeOptions, UsageError } from './options.js';

test('--http: host:port, or with http:/https: in front', () => {
  assert.deepEqual(parseHttpListen('127.0.0.1:8080'), { host: '127.0.0.1', port: 8080, secure: false });
  assert.deepEqual(parseHttpListen('http:127.0.0.1:8080'), { host: '127.0.0.1', port: 8080, secure: false });
  assert.deepEqual(parseHttpListen('https:[::1]:8443'), { host: '::1', port: 8443, secure: true });
  assert.throws(() => parseHttpListen('https:nonsense'), /--http: expected host:port/);
});

test('TLS and drain options: defaults, both files or neither, a list of hosts', () => {
  const d = parseServeOptions([], {});
  assert.deepEqual(d.tlsHosts, ['localhost', '127.0.0.1']);
  assert.equal(d.tlsCert, undefined);
  assert.equal(d.drainSeconds, 30);
  assert.match(d.sip, /tls:127\.0\.0\.1:5061/);
  const o = parseServeOptions(['--tls-cert', 'c.pem', '--tls-key', 'k.pem', '--drain-seconds', '2'], {
    ZENTRALE_TLS_HOSTS: 'pbx.example.test, 192.0.2.1',
  });
  assert.deepEqual([o.tlsCert, o.tlsKey, o.drainSeconds], ['c.pem', 'k.pem', 2]);
  assert.deepEqual(o.tlsHosts, ['pbx.example.test', '192.0.2.1']);
  assert.throws(() => parseServeOptions(['--tls-cert', 'c.pem'], {}), UsageError);
  assert.throws(() => parseServeOptions(['--tls-hosts', 'a b'], {}), /--tls-hosts/);
  assert.throws(() => parseServeOptions(['--drain-seconds', '-1'], {}), /--drain-seconds/);
});

test('--media: relay (default) or rtpengine:HOST:PORT', () => {
  assert.deepEqual(parseServeOptions([], {}).media, { kind: 'relay' });
  assert.deepEqual(parseServeOptions(['--media', 'rtpengine:127.0.0.1:2223'], {}).media, {
    kind: 'rtpengine',
    host: '127.0.0.1',
    port: 2223,
  });
  assert.deepEqual(parseServeOptions([], { ZENTRALE_MEDIA: 'rtpengine:[::1]:2223' }).media, {
    kind: 'rtpengine',
    host: '::1',
    port: 2223,
  });
  for (const bad of ['rtpengine', 'rtpengine:host', 'rtpengine:h:0', 'rtpengine:h:70000', 'kamailio:h:1'])
    assert.throws(() => parseServeOptions(['--media', bad], {}), /--media/, bad);
});
