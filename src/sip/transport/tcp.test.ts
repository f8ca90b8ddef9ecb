import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { FakeClock } from '../../util/clock.js';
import { TcpClient, eventually, openWs, sipMessage, startLayer, wsClose } from './test-support.js';
import type { Flow } from './types.js';

/** A plain TCP peer (a "phone") that records the connections it accepts and the bytes on each. */
async function phone(): Promise<{
  port: number;
  sockets: Socket[];
  data: string[];
  close: () => Promise<void>;
}> {
  const sockets: Socket[] = [];
  const data: string[] = [];
  const server = createServer((s) => {
    const i = sockets.push(s) - 1;
    data[i] = '';
    s.on('data', (c: Buffer) => (data[i] += c.toString()));
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = addr && typeof addr === 'object' ? addr.port : 0;
  return {
    port,
    sockets,
    data,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

test('tcp: sends to a remote open one connection and reuse it; queued bytes go out once connected', async () => {
  const { layer, port } = await startLayer();
  const p = await phone();
  try {
    const to: Flow = {
      protocol: 'tcp',
      local: { address: '127.0.0.1', port: port('tcp') },
      remote: { address: '127.0.0.1', port: p.port },
    };
    assert.equal(layer.send(sipMessage('r1'), to), true);
    assert.equal(layer.send(sipMessage('r2'), to), true, 'queued while connecting');
    assert.equal(layer.counts().pendingConnects, 1);
    await eventually(() => (p.data[0] ?? '').includes('Call-ID: r2'));
    assert.equal(layer.counts().tcpConnections, 1);
    assert.equal(layer.send(sipMessage('r3'), to), true);
    await eventually(() => (p.data[0] ?? '').includes('Call-ID: r3'));
    assert.equal(p.sockets.length, 1, 'one connection for all three');
    assert.deepEqual(
      [...(p.data[0] ?? '').matchAll(/Call-ID: (\w+)/g)].map((m) => m[1]),
      ['r1', 'r2', 'r3'],
    );
  } finally {
    await layer.stop();
    await p.close();
  }
});

test('tcp: a response goes back on the request connection; a request from the peer on it is received', async () => {
  const a = await startLayer();
  const b = await startLayer({ echo: true });
  try {
    const to: Flow = {
      protocol: 'tcp',
      local: { address: '127.0.0.1', port: a.port('tcp') },
      remote: { address: '127.0.0.1', port: b.port('tcp') },
    };
    a.layer.send(sipMessage('q1'), to);
    const atB = await b.inbox.next();
    const back = await a.inbox.next(); // b echoed on the same connection
    assert.equal(back.bytes.toString(), sipMessage('q1').toString());
    assert.ok(back.connectionId);
    assert.deepEqual(back.remote, to.remote, 'the outbound connection is keyed by the peer we dialled');
    // A second send reuses the same connection: b sees the same connectionId.
    a.layer.send(sipMessage('q2'), to);
    assert.equal((await b.inbox.next()).connectionId, atB.connectionId);
    await a.inbox.next();
    // Sending by connectionId works too.
    a.layer.send(sipMessage('q3'), { ...to, connectionId: back.connectionId });
    assert.equal((await b.inbox.next()).connectionId, atB.connectionId);
    await a.inbox.next();
    assert.equal(a.layer.counts().tcpConnections, 1);
    assert.equal(b.layer.counts().tcpConnections, 1);
  } finally {
    await a.layer.stop();
    await b.layer.stop();
  }
});

test('tcp: a dead connectionId falls back to a connection to the remote (RFC 3261 section 18.2.2)', async () => {
  const { layer, port } = await startLayer();
  const p = await phone();
  try {
    const to: Flow = {
      protocol: 'tcp',
      local: { address: '127.0.0.1', port: port('tcp') },
      remote: { address: '127.0.0.1', port: p.port },
      connectionId: 'tcp-gone',
    };
    assert.equal(layer.send(sipMessage('f1'), to), true);
    await eventually(() => (p.data[0] ?? '').includes('Call-ID: f1'));
  } finally {
    await layer.stop();
    await p.close();
  }
});

test('tcp: a dead connection with `reconnect` connects to the Contact address; with none it fails at once', async () => {
  const { layer, port } = await startLayer();
  const p = await phone();
  try {
    const gone: Flow = {
      protocol: 'tcp',
      local: { address: '127.0.0.1', port: port('tcp') },
      // The closed connection's source port: nothing listens there.
      remote: { address: '127.0.0.1', port: 9 },
      connectionId: 'tcp-gone',
    };
    assert.equal(
      layer.send(sipMessage('c1'), { ...gone, reconnect: { address: '127.0.0.1', port: p.port } }),
      true,
    );
    await eventually(() => (p.data[0] ?? '').includes('Call-ID: c1'));
    assert.equal(layer.send(sipMessage('c2'), { ...gone, reconnect: 'none' }), false);
    assert.equal(layer.stats().connectFailures, 0, 'no connect was tried for the RFC 5626 flow');
  } finally {
    await layer.stop();
    await p.close();
  }
});

test('tcp: a failed connect is counted and leaves no pending entry', async () => {
  const { layer, port } = await startLayer();
  const p = await phone();
  const deadPort = p.port;
  await p.close(); // nothing listens there now
  try {
    const to: Flow = {
      protocol: 'tcp',
      local: { address: '127.0.0.1', port: port('tcp') },
      remote: { address: '127.0.0.1', port: deadPort },
    };
    assert.equal(layer.send(sipMessage('x'), to), true);
    await eventually(() => layer.stats().connectFailures === 1);
    assert.deepEqual(layer.counts(), {
      udpSockets: 1,
      tcpConnections: 0,
      wsConnections: 0,
      pendingConnects: 0,
    });
  } finally {
    await layer.stop();
  }
});

test('tcp and ws: idle connections are closed after the idle timeout; traffic keeps them open', async () => {
  const clock = new FakeClock();
  const { layer, inbox, port } = await startLayer({ clock, tcpIdleTimeoutMs: 60_000 });
  try {
    const quiet = await TcpClient.open(port('tcp'));
    const busy = await TcpClient.open(port('tcp'));
    const ws = await openWs(port('ws'));
    ws.on('error', () => {});
    await eventually(() => layer.counts().tcpConnections === 2 && layer.counts().wsConnections === 1);
    clock.advance(40_000);
    busy.socket.write(sipMessage('keep'));
    await inbox.next();
    clock.advance(30_000); // quiet and ws: 70 s idle; busy: 30 s
    await quiet.closed;
    assert.equal(layer.counts().tcpConnections, 1);
    assert.equal(layer.counts().wsConnections, 0);
    clock.advance(30_000);
    await busy.closed;
    assert.equal(layer.counts().tcpConnections, 0);
    assert.equal(layer.stats().idleClosed, 3);
    await wsClose(ws);
    assert.equal(clock.pendingTimers(), 0);
  } finally {
    await layer.stop();
  }
});

test('tcp: beyond maxConnections new connections are closed at once', async () => {
  const { layer, inbox, port } = await startLayer({ maxConnections: 1 });
  try {
    const first = await TcpClient.open(port('tcp'));
    await eventually(() => layer.counts().tcpConnections === 1);
    const second = await TcpClient.open(port('tcp'));
    await second.closed;
    first.socket.write(sipMessage('still'));
    assert.match((await inbox.next()).bytes.toString(), /still/);
    assert.equal(layer.stats().rejectedConnections, 1);
    await first.destroy();
  } finally {
    await layer.stop();
  }
});

test('tcp: a peer that does not read is cut off at the buffered-bytes cap', async () => {
  const { layer, inbox, port } = await startLayer({ maxBufferedBytesPerConnection: 64 * 1024 });
  try {
    const c = await TcpClient.open(port('tcp'));
    c.socket.pause(); // stop reading: the kernel buffers fill, then ours
    c.socket.write(sipMessage('hi'));
    const env = await inbox.next();
    const chunk = Buffer.alloc(16 * 1024, 0x41);
    let refused = false;
    for (let i = 0; i < 10_000 && !refused; i++) refused = !layer.send(chunk, env);
    assert.equal(refused, true);
    await eventually(() => layer.counts().tcpConnections === 0);
    c.socket.destroy();
  } finally {
    await layer.stop();
  }
});
