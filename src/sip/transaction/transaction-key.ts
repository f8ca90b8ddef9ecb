import type { SipRequest, SipResponse } from '../message/types.js';
import { isRfc3261Branch } from './branch.js';
import { cseqOf, tagOf, topVia, uriKey } from './message-fields.js';

/**
 * Server transaction keys (section 17.2.3). For RFC 3261 branches: branch, sent-by and method. Otherwise the
 * RFC 2543 rules: Request-URI, To tag, From tag, Call-ID, CSeq and top Via.
 */
export interface ServerKey {
  key: string;
  /** True when the request carried no usable RFC 3261 branch and the RFC 2543 rules apply. */
  legacy: boolean;
}

export interface ServerKeyOptions {
  /** Match as if the request had this method: CANCEL looks for its INVITE (section 9.2). */
  asMethod?: string;
  /** RFC 2543 ACK: look for the INVITE by its own (absent) To tag, the ACK's tag being the response's. */
  withoutToTag?: boolean;
}

/**
 * Section 17.2.3: "the ACK request matches a transaction if ... the method of the request matches the one that
 * created the transaction, except for ACK, where the method of the request that created the transaction is
 * INVITE". `asMethod` overrides the method, as CANCEL matching does (section 9.2).
 */
export function serverKey(req: SipRequest, opts: ServerKeyOptions = {}): ServerKey | undefined {
  const via = topVia(req.headers);
  const cseq = cseqOf(req.headers);
  if (!via || !cseq) return undefined;
  const base = opts.asMethod ?? req.method;
  const method = base === 'ACK' ? 'INVITE' : base;
  if (isRfc3261Branch(via.branch)) {
    return { key: `b|${via.branch}|${via.sentBy}|${method}`, legacy: false };
  }
  // Section 17.2.3, RFC 2543 compatibility: "the INVITE request matches a transaction if the Request-URI, To tag,
  // From tag, Call-ID, CSeq, and top Via header field match those of the INVITE request which created the
  // transaction". The ACK compares the CSeq number only.
  const callId = req.headers.get('Call-ID')?.trim();
  if (callId === undefined) return undefined;
  const fromTag = tagOf(req.headers.get('From')) ?? '';
  const toTag = opts.withoutToTag ? '' : (tagOf(req.headers.get('To')) ?? '');
  return {
    key: `l|${uriKey(req.uri)}|${toTag}|${fromTag}|${callId}|${cseq.seq}|${method}|${via.raw}`,
    legacy: true,
  };
}

/** Client transaction key from the request we send: top Via branch + method (section 17.1.3). */
export function clientKeyOfRequest(req: SipRequest): string | undefined {
  const branch = topVia(req.headers)?.branch;
  return branch ? `${branch}|${req.method}` : undefined;
}

/**
 * Section 17.1.3: a response matches "if the response has the same value of the branch parameter in the top Via
 * header field as the branch parameter in the top Via header field of the request that created the transaction"
 * and "the method parameter in the CSeq header field matches the method of the request that created the
 * transaction" (CANCEL shares the INVITE's branch).
 */
export function clientKeyOfResponse(res: SipResponse): string | undefined {
  const branch = topVia(res.headers)?.branch;
  const cseq = cseqOf(res.headers);
  return branch && cseq ? `${branch}|${cseq.method}` : undefined;
}
