import { countsAsGauges, type Metric } from '../api/metrics.js';
import type { SecurityCounters } from '../core/security/security-events.js';
import type { TransportStats } from '../sip/transport/transport-layer.js';

/** What `/metrics` shows: the security counters (docs/security.md), transport refusals, and the live counts. */
export function securityMetrics(
  sec: SecurityCounters,
  transport: TransportStats,
  counts: Record<string, number>,
): Metric[] {
  const counter = (name: string, help: string, value: number): Metric => ({
    name,
    help,
    type: 'counter',
    value,
  });
  return [
    counter(
      'auth_failures_total',
      'failed digest authentications (wrong password, unknown user or domain)',
      sec.authFailures,
    ),
    counter('bans_total', 'sources or (source, user) pairs banned, for any reason', sec.bans),
    counter('flood_bans_total', 'sources banned for exceeding their message rate', sec.floodBans),
    counter(
      'flood_dropped_total',
      'SIP messages dropped by the per-source rate limit or a ban',
      sec.floodDropped,
    ),
    counter('fraud_refused_total', 'external calls refused by the toll-fraud limits', sec.fraudRefused),
    counter(
      'sip_not_admitted_total',
      'SIP messages and connections refused before parsing',
      transport.droppedNotAdmitted,
    ),
    counter('sip_refused_sends_total', 'SIP messages that could not be sent', transport.refusedSends),
    ...countsAsGauges(counts),
  ];
}
