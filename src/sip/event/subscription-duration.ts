/**
 * How long a subscription may last (RFC 6665 section 4.2.1.1), for every event package we serve: no Expires → the
 * package default, 0 stays 0 (unsubscribe / fetch), shorter than the minimum → 423 with Min-Expires, longer than the
 * maximum → shortened, which the notifier MAY do.
 */
import { parseDeltaSeconds, type SipRequest } from '../message/index.js';

/** RFC 4235 section 3.3 ("one hour") and what we grant any package at most. */
export const DEFAULT_EXPIRES = 3600;
/** Shorter requests get 423 with Min-Expires; phones re-subscribe every 1-30 minutes. */
export const MIN_EXPIRES = 60;
export const MAX_EXPIRES = 3600;

export type Duration = { ok: true; seconds: number } | { ok: false; status: 400 | 423 };

export function durationOf(req: SipRequest): Duration {
  const raw = req.headers.get('Expires');
  if (raw === undefined) return { ok: true, seconds: DEFAULT_EXPIRES };
  const s = parseDeltaSeconds(raw);
  if (s === undefined) return { ok: false, status: 400 };
  if (s === 0) return { ok: true, seconds: 0 };
  if (s < MIN_EXPIRES) return { ok: false, status: 423 };
  return { ok: true, seconds: Math.min(s, MAX_EXPIRES) };
}
