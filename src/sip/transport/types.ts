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
