import { randomBase64url } from '../../util/random-id.js';

/** RFC 3261 section 8.1.1.7: branches minted by RFC 3261 elements start with this cookie. */
export const MAGIC_COOKIE = 'z9hG4bK';

/**
 * A fresh branch for the top Via of a new client transaction. 96 random bits from node:crypto, so branches are
 * unique across space and time as section 8.1.1.7 requires (never Math.random: branches feed transaction matching).
 */
export function newBranch(): string {
  return MAGIC_COOKIE + randomBase64url(12);
}

/**
 * Section 17.2.3: only a branch that starts with the cookie (and is more than the bare cookie, which some broken
 * stacks send) can be trusted to be unique; otherwise the RFC 2543 matching rules apply.
 */
export function isRfc3261Branch(branch: string | undefined): branch is string {
  return branch !== undefined && branch.length > MAGIC_COOKIE.length && branch.startsWith(MAGIC_COOKIE);
}
