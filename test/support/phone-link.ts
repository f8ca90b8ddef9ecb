import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket as TcpSocket } from 'node:net';
import { WebSocket } from 'ws';
import { randomHex } from '../../src/util/random-id.js';
import { StreamFramer } from '../../src/sip/transport/stream-framer.js';
import type { Endpoint, Flow, TransportProtocol } from '../../src/sip/transport/types.js';

/**
 * The test phone's one connection to the server: a UDP socket, a TCP connection (RFC 3261 section 18.3 framing
 * by the project's StreamFramer) or a SIP WebSocket (RFC 7118, subprotocol "sip"). Whatever the phone sends goes
 * to the server, like a phone with an outbound proxy; whatever arrives is handed up as whole messages.
 */
export interface PhoneLink {
  readonly protocol: TransportProtocol;
  /** Our end: the address a Via and Contact name. */
  readonly local: Endpoint;
  /** The flow every request and response of the phone travels on. */
  readonly flow: Flow;
  send(bytes: Buffer): boolean;
  onMessage(cb: (bytes: Buffer) => void): void;
  close(): Promise<void>;
}

export interface LinkOptions {
  protocol: TransportProtocol;
  /** The server's SIP address as host:port (the listener of `protocol`). */
  server: string;
  /** Bind here (UDP only; a carrier behind a trunk is told apart by its address). Default 127.0.0.1, any port. */
  address?: string;
  port?: number;
}

export async function openLink(o: LinkOptions): Promise<PhoneLink> {
  const [host, port] = splitHostPort(o.server);
  const remote = { address: host, port };
  if (o.protocol === 'udp') return openUdp(remote, o.address ?? '127.0.0.1', o.port ?? 0);
  if (o.protocol === 'tcp') return openTcp(remote);
  return openWs(remote);
}

function splitHostPort(s: string): [string, number] {
  const i = s.lastIndexOf(':');
  return [s.slice(0, i), Number(s.slice(i + 1))];
}

/** Delivery to one listener, holding back what arrives before it is set. */
class Inbox {
  #cb: ((b: Buffer) => void) | undefined;
  readonly #held: Buffer[] = [];
  set(cb: (b: Buffer) => void): void {
    this.#cb = cb;
    for (const b of this.#held.splice(0)) cb(b);
  }
  push(b: Buffer): void {
    if (this.#cb) this.#cb(b);
    else this.#held.push(b);
  }
}

async function openUdp(remote: Endpoint, address: string, port: number): Promise<PhoneLink> {
  const sock: UdpSocket = createSocket('udp4');
  const inbox = new Inbox();
  sock.on('message', (m) => inbox.push(m));
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(port, address, () => resolve());
  });
  const local = { address, port: sock.address().port };
  return {
    protocol: 'udp',
    local,
    flow: { protocol: 'udp', local, remote },
    send: (bytes) => {
      sock.send(bytes, remote.port, remote.address);
      return true;
    },
    onMessage: (cb) => inbox.set(cb),
    close: () => new Promise<void>((r) => sock.close(() => r())),
  };
}

async function openTcp(remote: Endpoint): Promise<PhoneLink> {
  const sock: TcpSocket = connect(remote.port, remote.address);
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', reject);
  });
  const inbox = new Inbox();
  const framer = new StreamFramer();
  sock.on('data', (chunk: Buffer) => {
    for (const e of framer.push(chunk)) if (e.kind === 'message') inbox.push(e.bytes);
  });
  // A reset when the server stops is the end of the link, not a test failure; the transactions time out.
  sock.on('error', () => undefined);
  const local = { address: sock.localAddress!, port: sock.localPort! };
  return {
    protocol: 'tcp',
    local,
    flow: { protocol: 'tcp', local, remote, connectionId: 'server' },
    send: (bytes) => {
      // false from write() only means "buffered"; the bytes still go out in order.
      sock.write(bytes);
      return !sock.destroyed;
    },
    onMessage: (cb) => inbox.set(cb),
    close: () =>
      new Promise<void>((r) => {
        if (sock.destroyed) return r();
        sock.once('close', () => r());
        sock.end();
      }),
  };
}

async function openWs(remote: Endpoint): Promise<PhoneLink> {
  const ws = new WebSocket(`ws://${remote.address}:${remote.port}`, 'sip');
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const inbox = new Inbox();
  ws.on('message', (data: Buffer) => inbox.push(Buffer.from(data)));
  ws.on('error', () => undefined); // as for TCP: the server going away ends the link
  // RFC 7118 section 5.2: a browser cannot be reached at an address of its own, so Via and Contact name a
  // random *.invalid host; the server must answer and call back on this connection.
  const local = { address: `${randomHex(6)}.invalid`, port: 5060 };
  return {
    protocol: 'ws',
    local,
    flow: { protocol: 'ws', local, remote, connectionId: 'server' },
    send: (bytes) => {
      if (ws.readyState !== WebSocket.OPEN) return false;
      // RFC 7118 section 5: text frames for UTF-8 messages.
      ws.send(bytes.toString('utf8'));
      return true;
    },
    onMessage: (cb) => inbox.set(cb),
    close: () =>
      new Promise<void>((r) => {
        if (ws.readyState === WebSocket.CLOSED) return r();
        ws.once('close', () => r());
        ws.close();
      }),
  };
}
