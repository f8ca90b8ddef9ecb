import { parseSdp, type MediaEndpoint } from '../../media/index.js';
import {
  retriedInvite,
  sameInviteAgain,
  type InviteOptions,
  type OutgoingInvite,
  type UserAgentCore,
} from '../../sip/ua/index.js';
import type { Logger } from '../../util/log.js';
import { sdpSessionOf } from './leg-media.js';
import { sdpBody } from './sip-helpers.js';

/**
 * Calls to desk phones that accept only SRTP (SDES, RFC 4568; docs/srtp.md). We offer plain RTP/AVP to a called
 * device, as nearly every phone takes it; one set to "SRTP compulsory" refuses that offer with 488 Not Acceptable
 * Here (some with 415). Then the same branch is tried once more with an RTP/SAVP offer carrying our key, and the
 * binding (its Contact) is remembered as wanting SRTP, so its next call is offered RTP/SAVP at once. The other way
 * round too: a remembered phone that refuses RTP/SAVP (reconfigured) is tried once with plain RTP and forgotten.
 */

/** Most bindings remembered; past it the oldest entry goes (a phone forgotten just costs one retry). */
const MAX_REMEMBERED = 10_000;

/** The Contacts of the bindings whose phone wanted RTP/SAVP in its last answered call (in memory only). */
export class SrtpCallees {
  readonly #secure = new Set<string>();
  /** Where each retry with the other profile is told. */
  readonly log: Logger | undefined;

  constructor(log?: Logger) {
    this.log = log;
  }

  wants(contact: string): boolean {
    return this.#secure.has(contact);
  }

  /** What the phone at `contact` answered last: RTP/SAVP (remember it) or plain (forget it). */
  note(contact: string, secure: boolean): void {
    this.#secure.delete(contact);
    if (!secure) return;
    this.#secure.add(contact);
    if (this.#secure.size > MAX_REMEMBERED) this.#secure.delete(this.#secure.values().next().value!);
  }

  get size(): number {
    return this.#secure.size;
  }
}

/** How a branch's SDP offer is made on its endpoint (again, for a retry with the other profile). */
export interface BranchOffer {
  endpoint: MediaEndpoint;
  make(): string;
}

/** Responses that refuse the offer itself (RFC 3261 sections 21.4.26 and 21.4.13), worth one try with the other profile. */
const REFUSES_OFFER = new Set([488, 415]);

/**
 * The INVITE to a registered device (`contact`: its binding's Contact) with the offer `offer` makes, RTP/SAVP
 * when the binding is known to want it; a 488 or 415 is answered by one more INVITE with the other profile (same
 * Call-ID and From tag, CSeq one higher). The answered profile is noted for the next call.
 */
export function inviteDevice(
  ua: Pick<UserAgentCore, 'invite'>,
  contact: string,
  o: Omit<InviteOptions, 'body' | 'contentType'>,
  offer: BranchOffer,
  callees: SrtpCallees,
): OutgoingInvite {
  const session = sdpSessionOf(offer.endpoint);
  if (callees.wants(contact)) session.offerSrtp();
  const invite = retriedInvite(ua, { ...o, ...sdpBody(offer.make()) }, (res, attempt, prev) => {
    if (attempt > 0 || !REFUSES_OFFER.has(res.status)) return undefined;
    if (session.secure) session.offerPlain();
    else session.offerSrtp();
    callees.log?.info(
      {
        event: 'call.offer.retry',
        sipCallId: prev.headers.get('Call-ID'),
        status: res.status,
        profile: session.secure ? 'RTP/SAVP' : 'RTP/AVP',
      },
      'the device refused the offer; trying the other RTP profile',
    );
    return sameInviteAgain(prev, { ...o, ...sdpBody(offer.make()) });
  });
  void invite.result.then((r) => {
    if (r.response.status >= 200 && r.response.status < 300)
      callees.note(contact, answersSavp(r.response.body.toString('utf8')));
  });
  return invite;
}

/** Whether an SDP answer's audio stream is RTP/SAVP. */
function answersSavp(sdp: string): boolean {
  try {
    const m = parseSdp(sdp).media.find((x) => x.type === 'audio' && x.port !== 0);
    return m?.protocol === 'RTP/SAVP';
  } catch {
    return false;
  }
}
