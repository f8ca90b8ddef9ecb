import { randomBytes } from 'node:crypto';
import { Headers } from '../message/headers.js';
import type { SipRequest, SipResponse } from '../message/types.js';
import { tagOf } from './message-fields.js';

/**
 * The only responses the transaction layer writes itself: 100 Trying (section 17.2.1) and 503 when the table is
 * full. Section 8.2.6.2: Via (all values, in order), From, Call-ID and CSeq are copied; To is copied and, except
 * for 100 Trying, gets a tag when the request had none.
 */
export function localResponse(
  req: SipRequest,
  status: number,
  reason: string,
  extra: ReadonlyArray<readonly [string, string]> = [],
): SipResponse {
  const headers = new Headers();
  for (const v of req.headers.getAll('Via')) headers.add('Via', v);
  const from = req.headers.get('From');
  if (from !== undefined) headers.add('From', from);
  let to = req.headers.get('To');
  if (to !== undefined && status !== 100 && tagOf(to) === undefined) {
    to = `${to};tag=${randomBytes(6).toString('hex')}`;
  }
  if (to !== undefined) headers.add('To', to);
  const callId = req.headers.get('Call-ID');
  if (callId !== undefined) headers.add('Call-ID', callId);
  const cseq = req.headers.get('CSeq');
  if (cseq !== undefined) headers.add('CSeq', cseq);
  // Section 8.2.6.1: a Timestamp in the request is copied into the 100 Trying.
  const ts = req.headers.get('Timestamp');
  if (status === 100 && ts !== undefined) headers.add('Timestamp', ts);
  for (const [n, v] of extra) headers.add(n, v);
  headers.add('Content-Length', '0');
  return { type: 'response', version: 'SIP/2.0', status, reason, headers, body: Buffer.alloc(0) };
}
