/** Web logins (password hash and role per workplace) and API sessions (by token hash). */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export type WebRole = 'user' | 'admin';

export interface WebLoginRecord {
  tenantId: string;
  extension: string;
  /** argon2id PHC string; null when the workplace has a role but no web password. */
  passwordHash: string | null;
  role: WebRole;
}

export interface ApiSessionRecord {
  /** SHA-256 of the bearer token, hex. The token itself is never stored. */
  tokenHash: string;
  tenantId: string;
  extension: string;
  createdAt: number;
  expiresAt: number;
}

export interface WebAccessStore {
  login(tenantId: string, extension: string): Promise<WebLoginRecord | undefined>;
  logins(tenantId: string): Promise<WebLoginRecord[]>;
  /** The workplace must exist in the same tenant. */
  upsertLogin(r: WebLoginRecord): Promise<void>;
  removeLogin(tenantId: string, extension: string): Promise<void>;
  addSession(r: ApiSessionRecord): Promise<void>;
  session(tokenHash: string): Promise<ApiSessionRecord | undefined>;
  removeSession(tokenHash: string): Promise<void>;
  /** Removes the sessions that expired at or before `now`; returns how many. */
  removeExpiredSessions(now: number): Promise<number>;
}

export class KyselyWebAccessStore implements WebAccessStore {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async login(tenantId: string, extension: string): Promise<WebLoginRecord | undefined> {
    const row = await this.#db
      .selectFrom('web_logins')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('extension', '=', extension)
      .executeTakeFirst();
    return row && toLogin(row);
  }

  async logins(tenantId: string): Promise<WebLoginRecord[]> {
    const rows = await this.#db
      .selectFrom('web_logins')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('extension')
      .execute();
    return rows.map(toLogin);
  }

  async upsertLogin(r: WebLoginRecord): Promise<void> {
    await this.#db
      .insertInto('web_logins')
      .values({ tenant_id: r.tenantId, extension: r.extension, password_hash: r.passwordHash, role: r.role })
      .onConflict((oc) =>
        oc.columns(['tenant_id', 'extension']).doUpdateSet({ password_hash: r.passwordHash, role: r.role }),
      )
      .execute();
  }

  async removeLogin(tenantId: string, extension: string): Promise<void> {
    // A removed login ends its sessions too: the password that opened them is gone.
    await this.#db
      .deleteFrom('api_sessions')
      .where('tenant_id', '=', tenantId)
      .where('extension', '=', extension)
      .execute();
    await this.#db
      .deleteFrom('web_logins')
      .where('tenant_id', '=', tenantId)
      .where('extension', '=', extension)
      .execute();
  }

  async addSession(r: ApiSessionRecord): Promise<void> {
    await this.#db
      .insertInto('api_sessions')
      .values({
        token_hash: r.tokenHash,
        tenant_id: r.tenantId,
        extension: r.extension,
        created_at: r.createdAt,
        expires_at: r.expiresAt,
      })
      .execute();
  }

  async session(tokenHash: string): Promise<ApiSessionRecord | undefined> {
    const row = await this.#db
      .selectFrom('api_sessions')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
    return (
      row && {
        tokenHash: row.token_hash,
        tenantId: row.tenant_id,
        extension: row.extension,
        createdAt: Number(row.created_at),
        expiresAt: Number(row.expires_at),
      }
    );
  }

  async removeSession(tokenHash: string): Promise<void> {
    await this.#db.deleteFrom('api_sessions').where('token_hash', '=', tokenHash).execute();
  }

  async removeExpiredSessions(now: number): Promise<number> {
    const r = await this.#db.deleteFrom('api_sessions').where('expires_at', '<=', now).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}

function toLogin(row: { tenant_id: string; extension: string; password_hash: string | null; role: string }) {
  return {
    tenantId: row.tenant_id,
    extension: row.extension,
    passwordHash: row.password_hash,
    role: row.role === 'admin' ? 'admin' : 'user',
  } satisfies WebLoginRecord;
}
