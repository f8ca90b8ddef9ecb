import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type Server, type Socket as TcpSocket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { WebSocket } from 'ws';
import { randomHex } from '../../src/util/random-id.js';
import { StreamFramer } from '../../src/sip/transport/stream-framer.js';
import type { Endpoint, Flow, TransportProtocol } from '../../src/sip/transport/types.js';

/**
 * The test phone's one connection to the server: a UDP socket, a TCP or TLS connection (RFC 3261 section 18.3
 * framing by the project's StreamFramer) or a SIP WebSocket, plain or secure (RFC 7118, subprotocol "sip"). Whatever the phone sends goes
 * to the server, like a phone with an outbound proxy; whatever arrives is handed up as whole messages. A listening
 * TCP link also accepts connections from the server; a request on one is answered on it.
 */
export interface PhoneLink {
  readonly protocol: TransportProtocol;
  /** Our end: the address a Via and Contact name. */
  readonly local: Endpoint;
  /** The phone's own connection to the server (connectionId `server`): every request of the phone goes here. */
  readonly flow: Flow;
  /** `on`: for a response, the flow its request arrived on (an accepted connection is answered on itself). */
  send(bytes: Buffer, on?: Flow): boolean;
  /** Whole messages with the flow they arrived on (accepted connections have connectionId `accepted-N`). */
  onMessage(cb: (bytes: Buffer, flow: Flow) => void): void;
  close(): Promise<void>;
}

export interface LinkOptions {
  protocol: TransportProtocol;
  /** The server's SIP address as host:port (the listener of `protocol`). */
  server: string;
  /** Bind here (UDP only; a carrier behind a trunk is told apart by its address). Default 127.0.0.1, any port. */
  address?: string;
  port?: number;
  /** TCP only: also listen on 127.0.0.1 (any port) and name that port as our address, like a desk phone. */
  listen?: boolean;
}

export async function openLink(o: LinkOptions): Promise<PhoneLink> {
  const [host, port] = splitHostPort(o.server);
  const remote = { address: host, port };
  if (o.protocol === 'udp') return openUdp(remote, o.address ?? '127.0.0.1', o.port ?? 0);
  if (o.protocol === 'tcp' || o.protocol === 'tls') return openTcp(remote, o.listen ?? false, o.protocol);
  return openWs(remote, o.protocol === 'wss' ? 'wss' : 'ws');
}

function splitHostPort(s: string): [string, number] {
  const i = s.lastIndexOf(':');
  return [s.slice(0, i), Number(s.slice(i + 1))];
}

type Receiver = (bytes: Buffer, flow: Flow) => void;

/** Delivery to one listener, holding back what arrives before it is set. */
class Inbox {
  #cb: Receiver | undefined;
  readonly #held: Array<[Buffer, Flow]> = [];
  set(cb: Receiver): void {
    this.#cb = cb;
    for (const [b, f] of this.#held.splice(0)) cb(b, f);
  }
  push(b: Buffer, f: Flow): void {
    if (this.#cb) this.#cb(b, f);
    else this.#held.push([b, f]);
  }
}

async function openUdp(remote: Endpoint, address: string, port: number): Promise<PhoneLink> {
  const sock: UdpSocket = createSocket('udp4');
  const inbox = new Inbox();
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(port, address, () => resolve());
  });
  const local = { address, port: sock.address().port };
  const flow: Flow = { protocol: 'udp', local, remote };
  sock.on('message', (m) => inbox.push(m, flow));
  return {
    protocol: 'udp',
    local,
    flow,
    send: (bytes) => {
      sock.send(bytes, remote.port, remote.address);
      return true;
    },
    onMessage: (cb) => inbox.set(cb),
    close: () => new Promise<void>((r) => sock.close(() => r())),
  };
}

