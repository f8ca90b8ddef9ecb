import type { Diversion, DiversionReason, Party } from '../events/types.js';

/**
 * The headers that tell a forwarded call's callee who was called and why: Diversion (RFC 5806, widely shown by
 * desk phones as "diverted from") and History-Info (RFC 7044, the standard successor). Both are built from the
 * same hops so they never disagree.
 */

/** History-Info cause values for each reason (RFC 4458 section 3, as RFC 7044 section 10.1 uses them). */
const CAUSE: Record<DiversionReason, number> = {
  unconditional: 302,
  'follow-me': 302,
  away: 302,
  'user-busy': 486,
  'no-answer': 408,
  unavailable: 503,
  deflection: 487,
  'do-not-disturb': 480,
};

export function causeOf(reason: DiversionReason): number {
  return CAUSE[reason];
}

function uri(p: Party, domain: string, params = ''): string {
  return `<sip:${encodeURIComponent(p.number).replace(/%2B/g, '+')}@${domain}${params}>`;
}

/**
 * Diversion and History-Info for an INVITE to `target` after `diversions` (oldest first). Empty without hops.
 * Diversion lists the most recent hop first, each with its reason and counter (RFC 5806 section 4);
 * History-Info lists the chain from the dialled party down to `target`, each retargeted entry carrying the cause
 * of the hop that led to it and `mp` naming its predecessor (RFC 7044 sections 9.1 and 10).
 */
export function diversionHeaders(
  domain: string,
  diversions: readonly Diversion[],
  target: Party,
): Array<[string, string]> {
  if (diversions.length === 0) return [];
  const diversion = [...diversions]
    .reverse()
    .map((d, i) => `${uri(d.from, domain)};reason=${d.reason};counter=${diversions.length - i}`)
    .join(', ');
  const entries: string[] = [];
  let index = '1';
  entries.push(`${uri(diversions[0]!.from, domain)};index=${index}`);
  const chain = [...diversions.slice(1).map((d) => d.from), target];
  chain.forEach((p, i) => {
    const parent = index;
    index = `${index}.1`;
    entries.push(`${uri(p, domain, `;cause=${causeOf(diversions[i]!.reason)}`)};index=${index};mp=${parent}`);
  });
  return [
    ['Diversion', diversion],
    ['History-Info', entries.join(', ')],
  ];
}
