/** The SIP transaction layer (RFC 3261 section 17, RFC 6026). */
export { MAGIC_COOKIE, newBranch, isRfc3261Branch } from './branch.js';
export { DEFAULT_TIMERS, type TimerConfig } from './timer-config.js';
export { TransactionState } from './transaction-state.js';
export {
  TransactionLayer,
  type TransactionLayerOptions,
  type TransactionLayerStats,
} from './transaction-layer.js';
export type {
  ClientTransaction,
  ClientTransactionHandlers,
  MessageSender,
  ServerTransaction,
  ServerTransactionError,
  TransactionUser,
} from './types.js';
