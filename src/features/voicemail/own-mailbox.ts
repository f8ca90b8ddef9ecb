import type { RingPlan, TerminatingRequest, TerminatingService } from '../../core/calls/ring-plan.js';

/** The divert service name under which the voice portal takes calls the ring plan hands it. */
export const PORTAL_SERVICE = 'voicemail-portal';

/**
 * Dialling the own extension from one of the workplace's own devices reaches the voice portal instead of ringing
 * the workplace's other phones (the BroadWorks habit; `*62` does the same). A terminating service: it shapes only
 * calls from inside the tenant, not diverted, from the workplace to itself, and only with a mailbox.
 */
export function ownMailboxService(
  hasMailbox: (tenantId: string, extension: string) => Promise<boolean>,
): TerminatingService {
  return {
    name: PORTAL_SERVICE,
    async plan(req: TerminatingRequest): Promise<RingPlan | undefined> {
      const ext = req.callee.workplace;
      if (req.origin !== 'internal' || req.diversions.length > 0 || ext === undefined) return undefined;
      if (req.caller.workplace !== ext || !(await hasMailbox(req.tenant.id, ext))) return undefined;
      return {
        first: () => ({ kind: 'service', service: PORTAL_SERVICE, number: ext }),
        next: () => undefined,
      };
    },
  };
}
