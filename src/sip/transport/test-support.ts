/** Helpers shared by the transport tests (not part of the transport's API). */
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { WebSocket } from 'ws';
import { StreamFramer } from './stream-framer.js';
import { TransportLayer, type TransportLayerOptions } from './transport-layer.js';
import type { Envelope } from './types.js';

export function sipMessage(tag: string, body = ''): Buffer {
  return Buffer.from(
    `OPTIONS sip:echo@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK-${tag}\r\n` +
      `Call-ID: ${tag}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** A queue of received envelopes that tests can await one at a time. */
export class Inbox {
  readonly items: Envelope[] = [];
  #waiters: Array<(e: Envelope) => void> = [];

  push = (e: Envelope): void => {
    const w = this.#waiters.shift();
    if (w) w(e);
    else this.items.push(e);
  };

  next(timeoutMs = 2000): Promise<Envelope> {
    const e = this.items.shift();
    if (e) return Promise.resolve(e);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no envelope arrived')), timeoutMs);
      this.#waiters.push((x) => {
        clearTimeout(t);
        resolve(x);
      });
    });
  }
}

/** A started layer on loopback ports chosen by the OS; `echo` sends every message back along its flow. */
export async function startLayer(
  opts: Partial<TransportLayerOptions> & { echo?: boolean } = {},
): Promise<{ layer: TransportLayer; inbox: Inbox; port: (p: 'udp' | 'tcp' | 'ws') => number }> {
  const inbox = new Inbox();
  const { echo, ...rest } = opts;
  const layer: TransportLayer = new TransportLayer({
    listen: [
      { protocol: 'udp', address: '127.0.0.1', port: 0 },
      { protocol: 'tcp', address: '127.0.0.1', port: 0 },
      { protocol: 'ws', address: '127.0.0.1', port: 0 },
    ],
    ...rest,
    onEnvelope: (env) => {
      inbox.push(env);
      if (echo) layer.send(env.bytes, env);
    },
  });
  await layer.start();
  const port = (p: 'udp' | 'tcp' | 'ws'): number => layer.localEndpoint(p)?.port ?? 0;
  return { layer, inbox, port };
}

export function udpRoundTrip(port: number, bytes: Buffer, address = '127.0.0.1'): Promise<Buffer> {
  const s = createSocket(address.includes(':') ? 'udp6' : 'udp4');
  return new Promise<Buffer>((resolve, reject) => {
    const t = setTimeout(() => {
      s.close();
      reject(new Error('no udp reply'));
    }, 2000);
    s.on('message', (m) => {
      clearTimeout(t);
      s.close();
      resolve(m);
    });
    s.send(bytes, port, address);
  });
}

/** A raw TCP client that frames what it receives. */
export class TcpClient {
  readonly socket: Socket;
  readonly inbox: Buffer[] = [];
  readonly pongs: number[] = [];
  closed: Promise<void>;
  #framer = new StreamFramer();
  #raw = Buffer.alloc(0);
  #waiters: Array<() => void> = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      this.#raw = Buffer.concat([this.#raw, chunk]);
      for (const ev of this.#framer.push(chunk)) if (ev.kind === 'message') this.inbox.push(ev.bytes);
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  static open(port: number, host = '127.0.0.1'): Promise<TcpClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host }, () => resolve(new TcpClient(s)));
      s.once('error', reject);
    });
  }

  /** All bytes received so far. */
  get raw(): Buffer {
    return this.#raw;
  }

  async until(pred: () => boolean, timeoutMs = 2000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!pred()) {
      if (Date.now() > end) throw new Error('timed out waiting on tcp client');
      await new Promise<void>((r) => {
        const t = setTimeout(r, 20);
        this.#waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  async next(): Promise<Buffer> {
    await this.until(() => this.inbox.length > 0);
    return this.inbox.shift() as Buffer;
  }

  destroy(): Promise<void> {
    this.socket.destroy();
    return this.closed;
  }
}

export function openWs(port: number, protocols: string[] = ['sip']): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, protocols);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => {
      reject(new Error(`upgrade refused: ${res.statusCode}`));
      ws.terminate();
    });
  });
}

export function wsNext(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no ws message')), 2000);
    ws.once('message', (data, isBinary) => {
      clearTimeout(t);
      resolve({ data: data as Buffer, isBinary });
    });
  });
}

export function wsClose(ws: WebSocket): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    ws.once('close', () => resolve());
    ws.terminate();
  });
}

/** Polls `pred` until true (for asynchronous socket closes on the server side). */
export async function eventually(pred: () => boolean, timeoutMs = 2000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
