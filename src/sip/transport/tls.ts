import { connect, createServer, type Server as TlsServer } from 'node:tls';
import { secureContextOptions, serverTlsOptions, type TlsCredentials } from '../../util/tls-policy.js';
import { errorFields, type ListenerContext } from './listener-context.js';
import type { ListenSpec } from './listen-spec.js';
import { TcpListener, type StreamSockets, type TcpOptions } from './tcp.js';

/**
 * SIP over TLS (RFC 3261 section 26.2.1, Via transport "TLS"): the TCP listener with TLS sockets. Framing, the
 * connection table, reuse and the limits are the TCP listener's; this adds the handshake and the certificate.
 *
 * Outgoing connections (to a phone whose connection is gone, or a TLS peer) present our certificate but do not
 * verify the peer's: phones are reached by IP literal and carry self-signed or vendor certificates that no name
 * check could pass. The connection is still encrypted; authentication of the phone is SIP digest, as on TCP.
 */
export class TlsListener extends TcpListener {
  /** Read on each new server handshake and each outgoing connect, so both follow a reload. */
  readonly #current: { creds: TlsCredentials };

  constructor(spec: ListenSpec, ctx: ListenerContext, opts: TcpOptions, creds: TlsCredentials) {
    const current = { creds };
    super(spec, ctx, opts, tlsSockets(current, ctx));
    this.#current = current;
  }

  /**
   * Presents `creds` from now on: new connections get the new certificate, open ones keep theirs (a TLS session
   * is not renegotiated), so no call or registration is cut.
   */
  setCredentials(creds: TlsCredentials): void {
    this.#current.creds = creds;
    (this.server as TlsServer | undefined)?.setSecureContext(secureContextOptions(creds));
  }
}

function tlsSockets(current: { creds: TlsCredentials }, ctx: ListenerContext): StreamSockets {
  return {
    protocol: 'tls',
    createServer: () => {
      const server = createServer({
        ...serverTlsOptions(current.creds),
        noDelay: true,
        keepAlive: true,
        keepAliveInitialDelay: 60_000,
      });
      // A failed handshake (an old protocol version, no shared cipher, a port scanner) is routine.
      server.on('tlsClientError', (err, socket) => {
        ctx.stats.socketErrors++;
        ctx.log('debug', 'tls handshake failed', {
          remote: { address: socket.remoteAddress, port: socket.remotePort },
          ...errorFields(err),
        });
      });
      return server;
    },
    readyEvent: 'secureConnection',
    connect: (o) => connect({ ...o, ...secureContextOptions(current.creds), rejectUnauthorized: false }),
    connectedEvent: 'secureConnect',
  };
}
