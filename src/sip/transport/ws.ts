import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Server as TlsServer } from 'node:tls';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { addressFamily, normalizeSocketAddress } from './address.js';
import { IdleWatch } from './idle-watch.js';
import { errorFields, type ListenerContext } from './listener-context.js';
import type { ListenSpec } from './listen-spec.js';
import type { Endpoint } from './types.js';
import { secureContextOptions, serverTlsOptions, type TlsCredentials } from '../../util/tls-policy.js';

export interface WsOptions {
  idleTimeoutMs: number;
  maxConnections: number;
  /** Bytes waiting in a connection's send buffer beyond which the peer is cut off. */
  maxBufferedBytes: number;
  /** For WSS (RFC 7118 section 5, Via transport "WSS"): the certificate the HTTPS server presents. */
  tls?: TlsCredentials;
}

interface WsConnection {
  id: string;
  ws: WebSocket;
  remote: Endpoint;
  idle: IdleWatch;
}

/** The WebSocket subprotocol for SIP (RFC 7118 section 4.1). */
export const SIP_SUBPROTOCOL = 'sip';

const PING = '\r\n\r\n';
const PONG = '\r\n';

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** The offered subprotocol tokens (RFC 6455 section 11.3.4: a comma-separated list, maybe in several headers). */
function offeredProtocols(req: IncomingMessage): string[] {
  const raw = req.headers['sec-websocket-protocol'];
  if (!raw) return [];
  return (Array.isArray(raw) ? raw.join(',') : raw)
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

function httpReject(socket: Duplex, status: string, text: string): void {
  const body = `${text}\n`;
  // Like ws's own abortHandshake: flush the response, then drop the socket.
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: text/plain\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/**
 * A SIP-over-WebSocket listener (RFC 7118): an HTTP server of its own whose upgrades must offer the "sip"
 * subprotocol. Each WebSocket message is exactly one SIP message (section 5.1), so no stream framing is
 * needed. Connections are only reachable by id: a browser phone cannot be connected to (section 5). With a
 * certificate it serves WSS: the same over an HTTPS server.
 */
export class WsListener {
  readonly spec: ListenSpec;
  readonly family: 4 | 6;
  readonly #ctx: ListenerContext;
  readonly #opts: WsOptions;
  /** "ws" or "wss", for envelopes and the admission check. */
  readonly #p: 'ws' | 'wss';
  #http: Server | undefined;
  #wss: WebSocketServer | undefined;
  #local: Endpoint;
  readonly #conns = new Map<string, WsConnection>();
  /** Sockets between 'upgrade' and the end of the handshake, so stop() can cut them too. */
  readonly #upgrading = new Set<Duplex>();

  constructor(spec: ListenSpec, ctx: ListenerContext, opts: WsOptions) {
    this.spec = spec;
    this.family = addressFamily(spec.address) === 6 ? 6 : 4;
    this.#ctx = ctx;
    this.#opts = opts;
    this.#p = opts.tls ? 'wss' : 'ws';
    this.#local = { address: spec.address, port: spec.port };
  }

  get local(): Endpoint {
    return this.#local;
  }

  get open(): boolean {
    return this.#http !== undefined;
  }

  connectionCount(): number {
    return this.#conns.size;
  }

  has(id: string): boolean {
    return this.#conns.has(id);
  }

  /** Presents `creds` to new WSS connections; open ones keep their session (nothing is cut). */
  setCredentials(creds: TlsCredentials): void {
    if (!this.#opts.tls) return;
    this.#opts.tls = creds;
    (this.#http as TlsServer | undefined)?.setSecureContext(secureContextOptions(creds));
  }

  listen(): Promise<void> {
    const plain: RequestListener = (_req, res) => {
      // Plain HTTP is not served here.
      res.writeHead(426, { 'Content-Type': 'text/plain', Upgrade: 'websocket', Connection: 'close' });
      res.end('WebSocket with subprotocol "sip" required\n');
    };
    const tls = this.#opts.tls;
    const http: Server = tls ? createHttpsServer(serverTlsOptions(tls), plain) : createServer(plain);
    if (tls) {
      http.on('tlsClientError', (err: Error) => {
        this.#ctx.stats.socketErrors++;
        this.#ctx.log('debug', 'wss handshake failed', errorFields(err));
      });
    }
    // Slow-loris handshakes should not hold sockets for minutes.
    http.headersTimeout = 10_000;
    http.requestTimeout = 15_000;
    const wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      maxPayload: this.#ctx.maxMessageSize,
      perMessageDeflate: false,
      handleProtocols: (protocols) => (protocols.has(SIP_SUBPROTOCOL) ? SIP_SUBPROTOCOL : false),
    });
    wss.on('error', (err) => this.#ctx.log('warn', 'ws server error', errorFields(err)));
    return new Promise<void>((resolve, reject) => {
      const onBindError = (err: Error): void => {
        http.close();
        reject(err);
      };
      http.once('error', onBindError);
      http.listen({ port: this.spec.port, host: this.spec.address, ipv6Only: this.family === 6 }, () => {
        http.off('error', onBindError);
        http.on('error', (err) => this.#ctx.log('warn', 'ws http server error', errorFields(err)));
        http.on('clientError', (err, socket) => {
          this.#ctx.stats.socketErrors++;
          this.#ctx.log('debug', 'ws http client error', errorFields(err));
          socket.destroy();
        });
        http.on('upgrade', (req, socket, head) => this.#onUpgrade(req, socket, head));
        const a = http.address();
        if (a && typeof a === 'object') this.#local = { address: this.spec.address, port: a.port };
        this.#http = http;
        this.#wss = wss;
        resolve();
      });
    });
  }

  #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', (err) => {
      this.#ctx.stats.socketErrors++;
      this.#ctx.log('debug', 'ws handshake socket error', errorFields(err));
    });
    // Tracked until closed (rejected ones too), so stop() can cut a peer that never reads our answer.
    this.#upgrading.add(socket);
    socket.once('close', () => this.#upgrading.delete(socket));
    try {
      const remote = {
        address: normalizeSocketAddress(req.socket.remoteAddress),
        port: req.socket.remotePort ?? 0,
      };
      if (!remote.address || !this.#ctx.admit(remote, this.#p)) {
        this.#ctx.stats.droppedNotAdmitted++;
        socket.destroy();
        return;
      }
      const wss = this.#wss;
      if (!wss || this.#conns.size + this.#upgrading.size > this.#opts.maxConnections) {
        this.#ctx.stats.rejectedConnections++;
        httpReject(socket, '503 Service Unavailable', 'too many connections');
        return;
      }
      // RFC 7118 section 4.1: the client MUST offer "sip"; without it this is not a SIP WebSocket connection.
      if (!offeredProtocols(req).includes(SIP_SUBPROTOCOL)) {
        this.#ctx.stats.rejectedConnections++;
        this.#ctx.log('debug', 'ws upgrade without "sip" subprotocol, rejected', { remote });
        httpReject(socket, '400 Bad Request', 'WebSocket subprotocol "sip" required (RFC 7118)');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        this.#upgrading.delete(socket);
        if (!this.#http) {
          ws.terminate();
          return;
        }
        this.#adopt(ws, remote);
      });
    } catch (err) {
      this.#ctx.log('warn', 'ws upgrade failed', errorFields(err));
      socket.destroy();
    }
  }

  #adopt(ws: WebSocket, remote: Endpoint): void {
    const conn: WsConnection = {
      id: `${this.#p}-${randomUUID()}`,
      ws,
      remote,
      idle: new IdleWatch(this.#ctx.clock, this.#opts.idleTimeoutMs, () => {
        this.#ctx.stats.idleClosed++;
        this.#ctx.log('debug', 'ws connection idle, closing', { connectionId: conn.id, remote });
        this.#close(conn);
      }),
    };
    this.#conns.set(conn.id, conn);
    ws.on('error', (err) => {
      // Invalid frames, oversize messages, bad UTF-8: ws closes the connection itself after this.
      this.#ctx.stats.socketErrors++;
      this.#ctx.log('debug', 'ws connection error', { connectionId: conn.id, remote, ...errorFields(err) });
    });
    ws.on('close', () => this.#forget(conn));
    ws.on('ping', () => conn.idle.touch());
    ws.on('pong', () => conn.idle.touch());
    ws.on('message', (data, isBinary) => this.#onMessage(conn, toBuffer(data), isBinary));
  }

  #onMessage(conn: WsConnection, bytes: Buffer, _isBinary: boolean): void {
    try {
      conn.idle.touch();
      if (!this.#ctx.admit(conn.remote, this.#p)) {
        this.#ctx.stats.droppedNotAdmitted++;
        this.#close(conn);
        return;
      }
      // Some WebSocket UAs (SIP.js among them) send the RFC 5626 section 4.4.1 double-CRLF ping over WS too.
      const text = bytes.length <= 4 ? bytes.toString('latin1') : '';
      if (text === PING) {
        this.#sendRaw(conn, Buffer.from(PONG));
        return;
      }
      if (bytes.length === 0 || /^[\r\n]+$/.test(text)) return;
      if (!this.#ctx.admit(conn.remote, this.#p, bytes)) {
        this.#ctx.stats.droppedNotAdmitted++;
        return;
      }
      this.#ctx.stats.received++;
      this.#ctx.deliver({
        protocol: this.#p,
        local: this.#local,
        remote: conn.remote,
        connectionId: conn.id,
        receivedAt: this.#ctx.clock.now(),
        bytes,
      });
    } catch (err) {
      this.#ctx.log('warn', 'ws receive failed', { connectionId: conn.id, ...errorFields(err) });
    }
  }

  #forget(conn: WsConnection): void {
    conn.idle.stop();
    if (this.#conns.delete(conn.id)) this.#ctx.closed(conn.id, this.#p);
  }

  #close(conn: WsConnection): void {
    conn.ws.terminate();
    this.#forget(conn);
  }

  #sendRaw(conn: WsConnection, bytes: Buffer): boolean {
    const ws = conn.ws;
    if (ws.readyState !== WebSocket.OPEN) return false;
    if (ws.bufferedAmount + bytes.length > this.#opts.maxBufferedBytes) {
      this.#ctx.log('warn', 'ws peer not reading, closing connection', {
        connectionId: conn.id,
        remote: conn.remote,
      });
      this.#close(conn);
      return false;
    }
    conn.idle.touch();
    // Text frames as RFC 7118 section 5.1 prefers; a body that is not UTF-8 has to go as a binary frame.
    ws.send(bytes, { binary: !isUtf8(bytes) }, (err) => {
      if (err) this.#ctx.log('debug', 'ws send failed', { connectionId: conn.id, ...errorFields(err) });
    });
    return true;
  }

  /** Writes on connection `id`; undefined when this listener does not know it. */
  sendOnConnection(bytes: Buffer, id: string): boolean | undefined {
    const conn = this.#conns.get(id);
    if (!conn) return undefined;
    const ok = this.#sendRaw(conn, bytes);
    if (ok) this.#ctx.stats.sent++;
    return ok;
  }

  close(): Promise<void> {
    const http = this.#http;
    const wss = this.#wss;
    this.#http = undefined;
    this.#wss = undefined;
    for (const conn of [...this.#conns.values()]) this.#close(conn);
    for (const s of this.#upgrading) s.destroy();
    this.#upgrading.clear();
    wss?.close();
    if (!http) return Promise.resolve();
    return new Promise<void>((resolve) => {
      http.close(() => resolve());
      http.closeAllConnections();
    });
  }
}
