import { randomUUID } from 'node:crypto';
import type { CallDirection, CallHistoryRecord, CallHistoryStore } from '../../store/types.js';
import { silentLogger, type Logger } from '../../util/log.js';
import type { EventBus, Unsubscribe } from '../events/event-bus.js';
import type { CallAnswered, CallEnded, CallOffered, CallPickedUp, Party } from '../events/types.js';

export interface CallHistoryRecorderOptions {
  bus: EventBus;
  store: CallHistoryStore;
  log?: Logger;
  /**
   * Calls tracked between call.offered and call.ended. A call whose end never arrives (a bug elsewhere) must
   * not grow memory forever: past the bound the oldest is dropped with a warning. Default 10,000.
   */
  maxOpenCalls?: number;
}

/** What is known about a call before it ends. */
interface OpenCall {
  startedAt: number;
  answeredAt?: number;
  answeredByDevice?: string;
  /** The last pickup of the call (`*97`, `*98`, Replaces, `*11`). */
  pickup?: { kind: string; from: string };
}

/** Ended calls remembered to ignore a repeated call.ended; a few seconds' worth of traffic is plenty. */
const RECENTLY_ENDED = 1000;

/**
 * Writes one call history record per call, when the call ends. Listens to the bus only; core's call engine
 * knows nothing about history.
 *
 * Never throws into the bus: a failed write is logged (with the record, which holds no credentials) and
 * dropped, because a live call must not suffer from the journal. `flush()` lets shutdown wait for the writes
 * still in flight.
 */
export class CallHistoryRecorder {
  readonly #store: CallHistoryStore;
  readonly #log: Logger;
  readonly #maxOpenCalls: number;
  readonly #open = new Map<string, OpenCall>();
  readonly #recentlyEnded = new Set<string>();
  readonly #writes = new Set<Promise<void>>();
  #unsubscribe: Unsubscribe[];

