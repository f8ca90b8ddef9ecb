/** Tenants, workplaces and devices as the directory reads them, with the row mappings provisioning writes. */
import type { Kysely, Selectable } from 'kysely';
import type { Database, DevicesTable, WorkplacesTable } from './schema.js';
import type {
  DeviceRecord,
  DirectorySnapshot,
  DirectoryStore,
  TenantRecord,
  WorkplaceRecord,
} from './types.js';

export class KyselyDirectoryStore implements DirectoryStore {
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

  async devicesNamed(tenantId: string, usernames: readonly string[]): Promise<DeviceRecord[]> {
    if (usernames.length === 0) return [];
    const rows = await this.#db
      .selectFrom('devices')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('username', 'in', [...usernames])
      .execute();
    return rows.map(toDevice);
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

export function fromWorkplace(w: WorkplaceRecord): Selectable<WorkplacesTable> {
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

export function fromDevice(d: DeviceRecord): Selectable<DevicesTable> {
  return {
    tenant_id: d.tenantId,
    username: d.username,
    workplace_extension: d.workplaceExtension,
    kind: d.kind,
    ha1_md5: d.ha1Md5,
    ha1_sha256: d.ha1Sha256,
  };
}
