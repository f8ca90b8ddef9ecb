import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import {
  TcpClient,
  eventually,
  openWs,
  sipMessage,
  startLayer,
  udpRoundTrip,
  wsClose,
  wsNext,
} from './test-support.js';

function raw(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1' }, () => resolve(s));
    s.resume(); // read (and discard) so the peer's FIN is seen
    s.on('error', () => {});
    s.once('error', reject);
  });
}

function closed(s: Socket): Promise<void> {
  return s.destroyed && s.closed ? Promise.resolve() : new Promise((r) => s.once('close', () => r()));
}

const upgradeHead = (port: number, extra: string): string =>
  `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n${extra}\r\n`;

test('garbage, half-open connections, resets and bad WebSocket traffic leave normal traffic flowing', async () => {
  const warnings: string[] = [];
  const { layer, port } = await startLayer({
    echo: true,
    log: (level, msg) => {
      if (level === 'warn') warnings.push(msg);
    },
  });
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown): number => unhandled.push(e);
  process.on('uncaughtException', onUnhandled);
  try {
    // UDP: random bytes, an empty datagram, CRLF keep-alives, a STUN-looking packet.
    const u = createSocket('udp4');
    for (let i = 0; i < 50; i++) u.send(randomBytes(1 + ((i * 37) % 1400)), port('udp'), '127.0.0.1');
    u.send(Buffer.alloc(0), port('udp'), '127.0.0.1');
    u.send('\r\n\r\n', port('udp'), '127.0.0.1');
    const stun = Buffer.alloc(20);
    stun.writeUInt16BE(0x0001, 0);
    stun.writeUInt32BE(0x2112a442, 4);
    u.send(stun, port('udp'), '127.0.0.1');

    // TCP: random bytes (framing error), a header section that never ends, a huge Content-Length,
    // a half-open connection (we end our side and keep reading), an abrupt reset mid-message.
    const g1 = await raw(port('tcp'));
    g1.write(randomBytes(20_000)); // no CRLFCRLF within the 16 KiB header limit
    const g2 = await raw(port('tcp'));
    g2.write('OPTIONS sip:x SIP/2.0\r\n' + 'X: y\r\n'.repeat(4000));
    const g3 = await raw(port('tcp'));
    g3.write('OPTIONS sip:x SIP/2.0\r\nContent-Length: 999999999\r\n\r\n');
    const half = await raw(port('tcp'));
    half.end(sipMessage('half').subarray(0, 30));
    const reset = await raw(port('tcp'));
    reset.write(sipMessage('reset').subarray(0, 40));
    await new Promise((r) => setTimeout(r, 20));
    reset.resetAndDestroy();

    // WebSocket: an upgrade with a bad key, one with an unsupported version, a non-HTTP line, a plain
    // upgrade that never finishes, then a real connection that sends an invalid (unmasked) frame and one that
    // sends an oversize message.
    const w1 = await raw(port('ws'));
    w1.write(
      upgradeHead(
        port('ws'),
        'Sec-WebSocket-Key: nope\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: sip\r\n',
      ),
    );
    const w2 = await raw(port('ws'));
    w2.write(
      upgradeHead(
        port('ws'),
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 7\r\nSec-WebSocket-Protocol: sip\r\n',
      ),
    );
    const w3 = await raw(port('ws'));
    w3.write('\x16\x03\x01garbage that is not HTTP\r\n\r\n');
    const w4 = await raw(port('ws'));
    w4.write('GET / HTTP/1.1\r\nHost: x\r\n');
    const w5 = await raw(port('ws'));
    w5.write(
      upgradeHead(
        port('ws'),
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: sip\r\n',
      ),
    );
    await new Promise((r) => setTimeout(r, 50));
    w5.write(Buffer.from([0x81, 0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f])); // unmasked client frame: protocol error
    const big = await openWs(port('ws'));
    big.on('error', () => {});
    big.send('x'.repeat(70_000));

    await Promise.all([g1, g2, g3, w1, w2, w3, w5].map(closed));
    await new Promise<void>((r) => (big.readyState === big.CLOSED ? r() : big.once('close', () => r())));
    await closed(half);
    assert.equal(layer.stats().framingErrors >= 3, true);

    // Normal traffic on every transport still works.
    assert.match((await udpRoundTrip(port('udp'), sipMessage('ok-udp'))).toString(), /ok-udp/);
    const c = await TcpClient.open(port('tcp'));
    c.socket.write(sipMessage('ok-tcp'));
    assert.match((await c.next()).toString(), /ok-tcp/);
    await c.destroy();
    const ws = await openWs(port('ws'));
    ws.send(sipMessage('ok-ws').toString());
    assert.match((await wsNext(ws)).data.toString(), /ok-ws/);
    await wsClose(ws);

    w4.destroy();
    u.close();
    await eventually(() => layer.counts().tcpConnections === 0 && layer.counts().wsConnections === 0);
    assert.deepEqual(unhandled, []);
    // Framing errors are warnings; nothing else should have been.
    assert.deepEqual(
      warnings.filter((w) => w !== 'tcp framing error, closing connection'),
      [],
    );
  } finally {
    process.off('uncaughtException', onUnhandled);
    await layer.stop();
  }
  assert.deepEqual(layer.counts(), {
    udpSockets: 0,
    tcpConnections: 0,
    wsConnections: 0,
    pendingConnects: 0,
  });
});
