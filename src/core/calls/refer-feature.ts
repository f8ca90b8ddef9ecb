import type { TenantRecord } from '../../store/types.js';
import type { Logger } from '../../util/log.js';
import type { Party } from '../events/types.js';
import type { QueuedCall } from './queue.js';

/**
 * The seam for a blind REFER whose Refer-To names a feature code (call park: the phone transfers its call to
 * `*68`): the service registered for the code's id (CallEngine.onReferFeature) decides whether the other side of
 * the call leaves with the server. Core never learns what the service does with it.
 */
export interface ReferToFeature {
  tenant: TenantRecord;
  /** The workplace whose phone sent the REFER. */
  transferor: Party;
  /** The other side of the call, the one that would leave with the server. */
  transferee: Party;
  /** The code as registered, e.g. '*68'. */
  code: string;
  argument?: string;
  log: Logger;
  /**
   * Accepts the REFER (202): the transferee leaves the call into a call the server holds (queue.ts, started
   * `queued` on the transferee's own leg, whose callee is `service`), and the transferor is let go with the final
   * NOTIFY `SIP/2.0 200 <note>` (RFC 3515 section 2.4.5: a sipfrag status line; its phrase is free text, so the
   * note tells the phone's user where the call went) and then BYE. Undefined when the call ended meanwhile.
   */
  take(service: Party, note: string): QueuedCall | undefined;
  /** Refuses the REFER with `status`: the call goes on as before. */
  refuse(status: number, reason: string): void;
}

/** Handles a REFER to one registered feature-code id; it must call `take` or `refuse` exactly once. */
export type ReferFeatureHandler = (r: ReferToFeature) => Promise<void>;
