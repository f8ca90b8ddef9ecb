// The bus events about callers in a queue (src/core/events/types.ts), without the tenant and time the runtime
// stamps on each.

import type { Party } from '../../core/events/types.js';

export type OverflowReason = 'queue-full' | 'max-wait';

export type CallerEvent =
  | { type: 'callcenter.caller.queued'; group: string; callId: string; caller: Party; position: number }
  | {
      type: 'callcenter.caller.connected';
      group: string;
      callId: string;
      caller: Party;
      agent: string;
      waitMs: number;
    }
  | { type: 'callcenter.caller.abandoned'; group: string; callId: string; caller: Party; waitMs: number }
  | {
      type: 'callcenter.caller.overflowed';
      group: string;
      callId: string;
      caller: Party;
      reason: OverflowReason;
      to: string;
      waitMs: number;
    };