  constructor(opts: CallHistoryRecorderOptions) {
    this.#store = opts.store;
    this.#log = opts.log ?? silentLogger();
    this.#maxOpenCalls = opts.maxOpenCalls ?? 10_000;
    const { bus } = opts;
    this.#unsubscribe = [
      bus.on('call.offered', (e) => this.#guard(e, () => this.#offered(e))),
      bus.on('call.answered', (e) => this.#guard(e, () => this.#answered(e))),
      bus.on('call.picked-up', (e) => this.#guard(e, () => this.#pickedUp(e))),
      bus.on('call.ended', (e) => this.#guard(e, () => this.#ended(e))),
    ];
  }

  /** Writes in flight. */
  pending(): number {
    return this.#writes.size;
  }

  /** Calls offered and not yet ended. */
  openCalls(): number {
    return this.#open.size;
  }

  /** Resolves when every write started so far has settled (never rejects: failures are logged). */
  async flush(): Promise<void> {
    while (this.#writes.size > 0) await Promise.all([...this.#writes]);
  }

  /** Stops listening and waits for the writes in flight; calls still open are not recorded. */
  async stop(): Promise<void> {
    for (const off of this.#unsubscribe) off();
    this.#unsubscribe = [];
    if (this.#open.size > 0)
      this.#log.info({ openCalls: this.#open.size }, 'call history: stopping with calls open');
    this.#open.clear();
    await this.flush();
  }

  #offered(e: CallOffered): void {
    const key = callKey(e);
    if (this.#open.has(key)) return; // a repeated offer keeps the first start time
    this.#recentlyEnded.delete(key);
    if (this.#open.size >= this.#maxOpenCalls) {
      const [oldest] = this.#open.keys();
      if (oldest !== undefined) {
        this.#open.delete(oldest);
        this.#log.warn(
          { call: oldest, maxOpenCalls: this.#maxOpenCalls },
          'call history: too many open calls, dropped the oldest',
        );
      }
    }
    this.#open.set(key, { startedAt: e.at });
  }

  #answered(e: CallAnswered): void {
    const call = this.#open.get(callKey(e));
    // Answered without offer: the recorder started mid-call; call.ended carries answeredAt for that case.
    if (!call || call.answeredAt !== undefined) return;
    call.answeredAt = e.at;
    const device = e.device ?? e.callee.device;
    if (device !== undefined) call.answeredByDevice = device;
  }

  #pickedUp(e: CallPickedUp): void {
    const call = this.#open.get(callKey(e));
    if (!call) return;
    // A pull moves the call between the workplace's own devices: name the device it came from.
    const from = e.kind === 'pull' ? (e.from.device ?? e.from.number) : (e.from.workplace ?? e.from.number);
    call.pickup = { kind: e.kind, from };
  }

  #ended(e: CallEnded): void {
    const key = callKey(e);
    if (this.#recentlyEnded.has(key)) return;
    this.#remember(key);
    const call = this.#open.get(key);
    this.#open.delete(key);
    this.#write(toRecord(e, call));
  }

  #remember(key: string): void {
    this.#recentlyEnded.add(key);
    if (this.#recentlyEnded.size > RECENTLY_ENDED) {
      const [oldest] = this.#recentlyEnded;
      if (oldest !== undefined) this.#recentlyEnded.delete(oldest);
    }
  }

  #write(record: CallHistoryRecord): void {
    // Through a then() so even a store that throws synchronously ends up in the catch below.
    const p: Promise<void> = Promise.resolve()
      .then(() => this.#store.add(record))
      .catch((err: unknown) => {
        this.#log.error({ err, record }, 'call history: could not write the record');
      })
      .finally(() => this.#writes.delete(p));
    this.#writes.add(p);
  }

  #guard(e: { type: string; tenantId: string; callId: string; partOf?: string }, fn: () => void): void {
    // An offer of a queued call to an agent is recorded with the queued call, not as a call (or missed call) itself.
    if (e.partOf !== undefined) return;
    try {
      fn();
    } catch (err) {
      this.#log.error(
        { err, tenant: e.tenantId, callId: e.callId, event: e.type },
        'call history: event failed',
      );
    }
  }
}

function callKey(e: { tenantId: string; callId: string }): string {
  // Call ids are unique per process, but keying by tenant too keeps one tenant's events out of another's record.
  return `${e.tenantId}\u0000${e.callId}`;
}

/** The record for an ended call, from what the recorder saw (`call`, if it saw the offer) and the end event. */
function toRecord(e: CallEnded, call: OpenCall | undefined, id: string = randomUUID()): CallHistoryRecord {
  const answeredAt = call?.answeredAt ?? e.answeredAt ?? null;
  // Without the offer (recorder started mid-call) the earliest time known is the start.
  const startedAt = call?.startedAt ?? answeredAt ?? e.at;
  return {
    id,
    tenantId: e.tenantId,
    callId: e.callId,
    direction: directionOf(e.caller, e.callee),
    callerNumber: e.caller.number,
    callerName: e.caller.name ?? null,
    callerWorkplace: e.caller.workplace ?? null,
    calleeNumber: e.callee.number,
    calleeName: e.callee.name ?? null,
    calleeWorkplace: e.callee.workplace ?? null,
    answeredByDevice: answeredAt === null ? null : (call?.answeredByDevice ?? e.callee.device ?? null),
    startedAt,
    answeredAt,
    endedAt: e.at,
    durationS: answeredAt === null ? 0 : Math.max(0, Math.round((e.at - answeredAt) / 1000)),
    outcome: e.reason,
    status: e.status ?? null,
    ...(call?.pickup ? { pickup: call.pickup } : {}),
  };
}

/**
 * Seen from the tenant. A call between two outside parties (a forward to an external number) counts as
 * inbound: it was the outside that called in.
 */
export function directionOf(caller: Party, callee: Party): CallDirection {
  if (caller.workplace !== undefined) return callee.workplace !== undefined ? 'internal' : 'outbound';
  return 'inbound';
}
