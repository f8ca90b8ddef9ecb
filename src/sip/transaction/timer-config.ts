/**
 * RFC 3261 section 17.1.1.1 / table 4: T1 (RTT estimate), T2 (maximum non-INVITE retransmit interval) and T4
 * (maximum time a message stays in the network). Every other timer derives from these three.
 */
export interface TimerConfig {
  T1: number;
  T2: number;
  T4: number;
}

export const DEFAULT_TIMERS: Readonly<TimerConfig> = Object.freeze({ T1: 500, T2: 4000, T4: 5000 });

/**
 * Section 17.2.1: the INVITE server transaction "MUST generate a 100 (Trying) response unless it knows that the
 * TU will generate a provisional or final response within 200 ms".
 */
export const TRYING_DELAY_MS = 200;

/**
 * Timer D: "at least 32 seconds for unreliable transports" (section 17.1.1.2), which is 64*T1 with the default
 * T1. Derived from T1 so that tests running with a shortened T1 do not wait 32 s for every failed INVITE.
 */
export function timerD(t: TimerConfig): number {
  return 64 * t.T1;
}

export function resolveTimers(partial: Partial<TimerConfig> | undefined): TimerConfig {
  const t = { ...DEFAULT_TIMERS, ...partial };
  for (const [name, v] of Object.entries(t)) {
    if (!Number.isFinite(v) || v <= 0)
      throw new RangeError(`timer ${name} must be a positive number, got ${v}`);
  }
  return t;
}
