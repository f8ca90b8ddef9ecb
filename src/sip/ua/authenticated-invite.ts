/**
 * An initial INVITE that answers the server's digest challenge (RFC 3261 sections 8.1.3.5 and 22.2): a 401 or 407
 * is followed by the same INVITE with the same Call-ID and From tag, CSeq one higher and an (Proxy-)Authorization
 * header. Carriers challenge every INVITE of a trunk this way. One challenge is answered, a second only when it
 * says our nonce went stale; anything else is the final result. To its user it is one OutgoingInvite.
 */
import { challengeIsStale, digestAuthorization, type DigestCredentials } from '../auth/digest-client.js';
import {
  formatUri,
  parseCSeq,
  parseNameAddr,
  tagOf,
  type SipRequest,
  type SipResponse,
} from '../message/index.js';
import type { OutgoingInvite, OutgoingInviteResult } from './outgoing-invite.js';
import type { InviteOptions } from './user-agent-core.js';

const MAX_ANSWERS = 2;

export function inviteWithCredentials(
  ua: { invite(o: InviteOptions): OutgoingInvite },
  o: InviteOptions,
  creds: DigestCredentials,
): OutgoingInvite {
  return new AuthenticatedInvite(ua, o, creds);
}

class AuthenticatedInvite implements OutgoingInvite {
  readonly result: Promise<OutgoingInviteResult>;
  #current: OutgoingInvite;
  readonly #provisionalCbs: Array<(res: SipResponse) => void> = [];
  /** undefined: cancel() not called; otherwise the Reason it was called with (possibly none). */
  #cancel: { reason: string | undefined } | undefined;

  readonly #ua: { invite(o: InviteOptions): OutgoingInvite };
  readonly #o: InviteOptions;
  readonly #creds: DigestCredentials;

  constructor(ua: { invite(o: InviteOptions): OutgoingInvite }, o: InviteOptions, creds: DigestCredentials) {
    this.#ua = ua;
    this.#o = o;
    this.#creds = creds;
    this.#current = this.#attach(ua.invite(o));
    this.result = this.#run();
  }

  get request(): SipRequest {
    return this.#current.request;
  }

  onProvisional(cb: (res: SipResponse) => void): void {
    this.#provisionalCbs.push(cb);
  }

  cancel(reason?: string): void {
    if (this.#cancel) return;
    this.#cancel = { reason };
    this.#current.cancel(reason);
  }

  #attach(inv: OutgoingInvite): OutgoingInvite {
    inv.onProvisional((res) => {
      for (const cb of this.#provisionalCbs) cb(res);
    });
    return inv;
  }

  async #run(): Promise<OutgoingInviteResult> {
    for (let answered = 0; ; answered++) {
      const r = await this.#current.result;
      const res = r.response;
      const challenged = res.status === 401 || res.status === 407;
      if (!challenged || this.#cancel || answered >= MAX_ANSWERS) return r;
      // A second challenge after our answer means wrong credentials, unless the nonce merely went stale.
      if (answered > 0 && !challengeIsStale(res)) return r;
      const prev = this.#current.request;
      const auth = digestAuthorization(res, { method: 'INVITE', uri: formatUri(prev.uri) }, this.#creds);
      const fromTag = tagOfHeader(prev, 'From');
      const cseq = parseCSeq(prev.headers.get('CSeq') ?? '')?.seq;
      const callId = prev.headers.get('Call-ID');
      if (!auth || fromTag === undefined || cseq === undefined || callId === undefined) return r;
      this.#current = this.#attach(
        this.#ua.invite({
          ...this.#o,
          callId,
          fromTag,
          cseq: cseq + 1,
          headers: [...(this.#o.headers ?? []), auth],
        }),
      );
    }
  }
}

function tagOfHeader(req: SipRequest, name: 'From' | 'To'): string | undefined {
  const na = parseNameAddr(req.headers.get(name) ?? '');
  return na ? tagOf(na) : undefined;
}
