import { createResponse, type SipRequest, type SipResponse } from '../../sip/message/index.js';

/** RFC 3326 Reason for the CANCEL of branches another device answered: phones then log no missed call. */
export const COMPLETED_ELSEWHERE = 'SIP;cause=200;text="Call completed elsewhere"';

export function responseFor(
  req: SipRequest,
  status: number,
  o: { body?: Buffer; contentType?: string } = {},
): SipResponse {
  return createResponse(req, status, undefined, o);
}

export function okFor(req: SipRequest): SipResponse {
  return responseFor(req, 200);
}

/** An SDP body for a request or response. */
export function sdpBody(sdp: string): { body: Buffer; contentType: string } {
  return { body: Buffer.from(sdp), contentType: 'application/sdp' };
}

export function decodeUser(user: string): string {
  try {
    return decodeURIComponent(user);
  } catch {
    return user;
  }
}

export interface DialogIdentity {
  callId: string;
  localTag: string;
  remoteTag: string;
}

export function dialogKey(id: DialogIdentity): string {
  return `${id.callId}\u0000${id.localTag}\u0000${id.remoteTag}`;
}

/** RFC 3891 section 6.1: `call-id;to-tag=...;from-tag=...[;early-only]`. */
export function parseReplaces(
  v: string,
): { callId: string; toTag: string; fromTag: string; earlyOnly: boolean } | undefined {
  const [callId, ...params] = v.split(';').map((x) => x.trim());
  if (!callId) return undefined;
  let toTag: string | undefined;
  let fromTag: string | undefined;
  let earlyOnly = false;
  for (const p of params) {
    const [k, val] = p.split('=').map((x) => x.trim());
    if (k?.toLowerCase() === 'to-tag') toTag = val;
    else if (k?.toLowerCase() === 'from-tag') fromTag = val;
    else if (k?.toLowerCase() === 'early-only') earlyOnly = true;
  }
  return toTag && fromTag ? { callId, toTag, fromTag, earlyOnly } : undefined;
}

/**
 * The two dialog ids a Replaces header may name: RFC 3891 section 3 compares to-tag with our local tag and
 * from-tag with the remote one, but phones that build the header from dialog-info (BLF) differ in orientation,
 * so the swapped form is looked up too.
 */
export function replacesCandidates(id: { callId: string; toTag: string; fromTag: string }): DialogIdentity[] {
  return [
    { callId: id.callId, localTag: id.toTag, remoteTag: id.fromTag },
    { callId: id.callId, localTag: id.fromTag, remoteTag: id.toTag },
  ];
}
