/**
 * The transport boundary (RFC 3261 section 18). Received bytes arrive in an Envelope; replies go back on the
 * Flow they came in on (same UDP socket, same TCP or WebSocket connection).
 */
export type TransportProtocol = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

export interface Endpoint {
  address: string;
  port: number;
}

/** Where a message came from or goes to: protocol, local socket, remote peer and, for streams, the connection. */
export interface Flow {
  protocol: TransportProtocol;
  local: Endpoint;
  remote: Endpoint;
  /** Set for connection-oriented transports (tcp, tls, ws, wss): the id of the live connection. */
  connectionId?: string;
  /**
   * tcp/tls, when the connection `connectionId` names is gone (the peer closed it, or the server restarted): where
   * a new connection goes instead of `remote`, whose source port no longer listens — the address of the peer's
   * Contact (RFC 3261 section 18.1.1 / 18.2.2). 'none': do not connect, the send fails at once — an RFC 5626 flow
   * (section 5.3: the request fails and the UA registers a new flow) or a Contact nothing can connect to.
   * Absent: a new connection to `remote`.
   */
  reconnect?: Endpoint | 'none';
}

export interface Envelope extends Flow {
  receivedAt: number;
  bytes: Buffer;
}

export function isReliable(protocol: TransportProtocol): boolean {
  return protocol !== 'udp';
}

/** TLS underneath (RFC 3261 section 26.2.1; WSS, RFC 7118 section 5): the transports a sips URI may use. */
export function isSecure(protocol: TransportProtocol): boolean {
  return protocol === 'tls' || protocol === 'wss';
}
