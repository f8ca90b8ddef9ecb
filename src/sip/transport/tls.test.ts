import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { connect, createServer, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { generate } from 'selfsigned';
import { WebSocket } from 'ws';
import type { TlsCredentials } from '../../util/tls-policy.js';
import { eventually, sipMessage, startLayer, wsClose } from './test-support.js';
import { TransportLayer } from './transport-layer.js';
import type { Flow } from './types.js';

let certA: TlsCredentials;
let certB: TlsCredentials;

before(async () => {
  const make = async (cn: string): Promise<TlsCredentials> => {
    const p = await generate([{ name: 'commonName', value: cn }], { keyType: 'ec', algorithm: 'sha256' });
    return { cert: p.cert, key: p.private };
  };
  certA = await make('a.test');
  certB = await make('b.test');
});

const fingerprintOf = (creds: TlsCredentials): string => new X509Certificate(creds.cert).fingerprint256;

async function tlsLayer(echo = true): ReturnType<typeof startLayer> {
  return startLayer({
    echo,
    tls: certA,
    listen: [
      { protocol: 'tls', address: '127.0.0.1', port: 0 },
      { protocol: 'wss', address: '127.0.0.1', port: 0 },
    ],
  });
}

const port = (layer: TransportLayer, p: 'tls' | 'wss'): number => layer.localEndpoint(p)?.port ?? 0;

/** A TLS client that collects what it reads; the server's certificate is accepted as the test made it. */
function tlsClient(p: number, extra: ConnectionOptions = {}): Promise<{ s: TLSSocket; got: () => string }> {
  return new Promise((resolve, reject) => {
    let got = '';
    const s = connect({ host: '127.0.0.1', port: p, rejectUnauthorized: false, ...extra }, () =>
      resolve({ s, got: () => got }),
    );
    s.on('data', (c: Buffer) => (got += c.toString()));
    s.once('error', reject);
  });
}

test('tls: a framed request arrives as protocol tls with a connection id; the answer goes back on it', async () => {
  const { layer, inbox } = await tlsLayer();
  try {
    const c = await tlsClient(port(layer, 'tls'));
    assert.ok(['TLSv1.2', 'TLSv1.3'].includes(c.s.getProtocol() ?? ''));
    // Split in two writes, with a keep-alive ping in front (RFC 5626 section 4.4.1): the stream framer's job.
    const msg = sipMessage('t1', 'hello');
    c.s.write(Buffer.concat([Buffer.from('\r\n\r\n'), msg.subarray(0, 20)]));
    await eventually(() => c.got() === '\r\n');
    c.s.write(msg.subarray(20));
    const env = await inbox.next();
    assert.equal(env.protocol, 'tls');
    assert.match(env.connectionId ?? '', /^tls-/);
    assert.equal(env.bytes.toString(), msg.toString());
    await eventually(() => c.got().includes('Call-ID: t1'));
    assert.deepEqual(
      { tcp: layer.counts().tcpConnections, tls: layer.secureCounts().tlsConnections },
      { tcp: 1, tls: 1 },
    );
    c.s.destroy();
    await eventually(() => layer.secureCounts().tlsConnections === 0);
  } finally {
    await layer.stop();
  }
});

test('tls: TLS 1.1 and a CBC-only client are refused by the server', async () => {
  const { layer } = await tlsLayer();
  try {
    // SECLEVEL=0 lets this client offer what it is told, so the refusal is the server's (a protocol_version alert).
    const old = tlsClient(port(layer, 'tls'), {
      minVersion: 'TLSv1',
      maxVersion: 'TLSv1.1',
      ciphers: 'DEFAULT@SECLEVEL=0',
    });
    await assert.rejects(old, (err: NodeJS.ErrnoException) => /ALERT_PROTOCOL_VERSION/.test(err.code ?? ''));
    const cbc = tlsClient(port(layer, 'tls'), {
      maxVersion: 'TLSv1.2',
      ciphers: 'AES128-SHA:ECDHE-RSA-AES128-SHA',
    });
    await assert.rejects(cbc, (err: NodeJS.ErrnoException) => /HANDSHAKE_FAILURE/.test(err.code ?? ''));
    const ok = await tlsClient(port(layer, 'tls'), { maxVersion: 'TLSv1.2' });
    assert.match(ok.s.getCipher().name, /^ECDHE-.*(GCM|CHACHA20)/);
    ok.s.destroy();
  } finally {
    await layer.stop();
  }
});

test('tls: a new certificate is presented to new connections; an open connection stays up', async () => {
  const { layer, inbox } = await tlsLayer();
  try {
    const first = await tlsClient(port(layer, 'tls'));
    assert.equal(first.s.getPeerX509Certificate()?.fingerprint256, fingerprintOf(certA));
    layer.setTlsCredentials(certB);
    const second = await tlsClient(port(layer, 'tls'));
    assert.equal(second.s.getPeerX509Certificate()?.fingerprint256, fingerprintOf(certB));
    // The first connection still carries messages both ways.
    first.s.write(sipMessage('after-reload'));
    assert.equal((await inbox.next()).bytes.toString(), sipMessage('after-reload').toString());
    await eventually(() => first.got().includes('Call-ID: after-reload'));
    first.s.destroy();
    second.s.destroy();
  } finally {
    await layer.stop();
  }
});

test('tls: a request to a TLS peer opens a TLS connection to it, presenting our certificate', async () => {
  const { layer } = await tlsLayer(false);
  let received = '';
  let ourCert: string | undefined;
  const peer = createServer(
    { cert: certB.cert, key: certB.key, requestCert: true, rejectUnauthorized: false },
    (s) => {
      ourCert = s.getPeerX509Certificate()?.fingerprint256;
      s.on('data', (c: Buffer) => (received += c.toString()));
      s.on('error', () => {});
    },
  );
  await new Promise<void>((r) => peer.listen(0, '127.0.0.1', r));
  const addr = peer.address();
  try {
    const to: Flow = {
      protocol: 'tls',
      local: { address: '127.0.0.1', port: port(layer, 'tls') },
      remote: { address: '127.0.0.1', port: typeof addr === 'object' && addr ? addr.port : 0 },
    };
    assert.equal(layer.send(sipMessage('out1'), to), true);
    assert.equal(layer.counts().pendingConnects, 1, 'queued until the handshake is done');
    await eventually(() => received.includes('Call-ID: out1'));
    assert.equal(layer.secureCounts().tlsConnections, 1);
    assert.equal(ourCert, fingerprintOf(certA));
    // No plain TCP listener: a tcp flow has nowhere to go.
    assert.equal(layer.send(sipMessage('out2'), { ...to, protocol: 'tcp' }), false);
  } finally {
    await layer.stop();
    await new Promise<void>((r) => peer.close(() => r()));
  }
});

test('wss: a WebSocket client over TLS with subprotocol "sip" is served as protocol wss', async () => {
  const { layer, inbox } = await tlsLayer();
  try {
    const ws = new WebSocket(`wss://127.0.0.1:${port(layer, 'wss')}/`, ['sip'], {
      rejectUnauthorized: false,
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const reply = new Promise<string>((r) => ws.once('message', (d: Buffer) => r(d.toString())));
    ws.send(sipMessage('w1').toString());
    const env = await inbox.next();
    assert.equal(env.protocol, 'wss');
    assert.match(env.connectionId ?? '', /^wss-/);
    assert.match(await reply, /Call-ID: w1/);
    assert.equal(layer.secureCounts().wssConnections, 1);
    await wsClose(ws);
    await eventually(() => layer.secureCounts().wssConnections === 0);
  } finally {
    await layer.stop();
  }
});

test('tls: a tls or wss listener without a certificate is refused at construction', () => {
  assert.throws(
    () =>
      new TransportLayer({
        listen: [{ protocol: 'tls', address: '127.0.0.1', port: 0 }],
        onEnvelope: () => {},
      }),
    /tls:127\.0\.0\.1:0 needs a certificate/,
  );
});
