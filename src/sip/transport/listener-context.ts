import type { Clock } from '../../util/clock.js';
import type { Endpoint, Envelope, TransportProtocol } from './types.js';

export type TransportLog = (
  level: 'debug' | 'info' | 'warn',
  msg: string,
  fields?: Record<string, unknown>,
) => void;

/** Counters for things that went wrong or were refused; they survive stop(), unlike counts(). */
export interface TransportStats {
  received: number;
  sent: number;
  refusedSends: number;
  droppedNotAdmitted: number;
  droppedOversize: number;
  framingErrors: number;
  connectFailures: number;
  rejectedConnections: number;
  idleClosed: number;
  socketErrors: number;
}

export function emptyStats(): TransportStats {
  return {
    received: 0,
    sent: 0,
    refusedSends: 0,
    droppedNotAdmitted: 0,
    droppedOversize: 0,
    framingErrors: 0,
    connectFailures: 0,
    rejectedConnections: 0,
    idleClosed: 0,
    socketErrors: 0,
  };
}

/** What every listener (udp.ts, tcp.ts, ws.ts) gets from the TransportLayer that owns it. */
export interface ListenerContext {
  /** Hands a received message up; never throws (a throwing consumer is logged). */
  deliver(env: Envelope): void;
  /**
   * The ban check; never throws (a throwing check counts as "not admitted"). Called without `bytes` for a
   * source as such (a new connection, a datagram before anything else) and again with the bytes of each message
   * (the rate limit, which may glance at the header section of a source over its rate).
   */
  admit(remote: Endpoint, protocol: TransportProtocol, bytes?: Buffer): boolean;
  /** A stream connection (tcp, tls, ws, wss) is gone, whoever closed it; once per connection id. */
  closed(connectionId: string, protocol: TransportProtocol): void;
  log: TransportLog;
  clock: Clock;
  maxMessageSize: number;
  stats: TransportStats;
}

export function errorFields(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code ? { err: err.message, code } : { err: err.message };
  }
  return { err: String(err) };
}
