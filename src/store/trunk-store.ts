/** Trunks and their DIDs, with the row mappings provisioning writes. */
import type { Kysely, Selectable } from 'kysely';
import type { Database, TrunkDidsTable, TrunksTable } from './schema.js';
import type { TrunkDidRecord, TrunkRecord, TrunkStore } from './types.js';

export class KyselyTrunkStore implements TrunkStore {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async listAll(): Promise<TrunkRecord[]> {
    const rows = await this.#db.selectFrom('trunks').selectAll().orderBy('tenant_id').orderBy('id').execute();
    return rows.map(toTrunk);
  }

  async forTenant(tenantId: string): Promise<TrunkRecord[]> {
    const rows = await this.#db
      .selectFrom('trunks')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('id')
      .execute();
    return rows.map(toTrunk);
  }

  async didLookup(number: string): Promise<TrunkDidRecord | undefined> {
    const row = await this.#db
      .selectFrom('trunk_dids')
      .selectAll()
      .where('number', '=', number)
      .executeTakeFirst();
    return row && toDid(row);
  }

  async dids(tenantId: string): Promise<TrunkDidRecord[]> {
    const rows = await this.#db
      .selectFrom('trunk_dids')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('number')
      .execute();
    return rows.map(toDid);
  }

  async allDids(): Promise<TrunkDidRecord[]> {
    const rows = await this.#db.selectFrom('trunk_dids').selectAll().orderBy('number').execute();
    return rows.map(toDid);
  }
}

function toTrunk(row: Selectable<TrunksTable>): TrunkRecord {
  return {
    tenantId: row.tenant_id,
    id: row.id,
    peerHost: row.peer_host,
    peerPort: row.peer_port,
    transport: row.transport,
    regUsername: row.reg_username,
    regPassword: row.reg_password,
    regExpires: row.reg_expires,
    outboundPrefix: row.outbound_prefix,
    numberFormat: row.number_format,
    countryCode: row.country_code,
    defaultCallerId: row.default_caller_id,
  };
}

export function fromTrunk(t: TrunkRecord): Selectable<TrunksTable> {
  return {
    tenant_id: t.tenantId,
    id: t.id,
    peer_host: t.peerHost,
    peer_port: t.peerPort,
    transport: t.transport,
    reg_username: t.regUsername,
    reg_password: t.regPassword,
    reg_expires: t.regExpires,
    outbound_prefix: t.outboundPrefix,
    number_format: t.numberFormat,
    country_code: t.countryCode,
    default_caller_id: t.defaultCallerId,
  };
}

function toDid(row: Selectable<TrunkDidsTable>): TrunkDidRecord {
  return { number: row.number, tenantId: row.tenant_id, trunkId: row.trunk_id, extension: row.extension };
}

export function fromDid(d: TrunkDidRecord): Selectable<TrunkDidsTable> {
  return { number: d.number, tenant_id: d.tenantId, trunk_id: d.trunkId, extension: d.extension };
}
