import type BetterSqlite3 from 'better-sqlite3';
import type { RegistrationRecord } from './types.js';

const COLUMNS =
  'tenant_id, username, contact, contact_params, q, call_id, cseq, expires_at, flow_protocol, flow_address, ' +
  'flow_port, flow_local_address, flow_local_port, flow_connection_id, user_agent, updated_at';

type Aor = { tenantId: string; username: string };

/**
 * The location service's write-behind round on SQLite, straight on better-sqlite3: two statements prepared once and
 * run per AOR and per binding inside one transaction. Through the query builder every round compiled and prepared
 * statements of a new shape (hundreds of rows each), which cost more than the registrations themselves at a few
 * thousand REGISTERs a second.
 */
export class SqliteRegistrationRounds {
  readonly #db: BetterSqlite3.Database;
  readonly #round: (aors: readonly Aor[], bindings: readonly RegistrationRecord[]) => void;

  constructor(db: BetterSqlite3.Database) {
    this.#db = db;
    const del = db.prepare('DELETE FROM registrations WHERE tenant_id = ? AND username = ?');
    const ins = db.prepare(`INSERT INTO registrations (${COLUMNS}) VALUES (${COLUMNS.replace(/\w+/g, '?')})`);
    this.#round = db.transaction((aors: readonly Aor[], bindings: readonly RegistrationRecord[]) => {
      for (const a of aors) del.run(a.tenantId, a.username);
      for (const r of bindings) {
        ins.run(
          r.tenantId,
          r.username,
          r.contact,
          r.contactParams,
          r.q,
          r.callId,
          r.cseq,
          r.expiresAt,
          r.flowProtocol,
          r.flowAddress,
          r.flowPort,
          r.flowLocalAddress,
          r.flowLocalPort,
          r.flowConnectionId,
          r.userAgent,
          r.updatedAt,
        );
      }
    });
  }

  /**
   * Replaces the bindings of `aors` in one transaction. False, and nothing written, while the connection is inside
   * another transaction (one the query builder holds across awaits): the caller then queues behind it instead of
   * writing into it.
   */
  replace(aors: readonly Aor[], bindings: readonly RegistrationRecord[]): boolean {
    if (this.#db.inTransaction) return false;
    this.#round(aors, bindings);
    return true;
  }
}
