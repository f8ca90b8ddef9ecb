/** The call history, newest first, per tenant. */
import type { Kysely, Selectable } from 'kysely';
import type { CallHistoryTable, Database } from './schema.js';
import type { CallDirection, CallHistoryListOptions, CallHistoryRecord, CallHistoryStore } from './types.js';

const CALL_HISTORY_DEFAULT_LIMIT = 50;
const CALL_HISTORY_MAX_LIMIT = 1000;

export class KyselyCallHistoryStore implements CallHistoryStore {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async add(record: CallHistoryRecord): Promise<void> {
    // Idempotent by id, so a writer may retry after a timeout without doubling the call in the journal.
    await this.#db
      .insertInto('call_history')
      .values(fromCallHistory(record))
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  async list(tenantId: string, opts: CallHistoryListOptions = {}): Promise<CallHistoryRecord[]> {
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
