import { randomUUID } from 'node:crypto';
import { connect, createServer, type Server, type Socket, type TcpNetConnectOpts } from 'node:net';
import type { TimerHandle } from '../../util/clock.js';
import { addressFamily, canonicalAddress, forbiddenDestination, normalizeSocketAddress } from './address.js';
import { errorFields, type ListenerContext } from './listener-context.js';
import type { ListenSpec } from './listen-spec.js';
import { IdleWatch } from './idle-watch.js';
import { StreamFramer } from './stream-framer.js';
import type { Endpoint } from './types.js';

/**
 * How a stream listener makes its sockets: plain TCP here, TLS in tls.ts. Everything after the socket exists
 * (framing, the connection table, reuse, limits) is the same for both, so it lives once, in TcpListener.
 */
export interface StreamSockets {
  readonly protocol: 'tcp' | 'tls';
  createServer(): Server;
  /** The server event that hands over a socket ready for SIP ('secureConnection' after a TLS handshake). */
  readonly readyEvent: 'connection' | 'secureConnection';
  connect(o: TcpNetConnectOpts): Socket;
  /** The socket event after which bytes may be written ('secureConnect' once TLS is up). */
  readonly connectedEvent: 'connect' | 'secureConnect';
}

export const PLAIN_TCP: StreamSockets = {
  protocol: 'tcp',
  createServer: () => createServer({ noDelay: true, keepAlive: true, keepAliveInitialDelay: 60_000 }),
  readyEvent: 'connection',
  connect: (o) => connect(o),
  connectedEvent: 'connect',
};

export interface TcpOptions {
  /** Close a connection after this long without traffic in either direction. */
  idleTimeoutMs: number;
  /** Connections (open + connecting) this listener holds at most; more inbound ones are closed at once. */
  maxConnections: number;
  /** Bytes waiting to be written (or queued before connect) per connection; beyond it the peer is cut off. */
  maxBufferedBytes: number;
  /** Give up on an outgoing connect after this long. */
  connectTimeoutMs: number;
  maxHeaderBytes: number;
}

interface TcpConnection {
  id: string;
  socket: Socket;
  remote: Endpoint;
  key: string;
  framer: StreamFramer;
  idle: IdleWatch | undefined;
  /**
   * Set while an outgoing connect is in progress: bytes to write once connected, and whom to tell when the
   * connect fails (refused, timed out, TLS handshake failed) and those bytes are dropped.
   */
  pending:
    { queue: Buffer[]; bytes: number; timer: TimerHandle | undefined; failed: Array<() => void> } | undefined;
}

const PONG = Buffer.from('\r\n');

function remoteKey(remote: Endpoint): string {
  return `${canonicalAddress(remote.address)}|${remote.port}`;
}

/**
 * One TCP listener and the table of its connections (RFC 3261 section 18, RFC 5923-style reuse): inbound and
 * outbound connections are kept by id; received messages carry that id, so responses go back on the same
 * connection (section 18.2.2), and requests to a peer reuse a live connection to it before opening a new one.
 */
export class TcpListener {
  readonly spec: ListenSpec;
  readonly family: 4 | 6;
  readonly #ctx: ListenerContext;
  readonly #opts: TcpOptions;
  readonly #sockets: StreamSockets;
  /** "tcp" or "tls", for envelopes, connection ids and log lines. */
  readonly #p: 'tcp' | 'tls';
  #server: Server | undefined;
  #local: Endpoint;
  readonly #conns = new Map<string, TcpConnection>();
  /** remote key -> ids of connections to that peer, for reuse. */
  readonly #byRemote = new Map<string, Set<string>>();

  constructor(spec: ListenSpec, ctx: ListenerContext, opts: TcpOptions, sockets: StreamSockets = PLAIN_TCP) {
    this.spec = spec;
    this.#sockets = sockets;
    this.#p = sockets.protocol;
    this.family = addressFamily(spec.address) === 6 ? 6 : 4;
    this.#ctx = ctx;
    this.#opts = opts;
    this.#local = { address: spec.address, port: spec.port };
  }

