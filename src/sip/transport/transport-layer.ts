import { addressFamily, canonicalAddress, forbiddenDestination } from './address.js';
import {
  emptyStats,
  errorFields,
  type ListenerContext,
  type TransportLog,
  type TransportStats,
} from './listener-context.js';
import { formatListenSpec, type ListenSpec } from './listen-spec.js';
import { DEFAULT_MAX_HEADER_BYTES } from './stream-framer.js';
import { TcpListener } from './tcp.js';
import { TlsListener } from './tls.js';
import type { Endpoint, Envelope, Flow, TransportProtocol } from './types.js';
import { UdpListener } from './udp.js';
import { SystemClock, type Clock } from '../../util/clock.js';
import { WsListener } from './ws.js';
import type { TlsCredentials } from '../../util/tls-policy.js';

export { parseListenSpecs, formatListenSpec, type ListenSpec } from './listen-spec.js';
export type { TransportLog, TransportStats } from './listener-context.js';
export { responseDestination, viaReceivedParams, type ViaLike } from './response-routing.js';

export interface TransportLayerOptions {
  listen: ListenSpec[];
  onEnvelope: (env: Envelope) => void;
  /**
   * Called before anything else is done with a source, and again with each message's bytes before it is
   * delivered (see ListenerContext.admit); false drops it silently (a banned or flooding source).
   */
  admit?: (remote: Endpoint, protocol: TransportProtocol, bytes?: Buffer) => boolean;
  /** A stream connection closed (RFC 5626 section 5.3: what was bound to that flow is gone with it). */
  onConnectionClosed?: (connectionId: string, protocol: TransportProtocol) => void;
  /** Largest message accepted (UDP datagram, stream body, WebSocket message). */
  maxMessageSize?: number;
  tcpIdleTimeoutMs?: number;
  /** Idle timeout for WebSocket connections; defaults to tcpIdleTimeoutMs. */
  wsIdleTimeoutMs?: number;
  /** Per listener, open plus connecting. */
  maxConnections?: number;
  /** Per connection, bytes waiting to be written (or queued before connect). */
  maxBufferedBytesPerConnection?: number;
  tcpConnectTimeoutMs?: number;
  maxHeaderBytes?: number;
  /** The certificate of the tls and wss listeners; required when there is one. */
  tls?: TlsCredentials;
  log?: TransportLog;
  clock?: Clock;
}

export const DEFAULT_MAX_MESSAGE_SIZE = 65_535;
export const DEFAULT_IDLE_TIMEOUT_MS = 10 * 60_000;
export const DEFAULT_MAX_CONNECTIONS = 10_000;
export const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

type Listener = UdpListener | TcpListener | WsListener;

/**
 * The SIP transport layer (RFC 3261 section 18): binds the configured UDP, TCP, TLS (section 26), WebSocket and
 * secure WebSocket (RFC 7118) listeners, wraps
 * every received message in an Envelope, and sends bytes along a Flow. It moves bytes only; nothing that
 * arrives from the network or fails on a socket ever throws out of it.
 */
export class TransportLayer {
  readonly #opts: TransportLayerOptions;
  readonly #ctx: ListenerContext;
  #udp: UdpListener[] = [];
  /** TCP and TLS listeners (a TlsListener is a TcpListener with TLS sockets). */
  #tcp: TcpListener[] = [];
  /** WS and WSS listeners. */
  #ws: WsListener[] = [];
  #started = false;

