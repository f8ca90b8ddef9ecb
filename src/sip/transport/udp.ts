import { createSocket, type Socket } from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIP } from 'node:net';
import { addressFamily, forbiddenDestination, normalizeSocketAddress } from './address.js';
import { errorFields, type ListenerContext } from './listener-context.js';
import type { ListenSpec } from './listen-spec.js';
import { isStunMessage, stunBindingResponse } from './stun-keepalive.js';
import type { Endpoint } from './types.js';

/** Requested socket receive buffer (bytes). */
const UDP_RECV_BUFFER = 4 * 1024 * 1024;
type LookupCallback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;

/**
 * node:dgram resolves the destination of every send through `lookup`; the default (dns.lookup) answers even an IP
 * literal on the next tick, so each datagram waited for a deferred call (a NOTIFY fan-out sends a thousand in one
 * go). Literals — every address a flow carries — are answered at once, so the datagram leaves within send();
 * anything else still goes to dns.lookup.
 */
function literalLookup(address: string, family: number | LookupOneOptions, cb: LookupCallback): void {
  const v = isIP(address);
  if (v !== 0) {
    cb(null, address, v);
    return;
  }
  dnsLookup(address, typeof family === 'number' ? { family } : family, cb);
}

/** True for datagrams made only of CR/LF: the CRLF keep-alives some UAs send over UDP carry no message. */
function isLineEndsOnly(b: Buffer): boolean {
  for (const x of b) if (x !== 0x0d && x !== 0x0a) return false;
  return true;
}

/** One UDP socket (RFC 3261 section 18.1.1 / 18.2.1): every datagram is one message. */
export class UdpListener {
  readonly spec: ListenSpec;
  readonly family: 4 | 6;
  readonly #ctx: ListenerContext;
  #socket: Socket | undefined;
  #local: Endpoint;

  constructor(spec: ListenSpec, ctx: ListenerContext) {
    this.spec = spec;
    this.family = addressFamily(spec.address) === 6 ? 6 : 4;
    this.#ctx = ctx;
    this.#local = { address: spec.address, port: spec.port };
  }

  get local(): Endpoint {
    return this.#local;
  }

  get open(): boolean {
    return this.#socket !== undefined;
  }

  listen(): Promise<void> {
    // ipv6Only: so "udp:0.0.0.0:5060" and "udp:[::]:5060" can both be configured side by side.
    const socket = createSocket(
      this.family === 6
        ? { type: 'udp6', ipv6Only: true, lookup: literalLookup }
        : { type: 'udp4', lookup: literalLookup },
    );
    return new Promise<void>((resolve, reject) => {
      const onBindError = (err: Error): void => {
        socket.close();
        reject(err);
      };
      socket.once('error', onBindError);
      socket.bind(this.spec.port, this.spec.address, () => {
        socket.off('error', onBindError);
        socket.on('error', (err) => {
          this.#ctx.stats.socketErrors++;
          this.#ctx.log('warn', 'udp socket error', { local: this.#local, ...errorFields(err) });
        });
        socket.on('message', (msg, rinfo) => this.#onMessage(msg, rinfo.address, rinfo.port));
        // A NOTIFY fan-out (one BLF workplace watched by 1,000 keys) brings back 1,000 200 OKs at once; the
        // default buffer (~200 KB, ~100 datagrams on loopback) drops most and each drop costs a retransmission.
        // Best effort: the kernel caps it at net.core.rmem_max.
        try {
          socket.setRecvBufferSize(UDP_RECV_BUFFER);
        } catch {
          // not allowed here: the default stays
        }
        const a = socket.address();
        this.#local = { address: this.spec.address, port: a.port };
        this.#socket = socket;
        resolve();
      });
    });
  }

  #onMessage(msg: Buffer, address: string, port: number): void {
    try {
      const remote = { address: normalizeSocketAddress(address), port };
      if (!this.#ctx.admit(remote, 'udp')) {
        this.#ctx.stats.droppedNotAdmitted++;
        return;
      }
      if (msg.length > this.#ctx.maxMessageSize) {
        this.#ctx.stats.droppedOversize++;
        this.#ctx.log('debug', 'udp datagram too large, dropped', { remote, size: msg.length });
        return;
      }
      // RFC 5626 section 4.4.2: STUN keep-alives share the SIP port; answer Binding requests, never deliver.
      if (isStunMessage(msg)) {
        const res = stunBindingResponse(msg, remote);
        if (res && !forbiddenDestination(remote.address, remote.port)) this.#socket?.send(res, port, address);
        return;
      }
      // Bare CRLF keep-alives some UAs send over UDP carry no message.
      if (msg.length === 0 || isLineEndsOnly(msg)) return;
      // The rate limit of the source, before anything is parsed.
      if (!this.#ctx.admit(remote, 'udp', msg)) {
        this.#ctx.stats.droppedNotAdmitted++;
        return;
      }
      this.#ctx.stats.received++;
      this.#ctx.deliver({
        protocol: 'udp',
        local: this.#local,
        remote,
        receivedAt: this.#ctx.clock.now(),
        bytes: msg,
      });
    } catch (err) {
      this.#ctx.log('warn', 'udp receive failed', errorFields(err));
    }
  }

  /**
   * Sends one datagram. The caller has vetted the address. No callback per datagram: node:dgram then reports a
   * failed send as the socket's 'error' event, which listen() counts and logs — a closure and a deferred call
   * less for every message, which a NOTIFY fan-out sends a thousand of at once.
   */
  send(bytes: Buffer, remote: Endpoint): boolean {
    const socket = this.#socket;
    if (!socket) return false;
    socket.send(bytes, remote.port, remote.address);
    this.#ctx.stats.sent++;
    return true;
  }

  close(): Promise<void> {
    const socket = this.#socket;
    this.#socket = undefined;
    if (!socket) return Promise.resolve();
    return new Promise<void>((resolve) => {
      try {
        socket.close(() => resolve());
      } catch {
        resolve(); // already closed
      }
    });
  }
}
