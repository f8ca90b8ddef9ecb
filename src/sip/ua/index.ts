/** The SIP user-agent core for INVITE sessions (RFC 3261 8, 9, 12-15; RFC 6026). */
export {
  UserAgentCore,
  type UserAgentCoreOptions,
  type InviteOptions,
  type OutOfDialogRequestOptions,
  type UserAgentCoreCounts,
} from './user-agent-core.js';
export type { IncomingInvite } from './incoming-invite.js';
export type { AcceptSubscribeOptions, DialogSnapshot, SubscriptionDialog } from './incoming-subscribe.js';
export type { OutgoingInvite, OutgoingInviteResult } from './outgoing-invite.js';
export * from '../dialog/index.js';
export { inviteWithCredentials } from './authenticated-invite.js';
export { retriedInvite, sameInviteAgain, type RetryDecision } from './retried-invite.js';
