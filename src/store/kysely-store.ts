import type { Kysely, Selectable } from 'kysely';
import { KyselyCallCenterStore, type CallCenterStore } from './callcenter-store.js';
import type {
  CallHistoryTable,
  Database,
  DevicesTable,
  RegistrationsTable,
  TrunkDidsTable,
  TrunksTable,
  WorkplacesTable,
} from './schema.js';
import type {
  CallDirection,
  CallHistoryListOptions,
  CallHistoryRecord,
  CallHistoryStore,
  DeviceRecord,
  DirectorySnapshot,
  DirectoryStore,
  ProvisioningStore,
  RegistrationRecord,
  RegistrationStore,
  Store,
  TenantRecord,
  TrunkDidRecord,
  TrunkRecord,
  TrunkStore,
  WorkplaceRecord,
  PickupStore,
} from './types.js';
import { KyselyPickupStore } from './pickup-store.js';
import type { BlfSubscriptionStore } from './types.js';
import { KyselyBlfSubscriptionStore } from './blf-subscriptions.js';

type Dialect = Store['dialect'];

/**
 * The one Store implementation: the same kysely queries serve SQLite and PostgreSQL. An instance wraps either
 * the root Kysely (auto-commit) or a Transaction; `transaction()` on the latter joins it.
 */
export class KyselyStore implements Store {
  readonly dialect: Dialect;
  readonly directory: DirectoryStore;
  readonly registrations: RegistrationStore;
  readonly provisioning: ProvisioningStore;
  readonly callHistory: CallHistoryStore;
  readonly trunks: TrunkStore;
  readonly pickup: PickupStore;
  readonly blfSubscriptions: BlfSubscriptionStore;
  readonly callCenter: CallCenterStore;
  readonly #db: Kysely<Database>;
  readonly #inTransaction: boolean;
  readonly #onClose: () => Promise<void>;

  constructor(
    db: Kysely<Database>,
    dialect: Dialect,
    opts: { inTransaction?: boolean; onClose?: () => Promise<void> } = {},
  ) {
    this.#db = db;
    this.dialect = dialect;
    this.#inTransaction = opts.inTransaction ?? false;
    this.#onClose = opts.onClose ?? (() => db.destroy());
    this.directory = new KyselyDirectoryStore(db);
    this.registrations = new KyselyRegistrationStore(db);
    this.provisioning = new KyselyProvisioningStore(db);
    this.callHistory = new KyselyCallHistoryStore(db);
    this.trunks = new KyselyTrunkStore(db);
    this.pickup = new KyselyPickupStore(db);
    this.blfSubscriptions = new KyselyBlfSubscriptionStore(db);
    this.callCenter = new KyselyCallCenterStore(db);
  }

  async transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    // kysely has no nested transactions; joining keeps "one transaction" true for code that composes helpers.
    if (this.#inTransaction) return fn(this);
    return this.#db
      .transaction()
      .execute((trx) =>
        fn(new KyselyStore(trx, this.dialect, { inTransaction: true, onClose: closeInTransaction })),
      );
  }

  async close(): Promise<void> {
    await this.#onClose();
  }
}

function closeInTransaction(): Promise<void> {
  return Promise.reject(new Error('close() called on a transaction store; close the store that opened it'));
}

class KyselyDirectoryStore implements DirectoryStore {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  tenantByDomain(domain: string): Promise<TenantRecord | undefined> {
    return this.#db
      .selectFrom('tenants')
      .select(['id', 'name', 'domain'])
      .where('domain', '=', domain.toLowerCase())
      .executeTakeFirst();
  }

  tenant(id: string): Promise<TenantRecord | undefined> {
    return this.#db
      .selectFrom('tenants')
      .select(['id', 'name', 'domain'])
      .where('id', '=', id)
      .executeTakeFirst();
  }

  async device(tenantId: string, username: string): Promise<DeviceRecord | undefined> {
    const row = await this.#db
      .selectFrom('devices')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('username', '=', username)
      .executeTakeFirst();
    return row && toDevice(row);
  }

  async workplaces(tenantId: string): Promise<WorkplaceRecord[]> {
    const rows = await this.#db
      .selectFrom('workplaces')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('extension')
      .execute();
    return rows.map(toWorkplace);
  }

  async devices(tenantId: string): Promise<DeviceRecord[]> {
    const rows = await this.#db
      .selectFrom('devices')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('username')
      .execute();
    return rows.map(toDevice);
  }

  async snapshot(): Promise<DirectorySnapshot> {
    // Three reads; callers wanting a consistent view across them run snapshot() inside a transaction.
    const tenants = await this.#db
      .selectFrom('tenants')
      .select(['id', 'name', 'domain'])
      .orderBy('id')
      .execute();
    const workplaces = await this.#db
      .selectFrom('workplaces')
      .selectAll()
      .orderBy('tenant_id')
      .orderBy('extension')
      .execute();
    const devices = await this.#db
      .selectFrom('devices')
      .selectAll()
      .orderBy('tenant_id')
      .orderBy('username')
      .execute();
    return { tenants, workplaces: workplaces.map(toWorkplace), devices: devices.map(toDevice) };
  }
}

class KyselyRegistrationStore implements RegistrationStore {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
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

class KyselyProvisioningStore implements ProvisioningStore {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async upsertTenant(tenant: TenantRecord): Promise<void> {
    await this.#db
      .insertInto('tenants')
      .values({ id: tenant.id, name: tenant.name, domain: tenant.domain.toLowerCase() })
      .onConflict((oc) =>
        oc.column('id').doUpdateSet({ name: tenant.name, domain: tenant.domain.toLowerCase() }),
      )
      .execute();
  }

