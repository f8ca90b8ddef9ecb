/**
 * When the subscription service writes a subscription again and which NOTIFY failures end one: the policy every
 * event package shares (subscription-service.ts applies it).
 */

/**
 * A subscription is written again after this many NOTIFYs (besides on subscribe, refresh and stop), well inside
 * RESTORE_MARGIN: writing on every NOTIFY made the store the main cost of a fan-out (see bench/README.md).
 */
export const PERSIST_EVERY = 100;

/**
 * NOTIFY final responses that end the subscription (RFC 6665 section 4.2.2), without a further NOTIFY:
 * - 481: the subscriber no longer knows the subscription ("the notifier MUST remove the subscription");
 * - 408, received or made locally when Timer F fired: the subscriber is unreachable ("the notifier SHOULD remove
 *   the subscription"); over UDP that is 64*T1 of retransmissions without an answer, not one lost datagram.
 * Both also end the dialog (RFC 3261 12.2.1.2). Every other failure keeps the subscription until it expires or is
 * refreshed: an answering subscriber that refuses one body (4xx/5xx), and a 503 made locally because nothing
 * could be sent (a WebSocket or TCP peer whose connection is gone) — that subscriber may come back on a new
 * connection with an in-dialog SUBSCRIBE, which the subscription then follows.
 */
export const NOTIFY_FAILURES_THAT_END = new Set([408, 481]);
