import { parseNameAddr, tagOf, quote, type SipRequest } from '../../sip/message/index.js';
import type { Party } from '../events/types.js';
import type { ForkBranch } from './fork.js';

/**
 * SIP helpers for taking a call: directed and group pickup, INVITE with Replaces naming a ringing branch (a BLF
 * key), call pull. The Call, takeover.ts and the CallEngine do the work; these are the pieces that need no call state.
 */

export type PickupKind = 'directed' | 'group' | 'replaces' | 'pull';

/** The SIP identifiers of one leg, from the monitored device's point of view (RFC 4235 local = the device). */
export interface PickupLeg {
  callId: string;
  localTag: string;
  remoteTag: string;
}

/**
 * Who the picker is connected to, for its 200 OK: P-Asserted-Identity (RFC 3325, trusted network: the phone is
 * ours) and the older Remote-Party-ID (draft-ietf-sip-privacy-04, `party=calling`) that many desk phones (Yealink,
 * Polycom, Snom, Cisco) use to update the display. RFC 4916 (connected identity by UPDATE) is not used: the 200
 * OK carries the identity before the phone renders the call, and UPDATE support varies.
 */
export function connectedIdentityHeaders(p: Party, domain: string): Array<[string, string]> {
  const uri = `<sip:${encodeURIComponent(p.number).replace(/%2B/g, '+')}@${domain}>`;
  const display = p.name ? `${quote(p.name)} ` : '';
  return [
    ['P-Asserted-Identity', `${display}${uri}`],
    ['Remote-Party-ID', `${display}${uri};party=calling;screen=yes;privacy=off`],
  ];
}

/** The Call-ID and our From tag of a branch INVITE: the UAC side of the early dialogs it creates. */
export function branchIds(b: ForkBranch): { callId: string; fromTag: string } {
  const req: SipRequest = b.invite.request;
  const from = parseNameAddr(req.headers.get('From') ?? '');
  return { callId: req.headers.get('Call-ID') ?? '', fromTag: (from && tagOf(from)) ?? '' };
}

/**
 * Does the Replaces header (RFC 3891) name an early dialog of this branch? Section 3 compares to-tag with the
 * recipient's local tag and from-tag with the remote one, but BLF phones build the header from dialog-info
 * local/remote tags and differ in which goes where, so either orientation is accepted — the Call-ID and both tags
 * must still match exactly.
 */
export function namesBranch(b: ForkBranch, id: { callId: string; toTag: string; fromTag: string }): boolean {
  if (b.done) return false;
  const ours = branchIds(b);
  if (ours.callId !== id.callId || !ours.fromTag) return false;
  const other = id.toTag === ours.fromTag ? id.fromTag : id.fromTag === ours.fromTag ? id.toTag : undefined;
  return other !== undefined && b.earlyTags.includes(other);
}

/**
 * The early dialog of a ringing fork an INVITE with Replaces would name, as the device sees it (RFC 4235:
 * local = the device's side): the branch's Call-ID, local = the device's To tag, remote = our From tag.
 */
export function earlyPickupLeg(branches: readonly ForkBranch[]): PickupLeg | undefined {
  for (const b of branches) {
    const tag = b.earlyTags[0];
    if (b.done || !b.target.device || tag === undefined) continue;
    const ids = branchIds(b);
    return { callId: ids.callId, localTag: tag, remoteTag: ids.fromTag };
  }
  return undefined;
}