  get local(): Endpoint {
    return this.#local;
  }

  get open(): boolean {
    return this.#server !== undefined;
  }

  connectionCount(): number {
    let n = 0;
    for (const c of this.#conns.values()) if (!c.pending) n++;
    return n;
  }

  pendingCount(): number {
    return this.#conns.size - this.connectionCount();
  }

  has(id: string): boolean {
    return this.#conns.has(id);
  }

  /** The listening server (a tls.Server for TLS), for tls.ts to swap certificates on. */
  protected get server(): Server | undefined {
    return this.#server;
  }

  listen(): Promise<void> {
    const server = this.#sockets.createServer();
    return new Promise<void>((resolve, reject) => {
      const onBindError = (err: Error): void => {
        server.close();
        reject(err);
      };
      server.once('error', onBindError);
      server.listen({ port: this.spec.port, host: this.spec.address, ipv6Only: this.family === 6 }, () => {
        server.off('error', onBindError);
        server.on('error', (err) => {
          this.#ctx.stats.socketErrors++;
          this.#ctx.log('warn', `${this.#p} server error`, { local: this.#local, ...errorFields(err) });
        });
        if (this.#sockets.readyEvent !== 'connection') {
          // Check bans and limits on the raw connection, before a TLS handshake costs us anything.
          server.on('connection', (raw: Socket) => {
            if (!this.#acceptable(raw)) raw.destroy();
          });
        }
        server.on(this.#sockets.readyEvent, (socket: Socket) => this.#onInbound(socket));
        const a = server.address();
        if (a && typeof a === 'object') this.#local = { address: this.spec.address, port: a.port };
        this.#server = server;
        resolve();
      });
    });
  }

  #onInbound(socket: Socket): void {
    // An 'error' listener first: nothing a peer does may become an uncaught exception.
    socket.on('error', (err) => this.#onSocketError(undefined, err));
    try {
      if (!this.#acceptable(socket)) {
        socket.destroy();
        return;
      }
      const remote = { address: normalizeSocketAddress(socket.remoteAddress), port: socket.remotePort ?? 0 };
      this.#adopt(socket, remote, undefined);
    } catch (err) {
      this.#ctx.log('warn', `${this.#p} accept failed`, errorFields(err));
      socket.destroy();
    }
  }

  /** The admission check and the connection limit for a new inbound socket (counted when refused). */
  #acceptable(socket: Socket): boolean {
    const remote = { address: normalizeSocketAddress(socket.remoteAddress), port: socket.remotePort ?? 0 };
    if (!remote.address || !this.#ctx.admit(remote, this.#p)) {
      this.#ctx.stats.droppedNotAdmitted++;
      return false;
    }
    if (!this.#server || this.#conns.size >= this.#opts.maxConnections) {
      this.#ctx.stats.rejectedConnections++;
      this.#ctx.log('warn', `${this.#p} connection limit reached, closing new connection`, { remote });
      return false;
    }
    return true;
  }

  /** Puts a socket in the table and wires its events. */
  #adopt(socket: Socket, remote: Endpoint, pending: TcpConnection['pending']): TcpConnection {
    const conn: TcpConnection = {
      id: `${this.#p}-${randomUUID()}`,
      socket,
      remote,
      key: remoteKey(remote),
      framer: new StreamFramer({
        maxHeaderBytes: this.#opts.maxHeaderBytes,
        maxBodyBytes: this.#ctx.maxMessageSize,
      }),
      idle: undefined,
      pending,
    };
    this.#conns.set(conn.id, conn);
    let ids = this.#byRemote.get(conn.key);
    if (!ids) this.#byRemote.set(conn.key, (ids = new Set()));
    ids.add(conn.id);
    socket.removeAllListeners('error');
    socket.on('error', (err) => this.#onSocketError(conn, err));
    socket.on('close', () => this.#forget(conn));
    socket.on('data', (chunk: Buffer) => this.#onData(conn, chunk));
    conn.idle = new IdleWatch(this.#ctx.clock, this.#opts.idleTimeoutMs, () => {
      this.#ctx.stats.idleClosed++;
      this.#ctx.log('debug', `${this.#p} connection idle, closing`, {
        connectionId: conn.id,
        remote: conn.remote,
      });
      this.#close(conn);
    });
    return conn;
  }

  #onSocketError(conn: TcpConnection | undefined, err: Error): void {
    this.#ctx.stats.socketErrors++;
    // Resets and half-closed peers are routine on the Internet: debug, not warn.
    const routine = ['ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes((err as NodeJS.ErrnoException).code ?? '');
    this.#ctx.log(routine ? 'debug' : 'warn', `${this.#p} connection error`, {
      connectionId: conn?.id,
      remote: conn?.remote,
      ...errorFields(err),
    });
  }

  #forget(conn: TcpConnection): void {
    const failed = conn.pending?.failed ?? [];
    if (conn.pending) {
      this.#ctx.clock.clearTimeout(conn.pending.timer);
      this.#ctx.stats.connectFailures++;
      this.#ctx.log('warn', `${this.#p} connect failed`, {
        remote: conn.remote,
        dropped: conn.pending.queue.length,
      });
      conn.pending = undefined;
    }
    conn.idle?.stop();
    if (this.#conns.delete(conn.id)) this.#ctx.closed(conn.id, this.#p);
    const ids = this.#byRemote.get(conn.key);
    ids?.delete(conn.id);
    if (ids?.size === 0) this.#byRemote.delete(conn.key);
    // After the table is clean: a sender told here may send again at once (the next branch, a new connection).
    for (const tell of failed) {
      try {
        tell();
      } catch (err) {
        this.#ctx.log('warn', `${this.#p} connect-failure listener threw`, errorFields(err));
      }
    }
  }

  #close(conn: TcpConnection): void {
    conn.socket.destroy();
    // 'close' comes asynchronously; take it out of the table now so counts and reuse see it gone.
    this.#forget(conn);
  }

  #onData(conn: TcpConnection, chunk: Buffer): void {
    try {
      conn.idle?.touch();
      // The ban list may have grown since the connection was accepted.
      if (!this.#ctx.admit(conn.remote, this.#p)) {
        this.#ctx.stats.droppedNotAdmitted++;
        this.#close(conn);
        return;
      }
      for (const ev of conn.framer.push(chunk)) {
        if (ev.kind === 'message') {
          // Per message, before parsing: the rate limit of the source (a connection may carry a flood too).
          if (!this.#ctx.admit(conn.remote, this.#p, ev.bytes)) {
            this.#ctx.stats.droppedNotAdmitted++;
            continue;
          }
          this.#ctx.stats.received++;
          this.#ctx.deliver({
            protocol: this.#p,
            local: this.#local,
            remote: conn.remote,
            connectionId: conn.id,
            receivedAt: this.#ctx.clock.now(),
            bytes: ev.bytes,
          });
        } else if (ev.kind === 'keepalive-ping') {
          // RFC 5626 section 4.4.1: a double-CRLF ping is answered with a single-CRLF pong.
          this.#write(conn, PONG);
        } else {
          // A stream we cannot frame cannot be resynchronised (RFC 3261 section 18.3): close it.
          this.#ctx.stats.framingErrors++;
          this.#ctx.log('warn', `${this.#p} framing error, closing connection`, {
            connectionId: conn.id,
            remote: conn.remote,
            reason: ev.reason,
          });
          this.#close(conn);
          return;
        }
      }
    } catch (err) {
      this.#ctx.log('warn', `${this.#p} receive failed`, { connectionId: conn.id, ...errorFields(err) });
    }
  }

  #write(conn: TcpConnection, bytes: Buffer, onFailed?: () => void): boolean {
    if (conn.pending) {
      if (conn.pending.bytes + bytes.length > this.#opts.maxBufferedBytes) return false;
      conn.pending.queue.push(bytes);
      conn.pending.bytes += bytes.length;
      if (onFailed) conn.pending.failed.push(onFailed);
      return true;
    }
    const s = conn.socket;
    if (s.destroyed || !s.writable) return false;
    if (s.writableLength + bytes.length > this.#opts.maxBufferedBytes) {
      // The peer does not read: holding more would let one connection eat our memory.
      this.#ctx.log('warn', `${this.#p} peer not reading, closing connection`, {
        connectionId: conn.id,
        remote: conn.remote,
        buffered: s.writableLength,
      });
      this.#close(conn);
      return false;
    }
    conn.idle?.touch();
    s.write(bytes);
    return true;
  }

  /** A live (or connecting) connection to `remote`, for reuse. */
  #reusable(remote: Endpoint): TcpConnection | undefined {
    const ids = this.#byRemote.get(remoteKey(remote));
    if (!ids) return undefined;
    for (const id of ids) {
      const c = this.#conns.get(id);
      if (c && !c.socket.destroyed && (c.pending || c.socket.writable)) return c;
    }
    return undefined;
  }

  /** Writes on connection `id` when it is ours and alive; undefined when this listener does not know it. */
  sendOnConnection(bytes: Buffer, id: string): boolean | undefined {
    const conn = this.#conns.get(id);
    if (!conn) return undefined;
    const ok = this.#write(conn, bytes);
    if (ok) this.#ctx.stats.sent++;
    return ok;
  }

  /**
   * Sends to a peer: on a connection to it if there is one, else on a new connection (queued until open).
   * `onFailed` is called, later, when the bytes were queued for a connect that then failed (RFC 3261 section
   * 18.1.1: a transport error the transaction layer must see at once, not after its timeout).
   */
  sendTo(bytes: Buffer, remote: Endpoint, onFailed?: () => void): boolean {
    if (!this.#server || forbiddenDestination(remote.address, remote.port)) return false;
    let conn = this.#reusable(remote);
    if (!conn) {
      if (this.#conns.size >= this.#opts.maxConnections) {
        this.#ctx.stats.rejectedConnections++;
        this.#ctx.log('warn', `${this.#p} connection limit reached, not connecting`, { remote });
        return false;
      }
      conn = this.#connect(remote);
    }
    const ok = this.#write(conn, bytes, onFailed);
    if (ok) this.#ctx.stats.sent++;
    return ok;
  }

  #connect(remote: Endpoint): TcpConnection {
    const local = this.spec.address;
    // Bind the source address for a specific listener so a multi-homed host speaks from the address in our Via.
    const bindLocal = forbiddenDestination(local, 1) === 'unspecified address' ? undefined : local;
    const socket = this.#sockets.connect({
      host: remote.address,
      port: remote.port,
      noDelay: true,
      keepAlive: true,
      keepAliveInitialDelay: 60_000,
      ...(bindLocal ? { localAddress: bindLocal } : {}),
    });
    const pending: NonNullable<TcpConnection['pending']> = {
      queue: [],
      bytes: 0,
      timer: undefined,
      failed: [],
    };
    const conn = this.#adopt(socket, remote, pending);
    pending.timer = this.#ctx.clock.setTimeout(() => {
      pending.timer = undefined;
      if (conn.pending) {
        this.#ctx.log('warn', `${this.#p} connect timed out`, { remote });
        this.#close(conn);
      }
    }, this.#opts.connectTimeoutMs);
    socket.once(this.#sockets.connectedEvent, () => {
      const p = conn.pending;
      if (!p) return;
      this.#ctx.clock.clearTimeout(p.timer);
      conn.pending = undefined;
      conn.idle?.touch();
      this.#ctx.log('debug', `${this.#p} connected`, { connectionId: conn.id, remote });
      for (const b of p.queue) this.#write(conn, b);
    });
    return conn;
  }

  close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const conn of [...this.#conns.values()]) {
      if (conn.pending) {
        // Stopping is not a connect failure (and the transactions are closed with the stack).
        this.#ctx.clock.clearTimeout(conn.pending.timer);
        conn.pending = undefined;
      }
      this.#close(conn);
    }
    if (!server) return Promise.resolve();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
