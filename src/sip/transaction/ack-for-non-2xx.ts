import { Headers } from '../message/headers.js';
import type { SipRequest, SipResponse } from '../message/types.js';
import { cseqOf, topVia } from './message-fields.js';

/**
 * Section 17.1.1.3: the ACK an INVITE client transaction sends for a 300-699 response. "The ACK request
 * constructed by the client transaction MUST contain values for the Call-ID, From, and Request-URI that are equal
 * to the values of those header fields in the request passed to the transport by the client transaction (call
 * this the 'original request'). The To header field in the ACK MUST equal the To header field in the response
 * being acknowledged ... The ACK MUST contain a single Via header field, and this MUST be equal to the top Via
 * header field of the original request ... The CSeq header field in the ACK MUST contain the same value for the
 * sequence number as was present in the original request, but the method parameter MUST be equal to 'ACK'."
 * "If the INVITE request whose response is being acknowledged had Route header fields, those header fields MUST
 * appear in the ACK."
 */
export function ackForNon2xx(invite: SipRequest, res: SipResponse): SipRequest {
  const headers = new Headers();
  const via = topVia(invite.headers);
  if (via) headers.add('Via', via.raw);
  for (const r of invite.headers.getAll('Route')) headers.add('Route', r);
  headers.add('Max-Forwards', invite.headers.get('Max-Forwards') ?? '70');
  const from = invite.headers.get('From');
  if (from !== undefined) headers.add('From', from);
  const to = res.headers.get('To') ?? invite.headers.get('To');
  if (to !== undefined) headers.add('To', to);
  const callId = invite.headers.get('Call-ID');
  if (callId !== undefined) headers.add('Call-ID', callId);
  const seq = cseqOf(invite.headers)?.seq ?? 1;
  headers.add('CSeq', `${seq} ACK`);
  return {
    type: 'request',
    method: 'ACK',
    uri: invite.uri,
    version: invite.version,
    headers,
    body: Buffer.alloc(0),
  };
}