/** Frames a TCP byte stream into messages (RFC 3261 section 18.3) arriving on `flow`. */
function receive(sock: TcpSocket, inbox: Inbox, flow: () => Flow): void {
  const framer = new StreamFramer();
  sock.on('data', (chunk: Buffer) => {
    for (const e of framer.push(chunk)) if (e.kind === 'message') inbox.push(e.bytes, flow());
  });
  // A reset when the server stops is the end of the connection, not a test failure; the transactions time out.
  sock.on('error', () => undefined);
}

/**
 * The phone's own connection to the server. With `listen`, also a listener whose port Via and Contact name
 * (RFC 3261 section 18.2.2 / 18.1.1: the server answers over our connection, but reaches us for a request of its
 * own at the Contact when that connection is gone, e.g. after a restart); our own connection is then opened anew
 * for the next request once it is closed, as a phone does. Over TLS the server's certificate is taken as it comes
 * (a self-signed one in the tests), as a phone told to trust it would.
 */
async function openTcp(remote: Endpoint, listen: boolean, protocol: 'tcp' | 'tls'): Promise<PhoneLink> {
  const inbox = new Inbox();
  const accepted = new Map<string, TcpSocket>();
  let listener: Server | undefined;
  if (listen) {
    let n = 0;
    const server = createServer((sock) => {
      const id = `accepted-${++n}`;
      accepted.set(id, sock);
      sock.on('close', () => accepted.delete(id));
      const peer = { address: sock.remoteAddress!, port: sock.remotePort! };
      const at: Flow = { protocol, local, remote: peer, connectionId: id };
      receive(sock, inbox, () => at);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    listener = server;
  }
  const dial = (): TcpSocket => {
    const s =
      protocol === 'tls'
        ? tlsConnect({ host: remote.address, port: remote.port, rejectUnauthorized: false })
        : connect(remote.port, remote.address);
    receive(s, inbox, () => flow);
    return s;
  };
  let sock = dial();
  await new Promise<void>((resolve, reject) => {
    sock.once(protocol === 'tls' ? 'secureConnect' : 'connect', resolve);
    sock.once('error', reject);
  });
  const bound = listener?.address();
  const local =
    bound && typeof bound === 'object'
      ? { address: bound.address, port: bound.port }
      : { address: sock.localAddress!, port: sock.localPort! };
  const flow: Flow = { protocol, local, remote, connectionId: 'server' };
  return {
    protocol,
    local,
    flow,
    send: (bytes, on) => {
      const id = on?.connectionId;
      if (id !== undefined && id !== flow.connectionId) {
        const s = accepted.get(id);
        if (s === undefined || s.destroyed) return false;
        s.write(bytes);
        return true;
      }
      // Writes on a connection still being set up are queued by node and go out once it is.
      if (listen && (sock.destroyed || sock.writableEnded)) sock = dial();
      // false from write() only means "buffered"; the bytes still go out in order.
      sock.write(bytes);
      return !sock.destroyed;
    },
    onMessage: (cb) => inbox.set(cb),
    close: async () => {
      for (const s of accepted.values()) s.destroy();
      await new Promise<void>((r) => {
        if (sock.destroyed) return r();
        sock.once('close', () => r());
        sock.end();
      });
      await new Promise<void>((r) => (listener ? listener.close(() => r()) : r()));
    },
  };
}

async function openWs(remote: Endpoint, protocol: 'ws' | 'wss'): Promise<PhoneLink> {
  const ws = new WebSocket(`${protocol}://${remote.address}:${remote.port}`, 'sip', {
    rejectUnauthorized: false,
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const inbox = new Inbox();
  ws.on('error', () => undefined); // as for TCP: the server going away ends the link
  // RFC 7118 section 5.2: a browser cannot be reached at an address of its own, so Via and Contact name a
  // random *.invalid host; the server must answer and call back on this connection.
  const local = { address: `${randomHex(6)}.invalid`, port: 5060 };
  const flow: Flow = { protocol, local, remote, connectionId: 'server' };
  ws.on('message', (data: Buffer) => inbox.push(Buffer.from(data), flow));
  return {
    protocol,
    local,
    flow,
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