  async removeTenant(tenantId: string): Promise<void> {
    // Foreign keys cascade; registrations too (they reference the tenant).
    await this.#db.deleteFrom('tenants').where('id', '=', tenantId).execute();
  }

  async upsertWorkplace(w: WorkplaceRecord): Promise<void> {
    const row = fromWorkplace(w);
    const { tenant_id: _t, extension: _e, ...rest } = row;
    await this.#db
      .insertInto('workplaces')
      .values(row)
      .onConflict((oc) => oc.columns(['tenant_id', 'extension']).doUpdateSet(rest))
      .execute();
  }

  async removeWorkplace(tenantId: string, extension: string): Promise<void> {
    // Registrations have no foreign key to devices (see migration 0002): remove them explicitly first.
    const usernames = this.#db
      .selectFrom('devices')
      .select('username')
      .where('tenant_id', '=', tenantId)
      .where('workplace_extension', '=', extension);
    await this.#db
      .deleteFrom('registrations')
      .where('tenant_id', '=', tenantId)
      .where('username', 'in', usernames)
      .execute();
    await this.#db
      .deleteFrom('workplaces')
      .where('tenant_id', '=', tenantId)
      .where('extension', '=', extension)
      .execute();
  }

  async upsertDevice(d: DeviceRecord): Promise<void> {
    const row = fromDevice(d);
    const { tenant_id: _t, username: _u, ...rest } = row;
    await this.#db
      .insertInto('devices')
      .values(row)
      .onConflict((oc) => oc.columns(['tenant_id', 'username']).doUpdateSet(rest))
      .execute();
  }

  async removeDevice(tenantId: string, username: string): Promise<void> {
    await this.#db
      .deleteFrom('registrations')
      .where('tenant_id', '=', tenantId)
      .where('username', '=', username)
      .execute();
    await this.#db
      .deleteFrom('devices')
      .where('tenant_id', '=', tenantId)
      .where('username', '=', username)
      .execute();
  }

  async upsertTrunk(t: TrunkRecord): Promise<void> {
    const row = fromTrunk(t);
    const { tenant_id: _t, id: _i, ...rest } = row;
    await this.#db
      .insertInto('trunks')
      .values(row)
      .onConflict((oc) => oc.columns(['tenant_id', 'id']).doUpdateSet(rest))
      .execute();
  }

  async removeTrunk(tenantId: string, trunkId: string): Promise<void> {
    // Its DIDs go by the foreign key's cascade; deleted explicitly too, so it holds without foreign keys.
    await this.#db
      .deleteFrom('trunk_dids')
      .where('tenant_id', '=', tenantId)
      .where('trunk_id', '=', trunkId)
      .execute();
    await this.#db.deleteFrom('trunks').where('tenant_id', '=', tenantId).where('id', '=', trunkId).execute();
  }

  async upsertDid(d: TrunkDidRecord): Promise<void> {
    const row = fromDid(d);
    const { number: _n, ...rest } = row;
    await this.#db
      .insertInto('trunk_dids')
      .values(row)
      .onConflict((oc) => oc.column('number').doUpdateSet(rest))
      .execute();
  }

  async removeDid(tenantId: string, number: string): Promise<void> {
    await this.#db
      .deleteFrom('trunk_dids')
      .where('tenant_id', '=', tenantId)
      .where('number', '=', number)
      .execute();
  }
}

class KyselyTrunkStore implements TrunkStore {
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

function fromTrunk(t: TrunkRecord): Selectable<TrunksTable> {
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

function fromDid(d: TrunkDidRecord): Selectable<TrunkDidsTable> {
  return { number: d.number, tenant_id: d.tenantId, trunk_id: d.trunkId, extension: d.extension };
}

const CALL_HISTORY_DEFAULT_LIMIT = 50;
const CALL_HISTORY_MAX_LIMIT = 1000;

class KyselyCallHistoryStore implements CallHistoryStore {
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

function toWorkplace(row: Selectable<WorkplacesTable>): WorkplaceRecord {
  return {
    tenantId: row.tenant_id,
    extension: row.extension,
    name: row.name,
    email: row.email,
    language: row.language,
    packages: parsePackages(row.packages),
    // Only when set, so records of workplaces without one read as before the column existed.
    ...(row.external_number !== null ? { externalNumber: row.external_number } : {}),
    ...(row.blf !== null ? { blf: parseStringList('blf', row.blf) } : {}),
  };
}

function parsePackages(text: string): string[] {
  const v: unknown = JSON.parse(text);
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    throw new Error(`workplaces.packages is not a JSON array of strings: ${text}`);
  }
  return v;
}

function parseStringList(column: string, text: string): string[] {
  const v: unknown = JSON.parse(text);
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
    throw new Error(`workplaces.${column} is not a JSON array of strings: ${text}`);
  return v;
}

function fromWorkplace(w: WorkplaceRecord): Selectable<WorkplacesTable> {
  return {
    tenant_id: w.tenantId,
    extension: w.extension,
    name: w.name,
    email: w.email,
    language: w.language,
    packages: JSON.stringify(w.packages),
    external_number: w.externalNumber ?? null,
    blf: w.blf && w.blf.length > 0 ? JSON.stringify(w.blf) : null,
  };
}

function toDevice(row: Selectable<DevicesTable>): DeviceRecord {
  return {
    tenantId: row.tenant_id,
    username: row.username,
    workplaceExtension: row.workplace_extension,
    kind: row.kind,
    ha1Md5: row.ha1_md5,
    ha1Sha256: row.ha1_sha256,
  };
}

function fromDevice(d: DeviceRecord): Selectable<DevicesTable> {
  return {
    tenant_id: d.tenantId,
    username: d.username,
    workplace_extension: d.workplaceExtension,
    kind: d.kind,
    ha1_md5: d.ha1Md5,
    ha1_sha256: d.ha1Sha256,
  };
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
