/** Dialogs (RFC 3261 section 12): the objects the UA core (sip/ua) hands to the application. */
export type { Dialog, DialogId, DialogState, DialogTerminationReason, RequestOptions } from './types.js';
export { UaError, type UaErrorCode } from './errors.js';
export type { UaLog, UaLogLevel } from './dialog-context.js';
export { respondingWith } from './responding-with.js';
