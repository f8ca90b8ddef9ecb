/** The call history, newest first, per tenant. */
import type { Kysely, Selectable } from 'kysely';
import type { CallHistoryTable, Database } from './schema.js';
import type { CallDirection, CallHistoryListOptions, CallHistoryRecord, CallHistoryStore } from './types.js';

const CALL_HISTORY_DEFAULT_LIMIT = 50;
const CALL_HISTORY_MAX_LIMIT = 1000;

/** Rows per INSERT, below SQLite's bound on host parameters (32766; 18 columns a row). */
const ROWS_PER_INSERT = 500;
/** How long an added record may wait for others to share its INSERT. */
export const CALL_HISTORY_WRITE_MS = 100;

interface Queued {
  record: CallHistoryRecord;
  settle: (err?: unknown) => void;
}

/**
 * Records are written behind, in rounds: every call that ends within CALL_HISTORY_WRITE_MS shares one multi-row
 * INSERT (one statement compiled and prepared per round instead of one per call, which the call path's profile
 * showed). `add` resolves once its record is written. `list` writes what is waiting first, so a reader always
 * sees every record added before it asked; `flush` is for shutdown.
 */
export class KyselyCallHistoryStore implements CallHistoryStore {
  readonly #db: Kysely<Database>;
  readonly #writeMs: number;
  #queue: Queued[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** The round being written (rounds go one after another). */
  #round: Promise<void> = Promise.resolve();

  /** `writeMs` 0: each record in its own round at once (a store inside a database transaction). */
  constructor(db: Kysely<Database>, opts: { writeMs?: number } = {}) {
    this.#db = db;
    this.#writeMs = opts.writeMs ?? CALL_HISTORY_WRITE_MS;
  }

  add(record: CallHistoryRecord): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ record, settle: (err) => (err === undefined ? resolve() : reject(err)) });
      if (this.#writeMs <= 0 || this.#queue.length >= ROWS_PER_INSERT) void this.flush();
      else this.#timer ??= setTimeout(() => void this.flush(), this.#writeMs);
    });
  }

  /** Writes every record added so far; resolves when they are written (failures reject their `add`). */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#queue;
    this.#queue = [];
    if (batch.length > 0) this.#round = this.#round.then(() => this.#write(batch));
    return this.#round;
  }

  async #write(batch: Queued[]): Promise<void> {
    for (let i = 0; i < batch.length; i += ROWS_PER_INSERT) {
      const part = batch.slice(i, i + ROWS_PER_INSERT);
      try {
        await this.#insert(part);
        for (const q of part) q.settle();
      } catch (err) {
        // One bad record (say, of a tenant removed meanwhile) must not lose its round: write them one by one.
        if (part.length > 1) for (const q of part) await this.#write([q]);
        else part[0]?.settle(err ?? new Error('call history write failed'));
      }
    }
  }

  async #insert(part: Queued[]): Promise<void> {
    // Idempotent by id, so a writer may retry after a timeout without doubling the call in the journal.
    await this.#db
      .insertInto('call_history')
      .values(part.map((q) => fromCallHistory(q.record)))
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  async list(tenantId: string, opts: CallHistoryListOptions = {}): Promise<CallHistoryRecord[]> {
    await this.flush();
    const limit = clampLimit(opts.limit);
    let q = this.#db.selectFrom('call_history').selectAll().where('tenant_id', '=', tenantId);
    if (opts.before !== undefined) q = q.where('started_at', '<', opts.before);
    const workplace = opts.workplace;
    if (workplace !== undefined) {
      q = q.where((eb) =>
        eb.or([eb('caller_workplace', '=', workplace), eb('callee_workplace', '=', workplace)]),
      );
    }
    const rows = await q.orderBy('started_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    return rows.map(toCallHistory);
  }
}

function clampLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return CALL_HISTORY_DEFAULT_LIMIT;
  return Math.min(CALL_HISTORY_MAX_LIMIT, Math.max(1, Math.trunc(limit)));
}

function toCallHistory(row: Selectable<CallHistoryTable>): CallHistoryRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    callId: row.call_id,
    direction: parseDirection(row.direction),
    callerNumber: row.caller_number,
    callerName: row.caller_name,
    callerWorkplace: row.caller_workplace,
    calleeNumber: row.callee_number,
    calleeName: row.callee_name,
    calleeWorkplace: row.callee_workplace,
    answeredByDevice: row.answered_by_device,
    startedAt: row.started_at,
    answeredAt: row.answered_at,
    endedAt: row.ended_at,
    durationS: row.duration_s,
    outcome: row.outcome,
    status: row.status,
    // Only when set, so records of calls that were not picked up read as before the columns existed.
    ...(row.pickup_kind !== null ? { pickup: { kind: row.pickup_kind, from: row.pickup_from ?? '' } } : {}),
  };
}

function parseDirection(text: string): CallDirection {
  if (text === 'internal' || text === 'inbound' || text === 'outbound') return text;
  throw new Error(`call_history.direction is not a direction: ${text}`);
}

function fromCallHistory(r: CallHistoryRecord): Selectable<CallHistoryTable> {
  return {
    id: r.id,
    tenant_id: r.tenantId,
    call_id: r.callId,
    direction: r.direction,
    caller_number: r.callerNumber,
    caller_name: r.callerName,
    caller_workplace: r.callerWorkplace,
    callee_number: r.calleeNumber,
    callee_name: r.calleeName,
    callee_workplace: r.calleeWorkplace,
    answered_by_device: r.answeredByDevice,
    started_at: r.startedAt,
    answered_at: r.answeredAt,
    ended_at: r.endedAt,
    duration_s: r.durationS,
    outcome: r.outcome,
    status: r.status,
    pickup_kind: r.pickup?.kind ?? null,
    pickup_from: r.pickup?.from ?? null,
  };
}
