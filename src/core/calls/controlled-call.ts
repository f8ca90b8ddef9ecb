import type { CallCore, HandOverSource, RingingCore } from './call-core.js';
import type { Leg } from './leg.js';
import type { Transfers } from './transfer.js';

/** What third-party call control (call-control.ts) acts on in one call: the pieces the leg modules work with. */
export interface ControlledCall {
  readonly call: HandOverSource;
  readonly core: CallCore;
  readonly ringing: RingingCore;
  readonly transfers: Transfers;
  /** The two connected legs while answered, else none. */
  legs(): readonly Leg[];
}
