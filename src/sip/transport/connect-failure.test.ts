import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { generate } from 'selfsigned';
import { eventually, sipMessage, startLayer } from './test-support.js';
import type { Flow } from './types.js';

/**
 * RFC 3261 section 18.1.1: a request that had to wait for a new connection learns when that connection cannot be
 * made, so its transaction ends with a transport error at once instead of after Timer B or F.
 */

/** A loopback port where nothing listens (a listener's port after it closed). */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const a = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return typeof a === 'object' && a ? a.port : 0;
}

test('tcp: a refused connect tells every sender whose bytes waited for it, once', async () => {
  const { layer, port } = await startLayer();
  try {
    const to: Flow = {
      protocol: 'tcp',
      local: { address: '127.0.0.1', port: port('tcp') },
      remote: { address: '127.0.0.1', port: await deadPort() },
    };
    const failed: string[] = [];
    assert.equal(
      layer.send(sipMessage('a'), to, () => failed.push('a')),
      true,
    );
    assert.equal(
      layer.send(sipMessage('b'), to, () => failed.push('b')),
      true,
      'queued behind the same connect',
    );
    await eventually(() => failed.length === 2);
    assert.deepEqual(failed, ['a', 'b']);
    assert.equal(layer.stats().connectFailures, 1);
    assert.equal(layer.counts().pendingConnects, 0);
  } finally {
    await layer.stop();
  }
});

test('tcp: a gone connection re-dialled at its Contact, which refuses, reports the failure', async () => {
  const { layer, port } = await startLayer();
  try {
    const gone: Flow = {
      protocol: 'tcp',
      local: { address: '127.0.0.1', port: port('tcp') },
      remote: { address: '127.0.0.1', port: await deadPort() },
      connectionId: 'tcp-gone',
      reconnect: { address: '127.0.0.1', port: await deadPort() },
    };
    let failed = 0;
    assert.equal(
      layer.send(sipMessage('c'), gone, () => failed++),
      true,
    );
    await eventually(() => failed === 1);
  } finally {
    await layer.stop();
  }
});

test('tcp: bytes sent on a connection that was made are never reported as failed', async () => {
  const { layer, port } = await startLayer();
  const got: string[] = [];
  const sockets: Socket[] = [];
  const peer = createServer((s) => {
    sockets.push(s);
    s.on('data', (c: Buffer) => got.push(c.toString()));
  });
  await new Promise<void>((r) => peer.listen(0, '127.0.0.1', r));
  const a = peer.address();
  try {
    const to: Flow = {
      protocol: 'tcp',
      local: { address: '127.0.0.1', port: port('tcp') },
      remote: { address: '127.0.0.1', port: typeof a === 'object' && a ? a.port : 0 },
    };
    let failed = 0;
    assert.equal(
      layer.send(sipMessage('d'), to, () => failed++),
      true,
    );
    await eventually(() => got.join('').includes('Call-ID: d'));
    // The peer closes the connection afterwards: that is no failed connect.
    for (const s of sockets) s.destroy();
    await eventually(() => layer.counts().tcpConnections === 0);
    assert.equal(failed, 0);
  } finally {
    await layer.stop();
    await new Promise<void>((r) => peer.close(() => r()));
  }
});

test('tls: a peer that accepts the TCP connection but never completes the handshake times out and is reported', async () => {
  const pems = await generate([{ name: 'commonName', value: 'a.test' }], {
    keyType: 'ec',
    algorithm: 'sha256',
  });
  const { layer } = await startLayer({
    tls: { cert: pems.cert, key: pems.private },
    tcpConnectTimeoutMs: 300,
    listen: [{ protocol: 'tls', address: '127.0.0.1', port: 0 }],
  });
  const sockets: Socket[] = [];
  // Silent: takes the connection, answers no ClientHello.
  const mute = createServer((s) => {
    sockets.push(s);
    s.on('error', () => {});
  });
  await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
  const a = mute.address();
  try {
    const to: Flow = {
      protocol: 'tls',
      local: { address: '127.0.0.1', port: layer.localEndpoint('tls')?.port ?? 0 },
      remote: { address: '127.0.0.1', port: typeof a === 'object' && a ? a.port : 0 },
    };
    let failedAt = 0;
    const sentAt = Date.now();
    assert.equal(
      layer.send(sipMessage('e'), to, () => (failedAt = Date.now())),
      true,
    );
    await eventually(() => failedAt > 0, 3000);
    assert.ok(failedAt - sentAt >= 250, `after the connect timeout (${failedAt - sentAt} ms)`);
    assert.equal(layer.counts().pendingConnects, 0);
  } finally {
    await layer.stop();
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => mute.close(() => r()));
  }
});
