import type { Logger } from '../../util/log.js';

/**
 * Security events: one structured log line each, shaped for fail2ban, plus counters for `/metrics`.
 *
 * Every line starts its own fields with `"event":"<kind>","source":"<address>"` (pino writes the object's keys in
 * insertion order after its own), so one regular expression finds the offender in all of them; docs/security.md
 * gives it. The source is the address the packet came from, never a header value an attacker could choose.
 */
export type SecurityEventKind = 'auth.failure' | 'auth.ban' | 'flood.limited' | 'flood.ban' | 'fraud.refused';

export interface SecurityCounters {
  authFailures: number;
  bans: number;
  floodBans: number;
  floodDropped: number;
  fraudRefused: number;
}

export class SecurityEvents {
  readonly #log: Logger | undefined;
  readonly #counters: SecurityCounters = {
    authFailures: 0,
    bans: 0,
    floodBans: 0,
    floodDropped: 0,
    fraudRefused: 0,
  };

  constructor(log?: Logger) {
    this.#log = log;
  }

  /** Logs one event at warn level and counts it. `fields` must not carry credentials. */
  emit(kind: SecurityEventKind, source: string, fields: Record<string, unknown>, msg: string): void {
    if (kind === 'auth.failure') this.#counters.authFailures++;
    else if (kind === 'auth.ban') this.#counters.bans++;
    else if (kind === 'flood.ban') {
      this.#counters.bans++;
      this.#counters.floodBans++;
    } else if (kind === 'fraud.refused') this.#counters.fraudRefused++;
    this.#log?.warn({ event: kind, source, ...fields }, msg);
  }

  /** A message dropped by the rate limit: counted only (a flood must not become a flood of log lines). */
  countDropped(): void {
    this.#counters.floodDropped++;
  }

  counters(): Readonly<SecurityCounters> {
    return { ...this.#counters };
  }
}
