/**
 * Errors the UA core rejects promises with. Callers switch on `code`, never on the message text; `status` is the
 * SIP status that best describes the failure when one applies (a B2BUA relays it to the other leg).
 */
export type UaErrorCode =
  | 'ack-timeout' // RFC 3261 13.3.1.4: no ACK for our 2xx within 64*T1
  | 'canceled' // the INVITE was cancelled before the app answered it
  | 'closed' // the UA core was closed
  | 'invalid-state' // e.g. accept() after reject()
  | 'prack-timeout'; // RFC 3262 section 3: a reliable provisional response was never acknowledged

export class UaError extends Error {
  readonly code: UaErrorCode;
  readonly status: number | undefined;

  constructor(code: UaErrorCode, message: string, status?: number) {
    super(message);
    this.name = 'UaError';
    this.code = code;
    this.status = status;
  }
}