  constructor(opts: TransportLayerOptions) {
    if (opts.listen.length === 0) throw new Error('TransportLayer: no listen specs');
    const secure = opts.listen.find((l) => l.protocol === 'tls' || l.protocol === 'wss');
    if (secure && !opts.tls)
      throw new Error(`TransportLayer: ${formatListenSpec(secure)} needs a certificate`);
    this.#opts = opts;
    const log: TransportLog = opts.log ?? (() => {});
    const admit = opts.admit;
    const onEnvelope = opts.onEnvelope;
    this.#ctx = {
      log,
      clock: opts.clock ?? new SystemClock({ unref: true }),
      maxMessageSize: opts.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE,
      stats: emptyStats(),
      deliver: (env) => {
        try {
          onEnvelope(env);
        } catch (err) {
          log('warn', 'onEnvelope threw', {
            protocol: env.protocol,
            remote: env.remote,
            ...errorFields(err),
          });
        }
      },
      closed: (connectionId, protocol) => {
        try {
          opts.onConnectionClosed?.(connectionId, protocol);
        } catch (err) {
          log('warn', 'onConnectionClosed threw', { connectionId, ...errorFields(err) });
        }
      },
      admit: (remote, protocol, bytes) => {
        if (!admit) return true;
        try {
          return admit(remote, protocol, bytes);
        } catch (err) {
          log('warn', 'admit threw; dropping', { remote, ...errorFields(err) });
          return false;
        }
      },
    };
  }

  /** Binds every listener; on any failure closes those already bound and rejects naming the spec. */
  async start(): Promise<void> {
    if (this.#started) throw new Error('TransportLayer: already started');
    this.#started = true;
    const o = this.#opts;
    const idle = o.tcpIdleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    const common = {
      maxConnections: o.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
      maxBufferedBytes: o.maxBufferedBytesPerConnection ?? DEFAULT_MAX_BUFFERED_BYTES,
    };
    const stream = {
      ...common,
      idleTimeoutMs: idle,
      connectTimeoutMs: o.tcpConnectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      maxHeaderBytes: o.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES,
    };
    const ws = { ...common, idleTimeoutMs: o.wsIdleTimeoutMs ?? idle };
    for (const spec of o.listen) {
      if (spec.protocol === 'udp') this.#udp.push(new UdpListener(spec, this.#ctx));
      else if (spec.protocol === 'tcp') this.#tcp.push(new TcpListener(spec, this.#ctx, stream));
      else if (spec.protocol === 'tls') this.#tcp.push(new TlsListener(spec, this.#ctx, stream, o.tls!));
      else if (spec.protocol === 'ws') this.#ws.push(new WsListener(spec, this.#ctx, ws));
      else this.#ws.push(new WsListener(spec, this.#ctx, { ...ws, tls: o.tls! }));
    }
    try {
      for (const l of this.#all()) {
        try {
          await l.listen();
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          const why = code === 'EADDRINUSE' ? 'address already in use' : (err as Error).message;
          throw new Error(`cannot listen on ${formatListenSpec(l.spec)}: ${why}${code ? ` (${code})` : ''}`, {
            cause: err,
          });
        }
        this.#ctx.log('info', 'listening', { on: formatListenSpec({ ...l.spec, port: l.local.port }) });
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** Closes every listener and connection; afterwards counts() are all zero and no handles remain. */
  async stop(): Promise<void> {
    const all = this.#all();
    this.#udp = [];
    this.#tcp = [];
    this.#ws = [];
    this.#started = false;
    await Promise.all(all.map((l) => l.close().catch(() => undefined)));
  }

  /**
   * Presents a new certificate on every TLS and WSS listener. Connections opened from now on get it; open ones
   * keep their TLS session, so no registration or call is cut.
   */
  setTlsCredentials(creds: TlsCredentials): void {
    this.#opts.tls = creds;
    for (const l of this.#tcp) if (l instanceof TlsListener) l.setCredentials(creds);
    for (const l of this.#ws) l.setCredentials(creds);
  }

  #all(): Listener[] {
    return [...this.#udp, ...this.#tcp, ...this.#ws];
  }

  /**
   * Sends `bytes` along `to`. True when written or queued (a TCP connect in progress); false when refused:
   * a forbidden destination (broadcast, multicast, unspecified, port 0), no listener for the protocol, a dead
   * WebSocket connection (we cannot connect to a browser), an oversize UDP datagram, or a full buffer.
   * `onFailed`: called later when `true` meant "queued for a new TCP/TLS connection" and that connect failed
   * (refused, timed out, handshake failed) — never when `false` was returned.
   */
  send(bytes: Buffer, to: Flow, onFailed?: () => void): boolean {
    try {
      const ok = this.#send(bytes, to, onFailed);
      if (!ok) this.#ctx.stats.refusedSends++;
      return ok;
    } catch (err) {
      this.#ctx.stats.refusedSends++;
      this.#ctx.log('warn', 'send failed', { protocol: to.protocol, remote: to.remote, ...errorFields(err) });
      return false;
    }
  }

  #send(bytes: Buffer, to: Flow, onFailed?: () => void): boolean {
    const websocket = to.protocol === 'ws' || to.protocol === 'wss';
    if (to.connectionId !== undefined && to.protocol !== 'udp') {
      const listeners = websocket ? this.#ws : this.#tcp;
      for (const l of listeners) {
        if (l.spec.protocol !== to.protocol) continue;
        const r = l.sendOnConnection(bytes, to.connectionId);
        if (r !== undefined) return r;
      }
      // A WebSocket peer can only be reached on its own connection (RFC 7118 section 5).
      if (websocket) return false;
      // TCP/TLS: the connection is gone; RFC 3261 section 18.2.2 says to try a new one to the peer — where it
      // listens (its Contact), or not at all for an RFC 5626 flow, so the caller fails at once instead of waiting
      // for a timeout on a port that closed with the connection.
      if (to.reconnect === 'none') return false;
      if (to.reconnect)
        return this.#send(bytes, { protocol: to.protocol, local: to.local, remote: to.reconnect }, onFailed);
    }
    if (websocket) return false;
    const why = forbiddenDestination(to.remote.address, to.remote.port);
    if (why) {
      this.#ctx.log('debug', 'refusing to send', { protocol: to.protocol, remote: to.remote, why });
      return false;
    }
    if (to.protocol === 'udp') {
      if (bytes.length > this.#ctx.maxMessageSize) return false;
      const l = pickListener(this.#udp, to);
      return l ? l.send(bytes, to.remote) : false;
    }
    const l = pickListener(
      this.#tcp.filter((x) => x.spec.protocol === to.protocol),
      to,
    );
    return l ? l.sendTo(bytes, to.remote, onFailed) : false;
  }

  listening(): Array<{ protocol: TransportProtocol; address: string; port: number }> {
    return this.#all()
      .filter((l) => l.open)
      .map((l) => ({ protocol: l.spec.protocol, address: l.local.address, port: l.local.port }));
  }

  /** The first listener's endpoint for `protocol`, for our Via sent-by and Contact. */
  localEndpoint(protocol: TransportProtocol): Endpoint | undefined {
    // Asked for every request a dialog sends: the protocol's own group of listeners, no list of all of them.
    const group: Listener[] =
      protocol === 'udp' ? this.#udp : protocol === 'ws' || protocol === 'wss' ? this.#ws : this.#tcp;
    for (const l of group) if (l.open && l.spec.protocol === protocol) return { ...l.local };
    return undefined;
  }

  counts(): { udpSockets: number; tcpConnections: number; wsConnections: number; pendingConnects: number } {
    return {
      udpSockets: this.#udp.filter((l) => l.open).length,
      tcpConnections: this.#tcp.reduce((n, l) => n + l.connectionCount(), 0),
      wsConnections: this.#ws.reduce((n, l) => n + l.connectionCount(), 0),
      pendingConnects: this.#tcp.reduce((n, l) => n + l.pendingCount(), 0),
    };
  }

  /** The TLS share of counts(): tcpConnections includes the TLS ones, wsConnections the WSS ones. */
  secureCounts(): { tlsConnections: number; wssConnections: number } {
    const of = (ls: Array<TcpListener | WsListener>, p: TransportProtocol): number =>
      ls.reduce((n, l) => n + (l.spec.protocol === p ? l.connectionCount() : 0), 0);
    return { tlsConnections: of(this.#tcp, 'tls'), wssConnections: of(this.#ws, 'wss') };
  }

  /** Cumulative counters (refused sends, connect failures, framing errors ...); unlike counts(), kept by stop(). */
  stats(): Readonly<TransportStats> {
    return { ...this.#ctx.stats };
  }
}

/** The listener bound to `to.local` when there is one, else the first of the destination's address family. */
function pickListener<L extends UdpListener | TcpListener>(listeners: L[], to: Flow): L | undefined {
  if (listeners.length === 1) {
    // One listener: it is the answer whenever it can reach the family (every message of a one-socket server).
    // The destination passed forbiddenDestination, so it is an IP literal: a colon means IPv6.
    const only = listeners[0]!;
    const family = to.remote.address.includes(':') ? 6 : 4;
    return only.open && only.family === family ? only : undefined;
  }
  const open = listeners.filter((l) => l.open);
  if (to.local) {
    const want = canonicalAddress(to.local.address);
    const exact = open.find(
      (l) => l.local.port === to.local.port && canonicalAddress(l.local.address) === want,
    );
    if (exact && exact.family === addressFamily(to.remote.address)) return exact;
  }
  const family = addressFamily(to.remote.address);
  return open.find((l) => l.family === family);
}
