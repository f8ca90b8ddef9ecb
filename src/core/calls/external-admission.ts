import { refusalTone } from '../../media/audio/tone.js';
import type { IncomingInvite } from '../../sip/ua/index.js';
import type { TenantRecord } from '../../store/types.js';
import type { Logger } from '../../util/log.js';
import { rejectWithAnnouncement } from './announce-reject.js';
import type { EngineDeps } from './engine-deps.js';
import type { TrunkTarget } from './external-routes.js';

/**
 * The toll-fraud check of a workplace's outbound external call (the engine's `externalPolicy`). Allowed: the
 * release of its concurrency slot, which the call must run when it ends (a no-op without a policy). Refused: the
 * caller hears the special information tone as early media, then gets 403 (docs/security.md), and undefined is
 * returned.
 */
export async function admitExternal(
  o: EngineDeps,
  incoming: IncomingInvite,
  x: { tenant: TenantRecord; workplace: string; dialled: string; trunk: TrunkTarget; log: Logger },
): Promise<(() => void) | undefined> {
  const policy = o.externalPolicy;
  if (!policy) return () => undefined;
  const callId = incoming.request.headers.get('Call-ID') ?? '';
  const verdict = await policy.admit({
    tenantId: x.tenant.id,
    workplace: x.workplace,
    dialled: x.dialled,
    ...(x.trunk.e164 !== undefined ? { e164: x.trunk.e164 } : {}),
    ...(x.trunk.countryCode !== undefined ? { countryCode: x.trunk.countryCode } : {}),
    source: incoming.flow.remote.address,
    callId,
  });
  if (verdict.ok) return verdict.release;
  x.log.info({ event: 'call.rejected', reason: verdict.reason }, 'external call refused');
  await rejectWithAnnouncement(o.media, incoming, {
    status: 403,
    reason: 'Call Not Allowed',
    source: refusalTone(),
    label: `fraud:${callId}`,
  });
  return undefined;
}
