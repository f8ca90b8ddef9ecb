import type { IncomingInvite } from '../../sip/ua/index.js';
import type { TenantRecord } from '../../store/types.js';
import type { Party } from '../events/types.js';
import type { TerminatingRequest } from './ring-plan.js';
import type { ExternalCallPolicy, ExternalRoutes } from './external-routes.js';
import { trunkTarget, type Target } from './targets.js';

/** Where an external call that no phone dialled comes from, for the security event of a refusal. */
export interface ExternalOrigin {
  /** The source address of the request that led to it (the caller's, for a forwarded call); '' when none. */
  source: string;
  callId: string;
}

/** The origin of the external calls a caller's INVITE may lead to (a forward of the workplace it rings). */
export function originOf(incoming: IncomingInvite): ExternalOrigin {
  return { source: incoming.flow.remote.address, callId: incoming.request.headers.get('Call-ID') ?? '' };
}

/** The ring-plan request of a new call from `incoming` (its origin named if an outside target is refused). */
export function planRequest(
  tenant: TenantRecord,
  caller: Party,
  callee: Party,
  origin: 'internal' | 'external',
  incoming: IncomingInvite,
): TerminatingRequest {
  return { tenant, caller, callee, origin, diversions: [], sip: originOf(incoming) };
}

export type AdmittedTarget =
  | { ok: true; target: Target }
  /** No trunk for the number, or the toll-fraud limits refused it (the policy logged the security event). */
  | { ok: false; reason: 'no-trunk' | 'refused'; detail?: string };

/**
 * The trunk target for an external number the PBX calls on `workplace`'s behalf without its phone dialling it — a
 * forward to an outside number, an executive's outside line, click-to-dial — after the same toll-fraud check a
 * dialled call gets (external-admission.ts): the number counts against the workplace's hourly limit and the
 * tenant's concurrent calls, and its destination class must be allowed. The admitted target holds its
 * concurrency slot until its `release` runs (Ringing.releaseTargets, when the call ends).
 */
export async function admittedTrunkTarget(
  d: { external: ExternalRoutes | undefined; externalPolicy: ExternalCallPolicy | undefined },
  x: { tenantId: string; workplace: string; number: string; origin?: ExternalOrigin },
): Promise<AdmittedTarget> {
  const trunk = await d.external?.outbound(x.tenantId, x.workplace, x.number);
  if (!trunk) return { ok: false, reason: 'no-trunk' };
  const target = trunkTarget(trunk);
  if (!d.externalPolicy) return { ok: true, target };
  const verdict = await d.externalPolicy.admit({
    tenantId: x.tenantId,
    workplace: x.workplace,
    dialled: x.number,
    ...(trunk.e164 !== undefined ? { e164: trunk.e164 } : {}),
    ...(trunk.countryCode !== undefined ? { countryCode: trunk.countryCode } : {}),
    source: x.origin?.source ?? '',
    callId: x.origin?.callId ?? '',
  });
  if (!verdict.ok) return { ok: false, reason: 'refused', detail: verdict.reason };
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    verdict.release();
  };
  return { ok: true, target: { ...target, release } };
}
