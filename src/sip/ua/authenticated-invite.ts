/**
 * An initial INVITE that answers the server's digest challenge (RFC 3261 sections 8.1.3.5 and 22.2): a 401 or 407
 * is followed by the same INVITE with the same Call-ID and From tag, CSeq one higher and an (Proxy-)Authorization
 * header. Carriers challenge every INVITE of a trunk this way. One challenge is answered, a second only when it
 * says our nonce went stale; anything else is the final result. To its user it is one OutgoingInvite.
 */
import { challengeIsStale, digestAuthorization, type DigestCredentials } from '../auth/digest-client.js';
import { formatUri } from '../message/index.js';
import type { OutgoingInvite } from './outgoing-invite.js';
import { retriedInvite, sameInviteAgain } from './retried-invite.js';
import type { InviteOptions } from './user-agent-core.js';

const MAX_ANSWERS = 2;

export function inviteWithCredentials(
  ua: { invite(o: InviteOptions): OutgoingInvite },
  o: InviteOptions,
  creds: DigestCredentials,
): OutgoingInvite {
  return retriedInvite(ua, o, (res, answered, prev) => {
    if ((res.status !== 401 && res.status !== 407) || answered >= MAX_ANSWERS) return undefined;
    // A second challenge after our answer means wrong credentials, unless the nonce merely went stale.
    if (answered > 0 && !challengeIsStale(res)) return undefined;
    const auth = digestAuthorization(res, { method: 'INVITE', uri: formatUri(prev.uri) }, creds);
    if (!auth) return undefined;
    return sameInviteAgain(prev, { ...o, headers: [...(o.headers ?? []), auth] });
  });
}
