/** Registrar bindings (the location service's persistence). */
import type { Kysely, Selectable } from 'kysely';
import type { Database, RegistrationsTable } from './schema.js';
import type { SqliteRegistrationRounds } from './sqlite-registration-rounds.js';
import type { RegistrationRecord, RegistrationStore } from './types.js';

/** Rows or names per statement: 500 × 16 columns stays far below SQLite's 32766 host parameters. */
const CHUNK = 500;

export class KyselyRegistrationStore implements RegistrationStore {
  readonly #db: Kysely<Database>;
  readonly #rounds: SqliteRegistrationRounds | undefined;
  /** `db` is a transaction already: replaceAors joins it instead of opening its own. */
  readonly #inTransaction: boolean;
  /** `rounds`: the prepared-statement path for replaceAors on SQLite (absent on PostgreSQL and in transactions). */
  constructor(
    db: Kysely<Database>,
    opts: { rounds?: SqliteRegistrationRounds; inTransaction?: boolean } = {},
  ) {
    this.#db = db;
    this.#rounds = opts.rounds;
    this.#inTransaction = opts.inTransaction ?? false;
  }

  async list(tenantId: string, username: string): Promise<RegistrationRecord[]> {
    const rows = await this.#db
      .selectFrom('registrations')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('username', '=', username)
      .orderBy('contact')
      .execute();
    return rows.map(toRegistration);
  }

  async upsert(record: RegistrationRecord): Promise<void> {
    const row = fromRegistration(record);
    const { tenant_id: _t, username: _u, contact: _c, ...rest } = row;
    await this.#db
      .insertInto('registrations')
      .values(row)
      .onConflict((oc) => oc.columns(['tenant_id', 'username', 'contact']).doUpdateSet(rest))
      .execute();
  }

  async remove(tenantId: string, username: string, contact: string): Promise<void> {
    await this.#db
      .deleteFrom('registrations')
      .where('tenant_id', '=', tenantId)
      .where('username', '=', username)
      .where('contact', '=', contact)
      .execute();
  }

  async removeAll(tenantId: string, username: string): Promise<void> {
    await this.#db
      .deleteFrom('registrations')
      .where('tenant_id', '=', tenantId)
      .where('username', '=', username)
      .execute();
  }

  async replaceAors(
    aors: ReadonlyArray<{ tenantId: string; username: string }>,
    bindings: RegistrationRecord[],
  ): Promise<void> {
    if (this.#rounds?.replace(aors, bindings)) return;
    if (this.#inTransaction) return replaceGrouped(this.#db, aors, bindings);
    await this.#db.transaction().execute((trx) => replaceGrouped(trx, aors, bindings));
  }

  async loadUnexpired(now: number): Promise<RegistrationRecord[]> {
    // Deliberately across tenants: this rebuilds the whole location service at start.
    const rows = await this.#db
      .selectFrom('registrations')
      .selectAll()
      .where('expires_at', '>', now)
      .orderBy('tenant_id')
      .orderBy('username')
      .orderBy('contact')
      .execute();
    return rows.map(toRegistration);
  }

  async removeExpired(now: number): Promise<number> {
    const r = await this.#db.deleteFrom('registrations').where('expires_at', '<=', now).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}

/**
 * replaceAors through the query builder: per-statement compile and driver costs dominated a round of one DELETE and
 * one INSERT per AOR, so the statements are grouped by tenant and chunked below SQLite's bound on host parameters
 * (32766; 16 columns a row). The caller holds the transaction.
 */
async function replaceGrouped(
  db: Kysely<Database>,
  aors: ReadonlyArray<{ tenantId: string; username: string }>,
  bindings: RegistrationRecord[],
): Promise<void> {
  const byTenant = new Map<string, string[]>();
  for (const a of aors) {
    const list = byTenant.get(a.tenantId) ?? [];
    list.push(a.username);
    byTenant.set(a.tenantId, list);
  }
  for (const [tenantId, usernames] of byTenant) {
    for (let i = 0; i < usernames.length; i += CHUNK) {
      await db
        .deleteFrom('registrations')
        .where('tenant_id', '=', tenantId)
        .where('username', 'in', usernames.slice(i, i + CHUNK))
        .execute();
    }
  }
  for (let i = 0; i < bindings.length; i += CHUNK) {
    await db
      .insertInto('registrations')
      .values(bindings.slice(i, i + CHUNK).map(fromRegistration))
      .execute();
  }
}

function toRegistration(row: Selectable<RegistrationsTable>): RegistrationRecord {
  return {
    tenantId: row.tenant_id,
    username: row.username,
    contact: row.contact,
    contactParams: row.contact_params,
    q: row.q,
    callId: row.call_id,
    cseq: row.cseq,
    expiresAt: row.expires_at,
    flowProtocol: row.flow_protocol,
    flowAddress: row.flow_address,
    flowPort: row.flow_port,
    flowLocalAddress: row.flow_local_address,
    flowLocalPort: row.flow_local_port,
    flowConnectionId: row.flow_connection_id,
    userAgent: row.user_agent,
    updatedAt: row.updated_at,
  };
}

function fromRegistration(r: RegistrationRecord): Selectable<RegistrationsTable> {
  return {
    tenant_id: r.tenantId,
    username: r.username,
    contact: r.contact,
    contact_params: r.contactParams,
    q: r.q,
    call_id: r.callId,
    cseq: r.cseq,
    expires_at: r.expiresAt,
    flow_protocol: r.flowProtocol,
    flow_address: r.flowAddress,
    flow_port: r.flowPort,
    flow_local_address: r.flowLocalAddress,
    flow_local_port: r.flowLocalPort,
    flow_connection_id: r.flowConnectionId,
    user_agent: r.userAgent,
    updated_at: r.updatedAt,
  };
}
